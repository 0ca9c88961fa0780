package orchestrate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	_ "github.com/duckdb/duckdb-go/v2" // the "duckdb" database/sql driver

	"github.com/mldatalake/mldatalake/pipeline"
)

// DataProfile describes the published training data, for report.html.
type DataProfile struct {
	Ratings     int64   `json:"ratings"`
	Users       int64   `json:"users"`
	RatedMovies int64   `json:"rated_movies"`
	Movies      int64   `json:"movies"`
	MeanRating  float64 `json:"mean_rating"`
	// RatingValues counts the ratings of each value, in order of value.
	RatingValues []Count `json:"rating_values"`
	// PerUser and PerMovie are histograms of how many ratings a user (a
	// movie) has, in bins doubling in width: 1, 2–3, 4–7, ...
	PerUser  []Count `json:"ratings_per_user"`
	PerMovie []Count `json:"ratings_per_movie"`
	// TopMovies are the most-rated movies, most first.
	TopMovies []TopMovie `json:"top_movies"`
	// Genres counts the movies of each genre, most first.
	Genres []Count `json:"genres"`
}

// Count is a label and how many.
type Count struct {
	Label string `json:"label"`
	N     int64  `json:"n"`
}

// TopMovie is one of the most-rated movies.
type TopMovie struct {
	MovieID string  `json:"movieid"`
	Title   string  `json:"title"`
	Ratings int64   `json:"ratings"`
	Mean    float64 `json:"mean_rating"`
}

// TopMovies is how many most-rated movies the profile lists.
const TopMovies = 10

// profile fills rep.Data from the published outputs; a profile that cannot
// be made is a warning, not a failed run (the data passed verify).
func (r *Runner) profile(ctx context.Context, rep *Report) {
	d, err := Profile(ctx, rep.Outputs[pipeline.RatingNew], rep.Outputs[pipeline.MoviesNew])
	if err != nil {
		r.Log.Warn("no data profile for report.html", "err", err)
		return
	}
	rep.Data = d
}

// Profile describes rating_new and movies_new, read from their CSVs (with
// the headers verify checks) with DuckDB.
func Profile(ctx context.Context, ratingNew, moviesNew string) (_ *DataProfile, err error) {
	if ratingNew == "" || moviesNew == "" {
		return nil, errors.New("profile: no published rating_new and movies_new")
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, fmt.Errorf("profile: %w", err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("profile: %w", err)
	}
	defer func() { err = errors.Join(err, conn.Close()) }()
	csv := func(path string) string {
		return "read_csv('" + strings.ReplaceAll(path, "'", "''") + "', header = true, all_varchar = true, delim = ',', quote = '\"', escape = '\"')"
	}
	for _, q := range []string{
		"CREATE TEMP TABLE r AS SELECT userid, movieid, rating, TRY_CAST(rating AS DOUBLE) AS stars FROM " + csv(ratingNew),
		"CREATE TEMP TABLE m AS SELECT movieid, title, genres FROM " + csv(moviesNew),
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("profile: %w", err)
		}
	}
	d := &DataProfile{}
	var mean sql.NullFloat64
	if err := conn.QueryRowContext(ctx, `SELECT count(*), count(DISTINCT userid), count(DISTINCT movieid), avg(stars), (SELECT count(*) FROM m) FROM r`).
		Scan(&d.Ratings, &d.Users, &d.RatedMovies, &mean, &d.Movies); err != nil {
		return nil, fmt.Errorf("profile: %w", err)
	}
	d.MeanRating = mean.Float64
	counts := func(q string) ([]Count, error) {
		rows, err := conn.QueryContext(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("profile: %w", err)
		}
		defer rows.Close()
		var out []Count
		for rows.Next() {
			var c Count
			if err := rows.Scan(&c.Label, &c.N); err != nil {
				return nil, fmt.Errorf("profile: %w", err)
			}
			out = append(out, c)
		}
		return out, rows.Err()
	}
	if d.RatingValues, err = counts(`SELECT coalesce(rating, 'NULL'), count(*) FROM r GROUP BY rating ORDER BY any_value(stars) NULLS LAST, rating`); err != nil {
		return nil, err
	}
	// Bins of counts doubling in width: bin k holds counts 2^k to 2^(k+1)-1.
	hist := func(key string) ([]Count, error) {
		rows, err := conn.QueryContext(ctx, `SELECT floor(log2(n))::INTEGER AS k, count(*) FROM (SELECT count(*) AS n FROM r GROUP BY `+key+`)
			GROUP BY k ORDER BY k`)
		if err != nil {
			return nil, fmt.Errorf("profile: %w", err)
		}
		defer rows.Close()
		var bins []Count
		for rows.Next() {
			var (
				k int
				n int64
			)
			if err := rows.Scan(&k, &n); err != nil {
				return nil, fmt.Errorf("profile: %w", err)
			}
			lo, hi := int64(1)<<k, int64(1)<<(k+1)-1
			label := fmt.Sprintf("%d–%d", lo, hi)
			if lo == hi {
				label = fmt.Sprint(lo)
			}
			bins = append(bins, Count{Label: label, N: n})
		}
		return bins, rows.Err()
	}
	if d.PerUser, err = hist("userid"); err != nil {
		return nil, err
	}
	if d.PerMovie, err = hist("movieid"); err != nil {
		return nil, err
	}
	if d.Genres, err = counts(`SELECT g, count(*) FROM (SELECT unnest(string_split(genres, '|')) AS g FROM m) GROUP BY g ORDER BY 2 DESC, g`); err != nil {
		return nil, err
	}
	rows, err := conn.QueryContext(ctx, fmt.Sprintf(`
		SELECT r.movieid, coalesce(any_value(m.title), ''), count(*), coalesce(avg(r.stars), 0)
		FROM r LEFT JOIN m USING (movieid)
		GROUP BY r.movieid ORDER BY 3 DESC, TRY_CAST(r.movieid AS BIGINT), r.movieid LIMIT %d`, TopMovies))
	if err != nil {
		return nil, fmt.Errorf("profile: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var t TopMovie
		if err := rows.Scan(&t.MovieID, &t.Title, &t.Ratings, &t.Mean); err != nil {
			return nil, fmt.Errorf("profile: %w", err)
		}
		d.TopMovies = append(d.TopMovies, t)
	}
	return d, rows.Err()
}
