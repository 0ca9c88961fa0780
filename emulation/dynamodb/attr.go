package dynamodb

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/mldatalake/mldatalake/emulation/awsproto"
)

// AttributeValue is DynamoDB's AttributeValue exactly as it travels in JSON:
// exactly one of the fields is set. Presence is told by a non-nil field, so
// an empty binary, list or map is still a value.
type AttributeValue struct {
	S    *string                    `json:"S,omitempty"`
	N    *string                    `json:"N,omitempty"`
	B    blob                       `json:"B,omitempty"`
	BOOL *bool                      `json:"BOOL,omitempty"`
	NULL *bool                      `json:"NULL,omitempty"`
	M    map[string]*AttributeValue `json:"M,omitempty"`
	L    []*AttributeValue          `json:"L,omitempty"`
	SS   []string                   `json:"SS,omitempty"`
	NS   []string                   `json:"NS,omitempty"`
	BS   []blob                     `json:"BS,omitempty"`
}

// blob is a binary value: a base64 string in JSON, never (as
// encoding/json would accept for []byte) an array of numbers.
type blob []byte

func (b *blob) UnmarshalJSON(data []byte) error {
	if len(data) == 0 || data[0] != '"' {
		return errNotBase64
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	v, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return errNotBase64
	}
	*b = v
	return nil
}

var errNotBase64 = errors.New("not a base64 string")

// Item is a whole item or key as it travels in JSON.
type Item = map[string]*AttributeValue

// MarshalJSON writes the one type that is set, keeping empty lists, maps and
// binaries (which `omitempty` would drop).
func (av *AttributeValue) MarshalJSON() ([]byte, error) {
	return appendAttrJSON(nil, av), nil
}

func appendAttrJSON(b []byte, av *AttributeValue) []byte {
	switch {
	case av == nil:
		return append(b, "null"...)
	case av.S != nil:
		b = append(b, `{"S":`...)
		b = appendJSONString(b, *av.S)
	case av.N != nil:
		b = append(b, `{"N":`...)
		b = appendJSONString(b, *av.N)
	case av.B != nil:
		b = append(b, `{"B":`...)
		b = appendBase64(b, av.B)
	case av.BOOL != nil:
		if *av.BOOL {
			b = append(b, `{"BOOL":true`...)
		} else {
			b = append(b, `{"BOOL":false`...)
		}
	case av.NULL != nil:
		b = append(b, `{"NULL":true`...)
	case av.M != nil:
		b = append(b, `{"M":`...)
		b = appendItemJSON(b, av.M)
	case av.L != nil:
		b = append(b, `{"L":[`...)
		for i, e := range av.L {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendAttrJSON(b, e)
		}
		b = append(b, ']')
	case av.SS != nil:
		b = append(b, `{"SS":`...)
		b = appendStrings(b, av.SS)
	case av.NS != nil:
		b = append(b, `{"NS":`...)
		b = appendStrings(b, av.NS)
	case av.BS != nil:
		b = append(b, `{"BS":[`...)
		for i, e := range av.BS {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendBase64(b, e)
		}
		b = append(b, ']')
	default:
		return append(b, "{}"...)
	}
	return append(b, '}')
}

func appendStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return append(b, ']')
}

func appendItemJSON(b []byte, it Item) []byte {
	b = append(b, '{')
	first := true
	for _, k := range sortedKeys(it) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = appendAttrJSON(b, it[k])
	}
	return append(b, '}')
}

// rawItems marshals items already rendered as JSON.
type rawJSON []byte

func (r rawJSON) MarshalJSON() ([]byte, error) {
	if len(r) == 0 {
		return []byte("null"), nil
	}
	return r, nil
}

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD,
// as encoding/json does.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// Messages of the ValidationExceptions about attribute values, as DynamoDB
// words them.
const (
	msgEmptyAttr      = "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
	msgManyTypes      = "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"
	msgNullFalse      = "One or more parameter values were invalid: Null attribute value types must have the value of true"
	msgEmptySS        = "One or more parameter values were invalid: An string set  may not be empty"
	msgEmptyNS        = "One or more parameter values were invalid: An number set  may not be empty"
	msgEmptyBS        = "One or more parameter values were invalid: Binary sets should not be empty"
	msgItemTooLarge   = "Item size has exceeded the maximum allowed size"
	msgKeyMismatch    = "The provided key element does not match the schema"
	msgDuplicateKeys  = "Provided list of item keys contains duplicates"
	msgNotFound       = "Requested resource not found"
	maxItemSize       = 400 * 1024
	maxRequestSize    = 16 * 1024 * 1024
	maxBatchWrite     = 25
	maxPageBytes      = 1024 * 1024
	maxHashKeyBytes   = 2048
	maxRangeKeyBytes  = 1024
	maxNumberDigits   = 38
	maxNumberExponent = 125
	minNumberExponent = -130
)

// typeCount returns how many types av has set.
func typeCount(av *AttributeValue) int {
	n := 0
	if av.S != nil {
		n++
	}
	if av.N != nil {
		n++
	}
	if av.B != nil {
		n++
	}
	if av.BOOL != nil {
		n++
	}
	if av.NULL != nil {
		n++
	}
	if av.M != nil {
		n++
	}
	if av.L != nil {
		n++
	}
	if av.SS != nil {
		n++
	}
	if av.NS != nil {
		n++
	}
	if av.BS != nil {
		n++
	}
	return n
}

// typeName is the wire name of av's type, "" when none is set.
func typeName(av *AttributeValue) string {
	switch {
	case av == nil:
		return ""
	case av.S != nil:
		return "S"
	case av.N != nil:
		return "N"
	case av.B != nil:
		return "B"
	case av.BOOL != nil:
		return "BOOL"
	case av.NULL != nil:
		return "NULL"
	case av.M != nil:
		return "M"
	case av.L != nil:
		return "L"
	case av.SS != nil:
		return "SS"
	case av.NS != nil:
		return "NS"
	case av.BS != nil:
		return "BS"
	}
	return ""
}

// number is a parsed DynamoDB number: value = 0.digits... shifted so that
// the first digit has weight 10^exp (exp as in big.js: "123" has exp 2).
type number struct {
	neg    bool
	digits string // significant digits, no leading or trailing zeros; "" for zero
	exp    int
}

// parseNumber reads a number as DynamoDB accepts it (Java BigDecimal
// syntax) and checks its range and precision.
func parseNumber(s string) (number, *awsproto.Error) {
	bad := func() (number, *awsproto.Error) {
		if s == "" {
			return number{}, awsproto.Validation("The parameter cannot be converted to a numeric value")
		}
		return number{}, awsproto.Validation("The parameter cannot be converted to a numeric value: %s", s)
	}
	var n number
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		n.neg = s[i] == '-'
		i++
	}
	var mant strings.Builder
	pointAt := -1
	seenDigit := false
	for ; i < len(s); i++ {
		c := s[i]
		if c >= '0' && c <= '9' {
			mant.WriteByte(c)
			seenDigit = true
			continue
		}
		if c == '.' && pointAt < 0 {
			pointAt = mant.Len()
			continue
		}
		break
	}
	if !seenDigit {
		return bad()
	}
	e10 := 0
	if i < len(s) {
		if s[i] != 'e' && s[i] != 'E' {
			return bad()
		}
		i++
		eneg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			eneg = s[i] == '-'
			i++
		}
		if i == len(s) {
			return bad()
		}
		for ; i < len(s); i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return bad()
			}
			if e10 < 1e6 {
				e10 = e10*10 + int(c-'0')
			}
		}
		if eneg {
			e10 = -e10
		}
	}
	m := mant.String()
	if pointAt < 0 {
		pointAt = len(m)
	}
	// value = 0.m × 10^pointAt × 10^e10; strip leading zeros.
	lead := 0
	for lead < len(m) && m[lead] == '0' {
		lead++
	}
	if lead == len(m) {
		return number{}, nil // zero
	}
	d := strings.TrimRight(m[lead:], "0")
	n.digits = d
	n.exp = pointAt - lead - 1 + e10
	switch {
	case n.exp > maxNumberExponent:
		return number{}, awsproto.Validation("Number overflow. Attempting to store a number with magnitude larger than supported range")
	case n.exp < minNumberExponent:
		return number{}, awsproto.Validation("Number underflow. Attempting to store a number with magnitude smaller than supported range")
	case len(d) > maxNumberDigits:
		return number{}, awsproto.Validation("Attempting to store more than 38 significant digits in a Number")
	}
	return n, nil
}

// String renders n in plain decimal notation, the canonical form stored and
// returned (DynamoDB drops leading and trailing zeros).
func (n number) String() string {
	if n.digits == "" {
		return "0"
	}
	var b strings.Builder
	if n.neg {
		b.WriteByte('-')
	}
	nd := len(n.digits)
	switch {
	case n.exp >= nd-1:
		b.WriteString(n.digits)
		b.WriteString(strings.Repeat("0", n.exp-(nd-1)))
	case n.exp >= 0:
		b.WriteString(n.digits[:n.exp+1])
		b.WriteByte('.')
		b.WriteString(n.digits[n.exp+1:])
	default:
		b.WriteString("0.")
		b.WriteString(strings.Repeat("0", -n.exp-1))
		b.WriteString(n.digits)
	}
	return b.String()
}

// size is the number's contribution to an item's size, as DynamoDB counts
// it: about one byte per two significant digits plus one.
func (n number) size() int {
	nd := len(n.digits)
	if nd == 0 {
		return 1
	}
	s := 1 + (nd+1)/2
	if nd%2 == 0 && n.exp%2 == 0 {
		s++
	}
	if n.neg {
		s++
	}
	return s
}

// canonicalNumberInfo parses a canonical number string (as String writes it).
func canonicalNumberInfo(s string) number {
	n, _ := parseNumber(s)
	return n
}

// compareNumbers compares two canonical number strings numerically.
func compareNumbers(a, b string) int {
	an, bn := strings.HasPrefix(a, "-"), strings.HasPrefix(b, "-")
	switch {
	case an && !bn:
		return -1
	case !an && bn:
		return 1
	case an && bn:
		return -compareAbs(a[1:], b[1:])
	}
	return compareAbs(a, b)
}

func compareAbs(a, b string) int {
	ai, af, _ := strings.Cut(a, ".")
	bi, bf, _ := strings.Cut(b, ".")
	if len(ai) != len(bi) {
		if len(ai) < len(bi) {
			return -1
		}
		return 1
	}
	if c := strings.Compare(ai, bi); c != 0 {
		return c
	}
	return strings.Compare(af, bf)
}

// compareScalar orders two key values of one type: numerically for N,
// bytewise for S and B.
func compareScalar(typ byte, a, b []byte) int {
	if typ == tagN {
		return compareNumbers(string(a), string(b))
	}
	return bytes.Compare(a, b)
}

// validateValue checks av as DynamoDB does for an item attribute or an
// expression value: each type that is set for its own errors, in the
// order of the types, then that exactly one type is set.
func validateValue(av *AttributeValue) *awsproto.Error {
	if av == nil || typeCount(av) == 0 {
		return awsproto.Validation(msgEmptyAttr)
	}
	if av.N != nil {
		if _, err := parseNumber(*av.N); err != nil {
			return err
		}
	}
	if av.NULL != nil && !*av.NULL {
		return awsproto.Validation(msgNullFalse)
	}
	if av.SS != nil {
		if len(av.SS) == 0 {
			return awsproto.Validation(msgEmptySS)
		}
		if hasDuplicate(av.SS) {
			return awsproto.Validation("One or more parameter values were invalid: Input collection %s contains duplicates.", listString(av.SS))
		}
	}
	if av.NS != nil {
		if len(av.NS) == 0 {
			return awsproto.Validation(msgEmptyNS)
		}
		canon := make([]string, len(av.NS))
		for i, x := range av.NS {
			n, err := parseNumber(x)
			if err != nil {
				return err
			}
			canon[i] = n.String()
		}
		if hasDuplicate(canon) {
			return awsproto.Validation("Input collection contains duplicates")
		}
	}
	if av.BS != nil {
		if len(av.BS) == 0 {
			return awsproto.Validation(msgEmptyBS)
		}
		enc := make([]string, len(av.BS))
		for i, b := range av.BS {
			enc[i] = base64.StdEncoding.EncodeToString(b)
		}
		if hasDuplicate(enc) {
			return awsproto.Validation("One or more parameter values were invalid: Input collection %sof type BS contains duplicates.", listString(enc))
		}
	}
	if av.M != nil {
		for _, k := range sortedKeys(av.M) {
			if err := validateValue(av.M[k]); err != nil {
				return err
			}
		}
	}
	for _, v := range av.L {
		if err := validateValue(v); err != nil {
			return err
		}
	}
	if typeCount(av) > 1 {
		return awsproto.Validation(msgManyTypes)
	}
	return nil
}

func hasDuplicate(ss []string) bool {
	seen := make(map[string]bool, len(ss))
	for _, s := range ss {
		if seen[s] {
			return true
		}
		seen[s] = true
	}
	return false
}

func listString(ss []string) string {
	return "[" + strings.Join(ss, ", ") + "]"
}

// valueSize is av's contribution to an item's size as DynamoDB computes it
// (UTF-8 bytes of strings, raw bytes of binaries, numbers by significant
// digits, 1 for BOOL and NULL, 3 plus one per element for lists and maps).
// av must be valid.
func valueSize(av *AttributeValue) int {
	switch {
	case av.S != nil:
		return len(*av.S)
	case av.N != nil:
		n, _ := parseNumber(*av.N)
		return n.size()
	case av.B != nil:
		return len(av.B)
	case av.BOOL != nil, av.NULL != nil:
		return 1
	case av.SS != nil:
		s := 0
		for _, x := range av.SS {
			s += len(x)
		}
		return s
	case av.NS != nil:
		s := 0
		for _, x := range av.NS {
			n, _ := parseNumber(x)
			s += n.size()
		}
		return s
	case av.BS != nil:
		s := 0
		for _, x := range av.BS {
			s += len(x)
		}
		return s
	case av.L != nil:
		s := 3
		for _, x := range av.L {
			s += 1 + valueSize(x)
		}
		return s
	case av.M != nil:
		s := 3
		for k, x := range av.M {
			s += 1 + len(k) + valueSize(x)
		}
		return s
	}
	return 0
}

// itemSize is the size DynamoDB counts against the 400 KB limit: the
// attribute names' UTF-8 lengths plus the values' sizes.
func itemSize(it Item) int {
	s := 0
	for k, v := range it {
		s += len(k) + valueSize(v)
	}
	return s
}

// attrAlias decodes an AttributeValue the standard way.
type attrAlias AttributeValue

// UnmarshalJSON decodes the common values ({"S": "..."} and {"N": "..."}
// without escapes) directly, the rest as encoding/json does: item values
// are most of what BatchWriteItem decodes.
func (av *AttributeValue) UnmarshalJSON(data []byte) error {
	if key, val, ok := simpleAttr(data); ok {
		s := string(val)
		*av = AttributeValue{}
		if key == 'S' {
			av.S = &s
		} else {
			av.N = &s
		}
		return nil
	}
	*av = AttributeValue{}
	return json.Unmarshal(data, (*attrAlias)(av))
}

// simpleAttr recognizes {"S":"text"} or {"N":"text"} (with optional
// whitespace) whose text needs no unescaping and is valid UTF-8.
func simpleAttr(data []byte) (key byte, val []byte, ok bool) {
	i := 0
	ws := func() {
		for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
			i++
		}
	}
	ws()
	if i+5 >= len(data) || data[i] != '{' {
		return 0, nil, false
	}
	i++
	ws()
	if i+3 >= len(data) || data[i] != '"' || (data[i+1] != 'S' && data[i+1] != 'N') || data[i+2] != '"' {
		return 0, nil, false
	}
	key = data[i+1]
	i += 3
	ws()
	if i >= len(data) || data[i] != ':' {
		return 0, nil, false
	}
	i++
	ws()
	if i >= len(data) || data[i] != '"' {
		return 0, nil, false
	}
	i++
	start := i
	for i < len(data) && data[i] != '"' {
		if c := data[i]; c == '\\' || c < 0x20 {
			return 0, nil, false
		}
		i++
	}
	if i >= len(data) {
		return 0, nil, false
	}
	val = data[start:i]
	i++
	ws()
	if i >= len(data) || data[i] != '}' {
		return 0, nil, false
	}
	i++
	ws()
	if i != len(data) || !utf8.Valid(val) {
		return 0, nil, false
	}
	return key, val, true
}
