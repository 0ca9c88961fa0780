package pipeline

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// S3API is the part of the S3 client the stages read with.
type S3API interface {
	s3.ListObjectsV2APIClient
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// S3DeleteAPI is the part of the S3 client DeletePrefix uses.
type S3DeleteAPI interface {
	s3.ListObjectsV2APIClient
	DeleteObjects(ctx context.Context, in *s3.DeleteObjectsInput, optFns ...func(*s3.Options)) (*s3.DeleteObjectsOutput, error)
}

// Object is one S3 object a stage reads.
type Object struct {
	Key  string
	Size int64
}

// EachObject calls fn for every object under prefix in bucket, in key order,
// following ListObjectsV2's continuation tokens. It stops at the first error,
// from S3 (wrapped with the location) or from fn (as it is).
func EachObject(ctx context.Context, api s3.ListObjectsV2APIClient, bucket, prefix string, fn func(types.Object) error) error {
	p := s3.NewListObjectsV2Paginator(api, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list s3://%s/%s: %w", bucket, prefix, err)
		}
		for _, o := range page.Contents {
			if err := fn(o); err != nil {
				return err
			}
		}
	}
	return nil
}

// Hidden reports whether readers of data skip key: folder markers (keys
// ending in "/") and objects whose name starts with '_' or '.', as
// Hadoop-style readers do (_SUCCESS, .tmp files).
func Hidden(key string) bool {
	if key == "" || strings.HasSuffix(key, "/") {
		return true
	}
	base := path.Base(key)
	return strings.HasPrefix(base, "_") || strings.HasPrefix(base, ".")
}

// ListObjects lists the data objects under prefix (those not Hidden), in key
// order.
//
// This is the one rule for what a Firehose delivery is, shared by the stream,
// catalog and etl stages: any object under the delivery prefix that is not
// Hidden, whatever its name. AWS names objects
// "{prefix}YYYY/MM/DD/HH/{stream}-1-YYYY-MM-DD-HH-MM-SS-{uuid}[.gz]";
// LocalStack 4.14 adds a '/' to a prefix that lacks one, leaves out the
// "-1" and never adds ".gz". Whether an object is gzipped is read from its
// first bytes (see Decompress), never from its name.
func ListObjects(ctx context.Context, api s3.ListObjectsV2APIClient, bucket, prefix string) ([]Object, error) {
	var objs []Object
	err := EachObject(ctx, api, bucket, prefix, func(o types.Object) error {
		if key := aws.ToString(o.Key); !Hidden(key) {
			objs = append(objs, Object{Key: key, Size: aws.ToInt64(o.Size)})
		}
		return nil
	})
	return objs, err
}

// Compression names what Decompress found.
const (
	CompressionGzip = "gzip"
	CompressionNone = "none"
)

// Decompress returns a reader of r's content, gunzipped when r starts with
// the gzip magic bytes (Firehose's GZIP format, with or without a .gz key),
// and the compression found: CompressionGzip or CompressionNone.
func Decompress(r io.Reader) (io.Reader, string, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, err := br.Peek(2)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, "", err
	}
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, "", fmt.Errorf("gzip: %w", err)
		}
		zr.Multistream(true)
		return zr, CompressionGzip, nil
	}
	return br, CompressionNone, nil
}

// ReadObject calls fn with the content of s3://bucket/key, gunzipped when it
// is gzip (see Decompress), and the compression found. Errors name the
// object.
func ReadObject(ctx context.Context, api S3API, bucket, key string, fn func(r io.Reader, compression string) error) error {
	out, err := api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return fmt.Errorf("get s3://%s/%s: %w", bucket, key, err)
	}
	defer out.Body.Close()
	r, compression, err := Decompress(out.Body)
	if err != nil {
		return fmt.Errorf("read s3://%s/%s: %w", bucket, key, err)
	}
	if err := fn(r, compression); err != nil {
		return fmt.Errorf("read s3://%s/%s: %w", bucket, key, err)
	}
	return nil
}

// Download writes the content of s3://bucket/key to the file dst, gunzipped
// when gunzip is set and the object is gzip.
func Download(ctx context.Context, api S3API, bucket, key, dst string, gunzip bool) (err error) {
	out, err := api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return fmt.Errorf("get s3://%s/%s: %w", bucket, key, err)
	}
	defer out.Body.Close()
	var r io.Reader = out.Body
	if gunzip {
		if r, _, err = Decompress(out.Body); err != nil {
			return fmt.Errorf("read s3://%s/%s: %w", bucket, key, err)
		}
	}
	f, err := os.Create(dst)
	if err != nil {
		return fmt.Errorf("download s3://%s/%s: %w", bucket, key, err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("download s3://%s/%s to %s: %w", bucket, key, dst, cerr)
		}
	}()
	if _, err := io.Copy(f, r); err != nil {
		return fmt.Errorf("download s3://%s/%s: %w", bucket, key, err)
	}
	return nil
}

// UploadFile uploads the CSV file path to s3://bucket/key through up (in
// parts, as the upload manager does for large files) and returns its size.
func UploadFile(ctx context.Context, up *manager.Uploader, path, bucket, key string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("upload %s to s3://%s/%s: %w", path, bucket, key, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("upload %s to s3://%s/%s: %w", path, bucket, key, err)
	}
	if _, err := up.Upload(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: f, ContentType: aws.String("text/csv")}); err != nil {
		return 0, fmt.Errorf("upload %s to s3://%s/%s: %w", path, bucket, key, err)
	}
	return st.Size(), nil
}

// EachLine calls fn with every line of r that is not blank, numbered from 1
// among all lines, without the line ending. Lines may be of any length. line
// is only valid during the call.
func EachLine(r io.Reader, fn func(n int64, line []byte) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var (
		n   int64
		buf []byte // a line longer than br's buffer, being gathered
	)
	for {
		chunk, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			buf = append(buf, chunk...)
			continue
		}
		line := chunk
		if len(buf) > 0 {
			buf = append(buf, chunk...)
			line = buf
		}
		if len(line) > 0 {
			n++
			if trimmed := bytes.TrimSpace(line); len(trimmed) > 0 {
				if ferr := fn(n, trimmed); ferr != nil {
					return ferr
				}
			}
		}
		buf = buf[:0]
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// ParseS3URI splits "s3://bucket/prefix" into bucket and prefix.
func ParseS3URI(uri string) (bucket, prefix string, err error) {
	rest, ok := strings.CutPrefix(uri, "s3://")
	if !ok {
		return "", "", fmt.Errorf("parse S3 location %q: not an s3:// URI", uri)
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	if bucket == "" {
		return "", "", fmt.Errorf("parse S3 location %q: no bucket", uri)
	}
	return bucket, prefix, nil
}

// ListKeys lists every key under prefix in key order, hidden ones too.
func ListKeys(ctx context.Context, api s3.ListObjectsV2APIClient, bucket, prefix string) ([]string, error) {
	var keys []string
	err := EachObject(ctx, api, bucket, prefix, func(o types.Object) error {
		keys = append(keys, aws.ToString(o.Key))
		return nil
	})
	return keys, err
}

// S3DeleteKeysAPI is the part of the S3 client DeleteKeys uses.
type S3DeleteKeysAPI interface {
	DeleteObjects(ctx context.Context, in *s3.DeleteObjectsInput, optFns ...func(*s3.Options)) (*s3.DeleteObjectsOutput, error)
}

// DeleteKeys deletes keys in DeleteObjects calls of at most 1,000 keys. A
// key DeleteObjects reports as not deleted is an error naming it; a key
// that does not exist is not an error (S3 reports it deleted).
func DeleteKeys(ctx context.Context, api S3DeleteKeysAPI, bucket string, keys []string) error {
	for chunk := range slices.Chunk(keys, 1000) {
		ids := make([]types.ObjectIdentifier, len(chunk))
		for i, k := range chunk {
			ids[i] = types.ObjectIdentifier{Key: aws.String(k)}
		}
		out, err := api.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)}})
		if err != nil {
			return fmt.Errorf("delete %d keys from s3://%s/%s...: %w", len(chunk), bucket, chunk[0], err)
		}
		if len(out.Errors) > 0 {
			e := out.Errors[0]
			return fmt.Errorf("delete s3://%s/%s: %s: %s (%d keys not deleted)", bucket, aws.ToString(e.Key),
				aws.ToString(e.Code), aws.ToString(e.Message), len(out.Errors))
		}
	}
	return nil
}

// DeletePrefix deletes every object under prefix (every object of the
// bucket for "") with DeleteKeys, and returns how many it deleted. A bucket
// that does not exist has nothing to delete.
func DeletePrefix(ctx context.Context, api S3DeleteAPI, bucket, prefix string) (int, error) {
	keys, err := ListKeys(ctx, api, bucket, prefix)
	var nb *types.NoSuchBucket
	if errors.As(err, &nb) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if err := DeleteKeys(ctx, api, bucket, keys); err != nil {
		return 0, err
	}
	return len(keys), nil
}
