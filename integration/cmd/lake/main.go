// Command lake runs the MovieLens data-lake pipeline's commands: e2e, up,
// down, plan, settings, each stage, aws-role and the localstack ones. The
// mage targets (`go tool mage -l`) run it; it reads its settings from the
// environment and ./pipeline.env (`lake settings` lists them).
//
//	go run ./integration/cmd/lake e2e
//
// Ctrl-C (or SIGTERM) stops the command: it ends its run's report as
// interrupted, publishes no training data and exits with 130 (143); a
// second signal exits at once.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/mldatalake/mldatalake/integration/orchestrate"
)

func main() {
	ctx, cancel := context.WithCancelCause(context.Background())
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sig
		cancel(orchestrate.Interrupted{Signal: s})
		<-sig
		os.Exit(orchestrate.ExitCode(ctx, nil))
	}()
	os.Exit(orchestrate.Main(ctx, os.Args[1:], nil, os.Stdout, os.Stderr))
}
