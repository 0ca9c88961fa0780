package catalog

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/mldatalake/mldatalake/pipeline"
	"github.com/mldatalake/mldatalake/pipeline/datacatalog"
)

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

// s3TableName names the table of folder in bucket: its last segment, or the
// bucket for the bucket's root.
func s3TableName(bucket, folder string) string {
	folder = strings.TrimSuffix(folder, "/")
	if folder == "" {
		return datacatalog.TableName(bucket)
	}
	return datacatalog.TableName(path.Base(folder))
}

// objectScan is what reading one object found.
type objectScan struct {
	schema      *gtype
	records     int64
	rejected    int64
	compression string
}

// scanObject reads one JSON-lines object and infers its record type.
func scanObject(ctx context.Context, api pipeline.S3API, bucket, key string, log *slog.Logger) (objectScan, error) {
	res := objectScan{schema: &gtype{kind: kindStruct}}
	err := pipeline.ReadObject(ctx, api, bucket, key, func(r io.Reader, compression string) error {
		res.compression = compression
		return pipeline.EachLine(r, func(n int64, line []byte) error {
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
	})
	return res, err
}

// s3Crawl is one table a crawl of an S3 prefix found.
type s3Crawl struct {
	table    datacatalog.Table
	rejected int64
}

// crawlS3 infers the tables under s3://bucket/prefix: one per folder (see
// s3Folder), reading up to parallelism objects at once.
func crawlS3(ctx context.Context, api pipeline.S3API, bucket, prefix string, parallelism int, log *slog.Logger) ([]s3Crawl, error) {
	objs, err := pipeline.ListObjects(ctx, api, bucket, prefix)
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
			crawls = append(crawls, s3Crawl{table: datacatalog.Table{
				Name:           s3TableName(bucket, folder),
				Location:       "s3://" + bucket + "/" + folder,
				Classification: datacatalog.ClassificationJSON,
				Compression:    pipeline.CompressionNone,
			}})
		}
		c := &crawls[j]
		s := scans[i]
		c.rejected += s.rejected
		c.table.RecordCount += s.records
		c.table.ObjectCount++
		c.table.SizeBytes += o.Size
		if s.compression == pipeline.CompressionGzip {
			c.table.Compression = pipeline.CompressionGzip
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
					datacatalog.Column{Name: fmt.Sprintf("partition_%d", p), Type: "string"})
			}
		}
	}
	return crawls, nil
}
