package kinesis

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// The member types of Kinesis requests that need more than encoding/json and
// fxamacker/cbor do by themselves: AWS's request framework (Coral) floors and
// clamps numbers, is strict about base64 and names the Java type a value
// could not be converted to. Decoding errors are *typeError values whose
// message is the one Kinesis sends in its SerializationException.

// typeError is a member of the wrong type, with Coral's message.
type typeError struct{ msg string }

func (e *typeError) Error() string { return e.msg }

// Coral's messages for a JSON value of the wrong kind.
const (
	msgListFound   = "Start of list found where not expected"
	msgStructFound = "Start of structure or map found where not expected."
	msgBigNumber   = "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to "
	msgBoolean     = "class java.lang.Boolean can not be converted to "
	msgString      = "class java.lang.String can not be converted to "
)

// jsonKind is the kind of the JSON value that starts data.
func jsonKind(data []byte) byte {
	data = bytes.TrimLeft(data, " \t\r\n")
	if len(data) == 0 {
		return 0
	}
	switch c := data[0]; c {
	case '"', '[', '{', 'n', 't', 'f':
		return c
	}
	return '0' // a number
}

// serializationMessage turns an error of json.Unmarshal into the message
// Kinesis gives, or "" when it gives none (malformed JSON).
func serializationMessage(err error) string {
	var te *typeError
	if errors.As(err, &te) {
		return te.msg
	}
	var ue *json.UnmarshalTypeError
	if !errors.As(err, &ue) || ue.Type == nil {
		return ""
	}
	kind := ue.Value
	if strings.HasPrefix(kind, "number") {
		kind = "number"
	}
	t := ue.Type
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		switch kind {
		case "bool":
			return msgBoolean + "an String"
		case "number":
			return msgBigNumber + "an String"
		}
	case reflect.Slice:
		if kind != "object" {
			return "Expected list or null"
		}
	case reflect.Map:
		if kind != "array" {
			return "Expected map or null"
		}
	case reflect.Struct:
		if kind != "array" {
			return "Expected null"
		}
	}
	switch kind {
	case "array":
		return msgListFound
	case "object":
		return msgStructFound
	}
	return ""
}

// ---- Blob ----

// blob is a Blob member: a base64 string in JSON, a byte string in CBOR. A
// present but empty value decodes to a non-nil empty slice, so that nil
// means absent.
type blob []byte

var strictBase64 = base64.StdEncoding.Strict()

func (b *blob) UnmarshalJSON(data []byte) error {
	switch jsonKind(data) {
	case 'n':
		return nil
	case '"':
	case 't', 'f':
		return &typeError{msgBoolean + "a Blob"}
	case '[':
		return &typeError{msgListFound}
	case '{':
		return &typeError{msgStructFound}
	default:
		return &typeError{msgBigNumber + "a Blob"}
	}
	s := data[1 : len(data)-1]
	if bytes.IndexByte(s, '\\') >= 0 {
		var str string
		if err := json.Unmarshal(data, &str); err != nil {
			return err
		}
		s = []byte(str)
	}
	out := make([]byte, strictBase64.DecodedLen(len(s)))
	n, err := strictBase64.Decode(out, s)
	// The standard decoder skips CR and LF; Coral does not, which the
	// length check below catches.
	if err != nil || len(s)%4 != 0 || n != len(s)/4*3-padding(s) {
		return &typeError{base64Message(string(s))}
	}
	*b = out[:n]
	return nil
}

func padding(s []byte) int {
	n := 0
	for i := len(s) - 1; i >= 0 && s[i] == '='; i-- {
		n++
	}
	return n
}

// base64Message is Coral's complaint about a string that is not base64.
func base64Message(s string) string {
	prefix := "'" + s + "' can not be converted to a Blob: "
	if len(s)%4 != 0 {
		return prefix + "Base64 encoded length is expected a multiple of 4 bytes but found: " + strconv.Itoa(len(s))
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '/' ||
			c == '=' && (i+1 == len(s) || s[i+1] == '=')
		if !ok {
			return prefix + "Invalid Base64 character: '" + string(c) + "'"
		}
	}
	return prefix + "Invalid last non-pad Base64 character dectected"
}

func (b *blob) UnmarshalCBOR(data []byte) error {
	var v any
	if err := cbor.Unmarshal(data, &v); err != nil {
		return err
	}
	switch x := v.(type) {
	case nil:
		return nil
	case []byte:
		if x == nil {
			x = []byte{}
		}
		*b = x
		return nil
	case string:
		// A text string is taken as base64, as in JSON.
		out, err := strictBase64.DecodeString(x)
		if err != nil {
			return &typeError{base64Message(x)}
		}
		*b = out
		return nil
	}
	return &typeError{cborTypeMessage(v, "a Blob")}
}

// cborTypeMessage is the message for a CBOR value decoded into the wrong
// member type, in Coral's wording for the JSON equivalent.
func cborTypeMessage(v any, target string) string {
	switch v.(type) {
	case bool:
		return msgBoolean + target
	case string:
		return msgString + target
	case []any:
		return msgListFound
	case map[any]any, map[string]any:
		return msgStructFound
	}
	return msgBigNumber + target
}

// numberKind answers for a number member what Coral answers when the JSON
// is no number: null is absent (present false, no error), and a string, a
// boolean, a list or a structure is refused (present false) with Coral's
// message for want, such as "an Integer".
func numberKind(data []byte, want string) (present bool, err error) {
	switch jsonKind(data) {
	case 'n':
		return false, nil
	case '"':
		return false, &typeError{msgString + want}
	case 't', 'f':
		return false, &typeError{msgBoolean + want}
	case '[':
		return false, &typeError{msgListFound}
	case '{':
		return false, &typeError{msgStructFound}
	}
	return true, nil
}

// ---- Integer ----

// integer is an Integer member. Like Coral, it takes any JSON number,
// rounds it down and clamps it to the 32-bit range.
type integer int64

func (n *integer) UnmarshalJSON(data []byte) error {
	if present, err := numberKind(data, "an Integer"); !present {
		return err
	}
	f, err := strconv.ParseFloat(string(bytes.TrimSpace(data)), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return &typeError{msgString + "an Integer"}
	}
	*n = clampInt32(f)
	return nil
}

func clampInt32(f float64) integer {
	f = math.Floor(f)
	switch {
	case math.IsNaN(f):
		return 0
	case f > math.MaxInt32:
		return math.MaxInt32
	case f < math.MinInt32:
		return math.MinInt32
	}
	return integer(f)
}

func (n *integer) UnmarshalCBOR(data []byte) error {
	var v any
	if err := cbor.Unmarshal(data, &v); err != nil {
		return err
	}
	switch x := v.(type) {
	case nil:
		return nil
	case uint64:
		*n = clampInt32(float64(x))
	case int64:
		*n = clampInt32(float64(x))
	case float64:
		*n = clampInt32(x)
	default:
		return &typeError{cborTypeMessage(v, "an Integer")}
	}
	return nil
}

// intp returns the value of an optional integer member.
func intp(n *integer) (int, bool) {
	if n == nil {
		return 0, false
	}
	return int(*n), true
}

// ---- Boolean ----

// boolean is a Boolean member, with Coral's messages for other values.
type boolean bool

func (b *boolean) UnmarshalJSON(data []byte) error {
	switch jsonKind(data) {
	case 'n':
		return nil
	case 't', 'f':
		var v bool
		if err := json.Unmarshal(data, &v); err != nil {
			return err
		}
		*b = boolean(v)
		return nil
	case '"':
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		return &typeError{"'" + strings.ToUpper(s) + "' can not be converted to an Boolean"}
	case '[':
		return &typeError{msgListFound}
	case '{':
		return &typeError{msgStructFound}
	}
	return &typeError{msgBigNumber + "an Boolean"}
}

// ---- Timestamp ----

// timestamp is a Timestamp member in a request: seconds since the epoch,
// kept as the float64 the client sent so that messages can quote it as
// Kinesis does.
type timestamp float64

func (t *timestamp) UnmarshalJSON(data []byte) error {
	if present, err := numberKind(data, "milliseconds since epoch"); !present {
		return err
	}
	f, err := strconv.ParseFloat(string(bytes.TrimSpace(data)), 64)
	if err != nil {
		return &typeError{msgString + "milliseconds since epoch"}
	}
	*t = timestamp(f)
	return nil
}

// UnmarshalCBOR takes a number, tagged 1 or not. The AWS SDKs for Java send
// epoch milliseconds under tag 1, other CBOR encoders epoch seconds; a value
// above 10^11 (a date after 5138 in seconds, after 1973 in milliseconds) is
// read as milliseconds.
func (t *timestamp) UnmarshalCBOR(data []byte) error {
	if len(data) > 0 && data[0]>>5 == 6 { // a tag: read what it holds
		var raw cbor.RawTag
		if err := cbor.Unmarshal(data, &raw); err != nil {
			return err
		}
		data = raw.Content
	}
	var v any
	if err := cbor.Unmarshal(data, &v); err != nil {
		return err
	}
	var f float64
	switch x := v.(type) {
	case nil:
		return nil
	case uint64:
		f = float64(x)
	case int64:
		f = float64(x)
	case float64:
		f = x
	default:
		return &typeError{cborTypeMessage(v, "milliseconds since epoch")}
	}
	if math.Abs(f) > 1e11 {
		f /= 1000
	}
	*t = timestamp(f)
	return nil
}

func (t timestamp) time() time.Time {
	sec, frac := math.Modf(float64(t))
	return time.Unix(int64(sec), int64(math.Round(frac*1e9)))
}

// epoch is a timestamp in a response: epoch seconds with millisecond
// precision in JSON, tag 1 with epoch milliseconds in CBOR (what the AWS
// SDKs for Java read).
type epoch time.Time

func (e epoch) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, float64(time.Time(e).UnixMilli())/1000, 'f', 3, 64), nil
}

func (e epoch) MarshalCBOR() ([]byte, error) {
	return cbor.Marshal(cbor.Tag{Number: 1, Content: time.Time(e).UnixMilli()})
}

// ---- encodings ----

// codec is one of the two wire formats of the Kinesis API.
type codec struct {
	contentType string
	unmarshal   func([]byte, any) error
	marshal     func(any) ([]byte, error)
}

const (
	contentJSON = "application/x-amz-json-1.1"
	contentCBOR = "application/x-amz-cbor-1.1"
)

var (
	cborDec, _ = cbor.DecOptions{}.DecMode()
	cborEnc, _ = cbor.EncOptions{}.EncMode()

	jsonCodec = codec{contentJSON, json.Unmarshal, json.Marshal}
	cborCodec = codec{contentCBOR, cborDec.Unmarshal, cborEnc.Marshal}
)

// startsObject tells whether body starts a JSON object or a CBOR map, what
// every request must be.
func (c codec) startsObject(body []byte) bool {
	if c.contentType == contentJSON {
		return jsonKind(body) == '{'
	}
	return len(body) > 0 && body[0]>>5 == 5 // major type 5: a map
}

// wellFormed tells whether body is one well-formed value.
func (c codec) wellFormed(body []byte) bool {
	if c.contentType == contentJSON {
		return json.Valid(body)
	}
	return cbor.Wellformed(body) == nil
}

// cborSerializationMessage is the message for a CBOR decoding error.
func cborSerializationMessage(err error) string {
	var te *typeError
	if errors.As(err, &te) {
		return te.msg
	}
	var ue *cbor.UnmarshalTypeError
	if errors.As(err, &ue) {
		return fmt.Sprintf("Unexpected %s for member %s", ue.CBORType, ue.StructFieldName)
	}
	return ""
}
