package verify

import (
	"fmt"

	"github.com/mldatalake/mldatalake/pipeline"
)

// reconcile checks the row counts across the stages: source rows = DynamoDB
// items + exceptions per table; records produced = distinct event ids
// delivered = stream records the ETL kept after removing duplicates;
// rating_new rows = ratings items + distinct stream records, less the rows
// the job dropped for a null id. Duplicate deliveries are not a failure:
// delivery is at least once, the outputs hold one row per event id.
func reconcile(k *Counts, names pipeline.Names, res *Result, check func(string, func() error)) {
	tables := []struct{ source, target, output string }{
		{"ratings", names.RatingsTable, pipeline.RatingNew},
		{"movies", names.MoviesTable, pipeline.MoviesNew},
		{"links", names.LinksTable, pipeline.LinksNew},
	}
	for _, t := range tables {
		src, ok1 := k.SourceRows[t.source]
		items, ok2 := k.TargetItems[t.target]
		if !ok1 || !ok2 {
			continue
		}
		exc := k.Exceptions[t.source]
		check("counts/"+t.source+" source = "+t.target+" items + exceptions", func() error {
			if src != items+exc {
				return fmt.Errorf("MySQL %s has %d rows; DynamoDB %s has %d items and %d exceptions (sum %d)", t.source, src, t.target, items, exc, items+exc)
			}
			return nil
		})
	}
	check("counts/stream produced = distinct delivered", func() error {
		if k.Produced != k.Delivered {
			return fmt.Errorf("%d records produced to Kinesis, %d distinct event ids delivered to S3", k.Produced, k.Delivered)
		}
		return nil
	})
	check("counts/stream distinct delivered = ETL stream rows", func() error {
		if k.Delivered != k.StreamInput {
			return fmt.Errorf("%d distinct event ids delivered to S3, the ETL kept %d stream records after removing duplicates", k.Delivered, k.StreamInput)
		}
		return nil
	})
	for _, t := range tables {
		items, ok := k.TargetItems[t.target]
		rows, ok2 := res.Rows[t.output]
		if !ok || !ok2 {
			continue
		}
		want := items - k.Dropped[t.output]
		what := fmt.Sprintf("%s items %d", t.target, items)
		if t.output == pipeline.RatingNew {
			want += k.StreamInput
			what += fmt.Sprintf(" + distinct stream records %d", k.StreamInput)
		}
		if d := k.Dropped[t.output]; d > 0 {
			what += fmt.Sprintf(" - dropped %d", d)
		}
		check("counts/"+t.output+" rows", func() error {
			if rows != want {
				return fmt.Errorf("%s has %d rows, want %s = %d", res.Keys[t.output], rows, what, want)
			}
			return nil
		})
	}
}
