package orchestrate

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/mldatalake/mldatalake/fixtures/generate"
	"github.com/mldatalake/mldatalake/fixtures/movielens"
)

// Dataset is the prepared dataset a run works from.
type Dataset struct {
	// Name says where it came from: "generated workshop (seed 1)" or the directory.
	Name string
	// Source is the MovieLens-format directory it was prepared from.
	Source string
	// Prepared is the validated, split dataset (see movielens.Prepare).
	Prepared *movielens.Prepared
}

// preparedDir is where the prepared dataset lives under OUT_DIR: the stage
// targets find it there between invocations.
func (s Settings) preparedDir() string { return filepath.Join(s.OutDir, "dataset") }

// PrepareDataset generates the dataset (or takes MOVIELENS_DIR), validates
// and splits it into OUT_DIR/dataset, with the rejected rows in
// OUT_DIR/rejects/source.csv. On error the Dataset, when not nil, holds
// what preparing counted.
func (r *Runner) PrepareDataset(ctx context.Context) (*Dataset, error) {
	s := r.Settings
	ds := &Dataset{Source: s.MovieLensDir}
	if s.MovieLensDir != "" {
		ds.Name = s.MovieLensDir
	} else {
		scale, err := generate.ScaleNamed(s.Scale)
		if err != nil {
			return nil, err
		}
		ds.Name = fmt.Sprintf("generated %s (seed %d)", scale.Name, s.Seed)
		ds.Source = filepath.Join(s.OutDir, "cache", fmt.Sprintf("%s-seed%d", scale.Name, s.Seed))
		if _, err := os.Stat(filepath.Join(ds.Source, ".complete")); err != nil {
			r.Log.Info("generating dataset", "scale", scale.Name, "seed", s.Seed, "dir", ds.Source)
			if err := os.RemoveAll(ds.Source); err != nil {
				return nil, err
			}
			if _, err := generate.Generate(ctx, ds.Source, scale, generate.WithSeed(s.Seed), generate.WithLogger(r.StageLog)); err != nil {
				return nil, fmt.Errorf("generate %s dataset: %w", scale.Name, err)
			}
			if err := os.WriteFile(filepath.Join(ds.Source, ".complete"), nil, 0o644); err != nil {
				return nil, err
			}
		}
	}
	rejects := filepath.Join(s.OutDir, "rejects", "source.csv")
	if err := os.MkdirAll(filepath.Dir(rejects), 0o755); err != nil {
		return nil, err
	}
	if err := os.RemoveAll(s.preparedDir()); err != nil {
		return nil, err
	}
	p, err := movielens.Prepare(ctx, ds.Source, s.preparedDir(),
		movielens.WithThreshold(s.MaxRejects), movielens.WithRejectsPath(rejects), movielens.WithLogger(r.StageLog))
	ds.Prepared = p // its counts, even when it failed
	return ds, err  // movielens names the source directory
}
