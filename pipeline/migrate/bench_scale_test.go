//go:build unix

package migrate_test

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/mldatalake/mldatalake/pipeline"
	"github.com/mldatalake/mldatalake/pipeline/migrate"
)

var benchRows = flag.Int("rows", 200_000, "rating rows BenchmarkMigrateRatings loads into MariaDB (16000000 for MovieLens 20M's scale)")

// ratingsCSV generates rating rows (userId,movieId,rating,timestamp) as
// LOAD DATA reads them, about 145 per user, (userId, movieId) unique.
type ratingsCSV struct {
	i, n int
	buf  []byte
}

func (r *ratingsCSV) Read(p []byte) (int, error) {
	for len(r.buf) < len(p) && r.i < r.n {
		i := r.i
		r.i++
		user := i/145 + 1
		movie := (i%145)*877 + user%877 + 1
		r.buf = strconv.AppendInt(r.buf, int64(user), 10)
		r.buf = append(r.buf, ',')
		r.buf = strconv.AppendInt(r.buf, int64(movie), 10)
		r.buf = append(r.buf, ',', byte('0'+i%5), '.', byte('0'+i%2*5), ',')
		r.buf = strconv.AppendInt(r.buf, int64(789652009+i*37%638000000), 10)
		r.buf = append(r.buf, '\n')
	}
	if len(r.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.buf)
	r.buf = r.buf[:copy(r.buf, r.buf[n:])]
	return n, nil
}

// BenchmarkMigrateRatings is the migrate stage alone at scale: -rows rating
// rows (by default 200,000; 16,000,000 for MovieLens 20M) in a MariaDB
// table (MYSQL_DSN), loaded with the workshop's mapping into the embedded
// emulator in process ("inprocess", as the embedded default runs) and over
// HTTP ("embedded"). "source" only reads the rows and builds the items, to
// tell the source's share. Each reports items/s, the process's CPU time per
// item (MariaDB's own is not counted) and, for the loads, the heap in use
// after the load (the emulator holding the items).
func BenchmarkMigrateRatings(b *testing.B) {
	dsn := os.Getenv("MYSQL_DSN")
	if dsn == "" {
		b.Skip("MYSQL_DSN is not set: BenchmarkMigrateRatings loads its rows into MariaDB (e.g. MYSQL_DSN='root@tcp(127.0.0.1:3306)/')")
	}
	rows := *benchRows
	ctx := context.Background()
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	sfx := suffix()
	schema := "mlrows_" + sfx
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+schema); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.ExecContext(context.Background(), "DROP DATABASE "+schema) })
	if _, err := db.ExecContext(ctx, "CREATE TABLE "+schema+".ratings (userId INT NOT NULL, movieId INT NOT NULL, rating DECIMAL(2,1) NOT NULL, `timestamp` BIGINT NOT NULL)"); err != nil {
		b.Fatal(err)
	}
	reader := "ratings_" + sfx
	mysql.RegisterReaderHandler(reader, func() io.Reader { return &ratingsCSV{n: rows} })
	b.Cleanup(func() { mysql.DeregisterReaderHandler(reader) })
	start := time.Now()
	if _, err := db.ExecContext(ctx, fmt.Sprintf("LOAD DATA LOCAL INFILE 'Reader::%s' INTO TABLE %s.ratings FIELDS TERMINATED BY ','", reader, schema)); err != nil {
		b.Fatalf("load %d rows into MariaDB: %v", rows, err)
	}
	b.Logf("loaded %d rows into MariaDB in %v", rows, time.Since(start).Round(time.Millisecond))

	names := pipeline.Names{SourceSchema: schema, RatingsTable: "ratings_t_" + sfx}
	b.Run("source", func(b *testing.B) {
		var items int64
		c0 := cpuTime()
		for b.Loop() {
			n, err := migrate.ReadItems(ctx, dsn, migrate.Options{Names: names})
			if err != nil {
				b.Fatal(err)
			}
			if n != int64(rows) {
				b.Fatalf("built %d items, want %d", n, rows)
			}
			items += n
		}
		b.ReportMetric(float64(items)/b.Elapsed().Seconds(), "items/s")
		b.ReportMetric(float64(cpuTime()-c0)/float64(items), "cpu-ns/item")
	})
	for _, tgt := range []target{inProcess, targets()[0]} {
		b.Run(tgt.name, func(b *testing.B) {
			cfg := tgt.start(b)
			var items int64
			c0 := cpuTime()
			for b.Loop() {
				rep, err := migrate.Run(ctx, cfg, dsn, migrate.Options{Names: names, TaskName: "bench-" + sfx})
				if err != nil {
					b.Fatal(err)
				}
				if rep.Written != int64(rows) {
					b.Fatalf("wrote %d items, want %d", rep.Written, rows)
				}
				items += rep.Written
			}
			b.ReportMetric(float64(items)/b.Elapsed().Seconds(), "items/s")
			b.ReportMetric(float64(cpuTime()-c0)/float64(items), "cpu-ns/item")
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MiB")
		})
	}
}
