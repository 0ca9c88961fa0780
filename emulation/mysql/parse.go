package mysql

import (
	"context"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/sqltypes"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
)

// parser is go-mysql-server's parser with a fast path for the statement
// bulk loaders send most: INSERT INTO `db`.`table` (`col`, ...) VALUES
// (...), ... whose values are all quoted strings, plain integers or
// decimals, or NULL. Go-mysql-server's generated parser spends more time on
// such a statement than the insert itself; the fast path builds the same
// syntax tree (TestFastInsertParse compares them) in one pass, and leaves
// every other statement, and every INSERT it does not recognize in full,
// to the generated parser.
type parser struct{ sql.Parser }

func newParser() parser { return parser{sql.NewMysqlParser()} }

// Parse implements sql.Parser.
func (p parser) Parse(ctx *sql.Context, query string, multi bool) (ast.Statement, string, string, error) {
	return p.ParseWithOptions(ctx, query, ';', multi, sql.LoadSqlMode(ctx).ParserOptions())
}

// ParseWithOptions implements sql.Parser.
func (p parser) ParseWithOptions(ctx context.Context, query string, delimiter rune, multi bool, options ast.ParserOptions) (ast.Statement, string, string, error) {
	s := sql.RemoveSpaceAndDelimiter(query, delimiter)
	if stmt := parseInsert(s, options); stmt != nil {
		return stmt, s, "", nil
	}
	return p.Parser.ParseWithOptions(ctx, query, delimiter, multi, options)
}

// parseInsert returns the syntax tree of s if it is an INSERT the fast
// path recognizes, or nil.
func parseInsert(s string, options ast.ParserOptions) *ast.Insert {
	l := lexer{s: s, ansiQuotes: options.AnsiQuotes}
	if !l.keyword("INSERT") || !l.blank() || !l.keyword("INTO") || !l.blank() {
		return nil
	}
	first, ok := l.ident()
	if !ok {
		return nil
	}
	table := ast.TableName{Name: ast.NewTableIdent(first)}
	if l.skip('.') {
		name, ok := l.ident()
		if !ok {
			return nil
		}
		table = ast.TableName{Name: ast.NewTableIdent(name), DbQualifier: ast.NewTableIdent(first)}
	}
	l.blank()
	if !l.skip('(') {
		return nil
	}
	var cols ast.Columns
	for {
		l.blank()
		c, ok := l.ident()
		if !ok {
			return nil
		}
		cols = append(cols, ast.NewColIdent(c))
		l.blank()
		if l.skip(')') {
			break
		}
		if !l.skip(',') {
			return nil
		}
	}
	l.blank()
	if !l.keyword("VALUES") {
		return nil
	}
	var rows ast.Values
	for {
		l.blank()
		if !l.skip('(') {
			return nil
		}
		tuple := make(ast.ValTuple, 0, len(cols))
		for {
			l.blank()
			v := l.value()
			if v == nil {
				return nil
			}
			tuple = append(tuple, v)
			l.blank()
			if l.skip(')') {
				break
			}
			if !l.skip(',') {
				return nil
			}
		}
		rows = append(rows, tuple)
		l.blank()
		if l.i == len(l.s) {
			break
		}
		if !l.skip(',') {
			return nil
		}
	}
	return &ast.Insert{
		Action:  ast.InsertStr,
		Table:   table,
		Columns: cols,
		Rows:    &ast.AliasedValues{Values: rows},
		Auth: ast.AuthInformation{
			AuthType:    ast.AuthType_INSERT,
			TargetType:  ast.AuthTargetType_SingleTableIdentifier,
			TargetNames: []string{table.DbQualifier.String(), table.Name.String()},
		},
	}
}

// lexer reads the fast path's tokens; every method leaves the position
// where it was when it does not match.
type lexer struct {
	s          string
	i          int
	ansiQuotes bool
}

// blank skips spaces and reports whether there were any.
func (l *lexer) blank() bool {
	start := l.i
	for l.i < len(l.s) {
		switch l.s[l.i] {
		case ' ', '\t', '\n', '\r':
			l.i++
			continue
		}
		break
	}
	return l.i > start
}

func (l *lexer) skip(c byte) bool {
	if l.i < len(l.s) && l.s[l.i] == c {
		l.i++
		return true
	}
	return false
}

// keyword matches kw (upper case) in any case, not followed by a letter,
// digit or underscore.
func (l *lexer) keyword(kw string) bool {
	if len(l.s)-l.i < len(kw) {
		return false
	}
	for k := range len(kw) {
		c := l.s[l.i+k]
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c != kw[k] {
			return false
		}
	}
	if j := l.i + len(kw); j < len(l.s) && isIdentByte(l.s[j]) {
		return false
	}
	l.i += len(kw)
	return true
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '$' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c >= 0x80
}

// ident reads a backquoted identifier (bare ones may be keywords, which
// only the generated parser knows).
func (l *lexer) ident() (string, bool) {
	if !l.skip('`') {
		return "", false
	}
	var b []byte
	start := l.i
	for l.i < len(l.s) {
		c := l.s[l.i]
		if c != '`' {
			l.i++
			continue
		}
		if l.i+1 < len(l.s) && l.s[l.i+1] == '`' {
			b = append(b, l.s[start:l.i+1]...)
			l.i += 2
			start = l.i
			continue
		}
		b = append(b, l.s[start:l.i]...)
		l.i++
		if len(b) == 0 {
			return "", false
		}
		return string(b), true
	}
	return "", false
}

// value reads a quoted string, an integer, a decimal or NULL, followed by
// a space, a comma or a closing parenthesis.
func (l *lexer) value() ast.Expr {
	if l.i >= len(l.s) {
		return nil
	}
	start := l.i
	var v ast.Expr
	switch c := l.s[l.i]; {
	case c == '\'' || c == '"' && !l.ansiQuotes:
		b, ok := l.quoted(c)
		if !ok {
			return nil
		}
		v = ast.NewStrVal(b)
	case c == '-' || '0' <= c && c <= '9':
		v = l.number()
	case c == 'n' || c == 'N':
		if l.keyword("NULL") {
			v = &ast.NullVal{}
		}
	}
	if v == nil || l.i == len(l.s) {
		l.i = start
		return nil
	}
	switch l.s[l.i] {
	case ' ', '\t', '\n', '\r', ',', ')':
		return v
	}
	l.i = start
	return nil
}

// quoted reads a string quoted by q, decoding escapes as the generated
// parser's tokenizer does. A string followed by another, which MySQL
// joins, is not read.
func (l *lexer) quoted(q byte) ([]byte, bool) {
	start := l.i
	l.i++
	var b []byte
	for l.i < len(l.s) {
		c := l.s[l.i]
		switch {
		case c == '\\':
			if l.i+1 == len(l.s) {
				l.i = start
				return nil, false
			}
			e := l.s[l.i+1]
			if d := sqltypes.SQLDecodeMap[e]; d != sqltypes.DontEscape {
				e = d
			}
			b = append(b, e)
			l.i += 2
		case c == q && l.i+1 < len(l.s) && l.s[l.i+1] == q:
			b = append(b, q)
			l.i += 2
		case c == q:
			l.i++
			return b, true // nil when empty, as the generated parser has it
		default:
			b = append(b, c)
			l.i++
		}
	}
	l.i = start
	return nil, false
}

// number reads -?[0-9]{1,18}(\.[0-9]{1,18})? as an integer or a decimal
// (a negative decimal is the decimal negated, as the generated parser
// has it).
func (l *lexer) number() ast.Expr {
	start := l.i
	neg := l.skip('-')
	digits := func() int {
		d := l.i
		for l.i < len(l.s) && '0' <= l.s[l.i] && l.s[l.i] <= '9' {
			l.i++
		}
		return l.i - d
	}
	if n := digits(); n == 0 || n > 18 {
		l.i = start
		return nil
	}
	if !l.skip('.') {
		return ast.NewIntVal([]byte(l.s[start:l.i]))
	}
	if n := digits(); n == 0 || n > 18 {
		l.i = start
		return nil
	}
	if neg {
		return &ast.UnaryExpr{Operator: ast.UMinusStr, Expr: ast.NewFloatVal([]byte(l.s[start+1 : l.i]))}
	}
	return ast.NewFloatVal([]byte(l.s[start:l.i]))
}
