package train

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"

	"github.com/mldatalake/mldatalake/pipeline"
)

// Where the SageMaker channels go in the bucket, and the file of each: a
// training job's "train" and "validation" channels point at the folders.
const (
	Prefix         = pipeline.TrainingPrefix + "sagemaker/"
	TrainDir       = "train"
	ValidationDir  = "validation"
	TrainFile      = TrainDir + "/train.csv"
	ValidationFile = ValidationDir + "/validation.csv"
)

// Columns of the SageMaker CSVs, label first; the files have no header.
var Columns = []string{"rating", "userid", "movieid", "timestamp"}

// HoldoutFraction is the newest share of the ratings kept for validation.
const HoldoutFraction = 0.1

// Metric names in the stage report's Metrics.
const (
	MetricRMSE         = "rmse"          // the model's RMSE on the holdout
	MetricBaselineRMSE = "baseline_rmse" // the global mean's
	MetricBiasRMSE     = "bias_rmse"     // the biases alone (equal to rmse without factors)
	MetricGlobalMean   = "global_mean"   // of the training ratings
	MetricFactors      = "factors"       // 0: biases alone
	MetricHoldoutFrom  = "holdout_from"  // Unix time of the oldest held-out rating
	MetricColdShare    = "cold_share"    // share of held-out ratings by users the training set lacks
	MetricFitSeconds   = "fit_seconds"   // fitting and evaluating, without I/O
)

// Mode says what Run does with objects already under Prefix.
type Mode int

const (
	// Overwrite replaces them (the default).
	Overwrite Mode = iota
	// ErrorIfExists fails before reading anything when Prefix holds objects.
	ErrorIfExists
)

// Options configure Run.
type Options struct {
	Names pipeline.Names
	// LocalDir, when set, receives a copy of the two files
	// (LocalDir/train/train.csv, LocalDir/validation/validation.csv); what
	// it held before is removed.
	LocalDir string
	// MF adds matrix factorisation when MF.Factors > 0. Its Seed is the
	// only randomness: the split and the biases have none.
	MF     MF
	Mode   Mode
	Logger *slog.Logger
}

// Run reads rating_new (the one CSV under ml/trainingdata/rating_new/, with
// columns userid, movieid, rating and timestamp_c), splits off the newest
// HoldoutFraction by time, fits the model on the rest and measures it and
// the global mean on the holdout. It writes both parts under Prefix as
// TrainFile and ValidationFile (Columns, label first, no header, oldest
// first) and, when set, under Options.LocalDir.
//
// The report's Read counts rating_new's rows, Written the rows of both
// files, Tables has "train" and "validation", and Metrics the figures named
// by the Metric constants.
func Run(ctx context.Context, cfg aws.Config, opts Options) (rep pipeline.Report, err error) {
	start := time.Now()
	rep = pipeline.Report{Stage: "train", Tables: map[string]pipeline.TableCounts{}, Metrics: map[string]float64{}}
	names := opts.Names.WithDefaults()
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("stage", "train")
	cfg, retries := pipeline.CountRetries(cfg)
	defer func() {
		rep.Retried = retries.Load()
		rep.Duration = time.Since(start)
	}()
	c := pipeline.NewClients(cfg).S3
	if opts.Mode == ErrorIfExists {
		keys, err := pipeline.ListKeys(ctx, c, names.Bucket, Prefix)
		if err != nil {
			return rep, err
		}
		if len(keys) > 0 {
			return rep, fmt.Errorf("s3://%s/%s already exists (mode ErrorIfExists)", names.Bucket, Prefix)
		}
	}

	key, err := findRatings(ctx, c, names.Bucket)
	if err != nil {
		return rep, err
	}
	var ratings []Rating
	err = pipeline.ReadObject(ctx, c, names.Bucket, key, func(r io.Reader, _ string) error {
		var err error
		ratings, err = ReadRatings(r)
		return err
	})
	if err != nil {
		return rep, err
	}
	rep.Read = int64(len(ratings))
	log.Info("read", "key", key, "rows", len(ratings))

	t0 := time.Now()
	m := Fit(ratings, opts.MF)
	for k, v := range m.metrics() {
		rep.Metrics[k] = v
	}
	rep.Metrics[MetricFitSeconds] = time.Since(t0).Seconds()
	log.Info("fitted", "rmse", m.RMSE, "baseline_rmse", m.BaselineRMSE, "factors", opts.MF.Factors, "duration", time.Since(t0))

	dir := opts.LocalDir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "train-"); err != nil {
			return rep, fmt.Errorf("make work folder: %w", err)
		}
		defer os.RemoveAll(dir)
	} else if err := os.RemoveAll(dir); err != nil {
		return rep, fmt.Errorf("clear %s: %w", dir, err)
	}
	for _, part := range []struct {
		file    string
		ratings []Rating
	}{{TrainFile, m.Train}, {ValidationFile, m.Validation}} {
		local := filepath.Join(dir, filepath.FromSlash(part.file))
		if err := WriteCSV(local, part.ratings); err != nil {
			return rep, err
		}
		rep.Tables[path.Dir(part.file)] = pipeline.TableCounts{Read: int64(len(part.ratings)), Written: int64(len(part.ratings))}
		rep.Written += int64(len(part.ratings))
	}
	if opts.Mode == Overwrite {
		if _, err := pipeline.DeletePrefix(ctx, c, names.Bucket, Prefix); err != nil {
			return rep, err
		}
	}
	up := manager.NewUploader(c)
	for _, file := range []string{TrainFile, ValidationFile} {
		if _, err := pipeline.UploadFile(ctx, up, filepath.Join(dir, filepath.FromSlash(file)), names.Bucket, Prefix+file); err != nil {
			return rep, err
		}
	}
	log.Info("written", "prefix", "s3://"+names.Bucket+"/"+Prefix, "train", len(m.Train), "validation", len(m.Validation))
	return rep, nil
}

// Fitted is a model fitted on the training part of some ratings and
// measured on the rest.
type Fitted struct {
	*Model
	Train, Validation []Rating
	// RMSE is the model's on Validation, BiasRMSE that of the biases alone
	// and BaselineRMSE the global mean's.
	RMSE, BiasRMSE, BaselineRMSE float64
	Factors                      int
	// ColdShare is the share of Validation rated by users Train lacks.
	ColdShare float64
}

// Fit splits ratings by time (reordering them), fits the biases and, when
// mf.Factors > 0, the factors on the older part, and measures on the newest
// HoldoutFraction.
func Fit(ratings []Rating, mf MF) *Fitted {
	train, val := Split(ratings, HoldoutFraction)
	f := &Fitted{Train: train, Validation: val, Factors: max(mf.Factors, 0)}
	f.Model = FitBiases(train)
	f.BaselineRMSE = rmse(val, func(int32, int32) float64 { return f.Mean })
	f.BiasRMSE = f.Model.RMSE(val)
	f.RMSE = f.BiasRMSE
	if mf.Factors > 0 {
		f.Model = FitMF(train, f.Model, mf)
		f.RMSE = f.Model.RMSE(val)
	}
	cold := 0
	for _, r := range val {
		if _, ok := f.UserBias[r.User]; !ok {
			cold++
		}
	}
	if len(val) > 0 {
		f.ColdShare = float64(cold) / float64(len(val))
	}
	return f
}

func (f *Fitted) metrics() map[string]float64 {
	m := map[string]float64{
		MetricRMSE: f.RMSE, MetricBaselineRMSE: f.BaselineRMSE, MetricBiasRMSE: f.BiasRMSE,
		MetricGlobalMean: f.Mean, MetricFactors: float64(f.Factors), MetricColdShare: f.ColdShare,
	}
	if len(f.Validation) > 0 {
		m[MetricHoldoutFrom] = float64(f.Validation[0].Time)
	}
	return m
}

// findRatings finds the one CSV of rating_new.
func findRatings(ctx context.Context, api pipeline.S3API, bucket string) (string, error) {
	prefix := pipeline.TrainingPrefix + pipeline.RatingNew + "/"
	objs, err := pipeline.ListObjects(ctx, api, bucket, prefix)
	if err != nil {
		return "", err
	}
	var keys []string
	for _, o := range objs {
		if strings.HasSuffix(o.Key, ".csv") {
			keys = append(keys, o.Key)
		}
	}
	if len(keys) != 1 {
		return "", fmt.Errorf("s3://%s/%s holds %d CSV files %v, want one: run etl and verify first", bucket, prefix, len(keys), keys)
	}
	return keys[0], nil
}

// ReadRatings reads rating_new's CSV: a header naming userid, movieid,
// rating and timestamp_c (in any order, other columns ignored), then one
// rating a row. A value that does not parse is an error naming its row and
// column.
func ReadRatings(r io.Reader) ([]Rating, error) {
	cr := csv.NewReader(bufio.NewReaderSize(r, 1<<20))
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	idx := map[string]int{}
	for _, want := range []string{"userid", "movieid", "rating", "timestamp_c"} {
		i := slices.Index(header, want)
		if i < 0 {
			return nil, fmt.Errorf("header %q has no column %s", strings.Join(header, ","), want)
		}
		idx[want] = i
	}
	var out []Rating
	for row := 2; ; row++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		field := func(col string) (string, error) {
			if idx[col] >= len(rec) {
				return "", fmt.Errorf("row %d: %d fields, no column %s", row, len(rec), col)
			}
			return rec[idx[col]], nil
		}
		var (
			r    Rating
			errs []error
		)
		parseID := func(col string, dst *int32) {
			s, err := field(col)
			if err == nil {
				var n int64
				if n, err = strconv.ParseInt(s, 10, 32); err == nil {
					*dst = int32(n)
					return
				}
				err = fmt.Errorf("row %d column %s: %q is not an integer", row, col, s)
			}
			errs = append(errs, err)
		}
		parseID("userid", &r.User)
		parseID("movieid", &r.Item)
		if s, err := field("rating"); err != nil {
			errs = append(errs, err)
		} else if v, err := strconv.ParseFloat(s, 32); err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			errs = append(errs, fmt.Errorf("row %d column rating: %q is not a number", row, s))
		} else {
			r.Value = float32(v)
		}
		if s, err := field("timestamp_c"); err != nil {
			errs = append(errs, err)
		} else if r.Time, err = strconv.ParseInt(s, 10, 64); err != nil {
			errs = append(errs, fmt.Errorf("row %d column timestamp_c: %q is not a Unix time", row, s))
		}
		if len(errs) > 0 {
			return nil, errs[0]
		}
		out = append(out, r)
	}
}

// WriteCSV writes ratings to path (making its folder) in SageMaker's
// layout: Columns, label first, no header.
func WriteCSV(path string, ratings []Rating) (err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("write %s: %w", path, cerr)
		}
	}()
	w := bufio.NewWriterSize(f, 1<<20)
	var line []byte
	for _, r := range ratings {
		line = strconv.AppendFloat(line[:0], float64(r.Value), 'f', -1, 32)
		line = append(line, ',')
		line = strconv.AppendInt(line, int64(r.User), 10)
		line = append(line, ',')
		line = strconv.AppendInt(line, int64(r.Item), 10)
		line = append(line, ',')
		line = strconv.AppendInt(line, r.Time, 10)
		line = append(line, '\n')
		if _, err := w.Write(line); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
