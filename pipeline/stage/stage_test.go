package stage_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/mldatalake/mldatalake/emulation"
	"github.com/mldatalake/mldatalake/emulation/fault"
	"github.com/mldatalake/mldatalake/pipeline"
	"github.com/mldatalake/mldatalake/pipeline/stage"
)

func writeDataset(t *testing.T, big int) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range stage.Files {
		body := "header\n" + f.Name + "\n"
		if f.Name == "ratings.csv" {
			body += strings.Repeat("1,31,2.5,1260759144\n", big)
		}
		if err := os.WriteFile(filepath.Join(dir, f.Name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestStage(t *testing.T) {
	t.Parallel()
	srv := emulation.NewTestServer(t)
	// ratings.csv is 3 parts of 5 MiB: the multipart path.
	dir := writeDataset(t, 11<<20/20)
	rep, err := stage.Run(t.Context(), srv.Config(), dir, stage.Options{PartSize: 5 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Written != int64(len(stage.Files)) {
		t.Errorf("Written = %d, want %d", rep.Written, len(stage.Files))
	}
	c := pipeline.NewClients(srv.Config()).S3
	for _, f := range stage.Files {
		want, _ := os.ReadFile(filepath.Join(dir, f.Name))
		out, err := c.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String(pipeline.DefaultBucket), Key: aws.String(f.Key)})
		if err != nil {
			t.Fatalf("%s: %v", f.Key, err)
		}
		got, _ := io.ReadAll(out.Body)
		out.Body.Close()
		if !bytes.Equal(got, want) {
			t.Errorf("%s: %d bytes differ from %s's %d", f.Key, len(got), f.Name, len(want))
		}
	}
	// Staging again replaces the objects and keeps the bucket.
	if _, err := stage.Run(t.Context(), srv.Config(), dir, stage.Options{}); err != nil {
		t.Fatalf("second run: %v", err)
	}
}

func TestStageMissingFile(t *testing.T) {
	t.Parallel()
	srv := emulation.NewTestServer(t)
	dir := writeDataset(t, 0)
	os.Remove(filepath.Join(dir, "links.csv"))
	_, err := stage.Run(t.Context(), srv.Config(), dir, stage.Options{})
	if err == nil || !strings.Contains(err.Error(), "links.csv") {
		t.Errorf("err = %v, want one naming links.csv", err)
	}
}

// TestStageLostResponses: uploads whose responses are lost are sent again by
// the SDK; the objects are whole and each file is counted once.
func TestStageLostResponses(t *testing.T) {
	t.Parallel()
	fc, err := fault.Parse("lost_response=0.3,seed=5")
	if err != nil {
		t.Fatal(err)
	}
	srv := emulation.NewTestServer(t, emulation.WithFaults(fc))
	dir := writeDataset(t, 1000)
	rep, err := stage.Run(t.Context(), srv.Config(), dir, stage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Read != int64(len(stage.Files)) || rep.Written != int64(len(stage.Files)) {
		t.Errorf("read %d written %d, want %d each", rep.Read, rep.Written, len(stage.Files))
	}
	if srv.Faults.Counts()[fault.LostResponse] == 0 {
		t.Fatal("no response was lost: the test did not test resent uploads")
	}
	c := pipeline.NewClients(srv.Config()).S3
	for _, f := range stage.Files {
		want, _ := os.ReadFile(filepath.Join(dir, f.Name))
		if got := rep.Tables[f.Key]; got.Read != int64(len(want)) || got.Written != int64(len(want)) {
			t.Errorf("%s counted %+v, want %d bytes once", f.Key, got, len(want))
		}
		out, err := c.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String(pipeline.DefaultBucket), Key: aws.String(f.Key)})
		if err != nil {
			t.Fatalf("%s: %v", f.Key, err)
		}
		got, _ := io.ReadAll(out.Body)
		out.Body.Close()
		if !bytes.Equal(got, want) {
			t.Errorf("%s: %d bytes differ from %s's %d", f.Key, len(got), f.Name, len(want))
		}
	}
}
