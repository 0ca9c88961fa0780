package catalog

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/sync/errgroup"

	"github.com/mldatalake/mldatalake/pipeline"
)

// S3API is the part of the S3 client the crawler and the ETL read with.
type S3API interface {
	s3.ListObjectsV2APIClient
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// Object is one S3 object a crawl or a job reads.
type Object struct {
	Key  string
	Size int64
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

// Hidden reports whether the crawler and the ETL skip key: folder markers
// (keys ending in "/") and objects whose name starts with '_' or '.', as
// Hadoop-style readers do (_SUCCESS, .tmp files).
func Hidden(key string) bool {
	if key == "" || strings.HasSuffix(key, "/") {
		return true
	}
	base := path.Base(key)
	return strings.HasPrefix(base, "_") || strings.HasPrefix(base, ".")
}

// ListObjects lists the objects under prefix that are not Hidden, in key
// order, following continuation tokens.
func ListObjects(ctx context.Context, api S3API, bucket, prefix string) ([]Object, error) {
	var objs []Object
	err := pipeline.EachObject(ctx, api, bucket, prefix, func(o types.Object) error {
		if key := aws.ToString(o.Key); !Hidden(key) {
			objs = append(objs, Object{Key: key, Size: aws.ToInt64(o.Size)})
		}
		return nil
	})
	return objs, err
}

// Decompress returns a reader of r's content, gunzipped when r starts with
// the gzip magic bytes (Firehose's GZIP format, with or without a .gz key),
// and the compression found: "gzip" or "none".
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
		return zr, "gzip", nil
	}
	return br, "none", nil
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

// s3Folder returns the folder a crawl of prefix makes a table of for key:
// prefix itself when it ends with "/" (or is empty), otherwise the folder
// that prefix's last segment begins — prefix "firehose" and key
// "firehose2026/11/25/19/x" give "firehose2026/", as Glue named the
// workshop's "firehose2018" table. An object directly in prefix's folder
// gives that folder.
func s3Folder(prefix, key string) string {
	if prefix == "" || strings.HasSuffix(prefix, "/") {
		return prefix
	}
	dir := prefix[:strings.LastIndexByte(prefix, '/')+1]
	rest := key[len(dir):]
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		return dir + rest[:i+1]
	}
	return dir
}

// TableName is the name Glue gives a table crawled from folder or DynamoDB
// table name: lower-cased, with every character other than a letter, a
// digit or '_' replaced by '_'.
func TableName(name string) string {
	name = strings.ToLower(strings.TrimSuffix(name, "/"))
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' {
			return r
		}
		return '_'
	}, name)
}

// s3TableName names the table of folder in bucket: its last segment, or the
// bucket for the bucket's root.
func s3TableName(bucket, folder string) string {
	folder = strings.TrimSuffix(folder, "/")
	if folder == "" {
		return TableName(bucket)
	}
	return TableName(path.Base(folder))
}

// objectScan is what reading one object found.
type objectScan struct {
	schema      *gtype
	records     int64
	rejected    int64
	compression string
}

// scanObject reads one JSON-lines object and infers its record type.
func scanObject(ctx context.Context, api S3API, bucket, key string, log *slog.Logger) (objectScan, error) {
	out, err := api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return objectScan{}, fmt.Errorf("get s3://%s/%s: %w", bucket, key, err)
	}
	defer out.Body.Close()
	r, compression, err := Decompress(out.Body)
	if err != nil {
		return objectScan{}, fmt.Errorf("read s3://%s/%s: %w", bucket, key, err)
	}
	res := objectScan{schema: &gtype{kind: kindStruct}, compression: compression}
	err = EachLine(r, func(n int64, line []byte) error {
		t, err := recordType(line)
		if err != nil {
			res.rejected++
			if res.rejected <= 3 {
				log.Warn("malformed JSON record", "key", key, "line", n, "err", err)
			}
			return nil
		}
		res.records++
		res.schema = merge(res.schema, t)
		return nil
	})
	if err != nil {
		return objectScan{}, fmt.Errorf("read s3://%s/%s: %w", bucket, key, err)
	}
	return res, nil
}

// s3Crawl is one table a crawl of an S3 prefix found.
type s3Crawl struct {
	table    Table
	rejected int64
}

// crawlS3 infers the tables under s3://bucket/prefix: one per folder (see
// s3Folder), reading up to parallelism objects at once.
func crawlS3(ctx context.Context, api S3API, bucket, prefix string, parallelism int, log *slog.Logger) ([]s3Crawl, error) {
	objs, err := ListObjects(ctx, api, bucket, prefix)
	if err != nil {
		return nil, err
	}
	scans := make([]objectScan, len(objs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(parallelism)
	for i, o := range objs {
		g.Go(func() error {
			var err error
			scans[i], err = scanObject(gctx, api, bucket, o.Key, log)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}

	// Merge per folder, in key order, so the schema is the same every run.
	var (
		crawls  []s3Crawl
		index   = map[string]int{}
		schemas = map[string]*gtype{}
		depths  = map[string]map[int]bool{}
	)
	for i, o := range objs {
		folder := s3Folder(prefix, o.Key)
		j, ok := index[folder]
		if !ok {
			j = len(crawls)
			index[folder] = j
			depths[folder] = map[int]bool{}
			crawls = append(crawls, s3Crawl{table: Table{
				Name:           s3TableName(bucket, folder),
				Location:       "s3://" + bucket + "/" + folder,
				Classification: ClassificationJSON,
				Compression:    "none",
			}})
		}
		c := &crawls[j]
		s := scans[i]
		c.rejected += s.rejected
		c.table.RecordCount += s.records
		c.table.ObjectCount++
		c.table.SizeBytes += o.Size
		if s.compression == "gzip" {
			c.table.Compression = "gzip"
		}
		schemas[folder] = merge(schemas[folder], s.schema)
		depths[folder][strings.Count(o.Key[len(folder):], "/")] = true
	}
	for folder, j := range index {
		crawls[j].table.Columns = columns(schemas[folder])
		d := depths[folder]
		if len(d) != 1 {
			log.Warn("objects at different folder depths: no partition keys", "location", crawls[j].table.Location)
			continue
		}
		for depth := range d {
			for p := range depth {
				crawls[j].table.PartitionKeys = append(crawls[j].table.PartitionKeys,
					Column{Name: fmt.Sprintf("partition_%d", p), Type: "string"})
			}
		}
	}
	return crawls, nil
}
