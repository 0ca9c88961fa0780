package stage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/mldatalake/mldatalake/pipeline"
)

// Files maps each file of a prepared dataset directory to its key in the bucket.
var Files = []struct{ Name, Key string }{
	{"movies.csv", "data/movies/movies.csv"},
	{"ratings.csv", "data/ratings/ratings.csv"},
	{"links.csv", "data/links/links.csv"},
	{"tags.csv", "data/tags/tags.csv"},
	{"ratings-partial-load.csv", PartialLoadKey},
}

// PartialLoadKey is where the new ratings to stream are staged.
const PartialLoadKey = "data/partial-load/ratings-partial-load.csv"

// Options configure Run.
type Options struct {
	Names pipeline.Names
	// PartSize is the multipart part size; the default is 16 MiB. Files
	// larger than one part are uploaded in parts.
	PartSize int64
	Logger   *slog.Logger
}

// Run uploads every file of dir. A missing file is an error naming it;
// nothing is uploaded then.
func Run(ctx context.Context, cfg aws.Config, dir string, opts Options) (pipeline.Report, error) {
	start := time.Now()
	names := opts.Names.WithDefaults()
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rep := pipeline.Report{Stage: "stage", Tables: map[string]pipeline.TableCounts{}}
	for _, f := range Files {
		if _, err := os.Stat(filepath.Join(dir, f.Name)); err != nil {
			return rep, fmt.Errorf("stage: dataset file %s: %w", filepath.Join(dir, f.Name), err)
		}
	}
	c := pipeline.NewClients(cfg)
	if err := EnsureBucket(ctx, c.S3, names.Bucket, cfg.Region); err != nil {
		return rep, err
	}
	partSize := opts.PartSize
	if partSize == 0 {
		partSize = 16 << 20
	}
	up := manager.NewUploader(c.S3, func(u *manager.Uploader) { u.PartSize = partSize })
	for _, f := range Files {
		path := filepath.Join(dir, f.Name)
		n, err := pipeline.UploadFile(ctx, up, path, names.Bucket, f.Key)
		if err != nil {
			return rep, fmt.Errorf("stage: %w", err)
		}
		rep.Read++
		rep.Written++
		rep.Tables[f.Key] = pipeline.TableCounts{Read: n, Written: n}
		log.Info("staged", "stage", "stage", "key", f.Key, "bytes", n)
	}
	rep.Duration = time.Since(start)
	return rep, nil
}

// EnsureBucket creates bucket unless it exists and is ours.
func EnsureBucket(ctx context.Context, c *s3.Client, bucket, region string) error {
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)}); err == nil {
		return nil
	}
	in := &s3.CreateBucketInput{Bucket: aws.String(bucket)}
	if region != "" && region != "us-east-1" {
		in.CreateBucketConfiguration = &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraint(region)}
	}
	_, err := c.CreateBucket(ctx, in)
	var owned *types.BucketAlreadyOwnedByYou
	if err != nil && !errors.As(err, &owned) {
		return fmt.Errorf("create bucket %s: %w", bucket, err)
	}
	return nil
}
