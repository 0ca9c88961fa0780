package dynamodb

import (
	"encoding/base64"
	"encoding/json"
	"unicode/utf8"
)

// A decoder without reflection for the body of BatchWriteItem, the bulk of
// what a full load sends. It reads the common form of the request (the
// members spelled exactly, each once, every AttributeValue with exactly one
// member) and gives up on anything else, which decodeBody then reads as
// before; so where it answers, it answers as encoding/json would (a fuzz
// test holds it to that), and every error keeps Coral's words.
//
// Strings are substrings of one copy of the body where they need no
// unescaping; AttributeValues come from one slab per request.

// fastBatchWriteInput decodes body, or reports false when it cannot.
func fastBatchWriteInput(body []byte) (*batchWriteItemInput, bool) {
	d := fastDecoder{data: body, s: string(body)}
	in := &batchWriteItemInput{}
	var seenItems, seenCap, seenMetrics bool
	d.ws()
	d.object(func(key string) {
		switch {
		case key == "RequestItems" && !seenItems:
			seenItems = true
			if d.null() {
				d.fail() // rare: left to decodeBody
				return
			}
			in.RequestItems = map[string][]WriteRequest{}
			d.object(func(table string) {
				if _, dup := in.RequestItems[table]; dup {
					d.fail()
					return
				}
				in.RequestItems[table] = d.writeRequests()
			})
		case key == "ReturnConsumedCapacity" && !seenCap:
			seenCap = true
			in.ReturnConsumedCapacity = d.optString()
		case key == "ReturnItemCollectionMetrics" && !seenMetrics:
			seenMetrics = true
			in.ReturnItemCollectionMetrics = d.optString()
		default:
			d.fail()
		}
	})
	d.ws()
	if !d.ok() || d.i != len(d.data) || !seenItems {
		return nil, false
	}
	return in, true
}

type fastDecoder struct {
	data []byte
	s    string // data as a string, for substrings
	i    int
	bad  bool

	avs []AttributeValue // slab the values come from
	ss  []string         // slab of S and N values
}

func (d *fastDecoder) ok() bool { return !d.bad }

func (d *fastDecoder) fail() {
	d.bad = true
	d.i = len(d.data)
}

func (d *fastDecoder) ws() {
	for d.i < len(d.data) {
		switch d.data[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// next consumes the byte c, after whitespace, or fails.
func (d *fastDecoder) next(c byte) bool {
	d.ws()
	if d.i < len(d.data) && d.data[d.i] == c {
		d.i++
		return true
	}
	d.fail()
	return false
}

// peek returns the next byte after whitespace, 0 at the end.
func (d *fastDecoder) peek() byte {
	d.ws()
	if d.i < len(d.data) {
		return d.data[d.i]
	}
	return 0
}

// literal consumes word (true, false, null) if it comes next.
func (d *fastDecoder) literal(word string) bool {
	d.ws()
	if len(d.s)-d.i >= len(word) && d.s[d.i:d.i+len(word)] == word {
		d.i += len(word)
		return true
	}
	return false
}

func (d *fastDecoder) null() bool { return d.literal("null") }

// object reads {"key": value, ...}, calling member for each key with the
// decoder before the value, which member must consume.
func (d *fastDecoder) object(member func(key string)) {
	if !d.next('{') {
		return
	}
	if d.peek() == '}' {
		d.i++
		return
	}
	for !d.bad {
		key := d.string()
		if !d.next(':') {
			return
		}
		member(key)
		if d.bad {
			return
		}
		switch d.peek() {
		case ',':
			d.i++
		case '}':
			d.i++
			return
		default:
			d.fail()
		}
	}
}

// array reads [value, ...], calling elem before each value.
func (d *fastDecoder) array(elem func()) {
	if !d.next('[') {
		return
	}
	if d.peek() == ']' {
		d.i++
		return
	}
	for !d.bad {
		elem()
		if d.bad {
			return
		}
		switch d.peek() {
		case ',':
			d.i++
		case ']':
			d.i++
			return
		default:
			d.fail()
		}
	}
}

// string reads a JSON string. One without escapes that is valid UTF-8 is a
// substring of the body; others are unquoted by encoding/json, which turns
// invalid UTF-8 into U+FFFD.
func (d *fastDecoder) string() string {
	if !d.next('"') {
		return ""
	}
	start := d.i
	plain := true
	for d.i < len(d.data) {
		c := d.data[d.i]
		switch {
		case c == '"':
			s := d.s[start:d.i]
			d.i++
			if plain {
				return s
			}
			var out string
			if json.Unmarshal(d.data[start-1:d.i], &out) != nil {
				d.fail()
			}
			return out
		case c == '\\':
			plain = false
			d.i += 2
		case c < 0x20:
			d.fail() // not JSON
			return ""
		case c < utf8.RuneSelf:
			d.i++
		default:
			r, n := utf8.DecodeRune(d.data[d.i:])
			if r == utf8.RuneError && n == 1 {
				plain = false
			}
			d.i += n
		}
	}
	d.fail()
	return ""
}

// optString reads a string or null.
func (d *fastDecoder) optString() *string {
	if d.null() {
		return nil
	}
	s := d.string()
	return &s
}

// newString returns a pointer to s from the slab.
func (d *fastDecoder) newString(s string) *string {
	if len(d.ss) == cap(d.ss) {
		d.ss = make([]string, 0, 128)
	}
	d.ss = append(d.ss, s)
	return &d.ss[len(d.ss)-1]
}

func (d *fastDecoder) newValue() *AttributeValue {
	if len(d.avs) == cap(d.avs) {
		d.avs = make([]AttributeValue, 0, 128)
	}
	d.avs = d.avs[:len(d.avs)+1]
	return &d.avs[len(d.avs)-1]
}

// writeRequests reads a table's list of WriteRequests.
func (d *fastDecoder) writeRequests() []WriteRequest {
	if d.peek() != '[' {
		d.fail()
		return nil
	}
	reqs := make([]WriteRequest, 0, maxBatchWrite)
	d.array(func() {
		var r WriteRequest
		d.object(func(key string) {
			switch {
			case key == "PutRequest" && r.PutRequest == nil:
				r.PutRequest = &putRequest{}
				d.object(func(key string) {
					if key != "Item" || r.PutRequest.Item != nil {
						d.fail()
						return
					}
					r.PutRequest.Item = d.item()
				})
			case key == "DeleteRequest" && r.DeleteRequest == nil:
				r.DeleteRequest = &deleteRequest{}
				d.object(func(key string) {
					if key != "Key" || r.DeleteRequest.Key != nil {
						d.fail()
						return
					}
					r.DeleteRequest.Key = d.item()
				})
			default:
				d.fail()
			}
		})
		reqs = append(reqs, r)
	})
	return reqs
}

// item reads an object of attribute values; a name given twice keeps its
// last value, as encoding/json does.
func (d *fastDecoder) item() Item {
	if d.peek() != '{' {
		d.fail()
		return nil
	}
	it := make(Item, 8)
	d.object(func(name string) { it[name] = d.value() })
	return it
}

// value reads an AttributeValue with exactly one member.
func (d *fastDecoder) value() *AttributeValue {
	av := d.newValue()
	members := 0
	d.object(func(key string) {
		if members++; members > 1 {
			d.fail()
			return
		}
		switch key {
		case "S", "N":
			if d.peek() != '"' {
				d.fail()
				return
			}
			p := d.newString(d.string())
			if key == "S" {
				av.S = p
			} else {
				av.N = p
			}
		case "B":
			av.B = d.blob()
		case "BOOL", "NULL":
			var v bool
			switch {
			case d.literal("true"):
				v = true
			case d.literal("false"):
			default:
				d.fail()
				return
			}
			if key == "BOOL" {
				av.BOOL = &v
			} else {
				av.NULL = &v
			}
		case "M":
			av.M = d.item()
		case "L":
			if d.peek() != '[' {
				d.fail()
				return
			}
			av.L = []*AttributeValue{}
			d.array(func() { av.L = append(av.L, d.value()) })
		case "SS", "NS":
			if d.peek() != '[' {
				d.fail()
				return
			}
			ss := []string{}
			d.array(func() {
				if d.peek() != '"' {
					d.fail()
					return
				}
				ss = append(ss, d.string())
			})
			if key == "SS" {
				av.SS = ss
			} else {
				av.NS = ss
			}
		case "BS":
			if d.peek() != '[' {
				d.fail()
				return
			}
			av.BS = []blob{}
			d.array(func() { av.BS = append(av.BS, d.blob()) })
		default:
			d.fail()
		}
	})
	if members != 1 {
		d.fail()
	}
	return av
}

// blob reads a base64 string, strictly as blob.UnmarshalJSON does.
func (d *fastDecoder) blob() blob {
	if d.peek() != '"' {
		d.fail()
		return nil
	}
	s := d.string()
	if d.bad {
		return nil
	}
	v, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		d.fail()
		return nil
	}
	return v
}
