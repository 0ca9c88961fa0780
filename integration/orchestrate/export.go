package orchestrate

import (
	"context"
	"os"
	"path"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"

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
		if err := pipeline.Download(ctx, c, r.Settings.Names.Bucket, key, dst, false); err != nil {
			return files, err
		}
		files[name] = dst
	}
	return files, nil
}

// deletePrefix deletes every object under prefix; a missing bucket is nothing to delete.
func deletePrefix(ctx context.Context, cfg aws.Config, bucket, prefix string) error {
	_, err := pipeline.DeletePrefix(ctx, pipeline.NewClients(cfg).S3, bucket, prefix)
	return err
}
