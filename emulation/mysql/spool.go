package mysql

import (
	"context"

	vmysql "github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
)

// streaming wraps go-mysql-server's protocol handler so that a text-protocol
// result streams in constant memory.
//
// go-mysql-server (v0.20.0, and its main branch when this was written)
// encodes each result row into one byte buffer per query and releases the
// rows already sent only when the connection's status flags say a
// server-side cursor exists: the test is inverted, so a plain SELECT keeps
// the text of every row it sent until it ends (about 400 MB for the 16
// million ratings of MovieLens 20M). Text queries never have a cursor, so
// the wrapper raises the flag while go-mysql-server spools the result and
// lowers it whenever a packet is written, so no client ever sees it.
type streaming struct{ vmysql.Handler }

const cursorFlag = uint16(vmysql.ServerCursorExists)

// spool raises the flag and returns callback wrapped to lower it while it
// writes.
func spool(c *vmysql.Conn, callback vmysql.ResultSpoolFn) vmysql.ResultSpoolFn {
	c.StatusFlags |= cursorFlag
	return func(r *sqltypes.Result, more bool) error {
		c.StatusFlags &^= cursorFlag
		defer func() { c.StatusFlags |= cursorFlag }()
		return callback(r, more)
	}
}

// ComQuery implements mysql.Handler.
func (h streaming) ComQuery(ctx context.Context, c *vmysql.Conn, query string, callback vmysql.ResultSpoolFn) error {
	defer func() { c.StatusFlags &^= cursorFlag }()
	return h.Handler.ComQuery(ctx, c, query, spool(c, callback))
}

// ComMultiQuery implements mysql.Handler.
func (h streaming) ComMultiQuery(ctx context.Context, c *vmysql.Conn, query string, callback vmysql.ResultSpoolFn) (string, error) {
	defer func() { c.StatusFlags &^= cursorFlag }()
	return h.Handler.ComMultiQuery(ctx, c, query, spool(c, callback))
}
