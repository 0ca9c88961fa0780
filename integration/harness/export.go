package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/mldatalake/mldatalake/pipeline"
	"github.com/mldatalake/mldatalake/pipeline/verify"
)

// Export downloads each output CSV that verify found to
// OUT_DIR/trainingdata/<output>/<file>.csv, replacing what an earlier run
// left there, and returns the paths by output name.
func (r *Runner) Export(ctx context.Context, res *verify.Result) (map[string]string, error) {
	if res == nil || len(res.Keys) == 0 {
		return nil, errNoOutputs
	}
	c := pipeline.NewClients(r.Env.AWS).S3
	files := map[string]string{}
	for name, key := range res.Keys {
		dir := filepath.Join(r.Settings.OutDir, "trainingdata", name)
		if err := os.RemoveAll(dir); err != nil {
			return files, err
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return files, err
		}
		dst := filepath.Join(dir, path.Base(key))
		if err := download(ctx, c, r.Settings.Names.Bucket, key, dst); err != nil {
			return files, err
		}
		files[name] = dst
	}
	return files, nil
}

func download(ctx context.Context, c *s3.Client, bucket, key, dst string) error {
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return fmt.Errorf("download s3://%s/%s: %w", bucket, key, err)
	}
	defer out.Body.Close()
	f, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, out.Body); err != nil {
		f.Close()
		return fmt.Errorf("download s3://%s/%s: %w", bucket, key, err)
	}
	return f.Close()
}

// deletePrefix deletes every object under prefix; a missing bucket is nothing to delete.
func deletePrefix(ctx context.Context, cfg aws.Config, bucket, prefix string) error {
	c := pipeline.NewClients(cfg).S3
	var ids []types.ObjectIdentifier
	err := pipeline.EachObject(ctx, c, bucket, prefix, func(o types.Object) error {
		ids = append(ids, types.ObjectIdentifier{Key: o.Key})
		return nil
	})
	var nb *types.NoSuchBucket
	if errors.As(err, &nb) {
		return nil
	}
	if err != nil {
		return err
	}
	// DeleteObjects takes at most 1,000 keys.
	for chunk := range slices.Chunk(ids, 1000) {
		if _, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &types.Delete{Objects: chunk, Quiet: aws.Bool(true)}}); err != nil {
			return fmt.Errorf("delete under s3://%s/%s: %w", bucket, prefix, err)
		}
	}
	return nil
}
