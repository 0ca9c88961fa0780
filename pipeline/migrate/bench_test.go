package migrate_test

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/mldatalake/mldatalake/emulation"
	"github.com/mldatalake/mldatalake/emulation/fault"
	"github.com/mldatalake/mldatalake/pipeline/migrate"
)

// Workshop scale: 100,000 ratings of about 700 users over 9,000 movies,
// and the movies and links.
const (
	benchRatings = 100_000
	benchMovies  = 9_000
)

func (e *env) workshopScale(b *testing.B) {
	genres := []string{"Action", "Adventure", "Animation", "Children", "Comedy", "Crime", "Drama", "Fantasy", "Horror", "Romance"}
	movies := make([][]any, benchMovies)
	links := make([][]any, benchMovies)
	for i := range benchMovies {
		id := i + 1
		movies[i] = []any{id, fmt.Sprintf("Movie %d, \"The\" (%d)", id, 1950+i%70), genres[i%len(genres)] + "|" + genres[(i/10)%len(genres)]}
		var tmdb any = fmt.Sprint(id * 3)
		if i%50 == 0 {
			tmdb = nil
		}
		links[i] = []any{id, fmt.Sprintf("%07d", id*11), tmdb}
	}
	ratings := make([][]any, benchRatings)
	for i := range benchRatings {
		// 143 ratings per user; 7919 is prime to 9000, so a user never
		// rates a movie twice.
		ratings[i] = []any{i/143 + 1, (i*7919)%benchMovies + 1, fmt.Sprintf("%d.%d", i%5, i%2*5), 1_000_000_000 + i}
	}
	e.insert(b, "movies", movies)
	e.insert(b, "links", links)
	e.insert(b, "ratings", ratings)
}

// BenchmarkWorkshopLoad runs the whole load (tables dropped and created,
// rows streamed, written and validated) of the workshop-scale dataset from
// each source into each target, and reports the items written per second.
// The target inprocess is the embedded emulator reached without a socket,
// as the embedded default does; embedded-partial5 is the embedded emulator
// leaving 5% of the batches' items unprocessed
// (EMULATOR_FAULTS=partial=0.05).
func BenchmarkWorkshopLoad(b *testing.B) {
	partial := target{name: "embedded-partial5", embedded: true, start: func(t testing.TB, _ ...emulation.Option) aws.Config {
		return emulation.NewTestServer(t, emulation.WithFaults(fault.Config{Rates: map[fault.Kind]float64{fault.Partial: 0.05}, Seed: 1})).Config()
	}}
	for _, src := range sources(b) {
		e := createEnv(b, src, src.name != "embedded-mysql")
		e.workshopScale(b)
		for _, tgt := range append(targets(), inProcess, partial) {
			b.Run(src.name+"/"+tgt.name, func(b *testing.B) {
				cfg := tgt.start(b)
				opts := e.options(migrate.DropAndCreate)
				var items int64
				for b.Loop() {
					rep, err := migrate.Run(b.Context(), cfg, e.dsn, opts)
					if err != nil {
						b.Fatal(err)
					}
					if want := int64(benchRatings + 2*benchMovies); rep.Written != want {
						b.Fatalf("wrote %d items, want %d", rep.Written, want)
					}
					items += rep.Written
				}
				b.ReportMetric(float64(items)/b.Elapsed().Seconds(), "items/s")
			})
		}
	}
}
