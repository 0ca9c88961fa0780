package firehose

import (
	"crypto/rand"
	"fmt"
	"strings"
	"time"

	"github.com/mldatalake/mldatalake/emulation/awsproto"
)

// errorOutputType is what !{firehose:error-output-type} evaluates to for
// objects that could not be written to S3. AWS has no such type (it cannot
// write to S3 about failing to write to S3); the name follows its
// "<destination>-failed" pattern.
const errorOutputType = "s3-failed"

// defaultTimePrefix is appended to a prefix with no timestamp expression.
const defaultTimePrefix = "!{timestamp:yyyy/MM/dd/HH/}"

// template is a parsed Prefix or ErrorOutputPrefix.
type template struct {
	parts        []part
	hasTimestamp bool
	hasErrorType bool
	hasExpr      bool
}

// part is literal text or one expression.
type part struct {
	literal string
	kind    string // "", "timestamp", "random-string", "error-output-type"
	layout  []layoutToken
}

// parseTemplate parses s, which field names in error messages.
func parseTemplate(field, s string) (template, error) {
	var t template
	for s != "" {
		i := strings.Index(s, "!{")
		if i < 0 {
			t.parts = append(t.parts, part{literal: s})
			break
		}
		if i > 0 {
			t.parts = append(t.parts, part{literal: s[:i]})
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return t, awsproto.InvalidArgument("%s %q has an expression without its closing '}'.", field, s)
		}
		expr := s[i+2 : i+j]
		s = s[i+j+1:]
		ns, val, ok := strings.Cut(expr, ":")
		if !ok {
			return t, awsproto.InvalidArgument("%s: expression !{%s} must have the form !{namespace:value}.", field, expr)
		}
		t.hasExpr = true
		switch ns {
		case "timestamp":
			layout, err := parseJavaLayout(val)
			if err != nil {
				return t, awsproto.InvalidArgument("%s: !{timestamp:%s}: %v", field, val, err)
			}
			t.parts = append(t.parts, part{kind: "timestamp", layout: layout})
			t.hasTimestamp = true
		case "firehose":
			switch val {
			case "random-string":
				t.parts = append(t.parts, part{kind: val})
			case "error-output-type":
				t.parts = append(t.parts, part{kind: val})
				t.hasErrorType = true
			default:
				return t, awsproto.InvalidArgument("%s: unknown expression !{firehose:%s}; the firehose namespace has random-string and error-output-type.", field, val)
			}
		case "partitionKeyFromQuery", "partitionKeyFromLambda":
			return t, awsproto.InvalidArgument("%s: !{%s} needs dynamic partitioning, which this emulator does not support.", field, expr)
		default:
			return t, awsproto.InvalidArgument("%s: unknown namespace %q in !{%s}; use timestamp or firehose.", field, ns, expr)
		}
	}
	return t, nil
}

// keyTemplates validates Prefix and ErrorOutputPrefix together, as AWS
// does, and returns them with the default parts appended.
func keyTemplates(prefix, errorPrefix string) (template, template, error) {
	p, err := parseTemplate("Prefix", prefix)
	if err != nil {
		return p, p, err
	}
	e, err := parseTemplate("ErrorOutputPrefix", errorPrefix)
	if err != nil {
		return p, e, err
	}
	if p.hasErrorType {
		return p, e, awsproto.InvalidArgument("The expression !{firehose:error-output-type} is not allowed in Prefix.")
	}
	if p.hasExpr && errorPrefix == "" {
		return p, e, awsproto.InvalidArgument("ErrorOutputPrefix must be specified when Prefix contains expressions.")
	}
	if e.hasExpr && !e.hasErrorType {
		return p, e, awsproto.InvalidArgument("ErrorOutputPrefix must contain !{firehose:error-output-type} when it contains expressions.")
	}
	if !p.hasTimestamp {
		p, _ = parseTemplate("Prefix", prefix+defaultTimePrefix)
	}
	suffix := ""
	if !e.hasErrorType {
		suffix += "!{firehose:error-output-type}/"
	}
	if !e.hasTimestamp {
		suffix += defaultTimePrefix
	}
	e, _ = parseTemplate("ErrorOutputPrefix", errorPrefix+suffix)
	return p, e, nil
}

// eval renders the template for an object whose oldest record arrived at t.
func (t template) eval(at time.Time) string {
	at = at.UTC()
	var b strings.Builder
	for _, p := range t.parts {
		switch p.kind {
		case "":
			b.WriteString(p.literal)
		case "timestamp":
			for _, tok := range p.layout {
				b.WriteString(tok.format(at))
			}
		case "random-string":
			b.WriteString(randomString(11))
		case "error-output-type":
			b.WriteString(errorOutputType)
		}
	}
	return b.String()
}

func randomString(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// layoutToken is a literal or one run of a Java DateTimeFormatter letter.
type layoutToken struct {
	literal string
	letter  byte
	width   int
}

func (t layoutToken) format(at time.Time) string {
	var v int
	switch t.letter {
	case 0:
		return t.literal
	case 'y', 'u':
		if t.width == 2 {
			return fmt.Sprintf("%02d", at.Year()%100)
		}
		return fmt.Sprintf("%0*d", t.width, at.Year())
	case 'M':
		v = int(at.Month())
	case 'd':
		v = at.Day()
	case 'H':
		v = at.Hour()
	case 'm':
		v = at.Minute()
	case 's':
		v = at.Second()
	case 'D':
		v = at.YearDay()
	}
	return fmt.Sprintf("%0*d", t.width, v)
}

// parseJavaLayout reads the subset of Java DateTimeFormatter patterns that
// Firehose prefixes use: y/u (year), M, d, D, H, m, s, quoted 'literal'
// text and any non-letter character.
func parseJavaLayout(s string) ([]layoutToken, error) {
	var out []layoutToken
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\'':
			j := i + 1
			var lit strings.Builder
			for {
				if j >= len(s) {
					return nil, fmt.Errorf("unterminated quote")
				}
				if s[j] == '\'' {
					if j+1 < len(s) && s[j+1] == '\'' {
						lit.WriteByte('\'')
						j += 2
						continue
					}
					break
				}
				lit.WriteByte(s[j])
				j++
			}
			if j == i+1 {
				lit.WriteByte('\'') // '' is a quote
			}
			out = append(out, layoutToken{literal: lit.String()})
			i = j + 1
		case strings.IndexByte("yuMdDHms", c) >= 0:
			j := i
			for j < len(s) && s[j] == c {
				j++
			}
			if j-i > 4 || (c == 'M' && j-i > 2) {
				return nil, fmt.Errorf("pattern %q is not supported by the emulator (text months and wide fields are not)", s[i:j])
			}
			out = append(out, layoutToken{letter: c, width: j - i})
			i = j
		case (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'):
			return nil, fmt.Errorf("pattern letter %q is not supported by the emulator (supported: y M d D H m s and quoted text)", c)
		default:
			out = append(out, layoutToken{literal: string(c)})
			i++
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty pattern")
	}
	return out, nil
}
