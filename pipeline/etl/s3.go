package etl

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"

	"github.com/mldatalake/mldatalake/pipeline"
	"github.com/mldatalake/mldatalake/pipeline/datacatalog"
)

// downloadStream downloads every object of the stream tables to
// dir/stream/NNNNNN.json, gunzipping gzipped ones, parallelism at a time.
func downloadStream(ctx context.Context, api pipeline.S3API, tables []datacatalog.Table, dir string, parallelism int) ([]stagedFile, error) {
	var files []stagedFile
	type object struct{ bucket, key string }
	var objs []object
	for _, t := range tables {
		bucket, prefix, err := pipeline.ParseS3URI(t.Location)
		if err != nil {
			return nil, fmt.Errorf("catalog table %s: %w", t.Name, err)
		}
		list, err := pipeline.ListObjects(ctx, api, bucket, prefix)
		if err != nil {
			return nil, err
		}
		for _, o := range list {
			objs = append(objs, object{bucket, o.Key})
		}
	}
	if len(objs) == 0 {
		return nil, nil
	}
	sdir := filepath.Join(dir, "stream")
	if err := os.MkdirAll(sdir, 0o755); err != nil {
		return nil, fmt.Errorf("make stream folder: %w", err)
	}
	files = make([]stagedFile, len(objs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(parallelism)
	for i, o := range objs {
		files[i] = stagedFile{
			Path: filepath.Join(sdir, fmt.Sprintf("%06d.json", i)),
			URI:  "s3://" + o.bucket + "/" + o.key,
		}
		g.Go(func() error { return pipeline.Download(gctx, api, o.bucket, o.key, files[i].Path, true) })
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return files, nil
}

// s3API is the part of the S3 client the job writes with.
type s3API interface {
	manager.UploadAPIClient
	s3.ListObjectsV2APIClient
	pipeline.S3DeleteKeysAPI
}

func localFile(dir, name string) string { return filepath.Join(dir, name) }

// SuccessMarker is the empty object written after an output's part, as
// Hadoop's output committer does.
const SuccessMarker = "_SUCCESS"

// publish replaces what is under prefix with the CSV at file, as Spark's
// overwrite with coalesce(1) leaves it: part-00000-<uuid>-c000.csv and an
// empty _SUCCESS. The old _SUCCESS goes first and the new one comes last, so
// a reader that waits for _SUCCESS never sees a mix of old and new parts.
// It returns the part's key.
func publish(ctx context.Context, api s3API, bucket, prefix, file string) (string, error) {
	old, err := pipeline.ListKeys(ctx, api, bucket, prefix)
	if err != nil {
		return "", err
	}
	success := prefix + SuccessMarker
	if err := pipeline.DeleteKeys(ctx, api, bucket, []string{success}); err != nil {
		return "", err
	}
	key := prefix + "part-00000-" + uuid.NewString() + "-c000.csv"
	if _, err := pipeline.UploadFile(ctx, manager.NewUploader(api), file, bucket, key); err != nil {
		return "", err
	}
	var stale []string
	for _, k := range old {
		if k != key && k != success {
			stale = append(stale, k)
		}
	}
	if err := pipeline.DeleteKeys(ctx, api, bucket, stale); err != nil {
		return "", err
	}
	if _, err := api.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(success), Body: bytes.NewReader(nil)}); err != nil {
		return "", fmt.Errorf("put s3://%s/%s: %w", bucket, success, err)
	}
	return key, nil
}

// publishRejects replaces the rejects under RejectsPrefix with file, or
// removes them when there are no rejects this run.
func publishRejects(ctx context.Context, api s3API, bucket string, have bool, file string) (string, error) {
	if have {
		return publish(ctx, api, bucket, RejectsPrefix, file)
	}
	old, err := pipeline.ListKeys(ctx, api, bucket, RejectsPrefix)
	if err != nil {
		return "", err
	}
	return "", pipeline.DeleteKeys(ctx, api, bucket, old)
}
