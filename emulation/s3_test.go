package emulation_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/mldatalake/mldatalake/emulation"
)

func newS3(tb testing.TB, srv *emulation.Server) *s3.Client {
	tb.Helper()
	return s3.NewFromConfig(srv.Config(), func(o *s3.Options) { o.UsePathStyle = true })
}

func TestS3Objects(t *testing.T) {
	t.Parallel()
	srv := emulation.NewTestServer(t)
	c := newS3(t, srv)
	ctx := t.Context()

	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("lake")}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	body := []byte("userId,movieId\n1,31\n")
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("lake"), Key: aws.String("data/ratings/ratings.csv"), Body: bytes.NewReader(body)}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("lake"), Key: aws.String("data/ratings/ratings.csv")})
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
	if got := aws.ToInt64(head.ContentLength); got != int64(len(body)) {
		t.Errorf("HeadObject ContentLength = %d, want %d", got, len(body))
	}
	got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("lake"), Key: aws.String("data/ratings/ratings.csv")})
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	b, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if !bytes.Equal(b, body) {
		t.Errorf("GetObject = %q, want %q", b, body)
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("lake"), Key: aws.String("data/ratings/ratings.csv")}); err != nil {
		t.Fatalf("DeleteObject: %v", err)
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("lake"), Key: aws.String("data/ratings/ratings.csv")})
	var nsk *types.NoSuchKey
	if !errors.As(err, &nsk) {
		t.Errorf("GetObject after delete: err = %v, want NoSuchKey", err)
	}
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("missing"), Key: aws.String("k"), Body: strings.NewReader("x")})
	if code := apiCode(err); code != "NoSuchBucket" {
		t.Errorf("PutObject to a missing bucket: code %q (%v), want NoSuchBucket", code, err)
	}
}

func TestS3ListObjectsV2(t *testing.T) {
	t.Parallel()
	srv := emulation.NewTestServer(t)
	c := newS3(t, srv)
	ctx := t.Context()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("lake")}); err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range 25 {
		key := fmt.Sprintf("firehose/2026/11/25/%02d/obj-%02d", i%3, i)
		want = append(want, key)
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("lake"), Key: aws.String(key), Body: strings.NewReader("x")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("lake"), Key: aws.String("other/x"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	sort.Strings(want)

	t.Run("prefix and pagination", func(t *testing.T) {
		var got []string
		pages := 0
		p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String("lake"), Prefix: aws.String("firehose/"), MaxKeys: aws.Int32(7)})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			if len(out.Contents) > 7 {
				t.Errorf("page %d has %d keys, MaxKeys 7", pages, len(out.Contents))
			}
			for _, o := range out.Contents {
				got = append(got, aws.ToString(o.Key))
			}
		}
		if pages != 4 {
			t.Errorf("pages = %d, want 4", pages)
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("keys:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
	t.Run("delimiter", func(t *testing.T) {
		out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("lake"), Prefix: aws.String("firehose/2026/11/25/"), Delimiter: aws.String("/")})
		if err != nil {
			t.Fatal(err)
		}
		var prefixes []string
		for _, p := range out.CommonPrefixes {
			prefixes = append(prefixes, aws.ToString(p.Prefix))
		}
		wantP := "firehose/2026/11/25/00/ firehose/2026/11/25/01/ firehose/2026/11/25/02/"
		if strings.Join(prefixes, " ") != wantP || len(out.Contents) != 0 {
			t.Errorf("CommonPrefixes = %v, Contents = %d; want %s and none", prefixes, len(out.Contents), wantP)
		}
	})
}

func TestS3Multipart(t *testing.T) {
	t.Parallel()
	srv := emulation.NewTestServer(t)
	c := newS3(t, srv)
	ctx := t.Context()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("lake")}); err != nil {
		t.Fatal(err)
	}
	// 12 MiB in 5 MiB parts: three parts, the last one short.
	body := bytes.Repeat([]byte("0123456789abcdef"), 12<<20/16)
	up := manager.NewUploader(c, func(u *manager.Uploader) { u.PartSize = 5 << 20 })
	if _, err := up.Upload(ctx, &s3.PutObjectInput{Bucket: aws.String("lake"), Key: aws.String("big.csv"), Body: bytes.NewReader(body)}); err != nil {
		t.Fatalf("multipart upload: %v", err)
	}
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("lake"), Key: aws.String("big.csv")})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if !bytes.Equal(got, body) {
		t.Errorf("read back %d bytes, want %d identical bytes", len(got), len(body))
	}
}

func TestS3OnDisk(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv := emulation.NewTestServer(t, emulation.WithS3Dir(dir))
	c := newS3(t, srv)
	ctx := t.Context()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("lake")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("lake"), Key: aws.String("ml/out.csv"), Body: strings.NewReader("a,b\n")}); err != nil {
		t.Fatal(err)
	}
	b, err := readFile(dir + "/buckets/lake/ml/out.csv")
	if err != nil || string(b) != "a,b\n" {
		t.Errorf("object on disk: %q, %v; want %q", b, err, "a,b\n")
	}

	// Deleting every object, one by one and in batches, leaves no folder
	// behind: the bucket is empty and can be deleted.
	for _, k := range []string{"ml/trainingdata/rating_new/part-0.csv", "ml/trainingdata/_SUCCESS", "data/ratings/ratings.csv"} {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("lake"), Key: aws.String(k), Body: strings.NewReader("x\n")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("lake"), Key: aws.String("ml/out.csv")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("lake")}); apiCode(err) != "BucketNotEmpty" {
		t.Errorf("DeleteBucket with objects: %v, want BucketNotEmpty", err)
	}
	if _, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String("lake"), Delete: &s3types.Delete{Objects: []s3types.ObjectIdentifier{
		{Key: aws.String("ml/trainingdata/rating_new/part-0.csv")}, {Key: aws.String("ml/trainingdata/_SUCCESS")}, {Key: aws.String("data/ratings/ratings.csv")},
	}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir + "/buckets/lake/ml"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("folder buckets/lake/ml after its last object was deleted: %v", err)
	}
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("lake")}); err != nil {
		t.Errorf("DeleteBucket of an emptied bucket: %v", err)
	}
}

func TestUnsignedRequestRefused(t *testing.T) {
	t.Parallel()
	srv := emulation.NewTestServer(t)
	for _, tc := range []struct {
		name, target string
		status       int
		code         string
	}{
		{"s3", "", http.StatusForbidden, "AccessDenied"},
		{"dynamodb", "DynamoDB_20120810.ListTables", http.StatusBadRequest, "MissingAuthenticationTokenException"},
		{"kinesis", "Kinesis_20131202.ListStreams", http.StatusBadRequest, "MissingAuthenticationTokenException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/", strings.NewReader("{}"))
			if tc.target != "" {
				req.Header.Set("X-Amz-Target", tc.target)
				req.Header.Set("Content-Type", "application/x-amz-json-1.0")
				if strings.HasPrefix(tc.target, "Kinesis") {
					req.Header.Set("Content-Type", "application/x-amz-json-1.1")
				}
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status || !bytes.Contains(b, []byte(tc.code)) {
				t.Errorf("status %d body %s; want %d with %s", resp.StatusCode, b, tc.status, tc.code)
			}
		})
	}
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}
