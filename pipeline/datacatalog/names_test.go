package datacatalog_test

import (
	"testing"

	"github.com/mldatalake/mldatalake/pipeline/datacatalog"
)

func TestNames(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"ratings_t": "ratings_t", "Ratings-T": "ratings_t", "firehose/": "firehose", "a.b c": "a_b_c", "né": "n_",
	} {
		if got := datacatalog.TableName(in); got != want {
			t.Errorf("TableName(%q) = %q, want %q", in, got, want)
		}
	}
	for loc, want := range map[string]string{
		"arn:aws:dynamodb:us-east-1:000000000000:table/ratings_t":               "ratings_t",
		"arn:aws:dynamodb:us-east-1:000000000000:table/ratings_t/stream/2026-1": "ratings_t",
		"links_t": "links_t",
	} {
		if got := datacatalog.DynamoDBTableName(loc); got != want {
			t.Errorf("DynamoDBTableName(%q) = %q, want %q", loc, got, want)
		}
	}
}
