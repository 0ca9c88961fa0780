//go:build unix

package migrate_test

import (
	"context"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mldatalake/mldatalake/emulation"
	"github.com/mldatalake/mldatalake/pipeline/migrate"
)

// cpuTime is the process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// ratingItems are the items the workshop mapping makes of ratings from..to-1
// (about 145 per user): Id "userXmovie", movieId, userId, rating and
// timestamp_c, all strings.
func ratingItems(from, to int) []map[string]types.AttributeValue {
	items := make([]map[string]types.AttributeValue, 0, to-from)
	for i := from; i < to; i++ {
		user := i/145 + 1
		movie := (i%145)*877 + user%877 + 1
		u, m := strconv.Itoa(user), strconv.Itoa(movie)
		items = append(items, map[string]types.AttributeValue{
			"Id":          &types.AttributeValueMemberS{Value: u + "X" + m},
			"userId":      &types.AttributeValueMemberS{Value: u},
			"movieId":     &types.AttributeValueMemberS{Value: m},
			"rating":      &types.AttributeValueMemberS{Value: strconv.Itoa(i%5) + "." + strconv.Itoa(i%2*5)},
			"timestamp_c": &types.AttributeValueMemberS{Value: strconv.Itoa(789652009 + i*37%638000000)},
		})
	}
	return items
}

// inProcess is the embedded emulator reached without a socket
// (emulation.Server.InProcessConfig), as the embedded default does.
var inProcess = target{name: "inprocess", embedded: true, start: func(t testing.TB, opts ...emulation.Option) aws.Config {
	return emulation.NewTestServer(t, opts...).InProcessConfig()
}}

// BenchmarkBatchWriteVsDynalite is the load's write path alone, with the
// pipeline's access pattern: rating items as the workshop mapping builds
// them, in batches of 25 from a channel, DefaultWorkers BatchWriteItem
// calls in flight through the pipeline's DynamoDB client. Each iteration
// writes 20,000 new items to the embedded emulator over HTTP ("embedded"),
// to it in process ("inprocess") and, when DYNALITE_ENDPOINT is set, to
// dynalite, in turns, so that all see the same machine. It reports each
// target's items/s, the ratios to dynalite (x-dynalite over HTTP,
// inprocess-x-dynalite) and the process's CPU time per item written to the
// embedded emulator (client and server both in this process; steadier than
// wall time on a shared machine).
func BenchmarkBatchWriteVsDynalite(b *testing.B) {
	const perRound = 20_000
	ctx := context.Background()
	tgts := targets()
	tgts = append(tgts[:1], append([]target{inProcess}, tgts[1:]...)...)
	if len(tgts) == 2 {
		b.Log("DYNALITE_ENDPOINT is not set: measuring the embedded emulator alone (start dynalite with .ci/dynalite.sh)")
	}
	type side struct {
		name    string
		w       *migrate.Writer
		table   string
		elapsed time.Duration
		cpu     time.Duration
		items   int64
	}
	sides := make([]*side, len(tgts))
	for i, tg := range tgts {
		cfg := tg.start(b)
		w, err := migrate.NewWriter(cfg, 0)
		if err != nil {
			b.Fatal(err)
		}
		s := &side{name: tg.name, w: w, table: "bench_ratings_" + suffix()}
		if err := w.CreateTable(ctx, s.table); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() {
			ddbClient(cfg).DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(s.table)})
		})
		sides[i] = s
	}
	round := 0
	for b.Loop() {
		items := ratingItems(round*perRound, (round+1)*perRound)
		for k := range sides {
			s := sides[(k+round)%len(sides)] // take turns at going first
			start, c0 := time.Now(), cpuTime()
			counts, err := s.w.Write(ctx, s.table, items)
			s.elapsed += time.Since(start)
			s.cpu += cpuTime() - c0
			if err != nil {
				b.Fatalf("%s: %v", s.name, err)
			}
			if counts.Written != perRound {
				b.Fatalf("%s: wrote %d items, want %d", s.name, counts.Written, perRound)
			}
			s.items += counts.Written
		}
		round++
	}
	rate := func(s *side) float64 { return float64(s.items) / s.elapsed.Seconds() }
	for _, s := range sides {
		b.ReportMetric(rate(s), s.name+"-items/s")
	}
	for _, s := range sides[:2] {
		b.ReportMetric(float64(s.cpu.Nanoseconds())/float64(s.items), s.name+"-cpu-ns/item")
	}
	if len(sides) > 2 {
		b.ReportMetric(rate(sides[0])/rate(sides[2]), "x-dynalite")
		b.ReportMetric(rate(sides[1])/rate(sides[2]), "inprocess-x-dynalite")
	}
}

// BenchmarkWriteWorkers is BenchmarkBatchWriteVsDynalite's write path
// against the embedded emulator in process with 2 to 32 writers, to choose
// DefaultWorkers.
func BenchmarkWriteWorkers(b *testing.B) {
	const perRound = 20_000
	for _, workers := range []int{2, 4, 8, 16, 32} {
		b.Run("workers="+strconv.Itoa(workers), func(b *testing.B) {
			ctx := context.Background()
			w, err := migrate.NewWriter(inProcess.start(b), workers)
			if err != nil {
				b.Fatal(err)
			}
			table := "bench_ratings_" + suffix()
			if err := w.CreateTable(ctx, table); err != nil {
				b.Fatal(err)
			}
			var (
				elapsed, cpu time.Duration
				items        int64
			)
			round := 0
			for b.Loop() {
				batch := ratingItems(round*perRound, (round+1)*perRound)
				round++
				start, c0 := time.Now(), cpuTime()
				counts, err := w.Write(ctx, table, batch)
				elapsed += time.Since(start)
				cpu += cpuTime() - c0
				if err != nil {
					b.Fatal(err)
				}
				items += counts.Written
			}
			b.ReportMetric(float64(items)/elapsed.Seconds(), "items/s")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(items), "cpu-ns/item")
		})
	}
}
