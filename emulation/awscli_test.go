package emulation_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mldatalake/mldatalake/emulation"
)

// awsCLI runs the AWS CLI, a client written by others, against srv.
func awsCLI(t *testing.T, srv *emulation.Server, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "aws", append([]string{"--endpoint-url", srv.URL, "--region", "us-east-1", "--output", "json"}, args...)...)
	home := t.TempDir()
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "AWS_ACCESS_KEY_ID=AKIDCLI", "AWS_SECRET_ACCESS_KEY=secret",
		"AWS_CONFIG_FILE="+filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, "credentials"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestAWSCLI(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the AWS CLI is not installed; skipping the real-client check")
	}
	srv := emulation.NewTestServer(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "ratings.csv")
	if err := os.WriteFile(src, []byte("userId,movieId,rating,timestamp\n1,31,2.5,1260759144\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	t.Run("s3", func(t *testing.T) {
		awsCLI(t, srv, "s3", "mb", "s3://cli-lake")
		awsCLI(t, srv, "s3", "cp", src, "s3://cli-lake/data/ratings/ratings.csv")
		if out := awsCLI(t, srv, "s3", "ls", "s3://cli-lake/data/", "--recursive"); !strings.Contains(out, "data/ratings/ratings.csv") {
			t.Errorf("s3 ls: %s", out)
		}
		dst := filepath.Join(dir, "back.csv")
		awsCLI(t, srv, "s3", "cp", "s3://cli-lake/data/ratings/ratings.csv", dst)
		a, _ := os.ReadFile(src)
		b, _ := os.ReadFile(dst)
		if string(a) != string(b) {
			t.Errorf("round trip: %q, want %q", b, a)
		}
	})
	t.Run("dynamodb", func(t *testing.T) {
		awsCLI(t, srv, "dynamodb", "create-table", "--table-name", "cli_t",
			"--attribute-definitions", "AttributeName=Id,AttributeType=S",
			"--key-schema", "AttributeName=Id,KeyType=HASH", "--billing-mode", "PAY_PER_REQUEST")
		awsCLI(t, srv, "dynamodb", "wait", "table-exists", "--table-name", "cli_t")
		awsCLI(t, srv, "dynamodb", "put-item", "--table-name", "cli_t", "--item", `{"Id":{"S":"1X31"},"rating":{"S":"2.5"}}`)
		var got struct{ Item map[string]map[string]string }
		if err := json.Unmarshal([]byte(awsCLI(t, srv, "dynamodb", "get-item", "--table-name", "cli_t", "--key", `{"Id":{"S":"1X31"}}`)), &got); err != nil {
			t.Fatal(err)
		}
		if got.Item["rating"]["S"] != "2.5" {
			t.Errorf("get-item: %v", got.Item)
		}
	})
	t.Run("kinesis", func(t *testing.T) {
		awsCLI(t, srv, "kinesis", "create-stream", "--stream-name", "cli_stream", "--shard-count", "2")
		awsCLI(t, srv, "kinesis", "wait", "stream-exists", "--stream-name", "cli_stream")
		var put struct{ ShardId, SequenceNumber string }
		// The CLI v1 base64-encodes blob arguments itself.
		if err := json.Unmarshal([]byte(awsCLI(t, srv, "kinesis", "put-record", "--stream-name", "cli_stream", "--partition-key", "1", "--data", "aGVsbG8=")), &put); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(put.ShardId, "shardId-") || put.SequenceNumber == "" {
			t.Errorf("put-record: %+v", put)
		}
	})
	t.Run("firehose", func(t *testing.T) {
		awsCLI(t, srv, "firehose", "create-delivery-stream", "--delivery-stream-name", "cli_fh",
			"--delivery-stream-type", "DirectPut",
			"--extended-s3-destination-configuration", `{"BucketARN":"arn:aws:s3:::cli-lake","RoleARN":"arn:aws:iam::000000000000:role/r","Prefix":"fh/"}`)
		if out := awsCLI(t, srv, "firehose", "list-delivery-streams"); !strings.Contains(out, "cli_fh") {
			t.Errorf("list-delivery-streams: %s", out)
		}
	})
}
