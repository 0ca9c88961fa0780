package env

import (
	"context"
	"fmt"
	"time"

	"github.com/mldatalake/mldatalake/emulation"
	"github.com/mldatalake/mldatalake/emulation/mysql"
)

// embeddedTransition is how long the embedded target's streams and delivery
// streams stay CREATING: long enough for the stream stage's waiters to see
// the transition, short enough that a run does not wait on it (at the
// services' default, half a second each, a third of the stream stage of a
// workshop run was waiting for them).
const embeddedTransition = 50 * time.Millisecond

func openEmbedded(ctx context.Context, e *Env, o options) error {
	awsOpts := []emulation.Option{emulation.WithLogger(o.log), emulation.WithFaults(o.faults),
		emulation.WithTransitionDelay(embeddedTransition)}
	if o.s3Dir != "" {
		awsOpts = append(awsOpts, emulation.WithS3Dir(o.s3Dir))
	}
	if o.awsAddr != "" {
		awsOpts = append(awsOpts, emulation.WithAddr(o.awsAddr))
	}
	srv, err := emulation.NewServer(awsOpts...)
	if err != nil {
		return fmt.Errorf("start AWS emulator: %w", err)
	}
	e.onClose(srv.Close)
	e.AWS = srv.InProcessConfig() // the stages run in this process: no socket between them and the emulator
	e.Endpoint = srv.URL
	e.Notes = append(e.Notes, "AWS emulator (S3, DynamoDB, Kinesis, Firehose, IAM, STS) at "+srv.URL)
	if o.faults.Enabled() {
		e.Notes = append(e.Notes, "fault injection: "+o.faults.String())
	}

	if o.mysqlDSN != "" {
		e.MySQLDSN = o.mysqlDSN
		e.Notes = append(e.Notes, "MySQL source from "+MySQLDSNEnvVar)
		return nil
	}
	return openEmbeddedMySQL(ctx, e, o)
}

// openEmbeddedMySQL starts the embedded MySQL-compatible server as the source.
func openEmbeddedMySQL(ctx context.Context, e *Env, o options) error {
	sqlOpts := []mysql.Option{mysql.WithLogger(o.log)}
	if o.sqlAddr != "" {
		sqlOpts = append(sqlOpts, mysql.WithAddr(o.sqlAddr))
	}
	db, err := mysql.Run(ctx, sqlOpts...)
	if db != nil {
		e.onClose(db.Close)
	}
	if err != nil {
		return fmt.Errorf("start embedded MySQL: %w", err)
	}
	e.MySQLDSN = db.DSN("")
	e.embeddedSQL = db
	e.Notes = append(e.Notes, "embedded MySQL-compatible server at "+db.Addr())
	return nil
}

// ReleaseSource drops schema from the source when the source is the
// embedded server this Env started, so that its rows no longer hold the
// process's memory once nothing will read them again (the e2e after
// migrate: at MovieLens 20M they are about 300 MB of the 4 GiB budget). It
// reports whether it dropped anything; a server it did not start is never
// touched.
func (e *Env) ReleaseSource(ctx context.Context, schema string) (bool, error) {
	if e.embeddedSQL == nil {
		return false, nil
	}
	if err := e.embeddedSQL.DropDatabase(ctx, schema); err != nil {
		return false, fmt.Errorf("release the embedded MySQL source: %w", err)
	}
	return true, nil
}
