package s3

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/johannesboyne/gofakes3"
)

// newClient serves h on an httptest server (TLS if tls) for the test and
// returns an SDK client for it, path style, with any credentials.
func newClient(tb testing.TB, h http.Handler, tls bool) *awss3.Client {
	tb.Helper()
	var srv *httptest.Server
	if tls {
		srv = httptest.NewTLSServer(h)
	} else {
		srv = httptest.NewServer(h)
	}
	tb.Cleanup(srv.Close)
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		HTTPClient:  srv.Client(),
	}
	return awss3.NewFromConfig(cfg, func(o *awss3.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
		o.UsePathStyle = true
	})
}

// newDirService is an on-disk Service with bucket "lake", and its folder.
func newDirService(tb testing.TB) (*Service, string) {
	tb.Helper()
	dir := tb.TempDir()
	s, err := New(WithDir(dir))
	if err != nil {
		tb.Fatal(err)
	}
	if err := s.Backend().CreateBucket("lake"); err != nil {
		tb.Fatal(err)
	}
	return s, dir
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{1})
	_, _ = r.Read(b)
	return b
}

// multipartETag is S3's ETag of body uploaded in parts of partSize.
func multipartETag(body []byte, partSize int) string {
	h, n := md5.New(), 0
	for off := 0; off < len(body); off += partSize {
		sum := md5.Sum(body[off:min(off+partSize, len(body))])
		h.Write(sum[:])
		n++
	}
	return fmt.Sprintf(`"%s-%d"`, hex.EncodeToString(h.Sum(nil)), n)
}

// sha256Recorder keeps the x-amz-content-sha256 header of UploadPart requests.
type sha256Recorder struct {
	next http.Handler
	mu   sync.Mutex
	seen []string
}

func (s *sha256Recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPut && r.URL.Query().Has("uploadId") {
		s.mu.Lock()
		s.seen = append(s.seen, r.Header.Get("X-Amz-Content-Sha256"))
		s.mu.Unlock()
	}
	s.next.ServeHTTP(w, r)
}

func TestMultipartUploadOnDisk(t *testing.T) {
	t.Parallel()
	const partSize = 5 << 20
	body := randomBytes(23<<20 + 12345)
	for _, tc := range []struct {
		name     string
		tls      bool      // over HTTPS the SDK sends parts aws-chunked, with a trailing checksum
		body     io.Reader // bytes.Reader: sent from the caller's bytes; otherwise through the manager's buffers
		chunked  bool
		wantPart int
	}{
		{name: "http", body: bytes.NewReader(body)},
		{name: "http, unseekable body", body: io.MultiReader(bytes.NewReader(body))},
		{name: "https, aws-chunked", tls: true, body: bytes.NewReader(body), chunked: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, dir := newDirService(t)
			rec := &sha256Recorder{next: s}
			c := newClient(t, rec, tc.tls)
			ctx := t.Context()

			up := manager.NewUploader(c, func(u *manager.Uploader) { u.PartSize = partSize })
			out, err := up.Upload(ctx, &awss3.PutObjectInput{
				Bucket: aws.String("lake"), Key: aws.String("etl/ratings.parquet"), Body: tc.body,
				ContentType: aws.String("application/vnd.apache.parquet"),
				Metadata:    map[string]string{"stage": "etl"},
			})
			if err != nil {
				t.Fatalf("Upload: %v", err)
			}
			if got, want := aws.ToString(out.ETag), multipartETag(body, partSize); got != want {
				t.Errorf("Upload ETag = %s, want %s", got, want)
			}
			if len(rec.seen) != 5 {
				t.Errorf("%d UploadPart requests, want 5", len(rec.seen))
			}
			for _, sha := range rec.seen {
				if strings.HasPrefix(sha, "STREAMING-") != tc.chunked {
					t.Errorf("UploadPart x-amz-content-sha256 = %q; want streaming: %v", sha, tc.chunked)
				}
			}

			get, err := c.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String("lake"), Key: aws.String("etl/ratings.parquet")})
			if err != nil {
				t.Fatalf("GetObject: %v", err)
			}
			got, err := io.ReadAll(get.Body)
			get.Body.Close()
			if err != nil || !bytes.Equal(got, body) {
				t.Errorf("GetObject: %d bytes (%v), want the %d bytes uploaded", len(got), err, len(body))
			}

			head, err := c.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String("lake"), Key: aws.String("etl/ratings.parquet")})
			if err != nil {
				t.Fatalf("HeadObject: %v", err)
			}
			if got := aws.ToInt64(head.ContentLength); got != int64(len(body)) {
				t.Errorf("HeadObject ContentLength = %d, want %d", got, len(body))
			}
			if got := aws.ToString(head.ContentType); got != "application/vnd.apache.parquet" {
				t.Errorf("HeadObject ContentType = %q", got)
			}
			if got := head.Metadata["stage"]; got != "etl" {
				t.Errorf("HeadObject Metadata = %v, want stage=etl", head.Metadata)
			}

			list, err := c.ListObjectsV2(ctx, &awss3.ListObjectsV2Input{Bucket: aws.String("lake")})
			if err != nil {
				t.Fatalf("ListObjectsV2: %v", err)
			}
			if len(list.Contents) != 1 || aws.ToString(list.Contents[0].Key) != "etl/ratings.parquet" || aws.ToInt64(list.Contents[0].Size) != int64(len(body)) {
				t.Errorf("ListObjectsV2 = %+v, want etl/ratings.parquet once, %d bytes", list.Contents, len(body))
			}
			if left, err := os.ReadDir(filepath.Join(dir, "multipart")); err != nil || len(left) != 0 {
				t.Errorf("multipart folder after the upload: %v, %v; want it empty", left, err)
			}
		})
	}
}

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return fmt.Sprint(err)
}

func TestMultipartErrors(t *testing.T) {
	t.Parallel()
	big := randomBytes(5 << 20)
	small := []byte("tail")

	// start creates an upload of "k" and uploads the parts given, in order
	// from 1; it returns the upload id and the parts' ETags.
	start := func(t *testing.T, c *awss3.Client, parts ...[]byte) (string, []string) {
		t.Helper()
		ctx := t.Context()
		mu, err := c.CreateMultipartUpload(ctx, &awss3.CreateMultipartUploadInput{Bucket: aws.String("lake"), Key: aws.String("k")})
		if err != nil {
			t.Fatalf("CreateMultipartUpload: %v", err)
		}
		var etags []string
		for i, p := range parts {
			out, err := c.UploadPart(ctx, &awss3.UploadPartInput{Bucket: aws.String("lake"), Key: aws.String("k"),
				UploadId: mu.UploadId, PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(p)})
			if err != nil {
				t.Fatalf("UploadPart %d: %v", i+1, err)
			}
			etags = append(etags, aws.ToString(out.ETag))
		}
		return aws.ToString(mu.UploadId), etags
	}
	complete := func(t *testing.T, c *awss3.Client, id string, parts ...types.CompletedPart) error {
		_, err := c.CompleteMultipartUpload(t.Context(), &awss3.CompleteMultipartUploadInput{Bucket: aws.String("lake"), Key: aws.String("k"),
			UploadId: aws.String(id), MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
		return err
	}
	part := func(n int32, etag string) types.CompletedPart {
		return types.CompletedPart{PartNumber: aws.Int32(n), ETag: aws.String(etag)}
	}

	for _, tc := range []struct {
		name string
		run  func(t *testing.T, c *awss3.Client) error
		want string
	}{
		{"unknown upload id, UploadPart", func(t *testing.T, c *awss3.Client) error {
			_, err := c.UploadPart(t.Context(), &awss3.UploadPartInput{Bucket: aws.String("lake"), Key: aws.String("k"),
				UploadId: aws.String("nope"), PartNumber: aws.Int32(1), Body: bytes.NewReader(small)})
			return err
		}, "NoSuchUpload"},
		{"unknown upload id, Complete", func(t *testing.T, c *awss3.Client) error {
			return complete(t, c, "nope", part(1, `"x"`))
		}, "NoSuchUpload"},
		{"unknown upload id, ListParts", func(t *testing.T, c *awss3.Client) error {
			_, err := c.ListParts(t.Context(), &awss3.ListPartsInput{Bucket: aws.String("lake"), Key: aws.String("k"), UploadId: aws.String("nope")})
			return err
		}, "NoSuchUpload"},
		{"upload id of another key", func(t *testing.T, c *awss3.Client) error {
			id, _ := start(t, c)
			_, err := c.UploadPart(t.Context(), &awss3.UploadPartInput{Bucket: aws.String("lake"), Key: aws.String("other"),
				UploadId: aws.String(id), PartNumber: aws.Int32(1), Body: bytes.NewReader(small)})
			return err
		}, "NoSuchUpload"},
		{"part number 10001", func(t *testing.T, c *awss3.Client) error {
			id, _ := start(t, c)
			_, err := c.UploadPart(t.Context(), &awss3.UploadPartInput{Bucket: aws.String("lake"), Key: aws.String("k"),
				UploadId: aws.String(id), PartNumber: aws.Int32(10001), Body: bytes.NewReader(small)})
			return err
		}, "InvalidArgument"},
		{"Content-MD5 mismatch", func(t *testing.T, c *awss3.Client) error {
			id, _ := start(t, c)
			sum := md5.Sum([]byte("something else"))
			_, err := c.UploadPart(t.Context(), &awss3.UploadPartInput{Bucket: aws.String("lake"), Key: aws.String("k"),
				UploadId: aws.String(id), PartNumber: aws.Int32(1), Body: bytes.NewReader(small),
				ContentMD5: aws.String(base64.StdEncoding.EncodeToString(sum[:]))})
			return err
		}, "BadDigest"},
		{"parts out of order", func(t *testing.T, c *awss3.Client) error {
			id, etags := start(t, c, big, small)
			return complete(t, c, id, part(2, etags[1]), part(1, etags[0]))
		}, "InvalidPartOrder"},
		{"wrong ETag", func(t *testing.T, c *awss3.Client) error {
			id, etags := start(t, c, big, small)
			return complete(t, c, id, part(1, etags[0]), part(2, etags[0]))
		}, "InvalidPart"},
		{"part never uploaded", func(t *testing.T, c *awss3.Client) error {
			id, etags := start(t, c, big, small)
			return complete(t, c, id, part(1, etags[0]), part(3, etags[1]))
		}, "InvalidPart"},
		{"non-last part under 5 MiB", func(t *testing.T, c *awss3.Client) error {
			id, etags := start(t, c, small, big)
			return complete(t, c, id, part(1, etags[0]), part(2, etags[1]))
		}, "EntityTooSmall"},
		{"abort, then complete", func(t *testing.T, c *awss3.Client) error {
			id, etags := start(t, c, small)
			if _, err := c.AbortMultipartUpload(t.Context(), &awss3.AbortMultipartUploadInput{Bucket: aws.String("lake"), Key: aws.String("k"), UploadId: aws.String(id)}); err != nil {
				t.Fatalf("AbortMultipartUpload: %v", err)
			}
			return complete(t, c, id, part(1, etags[0]))
		}, "NoSuchUpload"},
		{"abort twice", func(t *testing.T, c *awss3.Client) error {
			id, _ := start(t, c, small)
			in := &awss3.AbortMultipartUploadInput{Bucket: aws.String("lake"), Key: aws.String("k"), UploadId: aws.String(id)}
			if _, err := c.AbortMultipartUpload(t.Context(), in); err != nil {
				t.Fatalf("AbortMultipartUpload: %v", err)
			}
			_, err := c.AbortMultipartUpload(t.Context(), in)
			return err
		}, "NoSuchUpload"},
		{"missing bucket", func(t *testing.T, c *awss3.Client) error {
			_, err := c.CreateMultipartUpload(t.Context(), &awss3.CreateMultipartUploadInput{Bucket: aws.String("nobucket"), Key: aws.String("k")})
			return err
		}, "NoSuchBucket"},
		{"missing bucket, ListMultipartUploads", func(t *testing.T, c *awss3.Client) error {
			_, err := c.ListMultipartUploads(t.Context(), &awss3.ListMultipartUploadsInput{Bucket: aws.String("nobucket")})
			return err
		}, "NoSuchBucket"},
		{"a failed complete keeps the upload", func(t *testing.T, c *awss3.Client) error {
			id, etags := start(t, c, big, small)
			if err := complete(t, c, id, part(1, etags[1]), part(2, etags[1])); errorCode(err) != "InvalidPart" {
				t.Errorf("complete with a wrong ETag: %v, want InvalidPart", err)
			}
			return complete(t, c, id, part(1, etags[0]), part(2, etags[1]))
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, _ := newDirService(t)
			err := tc.run(t, newClient(t, s, false))
			if got := errorCode(err); (tc.want == "" && err != nil) || (tc.want != "" && got != tc.want) {
				t.Errorf("error = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestMultipartLists(t *testing.T) {
	t.Parallel()
	s, dir := newDirService(t)
	c := newClient(t, s, false)
	ctx := t.Context()
	ids := map[string]string{}
	for _, key := range []string{"train/b", "etl/a", "etl/c/d"} {
		mu, err := c.CreateMultipartUpload(ctx, &awss3.CreateMultipartUploadInput{Bucket: aws.String("lake"), Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		ids[key] = aws.ToString(mu.UploadId)
	}
	for _, n := range []int32{3, 1} {
		if _, err := c.UploadPart(ctx, &awss3.UploadPartInput{Bucket: aws.String("lake"), Key: aws.String("etl/a"),
			UploadId: aws.String(ids["etl/a"]), PartNumber: aws.Int32(n), Body: strings.NewReader(strings.Repeat("x", int(n)))}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "multipart", ids["etl/a"], "3")); err != nil {
		t.Errorf("part 3 on disk: %v", err)
	}

	parts, err := c.ListParts(ctx, &awss3.ListPartsInput{Bucket: aws.String("lake"), Key: aws.String("etl/a"), UploadId: aws.String(ids["etl/a"])})
	if err != nil {
		t.Fatalf("ListParts: %v", err)
	}
	var got []string
	for _, p := range parts.Parts {
		got = append(got, fmt.Sprintf("%d:%d", aws.ToInt32(p.PartNumber), aws.ToInt64(p.Size)))
	}
	if fmt.Sprint(got) != "[1:1 3:3]" {
		t.Errorf("ListParts = %v, want [1:1 3:3]", got)
	}
	page, err := c.ListParts(ctx, &awss3.ListPartsInput{Bucket: aws.String("lake"), Key: aws.String("etl/a"), UploadId: aws.String(ids["etl/a"]), MaxParts: aws.Int32(1)})
	if err != nil || !aws.ToBool(page.IsTruncated) || len(page.Parts) != 1 || aws.ToString(page.NextPartNumberMarker) != "1" {
		t.Errorf("ListParts max 1: %+v, %v; want part 1, truncated, next marker 1", page, err)
	}

	keys := func(in *awss3.ListMultipartUploadsInput) string {
		t.Helper()
		in.Bucket = aws.String("lake")
		out, err := c.ListMultipartUploads(ctx, in)
		if err != nil {
			t.Fatalf("ListMultipartUploads: %v", err)
		}
		var ks []string
		for _, u := range out.Uploads {
			if aws.ToString(u.UploadId) != ids[aws.ToString(u.Key)] {
				t.Errorf("upload %s has id %s, want %s", aws.ToString(u.Key), aws.ToString(u.UploadId), ids[aws.ToString(u.Key)])
			}
			ks = append(ks, aws.ToString(u.Key))
		}
		for _, p := range out.CommonPrefixes {
			ks = append(ks, "prefix "+aws.ToString(p.Prefix))
		}
		if aws.ToBool(out.IsTruncated) {
			ks = append(ks, "next "+aws.ToString(out.NextKeyMarker))
		}
		return strings.Join(ks, ", ")
	}
	for _, tc := range []struct {
		name string
		in   awss3.ListMultipartUploadsInput
		want string
	}{
		{"all", awss3.ListMultipartUploadsInput{}, "etl/a, etl/c/d, train/b"},
		{"prefix", awss3.ListMultipartUploadsInput{Prefix: aws.String("etl/")}, "etl/a, etl/c/d"},
		{"delimiter", awss3.ListMultipartUploadsInput{Prefix: aws.String("etl/"), Delimiter: aws.String("/")}, "etl/a, prefix etl/c/"},
		{"first page", awss3.ListMultipartUploadsInput{MaxUploads: aws.Int32(2)}, "etl/a, etl/c/d, next etl/c/d"},
		{"second page", awss3.ListMultipartUploadsInput{KeyMarker: aws.String("etl/c/d"), UploadIdMarker: aws.String(ids["etl/c/d"])}, "train/b"},
	} {
		if got := keys(&tc.in); got != tc.want {
			t.Errorf("%s: ListMultipartUploads = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestMultipartMemory uploads 64 MiB in 8 MiB parts and counts the bytes the
// process allocates meanwhile (client and server: the client sends the parts
// from the caller's bytes). gofakes3's uploader, measured the same way, holds
// every part and then the whole object: over twice the object.
func TestMultipartMemory(t *testing.T) {
	// Not parallel: TotalAlloc counts every goroutine's allocations.
	const size, partSize = 64 << 20, 8 << 20
	body := randomBytes(size)

	allocated := func(t *testing.T, h http.Handler) float64 {
		t.Helper()
		c := newClient(t, h, false)
		up := manager.NewUploader(c, func(u *manager.Uploader) { u.PartSize = partSize })
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		if _, err := up.Upload(t.Context(), &awss3.PutObjectInput{Bucket: aws.String("lake"), Key: aws.String("train/model.bin"), Body: bytes.NewReader(body)}); err != nil {
			t.Fatalf("Upload: %v", err)
		}
		runtime.ReadMemStats(&after)
		return float64(after.TotalAlloc-before.TotalAlloc) / size
	}

	s, _ := newDirService(t)
	ours := allocated(t, s)
	theirs := allocated(t, gofakes3.New(s.Backend(), gofakes3.WithAutoBucket(false)).Server())
	t.Logf("allocated during a %d MiB upload in %d MiB parts: %.3fx the object here, %.2fx through gofakes3's uploader", size>>20, partSize>>20, ours, theirs)
	if ours > 0.25 {
		t.Errorf("the on-disk multipart upload allocated %.3fx the object's size, want under 0.25x", ours)
	}
	if theirs < 1 {
		t.Errorf("gofakes3's uploader allocated %.2fx the object's size; the measure no longer sees it holding the parts", theirs)
	}
}
