package dynamodb

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"slices"
)

// An item is stored as one compact record:
//
//	record := uvarint(size) uvarint(count) attr*
//	attr   := uvarint(nameID) value
//	value  := tag payload
//
// size is the item's size as DynamoDB counts it (what Limit's 1 MB pages and
// capacity are measured in), so that scans need not walk the record.
// Attribute names are interned per table (nameID). The key attributes come
// first, hash then range, so that a key is read without walking the record.
// Payloads: S, N (canonical decimal) and B are uvarint(len) bytes; BOOL and
// NULL are the tag alone; sets are uvarint(count) then each element as
// uvarint(len) bytes; L is uvarint(count) then values; M is uvarint(count)
// then uvarint(len) name value, names sorted.
const (
	tagS     byte = 1
	tagN     byte = 2
	tagB     byte = 3
	tagFalse byte = 4
	tagTrue  byte = 5
	tagNull  byte = 6
	tagSS    byte = 7
	tagNS    byte = 8
	tagBS    byte = 9
	tagL     byte = 10
	tagM     byte = 11
)

var errCorrupt = errors.New("dynamodb: corrupt record")

// keyTag maps an AttributeDefinition type to its tag.
func keyTag(t string) byte {
	switch t {
	case "S":
		return tagS
	case "N":
		return tagN
	case "B":
		return tagB
	}
	return 0
}

func tagName(t byte) string {
	return [...]string{"", "S", "N", "B", "BOOL", "BOOL", "NULL", "SS", "NS", "BS", "L", "M"}[t]
}

func sortedKeys(it Item) []string {
	ks := make([]string, 0, len(it))
	for k := range it {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// scalarBytes returns the bytes a scalar key value is stored, hashed and
// compared as: the UTF-8 string, the raw binary, or the canonical number.
func scalarBytes(av *AttributeValue) []byte {
	switch {
	case av.S != nil:
		return []byte(*av.S)
	case av.B != nil:
		return av.B
	case av.N != nil:
		n, _ := parseNumber(*av.N)
		return []byte(n.String())
	}
	return nil
}

// appendValue encodes a valid av.
func appendValue(b []byte, av *AttributeValue) []byte {
	switch {
	case av.S != nil:
		b = append(b, tagS)
		b = binary.AppendUvarint(b, uint64(len(*av.S)))
		return append(b, *av.S...)
	case av.N != nil:
		n, _ := parseNumber(*av.N)
		s := n.String()
		b = append(b, tagN)
		b = binary.AppendUvarint(b, uint64(len(s)))
		return append(b, s...)
	case av.B != nil:
		b = append(b, tagB)
		b = binary.AppendUvarint(b, uint64(len(av.B)))
		return append(b, av.B...)
	case av.BOOL != nil:
		if *av.BOOL {
			return append(b, tagTrue)
		}
		return append(b, tagFalse)
	case av.NULL != nil:
		return append(b, tagNull)
	case av.SS != nil:
		return appendSet(b, tagSS, av.SS)
	case av.NS != nil:
		b = append(b, tagNS)
		b = binary.AppendUvarint(b, uint64(len(av.NS)))
		for _, x := range av.NS {
			n, _ := parseNumber(x)
			s := n.String()
			b = binary.AppendUvarint(b, uint64(len(s)))
			b = append(b, s...)
		}
		return b
	case av.BS != nil:
		return appendSet(b, tagBS, av.BS)
	case av.L != nil:
		b = append(b, tagL)
		b = binary.AppendUvarint(b, uint64(len(av.L)))
		for _, e := range av.L {
			b = appendValue(b, e)
		}
		return b
	case av.M != nil:
		b = append(b, tagM)
		b = binary.AppendUvarint(b, uint64(len(av.M)))
		for _, k := range sortedKeys(av.M) {
			b = binary.AppendUvarint(b, uint64(len(k)))
			b = append(b, k...)
			b = appendValue(b, av.M[k])
		}
		return b
	}
	return b
}

// appendValueSize encodes a valid av and returns its size as DynamoDB
// counts it (valueSize), computed on the way.
func appendValueSize(b []byte, av *AttributeValue) ([]byte, int) {
	switch {
	case av.N != nil:
		n, _ := parseNumber(*av.N)
		s := n.String()
		b = append(b, tagN)
		b = binary.AppendUvarint(b, uint64(len(s)))
		return append(b, s...), n.size()
	case av.L != nil:
		b = append(b, tagL)
		b = binary.AppendUvarint(b, uint64(len(av.L)))
		size := 3
		for _, e := range av.L {
			var es int
			b, es = appendValueSize(b, e)
			size += 1 + es
		}
		return b, size
	case av.M != nil:
		b = append(b, tagM)
		b = binary.AppendUvarint(b, uint64(len(av.M)))
		size := 3
		for _, k := range sortedKeys(av.M) {
			b = binary.AppendUvarint(b, uint64(len(k)))
			b = append(b, k...)
			var es int
			b, es = appendValueSize(b, av.M[k])
			size += 1 + len(k) + es
		}
		return b, size
	}
	return appendValue(b, av), valueSize(av)
}

// reader walks a record.
type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) byte() byte {
	if len(r.b) == 0 {
		r.fail()
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *reader) bytes() []byte {
	n := r.uvarint()
	if uint64(len(r.b)) < n {
		r.fail()
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) fail() {
	if r.err == nil {
		r.err = errCorrupt
	}
	r.b = nil
}

// skipValue skips one value and returns its size as DynamoDB counts it.
func (r *reader) skipValue() int {
	switch t := r.byte(); t {
	case tagS, tagB:
		return len(r.bytes())
	case tagN:
		return canonicalNumberSize(r.bytes())
	case tagTrue, tagFalse, tagNull:
		return 1
	case tagSS, tagBS, tagNS:
		n := r.uvarint()
		s := 0
		for i := uint64(0); i < n && r.err == nil; i++ {
			e := r.bytes()
			if t == tagNS {
				s += canonicalNumberSize(e)
			} else {
				s += len(e)
			}
		}
		return s
	case tagL:
		n := r.uvarint()
		s := 3
		for i := uint64(0); i < n && r.err == nil; i++ {
			s += 1 + r.skipValue()
		}
		return s
	case tagM:
		n := r.uvarint()
		s := 3
		for i := uint64(0); i < n && r.err == nil; i++ {
			s += 1 + len(r.bytes()) + r.skipValue()
		}
		return s
	default:
		r.fail()
		return 0
	}
}

// canonicalNumberSize is number.size for a canonical number string.
func canonicalNumberSize(s []byte) int {
	var n number
	if len(s) > 0 && s[0] == '-' {
		n.neg = true
		s = s[1:]
	}
	ip, fp := s, []byte(nil)
	for i, c := range s {
		if c == '.' {
			ip, fp = s[:i], s[i+1:]
			break
		}
	}
	nd := 0
	if len(ip) == 1 && ip[0] == '0' {
		z := 0
		for z < len(fp) && fp[z] == '0' {
			z++
		}
		if z == len(fp) {
			return 1
		}
		nd = len(fp) - z
		n.exp = -(z + 1)
	} else {
		n.exp = len(ip) - 1
		if len(fp) > 0 {
			nd = len(ip) + len(fp)
		} else {
			t := len(ip)
			for t > 0 && ip[t-1] == '0' {
				t--
			}
			nd = t
		}
	}
	s2 := 1 + (nd+1)/2
	if nd%2 == 0 && n.exp%2 == 0 {
		s2++
	}
	if n.neg {
		s2++
	}
	return s2
}

// decodeValue reads one value back into its wire form.
func (r *reader) decodeValue() *AttributeValue {
	switch t := r.byte(); t {
	case tagS:
		s := string(r.bytes())
		return &AttributeValue{S: &s}
	case tagN:
		s := string(r.bytes())
		return &AttributeValue{N: &s}
	case tagB:
		return &AttributeValue{B: append([]byte{}, r.bytes()...)}
	case tagTrue, tagFalse:
		v := t == tagTrue
		return &AttributeValue{BOOL: &v}
	case tagNull:
		v := true
		return &AttributeValue{NULL: &v}
	case tagSS, tagNS:
		n := r.uvarint()
		ss := make([]string, 0, min(n, 1024))
		for i := uint64(0); i < n && r.err == nil; i++ {
			ss = append(ss, string(r.bytes()))
		}
		if t == tagSS {
			return &AttributeValue{SS: ss}
		}
		return &AttributeValue{NS: ss}
	case tagBS:
		n := r.uvarint()
		bs := make([]blob, 0, min(n, 1024))
		for i := uint64(0); i < n && r.err == nil; i++ {
			bs = append(bs, append([]byte{}, r.bytes()...))
		}
		return &AttributeValue{BS: bs}
	case tagL:
		n := r.uvarint()
		l := make([]*AttributeValue, 0, min(n, 1024))
		for i := uint64(0); i < n && r.err == nil; i++ {
			l = append(l, r.decodeValue())
		}
		return &AttributeValue{L: l}
	case tagM:
		n := r.uvarint()
		m := make(Item, min(n, 1024))
		for i := uint64(0); i < n && r.err == nil; i++ {
			k := string(r.bytes())
			m[k] = r.decodeValue()
		}
		return &AttributeValue{M: m}
	default:
		r.fail()
		return &AttributeValue{}
	}
}

// appendValueJSON renders one value as wire JSON.
func (r *reader) appendValueJSON(b []byte) []byte {
	switch t := r.byte(); t {
	case tagS:
		b = append(b, `{"S":`...)
		b = appendJSONString(b, string(r.bytes()))
	case tagN:
		b = append(b, `{"N":"`...)
		b = append(b, r.bytes()...)
		b = append(b, '"')
	case tagB:
		b = append(b, `{"B":`...)
		b = appendBase64(b, r.bytes())
	case tagTrue:
		b = append(b, `{"BOOL":true`...)
	case tagFalse:
		b = append(b, `{"BOOL":false`...)
	case tagNull:
		b = append(b, `{"NULL":true`...)
	case tagSS, tagNS, tagBS:
		b = append(b, `{"`...)
		b = append(b, tagName(t)...)
		b = append(b, `":[`...)
		n := r.uvarint()
		for i := uint64(0); i < n && r.err == nil; i++ {
			if i > 0 {
				b = append(b, ',')
			}
			e := r.bytes()
			switch t {
			case tagSS:
				b = appendJSONString(b, string(e))
			case tagNS:
				b = append(b, '"')
				b = append(b, e...)
				b = append(b, '"')
			default:
				b = appendBase64(b, e)
			}
		}
		b = append(b, ']')
	case tagL:
		b = append(b, `{"L":[`...)
		n := r.uvarint()
		for i := uint64(0); i < n && r.err == nil; i++ {
			if i > 0 {
				b = append(b, ',')
			}
			b = r.appendValueJSON(b)
		}
		b = append(b, ']')
	case tagM:
		b = append(b, `{"M":{`...)
		n := r.uvarint()
		for i := uint64(0); i < n && r.err == nil; i++ {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, string(r.bytes()))
			b = append(b, ':')
			b = r.appendValueJSON(b)
		}
		b = append(b, '}')
	default:
		r.fail()
		return b
	}
	return append(b, '}')
}

func appendBase64(b []byte, v []byte) []byte {
	b = append(b, '"')
	b = base64.StdEncoding.AppendEncode(b, v)
	return append(b, '"')
}

// appendSet encodes a string or binary set: its tag, its length, then each
// member with its length.
func appendSet[T ~string | ~[]byte](b []byte, tag byte, members []T) []byte {
	b = append(b, tag)
	b = binary.AppendUvarint(b, uint64(len(members)))
	for _, m := range members {
		b = binary.AppendUvarint(b, uint64(len(m)))
		b = append(b, m...)
	}
	return b
}
