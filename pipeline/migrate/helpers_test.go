package migrate_test

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	_ "github.com/go-sql-driver/mysql"

	"github.com/mldatalake/mldatalake/emulation"
	mysqlemu "github.com/mldatalake/mldatalake/emulation/mysql"
	"github.com/mldatalake/mldatalake/pipeline"
	"github.com/mldatalake/mldatalake/pipeline/migrate"
)

// target is a DynamoDB to load into.
type target struct {
	name string
	// start returns the aws.Config of a fresh (embedded) or shared
	// (dynalite) DynamoDB, with opts for the embedded emulator.
	start func(t testing.TB, opts ...emulation.Option) aws.Config
	// embedded is true for the in-process emulator, which can inject faults.
	embedded bool
}

// targets are the embedded emulator and, when DYNALITE_ENDPOINT is set
// (e.g. http://127.0.0.1:4567), a dynalite server.
func targets() []target {
	ts := []target{{
		name:     "embedded",
		embedded: true,
		start: func(t testing.TB, opts ...emulation.Option) aws.Config {
			return emulation.NewTestServer(t, opts...).Config()
		},
	}}
	if ep := os.Getenv("DYNALITE_ENDPOINT"); ep != "" {
		ts = append(ts, target{name: "dynalite", start: func(t testing.TB, _ ...emulation.Option) aws.Config {
			return staticConfig(ep)
		}})
	}
	return ts
}

func staticConfig(endpoint string) aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(endpoint),
	}
}

// source is a MySQL server; dsn has no default database.
type source struct {
	name  string
	start func(t testing.TB) string
}

// sources are the embedded server and, when MYSQL_DSN is set (e.g.
// "root@tcp(127.0.0.1:3306)/"), that server (MariaDB in CI).
func sources(t testing.TB) []source {
	ss := []source{{name: "embedded-mysql", start: func(t testing.TB) string {
		return mysqlemu.NewTestServer(t).DSN("")
	}}}
	if dsn := os.Getenv("MYSQL_DSN"); dsn != "" {
		ss = append(ss, source{name: "mysql", start: func(testing.TB) string { return dsn }})
	} else {
		t.Log("MYSQL_DSN is not set: skipping the MariaDB/MySQL source (e.g. MYSQL_DSN='root@tcp(127.0.0.1:3306)/')")
	}
	return ss
}

// eachEnv runs fn for every source × target pair.
func eachEnv(t *testing.T, fn func(t *testing.T, src source, tgt target)) {
	for _, src := range sources(t) {
		for _, tgt := range targets() {
			t.Run(src.name+"/"+tgt.name, func(t *testing.T) { fn(t, src, tgt) })
		}
	}
}

func suffix() string {
	b := make([]byte, 4)
	crand.Read(b)
	return hex.EncodeToString(b)
}

// env is one test's source schema and target names.
type env struct {
	dsn    string
	db     *sql.DB
	schema string
	names  pipeline.Names
	task   string
}

// newEnv creates a schema with the movielens tables and the tiny dataset,
// and unique DynamoDB table names (dynalite is shared between tests).
func newEnv(t testing.TB, src source) *env {
	t.Helper()
	e := createEnv(t, src, true)
	e.insert(t, "movies", tinyMovies)
	e.insert(t, "links", tinyLinks)
	e.insert(t, "ratings", tinyRatings())
	e.insert(t, "tags", tinyTags)
	return e
}

// createEnv creates the empty movielens tables in a new schema; keyed
// declares their primary keys (go-mysql-server inserts slowly into large
// keyed tables, so benchmarks load it keyless).
func createEnv(t testing.TB, src source, keyed bool) *env {
	t.Helper()
	dsn := src.start(t)
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	sfx := suffix()
	e := &env{dsn: dsn, db: db, schema: "mlt_" + sfx, task: "test-" + sfx}
	e.names = pipeline.Names{
		SourceSchema: e.schema,
		RatingsTable: "ratings_t_" + sfx, MoviesTable: "movies_t_" + sfx,
		LinksTable: "links_t_" + sfx, TagsTable: "tags_t_" + sfx,
	}
	e.exec(t, "CREATE DATABASE "+e.schema)
	t.Cleanup(func() { db.ExecContext(context.Background(), "DROP DATABASE "+e.schema) })
	key := func(cols string) string {
		if !keyed {
			return ""
		}
		return ", PRIMARY KEY (" + cols + ")"
	}
	for _, q := range []string{
		"CREATE TABLE %s.ratings (userId INT NOT NULL, movieId INT NOT NULL, rating DECIMAL(2,1) NOT NULL, `timestamp` BIGINT NOT NULL" + key("userId, movieId") + ")",
		"CREATE TABLE %s.movies (movieId INT NOT NULL, title VARCHAR(255) NOT NULL, genres VARCHAR(255) NOT NULL" + key("movieId") + ")",
		"CREATE TABLE %s.links (movieId INT NOT NULL, imdbId CHAR(7) NOT NULL, tmdbId VARCHAR(16) NULL" + key("movieId") + ")",
		"CREATE TABLE %s.tags (userId INT NOT NULL, movieId INT NOT NULL, tag VARCHAR(255) NOT NULL, `timestamp` BIGINT NOT NULL)",
	} {
		e.exec(t, fmt.Sprintf(q, e.schema))
	}
	return e
}

func (e *env) exec(t testing.TB, q string, args ...any) {
	t.Helper()
	if _, err := e.db.ExecContext(context.Background(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// insert adds rows (nil is NULL) with multi-row INSERTs of up to 1,000 rows.
func (e *env) insert(t testing.TB, table string, rows [][]any) {
	t.Helper()
	for len(rows) > 0 {
		chunk := rows[:min(1000, len(rows))]
		rows = rows[len(chunk):]
		var q strings.Builder
		fmt.Fprintf(&q, "INSERT INTO %s.%s VALUES ", e.schema, table)
		var args []any
		for i, r := range chunk {
			if i > 0 {
				q.WriteString(",")
			}
			q.WriteString("(" + strings.TrimSuffix(strings.Repeat("?,", len(r)), ",") + ")")
			args = append(args, r...)
		}
		e.exec(t, q.String(), args...)
	}
}

// The tiny dataset: one movie with empty genres (an empty sort key, which
// goes to the exceptions table), a NULL and an empty tmdbId, imdbIds with
// leading zeros, quotes, commas and non-ASCII text, ratings such as 3.0.
var (
	tinyMovies = [][]any{
		{1, "Toy Story (1995)", "Adventure|Animation|Children|Comedy|Fantasy"},
		{2, "Jumanji (1995)", "Adventure|Children|Fantasy"},
		{3, `"Great" Movie, The (2001)`, "Drama"},
		{4, "Amélie (Fabuleux destin d'Amélie Poulain, Le) (2001)", "Comedy|Romance"},
		{5, "No Genres At All (2000)", ""},
	}
	tinyLinks = [][]any{
		{1, "0114709", "862"},
		{2, "0113497", "8844"},
		{3, "0000003", nil},
		{4, "0211915", "194"},
		{5, "0000005", ""},
	}
	tinyTags = [][]any{
		{15, 1, "pixar", 1138537770},
		{15, 2, "fantasy, \"dark\"", 1193435061},
		{18, 4, "Paris ♥", 1457993950},
	}
)

const tinyBadMovies = 1 // rows of tinyMovies that cannot be written

// tinyRatings are 40 ratings of users 1-5 over movies 1-8, in half steps.
func tinyRatings() [][]any {
	var rows [][]any
	for u := 1; u <= 5; u++ {
		for m := 1; m <= 8; m++ {
			r := float64((u*7+m*3)%10+1) / 2
			rows = append(rows, []any{u, m, strconv.FormatFloat(r, 'f', 1, 64), 1260759100 + u*100 + m})
		}
	}
	return rows
}

func (e *env) options(mode migrate.PrepMode) migrate.Options {
	return migrate.Options{MappingPath: "testdata/mapping-features.json", PrepMode: mode, Names: e.names, TaskName: e.task, Workers: 4}
}

func ddbClient(cfg aws.Config) *dynamodb.Client { return pipeline.NewClients(cfg).DynamoDB }

// scan reads a whole table.
func scan(t testing.TB, cfg aws.Config, table string) []map[string]types.AttributeValue {
	t.Helper()
	var items []map[string]types.AttributeValue
	p := dynamodb.NewScanPaginator(ddbClient(cfg), &dynamodb.ScanInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("scan %s: %v", table, err)
		}
		items = append(items, page.Items...)
	}
	return items
}

func str(item map[string]types.AttributeValue, name string) (string, bool) {
	switch v := item[name].(type) {
	case *types.AttributeValueMemberS:
		return v.Value, true
	case *types.AttributeValueMemberN:
		return v.Value, true
	}
	return "", false
}

// faultProxy sits in front of a DynamoDB endpoint and injects, for
// BatchWriteItem only, throttles, 500s and partial batches (UnprocessedItems)
// with the given rates, deterministically for a seed.
type faultProxy struct {
	*httptest.Server
	mu                         sync.Mutex
	rnd                        *rand.Rand
	throttle, fail5xx, partial float64
	// always throttles every BatchWriteItem when set.
	always bool

	counts map[string]int
}

func newFaultProxy(t testing.TB, upstream string, seed uint64) *faultProxy {
	t.Helper()
	u, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	fp := &faultProxy{rnd: rand.New(rand.NewPCG(seed, seed)), counts: map[string]int{}}
	rp := httputil.NewSingleHostReverseProxy(u)
	fp.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") != "DynamoDB_20120810.BatchWriteItem" {
			rp.ServeHTTP(w, r)
			return
		}
		fp.serveBatch(w, r, rp)
	}))
	t.Cleanup(fp.Close)
	return fp
}

func (fp *faultProxy) roll() float64 {
	fp.mu.Lock()
	defer fp.mu.Unlock()
	return fp.rnd.Float64()
}

func (fp *faultProxy) count(kind string) {
	fp.mu.Lock()
	fp.counts[kind]++
	fp.mu.Unlock()
}

func (fp *faultProxy) injected(kind string) int {
	fp.mu.Lock()
	defer fp.mu.Unlock()
	return fp.counts[kind]
}

func writeJSONError(w http.ResponseWriter, status int, typ, msg string) {
	body := fmt.Sprintf(`{"__type":"com.amazonaws.dynamodb.v20120810#%s","message":%q}`, typ, msg)
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE([]byte(body))), 10))
	w.WriteHeader(status)
	io.WriteString(w, body)
}

func (fp *faultProxy) serveBatch(w http.ResponseWriter, r *http.Request, rp *httputil.ReverseProxy) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	switch x := fp.roll(); {
	case fp.always || x < fp.throttle:
		fp.count("throttle")
		writeJSONError(w, http.StatusBadRequest, "ProvisionedThroughputExceededException", "injected throttle")
		return
	case x < fp.throttle+fp.fail5xx:
		fp.count("5xx")
		writeJSONError(w, http.StatusInternalServerError, "InternalServerError", "injected failure")
		return
	}
	var req struct {
		RequestItems map[string][]json.RawMessage
	}
	withheld := map[string][]json.RawMessage{}
	if fp.roll() < fp.partial && json.Unmarshal(body, &req) == nil {
		for table, reqs := range req.RequestItems {
			if len(reqs) > 1 {
				keep := len(reqs) / 2
				withheld[table] = reqs[keep:]
				req.RequestItems[table] = reqs[:keep]
			}
		}
		if len(withheld) > 0 {
			fp.count("partial")
			body, _ = json.Marshal(map[string]any{"RequestItems": req.RequestItems})
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	r.Header.Set("Content-Length", strconv.Itoa(len(body)))
	if len(withheld) == 0 {
		rp.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	rp.ServeHTTP(rec, r)
	var resp map[string]json.RawMessage
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &resp) != nil {
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
		return
	}
	unprocessed := map[string][]json.RawMessage{}
	if raw, ok := resp["UnprocessedItems"]; ok {
		json.Unmarshal(raw, &unprocessed)
	}
	for table, reqs := range withheld {
		unprocessed[table] = append(unprocessed[table], reqs...)
	}
	resp["UnprocessedItems"], _ = json.Marshal(unprocessed)
	out, _ := json.Marshal(resp)
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(out)), 10))
	w.WriteHeader(http.StatusOK)
	w.Write(out)
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
