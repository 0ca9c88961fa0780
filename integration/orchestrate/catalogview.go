package orchestrate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"text/tabwriter"

	"github.com/mldatalake/mldatalake/pipeline/datacatalog"
)

// ShowCatalog prints the catalog the catalog stage wrote
// (OUT_DIR/catalog.duckdb) as the Glue console shows it: the databases,
// their tables (classification, location, record count, last crawl), and
// each table's properties and schema, partition keys included. It reads the
// file alone: no environment needs to be running.
func ShowCatalog(ctx context.Context, s Settings, w io.Writer) (err error) {
	path := s.catalogPath()
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no catalog at %s: run the catalog stage (or e2e) with OUT_DIR=%s first", path, s.OutDir)
	}
	store, err := datacatalog.Open(ctx, path)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, store.Close()) }()
	dbs, err := store.Databases(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Data Catalog %s\n\nDatabases\n", path)
	if len(dbs) == 0 {
		fmt.Fprintln(w, "  (none: the catalog stage found nothing to crawl)")
		return nil
	}
	tables := map[string][]datacatalog.Table{}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  Name\tTables")
	for _, db := range dbs {
		if tables[db], err = store.Tables(ctx, db); err != nil {
			return err
		}
		fmt.Fprintf(tw, "  %s\t%d\n", db, len(tables[db]))
	}
	tw.Flush()
	for _, db := range dbs {
		fmt.Fprintf(w, "\nTables in %s\n", db)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  Name\tClassification\tLocation\tRecord count\tLast updated")
		for _, t := range tables[db] {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", t.Name, t.Classification, t.Location, thousands(t.RecordCount), t.CrawledAt.Format("2006-01-02 15:04:05 UTC"))
		}
		tw.Flush()
		for _, t := range tables[db] {
			showTable(w, t)
		}
	}
	return nil
}

func showTable(w io.Writer, t datacatalog.Table) {
	fmt.Fprintf(w, "\nTable %s\n", t.Name)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	kind := "table"
	if t.Classification != datacatalog.ClassificationDynamoDB {
		kind = "file"
	}
	props := [][2]string{
		{"Database", t.Database},
		{"Location", t.Location},
		{"Classification", t.Classification},
		{"Last updated", t.CrawledAt.Format("2006-01-02 15:04:05 UTC")},
		{"recordCount", thousands(t.RecordCount)},
		{"compressionType", t.Compression},
		{"typeOfData", kind},
	}
	if t.ObjectCount > 0 {
		props = append(props, [2]string{"objectCount", thousands(t.ObjectCount)}, [2]string{"sizeKey", thousands(t.SizeBytes) + " bytes"})
		if t.RecordCount > 0 {
			props = append(props, [2]string{"averageRecordSize", thousands(t.SizeBytes/t.RecordCount) + " bytes"})
		}
	}
	for _, p := range props {
		fmt.Fprintf(tw, "  %s\t%s\n", p[0], p[1])
	}
	tw.Flush()
	fmt.Fprintln(w, "  Schema")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "    #\tColumn name\tData type\tPartition key")
	n := 0
	for _, c := range t.Columns {
		n++
		fmt.Fprintf(tw, "    %d\t%s\t%s\n", n, c.Name, c.Type)
	}
	for i, c := range t.PartitionKeys {
		n++
		fmt.Fprintf(tw, "    %d\t%s\t%s\tPartition (%d)\n", n, c.Name, c.Type, i)
	}
	if n == 0 {
		fmt.Fprintln(tw, "    (no columns: the table had no records when crawled)")
	}
	tw.Flush()
}
