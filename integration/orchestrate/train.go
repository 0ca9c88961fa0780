package orchestrate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/mldatalake/mldatalake/pipeline"
	"github.com/mldatalake/mldatalake/pipeline/train"
)

// SageMakerDir is where the train stage's files go under OUT_DIR.
const SageMakerDir = "sagemaker"

// TrainSummary is the train stage's model in report.json ("train").
type TrainSummary struct {
	// RMSE is the model's on the holdout (the newest tenth of rating_new),
	// BaselineRMSE the global mean's, BiasRMSE the biases' alone.
	RMSE         float64 `json:"rmse"`
	BaselineRMSE float64 `json:"baseline_rmse"`
	BiasRMSE     float64 `json:"bias_rmse"`
	GlobalMean   float64 `json:"global_mean"`
	Factors      int     `json:"factors"`
	// Train and Validation count the two channels' rows.
	Train      int64 `json:"train_rows"`
	Validation int64 `json:"validation_rows"`
	// HoldoutFrom is when the held-out ratings begin; ColdShare is the
	// share of them by users the training part lacks.
	HoldoutFrom time.Time `json:"holdout_from"`
	ColdShare   float64   `json:"cold_share"`
	// Files are the channels' local copies, relative to OUT_DIR; Prefix is
	// where they are in the bucket.
	Files  map[string]string `json:"files"`
	Prefix string            `json:"prefix"`
}

// trainSummary reads a train stage report's figures.
func trainSummary(rep pipeline.Report) *TrainSummary {
	m := rep.Metrics
	t := &TrainSummary{RMSE: m[train.MetricRMSE], BaselineRMSE: m[train.MetricBaselineRMSE], BiasRMSE: m[train.MetricBiasRMSE],
		GlobalMean: m[train.MetricGlobalMean], Factors: int(m[train.MetricFactors]), ColdShare: m[train.MetricColdShare],
		Train: rep.Tables[train.TrainDir].Written, Validation: rep.Tables[train.ValidationDir].Written,
		Prefix: train.Prefix,
		Files: map[string]string{
			train.TrainDir:      SageMakerDir + "/" + train.TrainFile,
			train.ValidationDir: SageMakerDir + "/" + train.ValidationFile,
		}}
	if v, ok := m[train.MetricHoldoutFrom]; ok {
		t.HoldoutFrom = time.Unix(int64(v), 0).UTC()
	}
	return t
}

// Train fits the baseline recommender on this run's rating_new, once verify
// has passed and published it, and writes the SageMaker channels to S3 and
// OUT_DIR/sagemaker (with _run.json naming the run).
func (r *Runner) Train(ctx context.Context) (pipeline.Report, error) {
	if err := r.begin("train"); err != nil {
		return pipeline.Report{Stage: "train"}, err
	}
	s := r.Settings
	pub, err := readPublished(s.OutDir)
	if err != nil {
		return pipeline.Report{Stage: "train"}, err
	}
	if pub == nil || pub.RunID != r.run.RunID {
		return pipeline.Report{Stage: "train"}, fmt.Errorf("run verify first: it has not passed in run %s (%s names no training data of this run)",
			r.run.RunID, filepath.Join(s.OutDir, TrainingDir, PublishFile))
	}
	mode := train.Overwrite
	if err := s.CheckDestroy(r.Env.Target, "replacing the SageMaker channels"); err != nil {
		mode = train.ErrorIfExists
	}
	mf := train.DefaultMF
	mf.Factors, mf.Seed = s.TrainFactors, s.TrainSeed
	dir := filepath.Join(s.OutDir, SageMakerDir)
	rep, err := train.Run(ctx, r.Env.AWS, train.Options{Names: s.Names, LocalDir: dir, MF: mf, Mode: mode, Logger: r.StageLog})
	if err != nil {
		return rep, err
	}
	b, err := json.MarshalIndent(map[string]string{"run_id": r.run.RunID, "dataset": r.run.Dataset, "target": r.run.Target}, "", "  ")
	if err != nil {
		return rep, err
	}
	if err := os.WriteFile(filepath.Join(dir, PublishFile), append(b, '\n'), 0o644); err != nil {
		return rep, fmt.Errorf("write %s: %w", filepath.Join(dir, PublishFile), err)
	}
	return rep, r.save(rep)
}

// readPublished reads OUT_DIR/trainingdata/_run.json; none is (nil, nil).
func readPublished(outDir string) (*Published, error) {
	path := filepath.Join(outDir, TrainingDir, PublishFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	var p Published
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &p, nil
}

// writeTrainSummary prints the model's line of the summary.
func (r *Report) writeTrainSummary(w io.Writer) {
	t := r.Train
	if t == nil {
		return
	}
	model := "global mean + user and item biases"
	if t.Factors > 0 {
		model += fmt.Sprintf(" + %d factors", t.Factors)
	}
	fmt.Fprintf(w, "train: RMSE %.4f (%s) against %.4f (global mean) on the newest %s ratings; SageMaker channels in OUT_DIR/%s/\n",
		t.RMSE, model, t.BaselineRMSE, thousands(t.Validation), SageMakerDir)
}
