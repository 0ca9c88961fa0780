package pipeline

import "time"

// Report is what one stage did, for the harness's summary.
type Report struct {
	// Stage is the stage's name: "migrate", "stage", "stream", "catalog", "etl".
	Stage string `json:"stage"`
	// Read counts the rows, records or objects the stage took in.
	Read int64 `json:"read"`
	// Written counts what it wrote out.
	Written int64 `json:"written"`
	// Retried counts the items or records sent again after a throttle or a
	// partial failure.
	Retried int64 `json:"retried"`
	// Rejected counts what could not be written and was set aside (for
	// migrate, the rows in awsdms_full_load_exceptions).
	Rejected int64 `json:"rejected"`
	// Duration is the stage's wall time.
	Duration time.Duration `json:"duration_ns"`
	// Tables breaks the counts down per table or output, where that helps.
	Tables map[string]TableCounts `json:"tables,omitempty"`
	// Metrics are a stage's figures beyond counts, by name (train: the
	// model's RMSE and the baseline's).
	Metrics map[string]float64 `json:"metrics,omitempty"`
}

// TableCounts are a Report's counts for one table or output.
type TableCounts struct {
	Read     int64 `json:"read"`
	Written  int64 `json:"written"`
	Retried  int64 `json:"retried,omitempty"`
	Rejected int64 `json:"rejected,omitempty"`
	// Duplicates counts deliveries of a record beyond its first (at least
	// once delivery), found by event id and removed by the ETL.
	Duplicates int64 `json:"duplicates,omitempty"`
	// Resent counts records produced again because they had not landed.
	Resent int64 `json:"resent,omitempty"`
}
