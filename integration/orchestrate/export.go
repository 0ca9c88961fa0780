package orchestrate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"time"

	"github.com/mldatalake/mldatalake/pipeline"
	"github.com/mldatalake/mldatalake/pipeline/verify"
)

// Where the published training data lives under OUT_DIR, what says which
// run published it, and where an earlier run's goes when a new run starts.
const (
	TrainingDir = "trainingdata"
	PublishFile = "_run.json"
	PreviousDir = "previous"
)

// Published says which run's training data OUT_DIR/trainingdata holds.
type Published struct {
	RunID     string            `json:"run_id"`
	Dataset   string            `json:"dataset"`
	Target    string            `json:"target"`
	Published time.Time         `json:"published"`
	Files     map[string]string `json:"files"` // output name → file, relative to trainingdata/
}

// errNoOutputs is returned by publish before the ETL has run.
var errNoOutputs = errors.New("no outputs to export: run etl first")

// publish downloads each output CSV that verify found into a folder of its
// own beside OUT_DIR/trainingdata, then swaps that folder in as
// OUT_DIR/trainingdata/<output>/<file>.csv with _run.json naming the run: a
// reader of trainingdata sees the earlier outputs or these, never a mix. It
// returns the published paths by output name.
func (r *Runner) publish(ctx context.Context, res *verify.Result) (map[string]string, error) {
	if res == nil || len(res.Keys) == 0 {
		return nil, errNoOutputs
	}
	out := r.Settings.OutDir
	staging := filepath.Join(out, "."+TrainingDir+"-"+r.run.RunID)
	if err := os.RemoveAll(staging); err != nil {
		return nil, err
	}
	c := pipeline.NewClients(r.Env.AWS).S3
	pub := Published{RunID: r.run.RunID, Dataset: r.run.Dataset, Target: r.run.Target, Published: time.Now().UTC(), Files: map[string]string{}}
	for name, key := range res.Keys {
		dir := filepath.Join(staging, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		if err := pipeline.Download(ctx, c, r.Settings.Names.Bucket, key, filepath.Join(dir, path.Base(key)), false); err != nil {
			return nil, errors.Join(err, os.RemoveAll(staging))
		}
		pub.Files[name] = filepath.Join(name, path.Base(key))
	}
	b, err := json.MarshalIndent(pub, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(staging, PublishFile), append(b, '\n'), 0o644); err != nil {
		return nil, errors.Join(err, os.RemoveAll(staging))
	}
	final := filepath.Join(out, TrainingDir)
	old := filepath.Join(out, "."+TrainingDir+"-replaced")
	if err := os.RemoveAll(old); err != nil {
		return nil, err
	}
	if err := os.Rename(final, old); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("replace %s: %w", final, err)
	}
	if err := os.Rename(staging, final); err != nil {
		return nil, fmt.Errorf("publish %s: %w", final, err)
	}
	if err := os.RemoveAll(old); err != nil {
		return nil, err
	}
	files := map[string]string{}
	for name, f := range pub.Files {
		files[name] = filepath.Join(final, f)
	}
	return files, nil
}

// unpublish moves OUT_DIR/trainingdata, an earlier run's outputs, to
// OUT_DIR/previous/trainingdata (replacing what was there), so that while
// this run has not passed verify nothing in trainingdata looks current.
// Leftovers of an interrupted publish are removed.
func unpublish(out string) error {
	matches, err := filepath.Glob(filepath.Join(out, "."+TrainingDir+"-*"))
	if err != nil {
		return err
	}
	for _, m := range matches {
		if err := os.RemoveAll(m); err != nil {
			return err
		}
	}
	final := filepath.Join(out, TrainingDir)
	if _, err := os.Stat(final); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	prev := filepath.Join(out, PreviousDir, TrainingDir)
	if err := os.RemoveAll(prev); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(prev), 0o755); err != nil {
		return err
	}
	if err := os.Rename(final, prev); err != nil {
		return fmt.Errorf("move the earlier run's training data aside: %w", err)
	}
	return nil
}
