package env_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	_ "github.com/go-sql-driver/mysql"

	"github.com/mldatalake/mldatalake/emulation"
	"github.com/mldatalake/mldatalake/emulation/env"
)

func TestParseTarget(t *testing.T) {
	for in, want := range map[string]env.Target{"": env.Embedded, "auto": env.Auto, "EMBEDDED": env.Embedded,
		"localstack": env.LocalStack, "endpoint": env.Endpoint, " aws ": env.AWS} {
		got, err := env.ParseTarget(in)
		if err != nil || got != want {
			t.Errorf("ParseTarget(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := env.ParseTarget("cloud"); err == nil || !strings.Contains(err.Error(), "PIPELINE_TARGET") {
		t.Errorf("ParseTarget(cloud) err = %v, want one naming PIPELINE_TARGET", err)
	}
}

// check proves an environment works: a bucket round trip through its
// aws.Config and a query through its MySQL DSN.
func check(t *testing.T, e *env.Env) {
	t.Helper()
	ctx := t.Context()
	c := s3.NewFromConfig(e.AWS, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("env-check")}); err != nil {
		t.Fatalf("CreateBucket through %s: %v", e.Target, err)
	}
	out, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil || len(out.Buckets) == 0 {
		t.Fatalf("ListBuckets: %v (%d buckets)", err, len(out.Buckets))
	}
	db, err := sql.Open("mysql", e.MySQLDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var one int
	if err := db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1 through %s: %d, %v", e.MySQLDSN, one, err)
	}
}

func TestEmbedded(t *testing.T) {
	e, err := env.Open(t.Context(), env.Embedded, env.WithGetenv(func(string) string { return "" }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Error(err)
		}
	})
	if e.Target != env.Embedded || !strings.HasPrefix(e.Endpoint, "http://127.0.0.1:") {
		t.Errorf("Target %q Endpoint %q", e.Target, e.Endpoint)
	}
	check(t, e)
}

// TestReleaseSource: the embedded source's schema is dropped and its rows
// give their memory back; a source the Env did not start is never touched.
func TestReleaseSource(t *testing.T) {
	e, err := env.Open(t.Context(), env.Embedded, env.WithGetenv(func(string) string { return "" }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	db, err := sql.Open("mysql", e.MySQLDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{"CREATE DATABASE src", "CREATE TABLE src.ratings (userid INT, movieid INT, rating DOUBLE, ts BIGINT)"} {
		if _, err := db.ExecContext(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	const rows, batch = 300_000, 5_000
	var b strings.Builder
	for i := 0; i < rows; i += batch {
		b.Reset()
		b.WriteString("INSERT INTO src.ratings VALUES ")
		for j := i; j < i+batch; j++ {
			if j > i {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "(%d,%d,%d.5,%d)", j%6000, j%4000, j%5, 978300760+j)
		}
		if _, err := db.ExecContext(t.Context(), b.String()); err != nil {
			t.Fatal(err)
		}
	}
	heap := func() uint64 {
		var m runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap()
	released, err := e.ReleaseSource(t.Context(), "src")
	if err != nil || !released {
		t.Fatalf("ReleaseSource = %v, %v; want true, nil", released, err)
	}
	after := heap()
	var n int
	if err := db.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = 'src'").Scan(&n); err != nil || n != 0 {
		t.Errorf("schema src after release: %d (%v), want gone", n, err)
	}
	t.Logf("release freed %d bytes of the heap for %d rows", int64(before)-int64(after), rows)
	// The rows take at least 18 bytes each in the compact store.
	if freed := int64(before) - int64(after); freed < rows*16 {
		t.Errorf("release freed %d bytes of the heap (%d -> %d), want at least %d for %d rows", freed, before, after, rows*16, rows)
	}
	if released, err := e.ReleaseSource(t.Context(), "src"); err != nil || !released {
		t.Errorf("second ReleaseSource = %v, %v; want true, nil (nothing left to drop is no error)", released, err)
	}

	// A source named by MYSQL_DSN is the user's: never dropped.
	ext, err := env.Open(t.Context(), env.Embedded, env.WithMySQLDSN(e.MySQLDSN), env.WithGetenv(func(string) string { return "" }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ext.Close() })
	if released, err := ext.ReleaseSource(t.Context(), "src"); err != nil || released {
		t.Errorf("ReleaseSource of a MYSQL_DSN source = %v, %v; want false, nil", released, err)
	}
}

func TestEndpoint(t *testing.T) {
	t.Run("no endpoint", func(t *testing.T) {
		isolateAWSConfig(t)
		_, err := env.Open(t.Context(), env.Endpoint, env.WithMySQLDSN("root@tcp(127.0.0.1:1)/"))
		if err == nil || !strings.Contains(err.Error(), "AWS_ENDPOINT_URL") {
			t.Errorf("err = %v, want one naming AWS_ENDPOINT_URL", err)
		}
	})
	t.Run("missing MYSQL_DSN and a service without endpoint, in one error", func(t *testing.T) {
		isolateAWSConfig(t)
		t.Setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:4566")
		_, err := env.Open(t.Context(), env.Endpoint, env.WithGetenv(func(string) string { return "" }))
		if err == nil || !strings.Contains(err.Error(), "MYSQL_DSN") || !strings.Contains(err.Error(), "no endpoint for DYNAMODB, KINESIS, FIREHOSE") {
			t.Errorf("err = %v, want one naming MYSQL_DSN and the services without an endpoint", err)
		}
	})
	t.Run("standalone emulator", func(t *testing.T) {
		srv := emulation.NewTestServer(t)
		embedded, err := env.Open(t.Context(), env.Embedded, env.WithGetenv(func(string) string { return "" }))
		if err != nil {
			t.Fatal(err)
		}
		defer embedded.Close()
		isolateAWSConfig(t)
		t.Setenv("AWS_ENDPOINT_URL", srv.URL)
		t.Setenv("AWS_ACCESS_KEY_ID", "")
		e, err := env.Open(t.Context(), env.Endpoint, env.WithMySQLDSN(embedded.MySQLDSN))
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		if e.Endpoint != srv.URL {
			t.Errorf("Endpoint %q, want %q", e.Endpoint, srv.URL)
		}
		check(t, e)
	})
	t.Run("per-service endpoints", func(t *testing.T) {
		all, ddb := emulation.NewTestServer(t), emulation.NewTestServer(t)
		isolateAWSConfig(t)
		t.Setenv("AWS_ENDPOINT_URL", all.URL)
		t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", ddb.URL)
		e, err := env.Open(t.Context(), env.Endpoint, env.WithMySQLDSN("root@tcp(127.0.0.1:1)/"))
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		want := map[string]string{"S3": all.URL, "DYNAMODB": ddb.URL, "KINESIS": all.URL, "FIREHOSE": all.URL}
		for _, ep := range e.Endpoints {
			if w, ok := want[ep.Service]; ok && ep.URL != w {
				t.Errorf("%s endpoint %q, want %q", ep.Service, ep.URL, w)
			}
		}
		if notes := strings.Join(e.Notes, "\n"); !strings.Contains(notes, "dynamodb at "+ddb.URL+" (AWS_ENDPOINT_URL_DYNAMODB)") {
			t.Errorf("notes %q do not say where DynamoDB goes and why", notes)
		}
		// A table created through the environment's config is in the
		// DynamoDB endpoint's emulator, not in the other one.
		c := dynamodb.NewFromConfig(e.AWS)
		if _, err := c.CreateTable(t.Context(), &dynamodb.CreateTableInput{TableName: aws.String("where_t"),
			AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("Id"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
			KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("Id"), KeyType: ddbtypes.KeyTypeHash}},
			BillingMode:          ddbtypes.BillingModePayPerRequest}); err != nil {
			t.Fatal(err)
		}
		for srv, want := range map[*emulation.Server]int{ddb: 1, all: 0} {
			out, err := dynamodb.NewFromConfig(srv.Config()).ListTables(t.Context(), &dynamodb.ListTablesInput{})
			if err != nil || len(out.TableNames) != want {
				t.Errorf("emulator %s holds tables %v (%v), want %d", srv.URL, out.TableNames, err, want)
			}
		}
	})
}

// TestComposeStartsWhatTestcontainersStarts keeps compose.yaml and the
// localstack target in step: the same image and the same SERVICES.
func TestComposeStartsWhatTestcontainersStarts(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	compose := string(b)
	for _, want := range []string{"image: " + env.LocalStackImage, "SERVICES: " + env.LocalStackServices + "\n", "image: " + env.MySQLImage} {
		if !strings.Contains(compose, want) {
			t.Errorf("compose.yaml lacks %q", want)
		}
	}
	for _, svc := range []string{"sts", "iam", "firehose"} {
		if !slices.Contains(strings.Split(env.LocalStackServices, ","), svc) {
			t.Errorf("LocalStack services %q lack %s", env.LocalStackServices, svc)
		}
	}
}

// isolateAWSConfig points the SDK at empty shared config files.
func isolateAWSConfig(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"config", "credentials"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	return dir
}

func TestAWSMissingProfile(t *testing.T) {
	isolateAWSConfig(t)
	_, err := env.Open(t.Context(), env.AWS, env.WithProfile("no-such-profile"))
	if err == nil || !strings.Contains(err.Error(), `"no-such-profile"`) || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("err = %v, want one saying profile \"no-such-profile\" does not exist", err)
	}
}

func TestAWSProfile(t *testing.T) {
	srv := emulation.NewTestServer(t)
	dir := isolateAWSConfig(t)
	// The emulator poses as AWS through the profile's endpoint_url.
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte("[profile lake]\nregion = eu-west-1\nendpoint_url = "+srv.URL+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "credentials"), []byte("[lake]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e, err := env.Open(t.Context(), env.AWS, env.WithProfile("lake"), env.WithMySQLDSN("root@tcp(127.0.0.1:1)/"))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if e.AWS.Region != "eu-west-1" || e.Endpoint != srv.URL {
		t.Errorf("region %q endpoint %q; want eu-west-1 and the profile's endpoint_url", e.AWS.Region, e.Endpoint)
	}
	want := env.Identity{Account: "000000000000", ARN: "arn:aws:iam::000000000000:root", Region: "eu-west-1"}
	if e.Identity == nil || *e.Identity != want {
		t.Errorf("identity %v, want %v", e.Identity, want)
	}
	if notes := strings.Join(e.Notes, "\n"); !strings.Contains(notes, want.String()) {
		t.Errorf("notes %q do not say who and where", notes)
	}
}

func TestLocalStack(t *testing.T) {
	if err := env.DockerAvailable(t.Context()); err != nil {
		t.Skipf("skipping the localstack target: %v", err)
	}
	e, err := env.Open(t.Context(), env.LocalStack)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	check(t, e)
}

func TestLocalStackWithoutDocker(t *testing.T) {
	if env.DockerAvailable(t.Context()) == nil {
		t.Skip("a Docker engine answers; this test covers machines without one")
	}
	_, err := env.Open(t.Context(), env.LocalStack)
	if !errors.Is(err, env.ErrNoDocker) || !strings.Contains(err.Error(), "PIPELINE_TARGET=embedded") {
		t.Errorf("err = %v, want ErrNoDocker with a hint", err)
	}
}

// BenchmarkEmbeddedStart measures how long the embedded environment (AWS
// emulator and MySQL-compatible server) takes to be ready.
func BenchmarkEmbeddedStart(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		e, err := env.Open(ctx, env.Embedded, env.WithGetenv(func(string) string { return "" }))
		if err != nil {
			b.Fatal(err)
		}
		if err := e.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
