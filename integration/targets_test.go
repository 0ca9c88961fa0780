package integration_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/mldatalake/mldatalake/emulation"
	"github.com/mldatalake/mldatalake/emulation/env"
	"github.com/mldatalake/mldatalake/integration/orchestrate"
	"github.com/mldatalake/mldatalake/pipeline"
)

// TestDefaultTargetIsEmbedded: with no PIPELINE_TARGET, a run is embedded
// and says so, in one line, with what it started.
func TestDefaultTargetIsEmbedded(t *testing.T) {
	t.Parallel()
	s := settings(t, nil)
	if s.Target != env.Embedded {
		t.Fatalf("default target %q, want embedded", s.Target)
	}
	e, err := orchestrate.OpenEnv(t.Context(), s, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	line := orchestrate.TargetLine(s, e)
	if strings.Contains(line, "\n") || !strings.HasPrefix(line, "target embedded (the default") ||
		!strings.Contains(line, "AWS emulator") || !strings.Contains(line, "MySQL") {
		t.Errorf("target line %q: want one line saying embedded is the default and what it started", line)
	}
}

// TestE2EEndpointPerService runs the pipeline on the endpoint target with
// AWS_ENDPOINT_URL on the standalone emulator and AWS_ENDPOINT_URL_DYNAMODB
// on dynalite, an independent DynamoDB emulator: the tables must be in
// dynalite, none in the emulator, and verify must pass.
func TestE2EEndpointPerService(t *testing.T) {
	dynalite := os.Getenv("DYNALITE_ENDPOINT")
	if dynalite == "" {
		t.Skip("DYNALITE_ENDPOINT is not set: skipping the run with DynamoDB on dynalite (.ci/run starts dynalite with .ci/dynalite.sh)")
	}
	srv := emulation.NewTestServer(t)
	embedded, err := env.Open(t.Context(), env.Embedded, env.WithGetenv(func(string) string { return "" }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { embedded.Close() })
	isolate(t)
	t.Setenv("AWS_ENDPOINT_URL", srv.URL)
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", dynalite)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	// dynalite is shared with other packages' tests: names of our own.
	s := settings(t, map[string]string{"PIPELINE_TARGET": "endpoint", "MYSQL_DSN": embedded.MySQLDSN, "PIPELINE_RESOURCE_PREFIX": "e2eps-"})
	rep := runE2E(t, s)
	writeReports(t, s, rep)
	checkReport(t, s, rep)

	want := []string{s.Names.RatingsTable, s.Names.MoviesTable, s.Names.LinksTable, s.Names.TagsTable, s.Names.ExceptionsTable}
	cfg := aws.Config{Region: "us-east-1", Credentials: srv.Config().Credentials}
	inDynalite := listTables(t, cfg, dynalite)
	for _, name := range want {
		if !slices.Contains(inDynalite, name) {
			t.Errorf("table %s is not in dynalite (it holds %v)", name, inDynalite)
		}
	}
	if inEmulator := listTables(t, cfg, srv.URL); len(inEmulator) > 0 {
		t.Errorf("the emulator holds tables %v: DynamoDB calls did not go to AWS_ENDPOINT_URL_DYNAMODB", inEmulator)
	}
}

func listTables(t *testing.T, cfg aws.Config, endpoint string) []string {
	t.Helper()
	c := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(endpoint) })
	var names []string
	p := dynamodb.NewListTablesPaginator(c, &dynamodb.ListTablesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatalf("list tables at %s: %v", endpoint, err)
		}
		names = append(names, page.TableNames...)
	}
	return names
}

// isolate points the SDK at empty shared config files and clears the AWS
// variables, so a test sees only what it sets.
func isolate(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"config", "credentials"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	for _, k := range []string{"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"} {
		t.Setenv(k, "")
	}
	return dir
}

// awsPosedByEmulator writes a shared config whose profile "lake" points
// every service at srv through endpoint_url, so the aws target reaches the
// emulator as if it were AWS.
func awsPosedByEmulator(t *testing.T, srv *emulation.Server) {
	t.Helper()
	dir := isolate(t)
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte("[profile lake]\nregion = us-east-1\nendpoint_url = "+srv.URL+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "credentials"), []byte("[lake]\naws_access_key_id = AKIDTEST\naws_secret_access_key = secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestAWSConfigErrorsAtOnce: a missing profile and a missing role ARN come
// in one error, before anything starts.
func TestAWSConfigErrorsAtOnce(t *testing.T) {
	awsPosedByEmulator(t, emulation.NewTestServer(t))
	vars := map[string]string{"OUT_DIR": t.TempDir(), "PIPELINE_TARGET": "aws", "AWS_PROFILE": "no-such-profile"}
	_, err := orchestrate.LoadChecked(t.Context(), func(k string) string { return vars[k] })
	if err == nil || !strings.Contains(err.Error(), `"no-such-profile"`) || !strings.Contains(err.Error(), "PIPELINE_FIREHOSE_ROLE_ARN") ||
		!strings.Contains(err.Error(), "aws:role") {
		t.Fatalf("err = %v, want one error naming the profile, PIPELINE_FIREHOSE_ROLE_ARN and aws:role", err)
	}
}

// TestAWSPlanSaysWhoAndWhere: plan on aws asks STS and prints account, ARN
// and region, and both policies of the Firehose role.
func TestAWSPlanSaysWhoAndWhere(t *testing.T) {
	awsPosedByEmulator(t, emulation.NewTestServer(t))
	s := settings(t, map[string]string{"PIPELINE_TARGET": "aws", "AWS_PROFILE": "lake", "PIPELINE_RESOURCE_PREFIX": "mlte-"})
	var out bytes.Buffer
	if err := orchestrate.Plan(t.Context(), s, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"account 000000000000 as arn:aws:iam::000000000000:root, region us-east-1", "no: DynamoDB tables mlte-ratings_t",
		"PIPELINE_ALLOW_DESTROY=1", "mlte-awsdms_full_load_exceptions", `"Service": "firehose.amazonaws.com"`,
		"arn:aws:kinesis:us-east-1:000000000000:stream/mlte-gc_stream", "arn:aws:s3:::mlte-ml-data-lake/*"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("plan lacks %q:\n%s", want, out.String())
		}
	}
}

// TestAWSDownDeletesOnlyPrefixed: down with the prefix and
// PIPELINE_ALLOW_DESTROY=1 deletes the prefixed tables, bucket and role
// (made by aws:role), says so per resource, and spares the unprefixed
// awsdms_full_load_exceptions table and bucket that are not its own.
func TestAWSDownDeletesOnlyPrefixed(t *testing.T) {
	srv := emulation.NewTestServer(t)
	awsPosedByEmulator(t, srv)
	s := settings(t, map[string]string{"PIPELINE_TARGET": "aws", "AWS_PROFILE": "lake", "PIPELINE_RESOURCE_PREFIX": "mlte-",
		"PIPELINE_ALLOW_DESTROY": "1", "PIPELINE_FIREHOSE_ROLE_ARN": "arn:aws:iam::000000000000:role/mlte-firehose-delivery"})
	e, err := orchestrate.OpenEnv(t.Context(), s, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	if e.Identity == nil || e.Identity.Account != "000000000000" {
		t.Fatalf("identity %v: the aws target did not ask STS who it is", e.Identity)
	}
	ctx := t.Context()
	c := pipeline.NewClients(e.AWS)
	for _, table := range []string{"awsdms_full_load_exceptions", s.Names.ExceptionsTable, s.Names.RatingsTable} {
		createTable(t, c.DynamoDB, table)
	}
	for _, bucket := range []string{"ml-data-lake", s.Names.Bucket} {
		if _, err := c.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("data/x.csv"), Body: strings.NewReader("x\n")}); err != nil {
			t.Fatal(err)
		}
	}
	var roleOut bytes.Buffer
	arn, err := orchestrate.Role(ctx, s, e, &roleOut)
	if err != nil {
		t.Fatal(err)
	}
	if arn != "arn:aws:iam::000000000000:role/mlte-firehose-delivery" || !strings.Contains(roleOut.String(), "export PIPELINE_FIREHOSE_ROLE_ARN="+arn) {
		t.Errorf("aws:role made %q and printed %q", arn, roleOut.String())
	}
	roles := iam.NewFromConfig(e.AWS)
	pols, err := roles.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String("mlte-firehose-delivery")})
	if err != nil || len(pols.PolicyNames) != 1 {
		t.Fatalf("role policies %v, %v; want the delivery policy", pols, err)
	}

	var out bytes.Buffer
	if err := orchestrate.Down(ctx, s, e, &out); err != nil {
		t.Fatalf("down: %v\n%s", err, out.String())
	}
	for _, want := range []string{"deleted    DynamoDB table             mlte-ratings_t", "deleted    DynamoDB table             mlte-awsdms_full_load_exceptions",
		"not found  DynamoDB table             mlte-movies_t", "deleted    S3 bucket                  mlte-ml-data-lake",
		"deleted    IAM role                   mlte-firehose-delivery", "not found  Kinesis stream             mlte-gc_stream"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("down's report lacks %q:\n%s", want, out.String())
		}
	}
	tables, err := c.DynamoDB.ListTables(ctx, &dynamodb.ListTablesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tables.TableNames, []string{"awsdms_full_load_exceptions"}) {
		t.Errorf("tables after down: %v, want only the unprefixed awsdms_full_load_exceptions", tables.TableNames)
	}
	buckets, err := c.S3.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil || len(buckets.Buckets) != 1 || aws.ToString(buckets.Buckets[0].Name) != "ml-data-lake" {
		t.Errorf("buckets after down: %v, %v; want only the unprefixed ml-data-lake", buckets, err)
	}
	if _, err := roles.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("mlte-firehose-delivery")}); err == nil {
		t.Error("the role is still there after down")
	}
	// Down again: everything is not found, and that is no failure.
	out.Reset()
	if err := orchestrate.Down(ctx, s, e, &out); err != nil || strings.Contains(out.String(), "deleted ") {
		t.Errorf("second down: %v\n%s", err, out.String())
	}
}

func createTable(t *testing.T, c *dynamodb.Client, name string) {
	t.Helper()
	if _, err := c.CreateTable(t.Context(), &dynamodb.CreateTableInput{TableName: aws.String(name),
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("Id"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("Id"), KeyType: ddbtypes.KeyTypeHash}},
		BillingMode:          ddbtypes.BillingModePayPerRequest}); err != nil {
		t.Fatal(err)
	}
	if err := dynamodb.NewTableExistsWaiter(c).Wait(t.Context(), &dynamodb.DescribeTableInput{TableName: aws.String(name)}, time.Minute); err != nil {
		t.Fatal(err)
	}
}

// TestAWSDestructiveStepsRefused: against "real AWS" (the emulator behind a
// profile's endpoint_url), without PIPELINE_ALLOW_DESTROY and the prefix,
// down is refused and migrate loads into the existing table instead of
// dropping it.
func TestAWSDestructiveStepsRefused(t *testing.T) {
	srv := emulation.NewTestServer(t)
	awsPosedByEmulator(t, srv)
	s := settings(t, map[string]string{"PIPELINE_TARGET": "aws", "AWS_PROFILE": "lake",
		"PIPELINE_FIREHOSE_ROLE_ARN": "arn:aws:iam::123456789012:role/firehose"})
	e, err := orchestrate.OpenEnv(t.Context(), s, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	if e.Target != env.AWS || aws.ToString(e.AWS.BaseEndpoint) != srv.URL {
		t.Fatalf("target %s endpoint %q; want aws through %s", e.Target, aws.ToString(e.AWS.BaseEndpoint), srv.URL)
	}

	err = orchestrate.Down(t.Context(), s, e, io.Discard)
	if !errors.Is(err, orchestrate.ErrDestroyRefused) || !strings.Contains(err.Error(), "PIPELINE_ALLOW_DESTROY=1") {
		t.Errorf("down: err = %v, want a refusal naming PIPELINE_ALLOW_DESTROY=1", err)
	}

	// A table that exists before the run, with an item of its own.
	ddb := dynamodb.NewFromConfig(e.AWS)
	ctx := context.Background()
	if _, err := ddb.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String("movies_t"),
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("movieId"), AttributeType: ddbtypes.ScalarAttributeTypeS}, {AttributeName: aws.String("genres"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("movieId"), KeyType: ddbtypes.KeyTypeHash}, {AttributeName: aws.String("genres"), KeyType: ddbtypes.KeyTypeRange}},
		BillingMode:          ddbtypes.BillingModePayPerRequest}); err != nil {
		t.Fatal(err)
	}
	keep := map[string]ddbtypes.AttributeValue{"movieId": &ddbtypes.AttributeValueMemberS{Value: "999999"}, "genres": &ddbtypes.AttributeValueMemberS{Value: "Keep"}}
	if _, err := ddb.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("movies_t"), Item: keep}); err != nil {
		t.Fatal(err)
	}
	r := orchestrate.NewRunner(s, e, nil, io.Discard)
	if _, err := r.Seed(t.Context()); err != nil {
		t.Fatal(err)
	}
	// DO_NOTHING loads into the existing table; DMS's validation then
	// counts the foreign item and says so.
	if _, err := r.Migrate(t.Context()); err == nil || !strings.Contains(err.Error(), "movies_t has 11 items") {
		t.Errorf("migrate: err = %v, want the validation to count the item it did not drop", err)
	}
	out, err := ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("movies_t"), Key: keep})
	if err != nil || out.Item == nil {
		t.Errorf("the existing item is gone (%v): migrate dropped a table on real AWS without the guard", err)
	}
}
