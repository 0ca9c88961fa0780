package migrate_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mldatalake/mldatalake/emulation"
	"github.com/mldatalake/mldatalake/emulation/fault"
	"github.com/mldatalake/mldatalake/pipeline"
	"github.com/mldatalake/mldatalake/pipeline/migrate"
)

// wantTiny are the per-table counts of loading the tiny dataset.
func (e *env) wantTiny() map[string]pipeline.TableCounts {
	return map[string]pipeline.TableCounts{
		e.names.RatingsTable: {Read: 40, Written: 40},
		e.names.MoviesTable:  {Read: 5, Written: 4, Rejected: tinyBadMovies},
		e.names.LinksTable:   {Read: 5, Written: 5},
		e.names.TagsTable:    {Read: 3, Written: 3},
	}
}

func checkCounts(t *testing.T, rep pipeline.Report, want map[string]pipeline.TableCounts, ignoreRetried bool) {
	t.Helper()
	if rep.Stage != "migrate" || rep.Duration <= 0 {
		t.Errorf("report stage %q duration %v", rep.Stage, rep.Duration)
	}
	var read, written, rejected int64
	for table, w := range want {
		got := rep.Tables[table]
		if ignoreRetried {
			got.Retried = 0
		}
		if got != w {
			t.Errorf("%s: counts %+v, want %+v", table, got, w)
		}
		read, written, rejected = read+w.Read, written+w.Written, rejected+w.Rejected
	}
	if len(rep.Tables) != len(want) {
		t.Errorf("report has %d tables, want %d: %v", len(rep.Tables), len(want), rep.Tables)
	}
	if rep.Read != read || rep.Written != written || rep.Rejected != rejected {
		t.Errorf("totals read %d written %d rejected %d, want %d %d %d", rep.Read, rep.Written, rep.Rejected, read, written, rejected)
	}
}

func TestRun(t *testing.T) {
	eachEnv(t, func(t *testing.T, src source, tgt target) {
		e := newEnv(t, src)
		cfg := tgt.start(t)
		var progress atomic.Int64
		opts := e.options("")
		opts.Progress = func(p migrate.Progress) {
			if p.Table == "" || p.Read == 0 {
				t.Errorf("progress without table or rows: %+v", p)
			}
			progress.Add(1)
		}
		rep, err := migrate.Run(t.Context(), cfg, e.dsn, opts)
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		checkCounts(t, rep, e.wantTiny(), false)
		if progress.Load() == 0 {
			t.Error("Progress was never called")
		}

		t.Run("ratings keep their text", func(t *testing.T) {
			items := scan(t, cfg, e.names.RatingsTable)
			byID := map[string]map[string]types.AttributeValue{}
			for _, it := range items {
				id, _ := str(it, "Id")
				byID[id] = it
			}
			for _, r := range tinyRatings() {
				id := fmt.Sprintf("%dX%d", r[0], r[1])
				it, ok := byID[id]
				if !ok {
					t.Errorf("no item %s", id)
					continue
				}
				want := map[string]string{"userId": fmt.Sprint(r[0]), "movieId": fmt.Sprint(r[1]), "rating": r[2].(string), "timestamp_c": fmt.Sprint(r[3])}
				for attr, w := range want {
					if _, isS := it[attr].(*types.AttributeValueMemberS); !isS {
						t.Errorf("%s.%s is %T, want a string", id, attr, it[attr])
					}
					if got, _ := str(it, attr); got != w {
						t.Errorf("%s.%s = %q, want %q", id, attr, got, w)
					}
				}
				if _, ok := it["timestamp"]; ok || len(it) != 5 {
					t.Errorf("%s has attributes %v, want Id userId movieId rating timestamp_c", id, keys(it))
				}
			}
			if len(items) != 40 {
				t.Errorf("%d ratings items, want 40", len(items))
			}
		})

		t.Run("links drop NULL and keep leading zeros", func(t *testing.T) {
			byMovie := map[string]map[string]types.AttributeValue{}
			for _, it := range scan(t, cfg, e.names.LinksTable) {
				m, _ := str(it, "movieId")
				byMovie[m] = it
			}
			if got, _ := str(byMovie["3"], "imdbId"); got != "0000003" {
				t.Errorf("movie 3 imdbId = %q, want 0000003", got)
			}
			if v, ok := byMovie["3"]["tmdbId"]; ok {
				t.Errorf("movie 3 has tmdbId %v, want none (NULL)", v)
			}
			if got, ok := str(byMovie["5"], "tmdbId"); !ok || got != "" {
				t.Errorf("movie 5 tmdbId = %q, %v; want an empty string", got, ok)
			}
		})

		t.Run("tables", func(t *testing.T) {
			out, err := ddbClient(cfg).DescribeTable(t.Context(), &dynamodb.DescribeTableInput{TableName: aws.String(e.names.MoviesTable)})
			if err != nil {
				t.Fatal(err)
			}
			if got := describeKeys(out.Table); got != "HASH movieId N, RANGE genres S" {
				t.Errorf("movies key schema = %s", got)
			}
			if out.Table.BillingModeSummary == nil || out.Table.BillingModeSummary.BillingMode != types.BillingModePayPerRequest {
				t.Errorf("movies billing = %+v, want PAY_PER_REQUEST", out.Table.BillingModeSummary)
			}
		})

		t.Run("exceptions", func(t *testing.T) {
			exc := exceptionsOf(t, cfg, e.task)
			if len(exc) != tinyBadMovies {
				t.Fatalf("%d exceptions, want %d: %v", len(exc), tinyBadMovies, exc)
			}
			x := exc[0]
			for attr, want := range map[string]string{"TABLE_OWNER": e.schema, "TABLE_NAME": "movies", "TASK_NAME": e.task} {
				if got, _ := str(x, attr); got != want {
					t.Errorf("%s = %q, want %q", attr, got, want)
				}
			}
			if got, _ := str(x, "ERROR"); !strings.Contains(got, "sort key attribute genres is empty") {
				t.Errorf("ERROR = %q", got)
			}
			if got, _ := str(x, "STATEMENT"); !strings.Contains(got, e.names.MoviesTable) || !strings.Contains(got, "No Genres At All") {
				t.Errorf("STATEMENT = %q", got)
			}
			if got, _ := str(x, "ERROR_TIME"); !timeParses(got) {
				t.Errorf("ERROR_TIME = %q", got)
			}
		})
	})
}

func keys(m map[string]types.AttributeValue) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func timeParses(s string) bool {
	_, err := time.Parse(time.RFC3339Nano, s)
	return err == nil
}

func describeKeys(d *types.TableDescription) string {
	typ := map[string]types.ScalarAttributeType{}
	for _, a := range d.AttributeDefinitions {
		typ[aws.ToString(a.AttributeName)] = a.AttributeType
	}
	var parts []string
	for _, k := range d.KeySchema {
		parts = append(parts, fmt.Sprintf("%s %s %s", k.KeyType, aws.ToString(k.AttributeName), typ[aws.ToString(k.AttributeName)]))
	}
	return strings.Join(parts, ", ")
}

// exceptionsOf returns a task's items in the exceptions table.
func exceptionsOf(t testing.TB, cfg aws.Config, task string) []map[string]types.AttributeValue {
	t.Helper()
	var out []map[string]types.AttributeValue
	for _, it := range scan(t, cfg, pipeline.DefaultExceptionsTable) {
		if got, _ := str(it, "TASK_NAME"); got == task {
			out = append(out, it)
		}
	}
	return out
}

func putStray(t testing.TB, cfg aws.Config, table string) {
	t.Helper()
	_, err := ddbClient(cfg).PutItem(context.Background(), &dynamodb.PutItemInput{
		TableName: aws.String(table),
		Item: map[string]types.AttributeValue{
			"movieId": &types.AttributeValueMemberN{Value: "999"},
			"genres":  &types.AttributeValueMemberS{Value: "Stray"},
		},
	})
	if err != nil {
		t.Fatalf("put stray item: %v", err)
	}
}

func hasStray(t testing.TB, cfg aws.Config, table string) bool {
	for _, it := range scan(t, cfg, table) {
		if g, _ := str(it, "genres"); g == "Stray" {
			return true
		}
	}
	return false
}

// TestRunPrepModes runs the load again with each TargetTablePrepMode, with
// an item the source does not have put into movies_t in between.
func TestRunPrepModes(t *testing.T) {
	eachEnv(t, func(t *testing.T, src source, tgt target) {
		e := newEnv(t, src)
		cfg := tgt.start(t)
		run := func(mode migrate.PrepMode) (pipeline.Report, error) {
			return migrate.Run(t.Context(), cfg, e.dsn, e.options(mode))
		}
		if _, err := run(migrate.DropAndCreate); err != nil {
			t.Fatalf("first load: %v", err)
		}

		putStray(t, cfg, e.names.MoviesTable)
		rep, err := run(migrate.TruncateBeforeLoad)
		if err != nil {
			t.Fatalf("TRUNCATE_BEFORE_LOAD: %v", err)
		}
		checkCounts(t, rep, e.wantTiny(), false)
		if hasStray(t, cfg, e.names.MoviesTable) {
			t.Error("TRUNCATE_BEFORE_LOAD kept an item the source does not have")
		}

		putStray(t, cfg, e.names.MoviesTable)
		rep, err = run(migrate.DoNothing)
		var ve *migrate.ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("DO_NOTHING with a stray item: err = %v, want a *ValidationError", err)
		}
		if ve.Table != e.names.MoviesTable || ve.SourceRows != 5 || ve.TargetItems != 5 || ve.Exceptions != 1 {
			t.Errorf("ValidationError = %+v, want movies 5 rows vs 5 items + 1 exception", ve)
		}
		if !strings.Contains(err.Error(), e.names.MoviesTable) || strings.Contains(err.Error(), e.names.RatingsTable) {
			t.Errorf("error %q should name movies and only movies", err)
		}
		checkCounts(t, rep, e.wantTiny(), false)
		if !hasStray(t, cfg, e.names.MoviesTable) {
			t.Error("DO_NOTHING removed an existing item")
		}

		rep, err = run(migrate.DropAndCreate)
		if err != nil {
			t.Fatalf("DROP_AND_CREATE after DO_NOTHING: %v", err)
		}
		checkCounts(t, rep, e.wantTiny(), false)
		if hasStray(t, cfg, e.names.MoviesTable) {
			t.Error("DROP_AND_CREATE kept an item the source does not have")
		}
		// Exceptions accumulate across runs: one per run.
		if got := len(exceptionsOf(t, cfg, e.task)); got != 4*tinyBadMovies {
			t.Errorf("%d exceptions after 4 runs, want %d", got, 4*tinyBadMovies)
		}
	})
}

func TestRunExistingTableWithOtherKeys(t *testing.T) {
	eachEnv(t, func(t *testing.T, src source, tgt target) {
		e := newEnv(t, src)
		cfg := tgt.start(t)
		_, err := ddbClient(cfg).CreateTable(t.Context(), &dynamodb.CreateTableInput{
			TableName:            aws.String(e.names.LinksTable),
			BillingMode:          types.BillingModePayPerRequest,
			AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("link"), AttributeType: types.ScalarAttributeTypeS}},
			KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("link"), KeyType: types.KeyTypeHash}},
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, mode := range []migrate.PrepMode{migrate.DoNothing, migrate.TruncateBeforeLoad} {
			_, err := migrate.Run(t.Context(), cfg, e.dsn, e.options(mode))
			if err == nil || !strings.Contains(err.Error(), e.names.LinksTable) || !strings.Contains(err.Error(), "key schema") {
				t.Errorf("%s onto a table with other keys: err = %v, want one about its key schema", mode, err)
			}
		}
		if _, err := migrate.Run(t.Context(), cfg, e.dsn, e.options(migrate.DropAndCreate)); err != nil {
			t.Errorf("DROP_AND_CREATE replaces it: %v", err)
		}
	})
}

// moreRatings adds n ratings of users 100.. so that loads take many batches.
func (e *env) moreRatings(t testing.TB, n int) {
	rows := make([][]any, n)
	for i := range rows {
		rows[i] = []any{100 + i/50, i%50 + 1, strconv.FormatFloat(float64(i%10+1)/2, 'f', 1, 64), 1300000000 + i}
	}
	e.insert(t, "ratings", rows)
}

func TestRunWithEmulatorFaults(t *testing.T) {
	for _, src := range sources(t) {
		t.Run(src.name, func(t *testing.T) {
			e := newEnv(t, src)
			e.moreRatings(t, 2000)
			// Lost responses make the SDK send a batch again that was
			// written: the counts and the exceptions must not double.
			srv := emulation.NewTestServer(t, emulation.WithFaults(fault.Config{
				Rates: map[fault.Kind]float64{fault.Throttle: 0.1, fault.Partial: 0.2, fault.LostResponse: 0.1},
				Seed:  7,
			}))
			rep, err := migrate.Run(t.Context(), srv.Config(), e.dsn, e.options(""))
			if err != nil {
				t.Fatalf("Run with faults: %v", err)
			}
			want := e.wantTiny()
			want[e.names.RatingsTable] = pipeline.TableCounts{Read: 2040, Written: 2040}
			checkCounts(t, rep, want, true)
			if rep.Retried == 0 {
				t.Error("no item was retried with partial failures at 20%")
			}
			if got := len(scan(t, srv.Config(), e.names.RatingsTable)); got != 2040 {
				t.Errorf("%d ratings items, want 2040", got)
			}
			if got := len(exceptionsOf(t, srv.Config(), e.task)); got != tinyBadMovies {
				t.Errorf("%d exceptions recorded, want each of the %d bad rows once", got, tinyBadMovies)
			}
			if srv.Faults.Counts()[fault.LostResponse] == 0 {
				t.Error("no response was lost: the test did not test resent batches")
			}
		})
	}
}

// TestRunWithProxyFaults puts a fault-injecting proxy in front of each
// target and turns the SDK's own retries off, so that every throttle, 500
// and unprocessed item is the load's to retry.
func TestRunWithProxyFaults(t *testing.T) {
	eachEnv(t, func(t *testing.T, src source, tgt target) {
		e := newEnv(t, src)
		e.moreRatings(t, 2000)
		cfg := tgt.start(t)
		fp := newFaultProxy(t, aws.ToString(cfg.BaseEndpoint), 42)
		fp.throttle, fp.fail5xx, fp.partial = 0.15, 0.05, 0.3
		opts := e.options("")
		opts.ClientOptions = []func(*dynamodb.Options){func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 }}
		rep, err := migrate.Run(t.Context(), staticConfig(fp.URL), e.dsn, opts)
		if err != nil {
			t.Fatalf("Run through the fault proxy: %v", err)
		}
		want := e.wantTiny()
		want[e.names.RatingsTable] = pipeline.TableCounts{Read: 2040, Written: 2040}
		checkCounts(t, rep, want, true)
		for _, kind := range []string{"throttle", "5xx", "partial"} {
			if fp.injected(kind) == 0 {
				t.Errorf("the proxy injected no %s", kind)
			}
		}
		if rep.Retried == 0 {
			t.Error("Retried = 0 after injected faults")
		}
		if got := len(scan(t, cfg, e.names.RatingsTable)); got != 2040 {
			t.Errorf("%d ratings items, want 2040", got)
		}
	})
}

func TestRunDeadline(t *testing.T) {
	for _, src := range sources(t)[:1] {
		e := newEnv(t, src)
		srv := emulation.NewTestServer(t)
		fp := newFaultProxy(t, srv.URL, 1)
		fp.always = true
		opts := e.options("")
		opts.Deadline = 1500 * time.Millisecond
		opts.ClientOptions = []func(*dynamodb.Options){func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 }}
		start := time.Now()
		_, err := migrate.Run(t.Context(), staticConfig(fp.URL), e.dsn, opts)
		if err == nil || !strings.Contains(err.Error(), "deadline") || !strings.Contains(err.Error(), "unwritten") {
			t.Fatalf("err = %v, want the deadline with unwritten items", err)
		}
		t.Log(err)
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("Run took %v with a deadline of 1.5s", d)
		}
	}
}

func TestRunUnsupportedRule(t *testing.T) {
	e := newEnv(t, sources(t)[0])
	srv := emulation.NewTestServer(t)
	m := `{"rules":[
		{"rule-type":"selection","rule-id":"1","rule-name":"all","object-locator":{"schema-name":"movielens","table-name":"%"},"rule-action":"include"},
		{"rule-type":"transformation","rule-id":"2","rule-name":"lowercase-tables","rule-action":"convert-lowercase","rule-target":"table","object-locator":{"schema-name":"movielens","table-name":"%"}}
	]}`
	path := t.TempDir() + "/mapping.json"
	writeFile(t, path, m)
	opts := e.options("")
	opts.MappingPath = path
	_, err := migrate.Run(t.Context(), srv.Config(), e.dsn, opts)
	if !errors.Is(err, migrate.ErrUnsupported) || !strings.Contains(err.Error(), `"lowercase-tables"`) || !strings.Contains(err.Error(), path) {
		t.Fatalf("err = %v, want ErrUnsupported naming rule lowercase-tables and the file", err)
	}
	out, err := ddbClient(srv.Config()).ListTables(t.Context(), &dynamodb.ListTablesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.TableNames) != 0 {
		t.Errorf("tables created despite the bad mapping: %v", out.TableNames)
	}
}

// TestRunDuplicateKeys maps ratings by userId alone: many rows share a key,
// later rows overwrite earlier ones (also inside one batch, which DynamoDB
// would refuse), and validation reports the shortfall.
func TestRunDuplicateKeys(t *testing.T) {
	eachEnv(t, func(t *testing.T, src source, tgt target) {
		e := newEnv(t, src)
		cfg := tgt.start(t)
		table := "byuser_" + suffix()
		m, err := migrate.ParseMapping([]byte(`{"rules":[
			{"rule-type":"selection","rule-id":"1","rule-name":"ratings","object-locator":{"schema-name":"movielens","table-name":"ratings"},"rule-action":"include"},
			{"rule-type":"object-mapping","rule-id":"2","rule-name":"by-user","rule-action":"map-record-to-record","object-locator":{"schema-name":"movielens","table-name":"ratings"},
			 "target-table-name":"` + table + `","mapping-parameters":{"partition-key-name":"userId"}}
		]}`))
		if err != nil {
			t.Fatal(err)
		}
		opts := e.options("")
		opts.MappingPath, opts.Mapping = "", m
		rep, err := migrate.Run(t.Context(), cfg, e.dsn, opts)
		var ve *migrate.ValidationError
		if !errors.As(err, &ve) || ve.Table != table || ve.SourceRows != 40 || ve.TargetItems != 5 || ve.Exceptions != 0 {
			t.Fatalf("err = %v (%+v), want a ValidationError of 40 rows vs 5 items", err, ve)
		}
		if got := rep.Tables[table]; got.Read != 40 || got.Written != 5 || got.Rejected != 0 {
			t.Errorf("counts = %+v, want 40 read, 5 written", got)
		}
		for _, it := range scan(t, cfg, table) {
			if u, _ := str(it, "userId"); u == "1" {
				if m, _ := str(it, "movieId"); m != "8" {
					t.Errorf("user 1's item has movieId %s, want 8 (the last row read wins)", m)
				}
			}
		}
	})
}

// TestRunUnmappedTable loads a selected table that no object-mapping rule
// maps as DMS does: same name, primary key as partition key, columns as-is.
func TestRunUnmappedTable(t *testing.T) {
	eachEnv(t, func(t *testing.T, src source, tgt target) {
		e := newEnv(t, src)
		cfg := tgt.start(t)
		extra := "extra_" + suffix()
		e.exec(t, fmt.Sprintf("CREATE TABLE %s.%s (id INT NOT NULL, name VARCHAR(32) NULL, score DECIMAL(3,1) NOT NULL, PRIMARY KEY (id))", e.schema, extra))
		e.insert(t, extra, [][]any{{1, "one", "1.5"}, {2, nil, "20.0"}})
		m, err := migrate.ParseMapping([]byte(`{"rules":[{"rule-type":"selection","rule-id":"1","rule-name":"extra","object-locator":{"schema-name":"movielens","table-name":"extra[_]%"},"rule-action":"include"}]}`))
		if err != nil {
			t.Fatal(err)
		}
		opts := e.options("")
		opts.MappingPath, opts.Mapping = "", m
		rep, err := migrate.Run(t.Context(), cfg, e.dsn, opts)
		if err != nil {
			t.Fatal(err)
		}
		if got := rep.Tables[extra]; got != (pipeline.TableCounts{Read: 2, Written: 2}) || len(rep.Tables) != 1 {
			t.Errorf("report tables = %+v", rep.Tables)
		}
		got := map[string]string{}
		for _, it := range scan(t, cfg, extra) {
			id, _ := str(it, "id")
			got[id] = fmt.Sprint(render(it))
		}
		want := map[string]string{
			"1": fmt.Sprint(map[string]string{"id": "N:1", "name": "S:one", "score": "N:1.5"}),
			"2": fmt.Sprint(map[string]string{"id": "N:2", "score": "N:20.0"}),
		}
		for id, w := range want {
			if !numbersEqual(got[id], w) {
				t.Errorf("item %s = %s, want %s", id, got[id], w)
			}
		}
	})
}

// numbersEqual compares rendered items, allowing DynamoDB's normalization
// of numbers (20.0 is returned as 20).
func numbersEqual(got, want string) bool {
	return got == want || got == strings.ReplaceAll(want, "N:20.0", "N:20")
}

func TestRunBadInput(t *testing.T) {
	e := newEnv(t, sources(t)[0])
	srv := emulation.NewTestServer(t)
	tests := []struct {
		name string
		dsn  string
		opts func(*migrate.Options)
		want string
	}{
		{"mapping twice", e.dsn, func(o *migrate.Options) { o.Mapping = &migrate.Mapping{} }, "not both"},
		{"missing mapping file", e.dsn, func(o *migrate.Options) { o.MappingPath = "testdata/missing.json" }, "missing.json"},
		{"bad prep mode", e.dsn, func(o *migrate.Options) { o.PrepMode = "TRUNCATE" }, `"TRUNCATE"`},
		{"unreachable source", "root@tcp(127.0.0.1:1)/", func(*migrate.Options) {}, "connect to source"},
		{"nothing selected", e.dsn, func(o *migrate.Options) { o.Names.SourceSchema = "no_such_schema" }, "selects no table"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := e.options("")
			tt.opts(&opts)
			_, err := migrate.Run(t.Context(), srv.Config(), tt.dsn, opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestRunWorkshopMappingByDefault: without a mapping, Run loads with the
// workshop's, whose attributes are all strings.
func TestRunWorkshopMappingByDefault(t *testing.T) {
	e := newEnv(t, sources(t)[0])
	cfg := targets()[0].start(t)
	opts := e.options("")
	opts.MappingPath = ""
	if _, err := migrate.Run(t.Context(), cfg, e.dsn, opts); err != nil {
		t.Fatal(err)
	}
	out, err := ddbClient(cfg).DescribeTable(t.Context(), &dynamodb.DescribeTableInput{TableName: aws.String(e.names.MoviesTable)})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range out.Table.AttributeDefinitions {
		if d.AttributeType != types.ScalarAttributeTypeS {
			t.Errorf("key attribute %s is %s; the workshop's mapping makes every attribute a string", aws.ToString(d.AttributeName), d.AttributeType)
		}
	}
}

// TestRunGuardAndExceptionsTable: the guard is asked about every table the
// load will drop or create, the exceptions table first, and its refusal
// stops the load before anything exists; Names.ExceptionsTable renames the
// exceptions table.
func TestRunGuardAndExceptionsTable(t *testing.T) {
	src := sources(t)[0]
	e := newEnv(t, src)
	cfg := targets()[0].start(t)
	e.names.ExceptionsTable = "exc_" + e.task
	refused := errors.New("refused by the guard")
	var asked []string
	opts := e.options(migrate.DropAndCreate)
	opts.Guard = func(tables []string) error { asked = tables; return refused }
	if _, err := migrate.Run(t.Context(), cfg, e.dsn, opts); !errors.Is(err, refused) {
		t.Fatalf("err = %v, want the guard's refusal", err)
	}
	want := []string{e.names.ExceptionsTable, e.names.LinksTable, e.names.MoviesTable, e.names.RatingsTable, e.names.TagsTable}
	got := append([]string{asked[0]}, slices.Sorted(slices.Values(asked[1:]))...)
	if !slices.Equal(got, want) {
		t.Errorf("guard asked about %v, want %v", asked, want)
	}
	tables, err := ddbClient(cfg).ListTables(t.Context(), &dynamodb.ListTablesInput{})
	if err != nil || len(tables.TableNames) != 0 {
		t.Errorf("tables after a refused load: %v, %v; want none", tables.TableNames, err)
	}

	opts.Guard = func([]string) error { return nil }
	if _, err := migrate.Run(t.Context(), cfg, e.dsn, opts); err != nil {
		t.Fatal(err)
	}
	if n := len(scan(t, cfg, e.names.ExceptionsTable)); n != tinyBadMovies {
		t.Errorf("%s holds %d exceptions, want %d", e.names.ExceptionsTable, n, tinyBadMovies)
	}
}
