package train_test

import (
	"strconv"
	"testing"

	"github.com/mldatalake/mldatalake/emulation"
	"github.com/mldatalake/mldatalake/fixtures/generate"
	"github.com/mldatalake/mldatalake/pipeline/train"
)

// BenchmarkTrain times the whole stage (read rating_new from S3, split,
// fit, write both channels to S3 and disk) on generated data, with the
// biases alone and with 16 factors.
func BenchmarkTrain(b *testing.B) {
	for _, s := range []generate.Scale{generate.Workshop, generate.ML1M} {
		body := ratingNew(b, s)
		for _, factors := range []int{0, train.DefaultMF.Factors} {
			b.Run(s.Name+"/factors="+strconv.Itoa(factors), func(b *testing.B) {
				srv := emulation.NewTestServer(b)
				putRatingNew(b, srv, body)
				mf := train.DefaultMF
				mf.Factors = factors
				var fit float64
				for b.Loop() {
					rep, err := train.Run(b.Context(), srv.Config(), train.Options{MF: mf, LocalDir: b.TempDir()})
					if err != nil {
						b.Fatal(err)
					}
					fit += rep.Metrics[train.MetricFitSeconds]
				}
				b.ReportMetric(fit/float64(b.N), "fit-s/op")
				b.ReportMetric(float64(s.Ratings)*float64(b.N)/b.Elapsed().Seconds(), "ratings/s")
			})
		}
	}
}
