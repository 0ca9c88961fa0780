package etl_test

import (
	"context"
	"log"
	"log/slog"
	"os"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/mldatalake/mldatalake/pipeline"
	"github.com/mldatalake/mldatalake/pipeline/catalog"
	"github.com/mldatalake/mldatalake/pipeline/etl"
)

// The crawler, then the job, with the workshop's names, against whatever the
// default AWS configuration points at (set AWS_ENDPOINT_URL for LocalStack or
// the standalone emulator).
func Example() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		log.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	names := pipeline.Names{} // the workshop's defaults

	crawl, err := catalog.Run(ctx, cfg, catalog.Options{Names: names, CatalogPath: "work/catalog.duckdb", Logger: logger})
	if err != nil {
		log.Fatal(err)
	}
	job, err := etl.Run(ctx, cfg, etl.Options{Names: names, CatalogPath: "work/catalog.duckdb", WorkDir: "work", Logger: logger})
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("crawled %d records into %d tables; wrote %d rows, rejected %d",
		crawl.Read, crawl.Written, job.Written, job.Rejected)
}
