package orchestrate

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mldatalake/mldatalake/emulation/env"
	"github.com/mldatalake/mldatalake/emulation/fault"
	"github.com/mldatalake/mldatalake/fixtures/generate"
	"github.com/mldatalake/mldatalake/pipeline"
)

// Settings are everything a run can be told. Load fills them from the
// environment and an optional config file.
type Settings struct {
	Target env.Target
	// Scale is the generated dataset's size: tiny, workshop, 1m or 20m.
	Scale string
	// Seed of the generator.
	Seed uint64
	// MovieLensDir, when set, is a MovieLens-format directory used instead
	// of generated data.
	MovieLensDir string
	// MySQLDSN, when set, is an existing MySQL server used as the source.
	MySQLDSN string
	// OutDir receives the exported outputs, the reports and the rejects.
	OutDir string
	// Faults for the embedded emulator.
	Faults fault.Config
	// Profile is the AWS shared-config profile for the aws target.
	Profile string
	// Names of the AWS resources; ResourcePrefix is put before each default.
	Names          pipeline.Names
	ResourcePrefix string
	// AllowDestroy permits destructive steps on real AWS (with the prefix).
	AllowDestroy bool
	// FirehoseRoleARN is the role Firehose assumes; required on real AWS.
	FirehoseRoleARN string
	// Shards of the Kinesis stream and Firehose's buffering interval.
	Shards         int32
	BufferInterval time.Duration
	// Mapping is a DMS table-mapping file; empty means the workshop's.
	Mapping string
	// MaxRejects is how many bad source rows are tolerated.
	MaxRejects int
	// MemoryLimit is the memory budget of the whole process
	// (PIPELINE_MEMORY_LIMIT): a quarter goes to DuckDB in the etl stage
	// (unless ETLMemoryLimit says otherwise), a quarter is kept for memory
	// neither DuckDB nor Go accounts for, the rest is the Go runtime's soft
	// limit (GOMEMLIMIT), so the collector works harder as the in-process
	// emulators and stages near it.
	MemoryLimit int64
	// ETLMemoryLimit caps DuckDB's memory in the etl stage, in DuckDB's
	// notation; empty means a quarter of MemoryLimit.
	ETLMemoryLimit string
	// ProfileDir, when set, receives each stage's CPU profile
	// (<stage>.cpu.pprof) and heap profile at its end (<stage>.heap.pprof).
	ProfileDir string
	// CrawlerScanAll is Glue's scanAll: the crawler reads every DynamoDB
	// item (true, Glue's default) or infers from a sample (false).
	CrawlerScanAll bool
	// S3OnDisk keeps the embedded emulator's S3 objects as files in a
	// temporary folder under OUT_DIR instead of in memory; "auto" (the
	// default) does so for the 1m and 20m scales and for a MOVIELENS_DIR
	// whose ratings are over 64 MiB.
	S3OnDisk string
	// UpAWSAddr and UpMySQLAddr are where `up` serves the embedded target
	// (and `emulator` the standalone emulator).
	UpAWSAddr, UpMySQLAddr string
	// LogLevel is PIPELINE_LOG's: info shows the stages' starts, ends and
	// warnings; debug everything the stages log.
	LogLevel slog.Level
	// ETLSQL is a folder with a transform of one's own (.sql files run
	// instead of the built-in Glue job) and checks of one's own
	// (checks/*.sql); empty means the built-in job.
	ETLSQL string
	// KeepState makes e2e copy the run's S3 objects, DynamoDB tables and
	// delivered Firehose records to OUT_DIR/state before tearing down.
	KeepState bool
	// TrainFactors adds matrix factorisation with that many factors to the
	// train stage's biases (0: the biases alone); TrainSeed seeds it.
	TrainFactors int
	TrainSeed    uint64

	sources map[string]string // variable → where its value came from
}

// Source says where a setting's value came from: "the environment", "the
// config file F line N" or "the default".
func (s Settings) Source(name string) string {
	if src, ok := s.sources[name]; ok {
		return src
	}
	return "the default"
}

// The settings' variables. Each can also be a KEY=VALUE line of the config
// file named by PIPELINE_CONFIG (default pipeline.env when it exists); the
// environment wins over the file.
var variables = []struct{ Name, Default, Help string }{
	{"PIPELINE_TARGET", "embedded", "embedded (in-process, offline), localstack, endpoint, aws, or auto (localstack when Docker answers)"},
	{"FIXTURE_SCALE", "workshop", "generated dataset size: tiny, workshop, 1m or 20m"},
	{"FIXTURE_SEED", strconv.FormatUint(generate.DefaultSeed, 10), "seed of the generated dataset"},
	{"MOVIELENS_DIR", "", "a MovieLens-format directory to use instead of generated data"},
	{"MYSQL_DSN", "", "an existing MySQL server to use as the source, e.g. root@tcp(127.0.0.1:3306)/"},
	{"OUT_DIR", "out", "where outputs, reports and rejects are written"},
	{"EMULATOR_FAULTS", "", "fault injection for the embedded emulator, e.g. throttle=0.1,partial=0.05,seed=42"},
	{"AWS_PROFILE", "", "the AWS shared-config profile for PIPELINE_TARGET=aws"},
	{"PIPELINE_RESOURCE_PREFIX", "", "put before every default resource name; required for destructive steps on aws"},
	{"PIPELINE_ALLOW_DESTROY", "", "1 permits destructive steps (drop, truncate, delete) on aws"},
	{"PIPELINE_BUCKET", pipeline.DefaultBucket, "S3 bucket"},
	{"PIPELINE_RATINGS_TABLE", pipeline.DefaultRatingsTable, "DynamoDB table of ratings"},
	{"PIPELINE_MOVIES_TABLE", pipeline.DefaultMoviesTable, "DynamoDB table of movies"},
	{"PIPELINE_LINKS_TABLE", pipeline.DefaultLinksTable, "DynamoDB table of links"},
	{"PIPELINE_TAGS_TABLE", pipeline.DefaultTagsTable, "DynamoDB table of tags"},
	{"PIPELINE_EXCEPTIONS_TABLE", pipeline.DefaultExceptionsTable, "DynamoDB table of the rows the full load could not write"},
	{"PIPELINE_STREAM", pipeline.DefaultStream, "Kinesis data stream"},
	{"PIPELINE_DELIVERY_STREAM", pipeline.DefaultDeliveryStream, "Firehose delivery stream"},
	{"PIPELINE_FIREHOSE_PREFIX", pipeline.DefaultFirehosePrefix, "S3 prefix Firehose writes under"},
	{"PIPELINE_CATALOG_DATABASE", pipeline.DefaultCatalogDatabase, "crawler catalog database"},
	{"PIPELINE_FIREHOSE_ROLE_ARN", "", "IAM role Firehose assumes (required on aws)"},
	{"PIPELINE_SHARDS", "2", "Kinesis shards"},
	{"PIPELINE_BUFFER_INTERVAL", "1s", "Firehose buffering interval (0s to 900s)"},
	{"PIPELINE_MAPPING", "", "DMS table-mapping file (default: the workshop's)"},
	{"PIPELINE_MAX_REJECTS", "0", "bad source rows tolerated before the load fails"},
	{"PIPELINE_MEMORY_LIMIT", "4GiB", "the process's memory budget: a quarter for DuckDB in etl, a quarter kept free, the rest the Go runtime's soft limit (GOMEMLIMIT)"},
	{"PIPELINE_ETL_MEMORY_LIMIT", "", "DuckDB's memory cap in the etl stage (default: a quarter of PIPELINE_MEMORY_LIMIT); beyond it DuckDB spills to disk"},
	{"PIPELINE_PROFILE_DIR", "", "a folder for each stage's CPU and heap profiles (go tool pprof), to see where time and memory go"},
	{"PIPELINE_CRAWLER_SCAN_ALL", "true", "true: the crawler reads every DynamoDB item (Glue's default); false: it infers the schema from a 1 MB sample and counts by DescribeTable (Glue's scanAll=false)"},
	{"PIPELINE_S3_ON_DISK", "auto", "keep the embedded emulator's S3 objects in files under OUT_DIR: auto (for 1m, 20m and large MOVIELENS_DIR), yes or no"},
	{"PIPELINE_UP_AWS_ADDR", "127.0.0.1:4566", "where `up` serves the embedded AWS emulator"},
	{"PIPELINE_UP_MYSQL_ADDR", "127.0.0.1:3307", "where `up` serves the embedded MySQL-compatible server"},
	{"PIPELINE_LOG", "info", "info (stage starts and ends, warnings, the summary) or debug (everything the stages log)"},
	{"PIPELINE_ETL_SQL", "", "a folder of .sql files run instead of the built-in Glue job, with checks/*.sql that must return no rows"},
	{"PIPELINE_KEEP_STATE", "", "1 keeps e2e's S3 objects, DynamoDB tables and Firehose records under OUT_DIR/state"},
	{"PIPELINE_TRAIN_FACTORS", "0", "matrix-factorisation factors on top of the train stage's biases (0: biases alone)"},
	{"PIPELINE_TRAIN_SEED", "1", "seed of the train stage's factorisation"},
}

// Help lists the variables with their defaults.
func Help() string {
	var b strings.Builder
	for _, v := range variables {
		def := v.Default
		if def == "" {
			def = "(unset)"
		}
		fmt.Fprintf(&b, "  %-28s %-14s %s\n", v.Name, def, v.Help)
	}
	return b.String()
}

// Load reads the settings from getenv (os.Getenv when nil) and the config
// file. Unknown keys in the file and malformed values are errors naming them.
func Load(getenv func(string) string) (Settings, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	file := map[string]fileValue{}
	path := getenv("PIPELINE_CONFIG")
	if path == "" {
		if _, err := os.Stat("pipeline.env"); err == nil {
			path = "pipeline.env"
		}
	}
	if path != "" {
		var err error
		if file, err = readConfig(path); err != nil {
			return Settings{}, err
		}
	}
	var s Settings
	s.sources = map[string]string{}
	get := func(name string) string {
		if v := getenv(name); v != "" {
			s.sources[name] = "the environment"
			return v
		}
		if v, ok := file[name]; ok {
			s.sources[name] = fmt.Sprintf("%s line %d", path, v.line)
			return v.value
		}
		for _, v := range variables {
			if v.Name == name {
				return v.Default
			}
		}
		return ""
	}
	var errs []error
	var err error
	if s.Target, err = env.ParseTarget(get("PIPELINE_TARGET")); err != nil {
		errs = append(errs, err)
	}
	s.Scale = get("FIXTURE_SCALE")
	if s.Seed, err = strconv.ParseUint(get("FIXTURE_SEED"), 10, 64); err != nil {
		errs = append(errs, fmt.Errorf("FIXTURE_SEED=%q: want a non-negative integer", get("FIXTURE_SEED")))
	}
	s.MovieLensDir = get("MOVIELENS_DIR")
	s.MySQLDSN = get("MYSQL_DSN")
	s.OutDir = get("OUT_DIR")
	if s.Faults, err = fault.Parse(get("EMULATOR_FAULTS")); err != nil {
		errs = append(errs, fmt.Errorf("EMULATOR_FAULTS: %w", err))
	}
	s.Profile = get("AWS_PROFILE")
	s.ResourcePrefix = get("PIPELINE_RESOURCE_PREFIX")
	s.AllowDestroy = get("PIPELINE_ALLOW_DESTROY") == "1"
	name := func(key, def string) string {
		v := get(key)
		if v == def {
			return s.ResourcePrefix + v
		}
		return v
	}
	s.Names = pipeline.Names{
		Bucket:          name("PIPELINE_BUCKET", pipeline.DefaultBucket),
		RatingsTable:    name("PIPELINE_RATINGS_TABLE", pipeline.DefaultRatingsTable),
		MoviesTable:     name("PIPELINE_MOVIES_TABLE", pipeline.DefaultMoviesTable),
		LinksTable:      name("PIPELINE_LINKS_TABLE", pipeline.DefaultLinksTable),
		TagsTable:       name("PIPELINE_TAGS_TABLE", pipeline.DefaultTagsTable),
		ExceptionsTable: name("PIPELINE_EXCEPTIONS_TABLE", pipeline.DefaultExceptionsTable),
		Stream:          name("PIPELINE_STREAM", pipeline.DefaultStream),
		DeliveryStream:  name("PIPELINE_DELIVERY_STREAM", pipeline.DefaultDeliveryStream),
		FirehoseRole:    s.ResourcePrefix + pipeline.DefaultFirehoseRole,
		FirehosePrefix:  get("PIPELINE_FIREHOSE_PREFIX"),
		CatalogDatabase: name("PIPELINE_CATALOG_DATABASE", pipeline.DefaultCatalogDatabase),
	}.WithDefaults()
	s.FirehoseRoleARN = get("PIPELINE_FIREHOSE_ROLE_ARN")
	shards, err := strconv.ParseInt(get("PIPELINE_SHARDS"), 10, 32)
	if err != nil || shards < 1 {
		errs = append(errs, fmt.Errorf("PIPELINE_SHARDS=%q: want a positive integer", get("PIPELINE_SHARDS")))
	}
	s.Shards = int32(shards)
	if s.BufferInterval, err = time.ParseDuration(get("PIPELINE_BUFFER_INTERVAL")); err != nil || s.BufferInterval < 0 || s.BufferInterval > 900*time.Second {
		errs = append(errs, fmt.Errorf("PIPELINE_BUFFER_INTERVAL=%q: want a duration from 0s to 900s", get("PIPELINE_BUFFER_INTERVAL")))
	}
	s.Mapping = get("PIPELINE_MAPPING")
	if s.MaxRejects, err = strconv.Atoi(get("PIPELINE_MAX_REJECTS")); err != nil || s.MaxRejects < 0 {
		errs = append(errs, fmt.Errorf("PIPELINE_MAX_REJECTS=%q: want a non-negative integer", get("PIPELINE_MAX_REJECTS")))
	}
	s.UpAWSAddr, s.UpMySQLAddr = get("PIPELINE_UP_AWS_ADDR"), get("PIPELINE_UP_MYSQL_ADDR")
	s.ETLMemoryLimit = get("PIPELINE_ETL_MEMORY_LIMIT")
	if s.MemoryLimit, err = parseBytes(get("PIPELINE_MEMORY_LIMIT")); err != nil || s.MemoryLimit < 256<<20 {
		errs = append(errs, fmt.Errorf("PIPELINE_MEMORY_LIMIT=%q: want a size of at least 256MiB, such as 4GiB or 6000MB", get("PIPELINE_MEMORY_LIMIT")))
	}
	if s.ETLMemoryLimit == "" && s.MemoryLimit > 0 {
		s.ETLMemoryLimit = fmt.Sprintf("%dMiB", s.MemoryLimit/4>>20)
	}
	s.ProfileDir = get("PIPELINE_PROFILE_DIR")
	if s.CrawlerScanAll, err = strconv.ParseBool(get("PIPELINE_CRAWLER_SCAN_ALL")); err != nil {
		errs = append(errs, fmt.Errorf("PIPELINE_CRAWLER_SCAN_ALL=%q: want true or false", get("PIPELINE_CRAWLER_SCAN_ALL")))
	}
	switch s.S3OnDisk = get("PIPELINE_S3_ON_DISK"); s.S3OnDisk {
	case "auto", "yes", "no":
	default:
		errs = append(errs, fmt.Errorf("PIPELINE_S3_ON_DISK=%q: want auto, yes or no", s.S3OnDisk))
	}
	s.ETLSQL = get("PIPELINE_ETL_SQL")
	switch v := get("PIPELINE_KEEP_STATE"); v {
	case "", "0":
	case "1":
		s.KeepState = true
	default:
		errs = append(errs, fmt.Errorf("PIPELINE_KEEP_STATE=%q: want 1 or nothing", v))
	}
	if s.TrainFactors, err = strconv.Atoi(get("PIPELINE_TRAIN_FACTORS")); err != nil || s.TrainFactors < 0 || s.TrainFactors > 256 {
		errs = append(errs, fmt.Errorf("PIPELINE_TRAIN_FACTORS=%q: want an integer from 0 to 256", get("PIPELINE_TRAIN_FACTORS")))
	}
	if s.TrainSeed, err = strconv.ParseUint(get("PIPELINE_TRAIN_SEED"), 10, 64); err != nil {
		errs = append(errs, fmt.Errorf("PIPELINE_TRAIN_SEED=%q: want a non-negative integer", get("PIPELINE_TRAIN_SEED")))
	}
	switch v := get("PIPELINE_LOG"); v {
	case "info":
		s.LogLevel = slog.LevelInfo
	case "debug":
		s.LogLevel = slog.LevelDebug
	default:
		errs = append(errs, fmt.Errorf("PIPELINE_LOG=%q: want info or debug", v))
	}
	switch s.Scale {
	case "tiny", "workshop", "1m", "20m":
	default:
		errs = append(errs, fmt.Errorf("FIXTURE_SCALE=%q: want tiny, workshop, 1m or 20m", s.Scale))
	}
	if s.OutDir == "" {
		errs = append(errs, errors.New("OUT_DIR is empty: name a folder for the outputs"))
	}
	return s, errors.Join(errs...)
}

// LoadChecked is Load followed by the checks of what running the pipeline
// on the target needs, as far as they need no network (on aws: the profile
// exists, a region and credentials are set, PIPELINE_FIREHOSE_ROLE_ARN is
// set), all reported at once in one joined error.
func LoadChecked(ctx context.Context, getenv func(string) string) (Settings, error) {
	s, err := Load(getenv)
	if s.OutDir != "" {
		err = errors.Join(err, checkWritable(s.OutDir))
	}
	if s.ETLSQL != "" {
		err = errors.Join(err, checkETLSQL(s.ETLSQL))
	}
	if s.Target == env.AWS {
		if _, aerr := env.LoadAWSConfig(ctx, s.Profile); aerr != nil {
			err = errors.Join(err, aerr)
		}
		if s.FirehoseRoleARN == "" {
			err = errors.Join(err, fmt.Errorf("PIPELINE_FIREHOSE_ROLE_ARN is required with PIPELINE_TARGET=aws: Firehose needs a role that reads the stream and writes the bucket; `go tool mage aws:role` creates %s and prints its ARN", s.Names.FirehoseRole))
		}
	}
	return s, err
}

// parseBytes reads a size such as 4GiB, 6000MB, 512MiB or 1073741824.
func parseBytes(v string) (int64, error) {
	v = strings.TrimSpace(v)
	units := []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if n, ok := strings.CutSuffix(v, u.suffix); ok {
			v, mult = strings.TrimSpace(n), u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f <= 0 {
		return 0, fmt.Errorf("not a size: %q", v)
	}
	return int64(f * float64(mult)), nil
}

// s3OnDisk says whether the embedded S3 keeps its objects in files.
func (s Settings) s3OnDisk() bool {
	switch s.S3OnDisk {
	case "yes":
		return true
	case "no":
		return false
	}
	if s.MovieLensDir != "" {
		st, err := os.Stat(filepath.Join(s.MovieLensDir, "ratings.csv"))
		return err == nil && st.Size() > 64<<20
	}
	return s.Scale == "1m" || s.Scale == "20m"
}

// checkWritable makes dir if needed and writes a file in it, so that a
// read-only OUT_DIR fails before anything starts.
func checkWritable(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("OUT_DIR=%s cannot be made: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, ".write-check-*")
	if err != nil {
		return fmt.Errorf("OUT_DIR=%s is not writable: %w", dir, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// fileValue is a value of the config file and its line.
type fileValue struct {
	value string
	line  int
}

// readConfig reads KEY=VALUE lines; blank lines and # comments are skipped.
func readConfig(path string) (map[string]fileValue, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	defer f.Close()
	known := map[string]bool{"PIPELINE_CONFIG": true}
	for _, v := range variables {
		known[v.Name] = true
	}
	out := map[string]fileValue{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		k = strings.TrimSpace(strings.TrimPrefix(k, "export "))
		if !ok || !known[k] {
			return nil, fmt.Errorf("%s line %d: %q is not a known KEY=VALUE setting (see `go tool mage settings`)", path, n, line)
		}
		out[k] = fileValue{strings.Trim(strings.TrimSpace(v), `"'`), n}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}
