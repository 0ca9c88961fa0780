// Command mysqlemu serves the embedded MySQL-compatible server
// (emulation/mysql, go-mysql-server) until interrupted, for a MySQL client,
// the pipeline's endpoint target or anything else that speaks MySQL.
//
//	go run ./emulation/cmd/mysqlemu -listen 127.0.0.1:3307
//	mysql -h 127.0.0.1 -P 3307 -u root
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/mldatalake/mldatalake/emulation/mysql"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "mysqlemu:", err)
		os.Exit(1)
	}
}

// run serves until ctx is done.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("mysqlemu", flag.ContinueOnError)
	flags.SetOutput(stderr)
	listen := flags.String("listen", "127.0.0.1:3307", "address to serve MySQL on")
	verbose := flags.Bool("v", false, "log connections and failed queries")
	if err := flags.Parse(args); err != nil {
		return err
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	db, err := mysql.Run(ctx, mysql.WithAddr(*listen), mysql.WithLogger(log))
	if db != nil {
		defer db.Close()
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "embedded MySQL-compatible server listening on %s\n  export MYSQL_DSN='%s'\n", db.Addr(), db.DSN(""))
	<-ctx.Done()
	fmt.Fprintln(stdout, "mysqlemu: stopping")
	return nil
}
