package kinesis

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/mldatalake/mldatalake/emulation/awsproto"
)

// The constraints of the Kinesis API model, checked before anything else
// and reported as AWS's request framework does: every violated constraint
// in one ValidationException ("2 validation errors detected: ...; ..."),
// members in the model's order, at most ten.

const maxViolations = 10

// Patterns of the model, with the text quoted in messages.
var (
	namePattern      = pattern(`[a-zA-Z0-9_.-]+`)
	hashKeyPattern   = pattern(`0|([1-9]\d{0,38})`)
	seqPattern       = pattern(`0|([1-9]\d{0,128})`)
	streamARNPattern = pattern(`arn:aws.*:kinesis:.*:\d{12}:stream/\S+`)
)

type modelPattern struct {
	re   *regexp.Regexp
	text string
}

func pattern(text string) modelPattern {
	return modelPattern{regexp.MustCompile(`^(?:` + text + `)$`), text}
}

// violations collects the constraint violations of one request.
type violations struct{ msgs []string }

func (v *violations) add(value, path, constraint string) {
	if len(v.msgs) >= maxViolations {
		return
	}
	if value != "null" {
		value = "'" + value + "'"
	}
	v.msgs = append(v.msgs, "Value "+value+" at '"+path+"' failed to satisfy constraint: "+constraint)
}

// err is the ValidationException, or nil when nothing was violated.
func (v *violations) err() error {
	switch n := len(v.msgs); n {
	case 0:
		return nil
	case 1:
		return awsproto.Validation("1 validation error detected: %s", v.msgs[0])
	default:
		return awsproto.Validation("%d validation errors detected: %s", n, strings.Join(v.msgs, "; "))
	}
}

// strRule is the model of a String member.
type strRule struct {
	required bool
	pattern  *modelPattern
	min, max int // length bounds; max 0 means none
}

// javaLen is the length of s as Java counts it, in UTF-16 code units.
func javaLen(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r > 0xFFFF {
			n++
		}
	}
	return n
}

func (v *violations) str(path string, s *string, r strRule) {
	if s == nil {
		if r.required {
			v.add("null", path, "Member must not be null")
		}
		return
	}
	if r.pattern != nil && !r.pattern.re.MatchString(*s) {
		v.add(*s, path, "Member must satisfy regular expression pattern: "+r.pattern.text)
	}
	n := javaLen(*s)
	if r.min > 0 && n < r.min {
		v.add(*s, path, "Member must have length greater than or equal to "+strconv.Itoa(r.min))
	}
	if r.max > 0 && n > r.max {
		v.add(*s, path, "Member must have length less than or equal to "+strconv.Itoa(r.max))
	}
}

func (v *violations) int(path string, n *integer, required bool, min, max int) {
	if n == nil {
		if required {
			v.add("null", path, "Member must not be null")
		}
		return
	}
	val := int(*n)
	if val < min {
		v.add(strconv.Itoa(val), path, "Member must have value greater than or equal to "+strconv.Itoa(min))
	}
	if max != 0 && val > max {
		v.add(strconv.Itoa(val), path, "Member must have value less than or equal to "+strconv.Itoa(max))
	}
}

func (v *violations) enum(path string, s *string, required bool, values string, ok func(string) bool) {
	if s == nil {
		if required {
			v.add("null", path, "Member must not be null")
		}
		return
	}
	if !ok(*s) {
		v.add(*s, path, "Member must satisfy enum value set: ["+values+"]")
	}
}

// blobValue is how Java prints a Blob member in a message.
func blobValue(n int) string {
	return fmt.Sprintf("java.nio.HeapByteBuffer[pos=0 lim=%d cap=%d]", n, n)
}

// The stream members shared by most operations.
var (
	streamNameRule = strRule{pattern: &namePattern, min: 1, max: 128}
	streamARNRule  = strRule{pattern: &streamARNPattern, min: 1, max: 2048}
	shardIDRule    = strRule{required: true, pattern: &namePattern, min: 1, max: 128}
)

// stream checks StreamName and StreamARN, both optional in today's API.
func (v *violations) stream(ref *streamRef) {
	v.str("streamName", ref.StreamName, streamNameRule)
	v.str("streamARN", ref.StreamARN, streamARNRule)
}

// streamName ends the validation of a request that names a stream: it
// checks the stream's name and ARN with the rest, reports every violation
// at once, then resolves which stream the request names.
func (v *violations) streamName(ref streamRef) (string, error) {
	v.stream(&ref)
	if err := v.err(); err != nil {
		return "", err
	}
	return ref.name()
}
