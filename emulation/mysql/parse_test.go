package mysql

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	ast "github.com/dolthub/vitess/go/vt/sqlparser"
)

// fastInsertSame checks that when the fast path parses q, go-mysql-server's
// generated parser gives the same tree, and reports whether it did.
func fastInsertSame(t *testing.T, q string, options ast.ParserOptions) bool {
	t.Helper()
	fast := parseInsert(q, options)
	if fast == nil {
		return false
	}
	want, err := ast.ParseWithOptions(context.Background(), q, options)
	if err != nil {
		t.Fatalf("%q: the fast path parsed what the generated parser refuses: %v", q, err)
	}
	if !reflect.DeepEqual(ast.Statement(fast), want) {
		t.Fatalf("%q:\n fast      %s\n generated %s", q, dump(fast), dump(want))
	}
	return true
}

// dump prints an INSERT's tree with its values.
func dump(st ast.Statement) string {
	s := fmt.Sprintf("%#v", st)
	if ins, ok := st.(*ast.Insert); ok {
		if av, ok := ins.Rows.(*ast.AliasedValues); ok {
			for _, row := range av.Values {
				for _, v := range row {
					s += fmt.Sprintf("\n   %#v", v)
					if sv, ok := v.(*ast.SQLVal); ok {
						s += fmt.Sprintf(" %q", sv.Val)
					}
				}
			}
		}
	}
	return s
}

func TestFastInsertParse(t *testing.T) {
	t.Parallel()
	fast := []string{
		"INSERT INTO `movielens`.`ratings` (`userId`, `movieId`, `rating`, `timestamp`) VALUES ('1','2293','3.0','964982703'),('12','293','5.0','1')",
		"insert into `t` (`a`) values (1),(-2),(3.25),(-0.5),(NULL),(null)",
		"INSERT INTO `d`.`t` (`a`,`b`) VALUES ('it''s','a\\'b\\\\c\\nd\\0e\\Zf\\%g\\_h\\qi'),(\"dq\",'')",
		"INSERT INTO `we``ird`.`t t` (`c``1`) VALUES ('Amélie 千と千尋 🐉')",
		"INSERT\tINTO `t`\n(`a` , `b`)\r\nVALUES\n( 'x' , 007 ) , ( NULL,'y' )",
		"INSERT INTO `t` (`a`) VALUES ('x')",
		"INSERT INTO `t` (`a`) VALUES('x')",
	}
	for _, q := range fast {
		if !fastInsertSame(t, q, ast.ParserOptions{}) {
			t.Errorf("%q: not taken by the fast path", q)
		}
	}
	generated := []string{
		"INSERT INTO t (a) VALUES (1)",            // bare identifiers
		"INSERT IGNORE INTO `t` (`a`) VALUES (1)", // IGNORE
		"INSERT INTO `t` VALUES (1)",              // no columns
		"INSERT INTO `t` (`a`) VALUES (1) ON DUPLICATE KEY UPDATE `a` = 2",
		"INSERT INTO `t` (`a`) VALUES ('a' 'b')",     // joined strings
		"INSERT INTO `t` (`a`) VALUES (1e5), (0x1F)", // other numbers
		"INSERT INTO `t` (`a`) VALUES (1+1)",         // expressions
		"INSERT INTO `t` (`a`) VALUES (NOW())",
		"INSERT INTO `t` (`a`) VALUES (1); DROP TABLE `t`", // two statements
		"INSERT INTO `t` (`a`) VALUES ('unterminated)",
		"INSERT INTO `t` (`a`) VALUE (1)",
		"INSERT INTO `t` (`a`) VALUES (1) /* comment */",
		"INSERT INTO `t` (`a`) VALUES (12345678901234567890)", // more than 18 digits
		"INSERT INTO `t` (`a`) SELECT 1",
		"REPLACE INTO `t` (`a`) VALUES (1)",
		"INSERT INTO `t` (`a`) VALUES (?)",
	}
	for _, q := range generated {
		if fastInsertSame(t, q, ast.ParserOptions{}) {
			t.Errorf("%q: taken by the fast path", q)
		}
	}
	// With ANSI_QUOTES a double-quoted value is an identifier.
	if fastInsertSame(t, "INSERT INTO `t` (`a`) VALUES (\"x\")", ast.ParserOptions{AnsiQuotes: true}) {
		t.Errorf("double quotes under ANSI_QUOTES taken by the fast path")
	}
}

// FuzzFastInsertParse checks that whatever the fast path parses, the
// generated parser parses to the same tree.
func FuzzFastInsertParse(f *testing.F) {
	for _, s := range []string{
		"INSERT INTO `d`.`t` (`a`, `b`) VALUES ('1','x'),(NULL,-3.5)",
		"insert into `t` (`a`) values ('a\\'b''c\"d')",
		"INSERT INTO `t` (`a`) VALUES (007),(-0),(1.0)",
	} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, q string, ansi bool) {
		if strings.ContainsRune(q, 0) {
			return
		}
		fastInsertSame(t, q, ast.ParserOptions{AnsiQuotes: ansi})
	})
}

// TestFastInsertParseRandom builds INSERTs the fast path takes, of random
// identifiers, strings (quotes, backslashes, any byte), numbers and NULLs
// with random spacing, and compares the trees.
func TestFastInsertParseRandom(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 11))
	pick := func(s ...string) string { return s[rng.IntN(len(s))] }
	ws := func() string { return pick("", "", " ", "  ", "\n", "\t", " \r\n ") }
	ident := func() string {
		b := []byte{'`'}
		for range 1 + rng.IntN(6) {
			c := pick("a", "Z", "_", "1", "é", " ", "``", "$", ".")
			b = append(b, c...)
		}
		return string(append(b, '`'))
	}
	str := func() string {
		q := pick("'", "\"")
		b := []byte(q)
		for range rng.IntN(12) {
			switch rng.IntN(5) {
			case 0:
				b = append(b, '\\', byte(rng.IntN(256)))
			case 1:
				b = append(b, q[0], q[0])
			case 2:
				if c := pick("'", "\"", "千", "🐉", ",", ")", "("); c != q {
					b = append(b, c...)
				}
			default:
				if c := byte(rng.IntN(256)); c != q[0] && c != '\\' {
					b = append(b, c)
				}
			}
		}
		return string(append(b, q...))
	}
	num := func() string {
		n := pick("", "-") + fmt.Sprint(rng.Int64N(1_000_000_000_000))
		if rng.IntN(2) == 0 {
			n += "." + fmt.Sprint(rng.IntN(1000))
		}
		return n
	}
	for range 3000 {
		var q strings.Builder
		q.WriteString(pick("INSERT", "insert", "Insert") + " " + ws() + pick("INTO", "into") + " " + ws() + ident())
		if rng.IntN(2) == 0 {
			q.WriteString("." + ident())
		}
		ncols := 1 + rng.IntN(4)
		q.WriteString(ws() + "(")
		for c := range ncols {
			if c > 0 {
				q.WriteString(ws() + "," + ws())
			}
			q.WriteString(ident())
		}
		q.WriteString(ws() + ")" + ws() + pick("VALUES", "values") + ws())
		for r := range 1 + rng.IntN(4) {
			if r > 0 {
				q.WriteString(ws() + "," + ws())
			}
			q.WriteString("(" + ws())
			for c := range ncols {
				if c > 0 {
					q.WriteString(ws() + "," + ws())
				}
				q.WriteString([]func() string{str, num, func() string { return pick("NULL", "null") }}[rng.IntN(3)]())
			}
			q.WriteString(ws() + ")")
		}
		if !fastInsertSame(t, q.String(), ast.ParserOptions{}) {
			t.Fatalf("%q: not taken by the fast path", q.String())
		}
	}
}
