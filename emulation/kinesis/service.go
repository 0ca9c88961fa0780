package kinesis

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/mldatalake/mldatalake/emulation/awsproto"
	"github.com/mldatalake/mldatalake/emulation/fault"
)

// Defaults the emulator reports, as LocalStack does.
const (
	DefaultRegion  = "us-east-1"
	DefaultAccount = "000000000000"
)

// DefaultTransitionDelay is how long a stream stays CREATING, UPDATING (after
// a split or merge) or DELETING; WithTransitionDelay changes it.
const DefaultTransitionDelay = 500 * time.Millisecond

// Service is the emulated Kinesis: the protocol layer over a Backend. It is
// an http.Handler for requests whose X-Amz-Target starts with
// "Kinesis_20131202.", in JSON (application/x-amz-json-1.1) or CBOR
// (application/x-amz-cbor-1.1, what the AWS SDKs for Java and the KCL send).
type Service struct {
	backend Backend
	ops     map[string]handler
	faults  *fault.Injector
	now     func() time.Time
	log     *slog.Logger
	region  string
	account string
	delay   time.Duration
}

// Option configures a Service.
type Option func(*Service)

// WithFaults injects partial batch failures from inj.
func WithFaults(inj *fault.Injector) Option { return func(s *Service) { s.faults = inj } }

// WithClock sets the time source of arrival timestamps and iterator expiry.
// State transitions (CREATING to ACTIVE) follow real time regardless.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithLogger sets the logger; the default discards.
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// WithRegion sets the region and account that appear in stream ARNs.
func WithRegion(region, account string) Option {
	return func(s *Service) { s.region, s.account = region, account }
}

// WithTransitionDelay sets how long streams stay CREATING, UPDATING and
// DELETING (default DefaultTransitionDelay; 0 makes changes take effect at
// once).
func WithTransitionDelay(d time.Duration) Option { return func(s *Service) { s.delay = d } }

// WithBackend sets where streams and records are kept; the default is a
// MemStore configured from the Service's other options.
func WithBackend(b Backend) Option { return func(s *Service) { s.backend = b } }

// New returns a Kinesis with no streams.
func New(opts ...Option) *Service {
	s := &Service{
		now: time.Now, log: slog.New(slog.DiscardHandler),
		region: DefaultRegion, account: DefaultAccount, delay: DefaultTransitionDelay,
	}
	for _, o := range opts {
		o(s)
	}
	if s.backend == nil {
		s.backend = NewMemStore(MemConfig{Now: s.now, Delay: s.delay, Region: s.region, Account: s.account})
	}
	s.ops = map[string]handler{
		"CreateStream":                  op(s.createStream),
		"DeleteStream":                  op(s.deleteStream),
		"DescribeStream":                op(s.describeStream),
		"DescribeStreamSummary":         op(s.describeStreamSummary),
		"ListStreams":                   op(s.listStreams),
		"ListShards":                    op(s.listShards),
		"PutRecord":                     op(s.putRecord),
		"PutRecords":                    op(s.putRecords),
		"GetShardIterator":              op(s.getShardIterator),
		"GetRecords":                    op(s.getRecords),
		"SplitShard":                    op(s.splitShard),
		"MergeShards":                   op(s.mergeShards),
		"IncreaseStreamRetentionPeriod": op(s.increaseRetention),
		"DecreaseStreamRetentionPeriod": op(s.decreaseRetention),
		"AddTagsToStream":               op(s.addTagsToStream),
		"RemoveTagsFromStream":          op(s.removeTagsFromStream),
		"ListTagsForStream":             op(s.listTagsForStream),
		"TagResource":                   op(s.tagResource),
		"UntagResource":                 op(s.untagResource),
		"ListTagsForResource":           op(s.listTagsForResource),
	}
	return s
}

// Backend returns where the Service keeps its streams.
func (s *Service) Backend() Backend { return s.backend }

// StreamARN returns the ARN the emulator gives the stream called name.
func (s *Service) StreamARN(name string) string {
	return "arn:aws:kinesis:" + s.region + ":" + s.account + ":stream/" + name
}

// ---- protocol ----

// handler decodes a request body with a codec and runs one operation. A nil
// result is answered with an empty body.
type handler func(ctx context.Context, c codec, body []byte) (any, error)

// op adapts a typed operation to a handler: members of the wrong type give
// a SerializationException worded as Kinesis words it.
func op[In any, Out any](fn func(context.Context, *In) (*Out, error)) handler {
	return func(ctx context.Context, c codec, body []byte) (any, error) {
		in := new(In)
		if err := c.unmarshal(body, in); err != nil {
			msg := serializationMessage(err)
			if c.contentType == contentCBOR {
				msg = cborSerializationMessage(err)
			}
			return nil, &awsproto.Error{Code: awsproto.CodeSerialization, Message: msg, Status: http.StatusBadRequest}
		}
		out, err := fn(ctx, in)
		if err != nil || out == nil {
			return nil, err
		}
		return out, nil
	}
}

// ServeHTTP answers a request in the order AWS's request framework checks
// it: a body at all, a content type it speaks, a body it can parse, an
// operation it knows, then the operation's own validation.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Amzn-Requestid", uuid.NewString())
	h.Set("X-Amz-Id-2", requestID2())
	name, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), awsproto.Kinesis.TargetPrefix)
	op := s.ops[name]
	if !ok {
		op = nil
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		body = nil
	}
	ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";")
	ct = strings.TrimSpace(ct)
	if len(body) == 0 || r.Method != http.MethodPost {
		c := cborCodec
		if ct == contentJSON {
			c = jsonCodec
		}
		code := awsproto.CodeUnknownOperation
		if op != nil {
			code = awsproto.CodeSerialization
		}
		s.writeError(w, c, &awsproto.Error{Code: code, Status: http.StatusBadRequest})
		return
	}
	var c codec
	switch ct {
	case contentJSON:
		c = jsonCodec
	case contentCBOR:
		c = cborCodec
	case "application/json":
		// The deprecated JSON flavour goes no further than parsing.
		code, status := "UnknownOperationException", http.StatusNotFound
		if jsonKind(body) != '{' || !json.Valid(body) {
			code, status = "SerializationException", http.StatusBadRequest
		}
		b, _ := json.Marshal(map[string]any{"Output": map[string]string{"__type": "com.amazon.coral.service#" + code}, "Version": "1.0"})
		writeBody(w, "application/json", status, b)
		return
	default:
		writeBody(w, "", http.StatusNotFound, []byte("<UnknownOperationException/>\n"))
		return
	}
	// A malformed body is a SerializationException even for an unknown
	// operation; for a known one, decoding finds out (without a second pass
	// over the body).
	if !c.startsObject(body) || (op == nil && !c.wellFormed(body)) {
		s.writeError(w, c, &awsproto.Error{Code: awsproto.CodeSerialization, Status: http.StatusBadRequest})
		return
	}
	if op == nil {
		s.writeError(w, c, &awsproto.Error{Code: awsproto.CodeUnknownOperation, Status: http.StatusBadRequest})
		return
	}
	if err := authenticate(r); err != nil {
		s.writeError(w, c, err)
		return
	}
	out, err := op(r.Context(), c, body)
	if err != nil {
		s.writeError(w, c, err)
		return
	}
	var b []byte
	if out != nil {
		if b, err = c.marshal(out); err != nil {
			s.log.Error("kinesis encode response", "op", name, "err", err)
			s.writeError(w, c, err)
			return
		}
	}
	writeBody(w, c.contentType, http.StatusOK, b)
}

// ChecksAuthentication tells the edge router that Service authenticates
// requests itself (authenticate), after the checks AWS makes first.
func (s *Service) ChecksAuthentication() bool { return true }

// authenticate checks that a request carries SigV4 authentication, in the
// Authorization header or in the query string, with the parts AWS requires,
// and answers as AWS does when it does not. The signature itself is not
// checked: any key works.
func authenticate(r *http.Request) error {
	header := r.Header.Get("Authorization")
	query := r.URL.Query()
	_, inQuery := query["X-Amz-Algorithm"]
	fail := func(code, msg string) error {
		return &awsproto.Error{Code: code, Message: msg, Status: http.StatusBadRequest}
	}
	switch {
	case header != "" && inQuery:
		return fail("InvalidSignatureException", "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.")
	case header == "" && !inQuery:
		return fail(awsproto.CodeMissingAuthentication, "Missing Authentication Token")
	}
	var msg strings.Builder
	if header != "" {
		params := map[string]string{}
		_, rest, _ := strings.Cut(header, " ")
		for _, f := range strings.FieldsFunc(rest, func(r rune) bool { return r == ',' || r == ' ' }) {
			k, v, _ := strings.Cut(f, "=")
			params[k] = v
		}
		for _, p := range []string{"Credential", "Signature", "SignedHeaders"} {
			if params[p] == "" {
				msg.WriteString("Authorization header requires '" + p + "' parameter. ")
			}
		}
		if r.Header.Get("X-Amz-Date") == "" && r.Header.Get("Date") == "" {
			msg.WriteString("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ")
		}
		if msg.Len() > 0 {
			msg.WriteString("Authorization=" + header)
		}
	} else {
		for _, p := range []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date"} {
			if query.Get(p) == "" {
				msg.WriteString("AWS query-string parameters must include '" + p + "'. ")
			}
		}
		if msg.Len() > 0 {
			msg.WriteString("Re-examine the query-string parameters.")
		}
	}
	if msg.Len() > 0 {
		return fail("IncompleteSignatureException", msg.String())
	}
	return nil
}

func writeBody(w http.ResponseWriter, contentType string, status int, b []byte) {
	if contentType != "" {
		w.Header().Set("Content-Type", contentType)
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// requestID2 is a value for the x-amz-id-2 header AWS sends with every
// response: 72 random bytes in base64.
func requestID2() string {
	var b [72]byte
	for i := 0; i < len(b); i += 8 {
		binary.LittleEndian.PutUint64(b[i:], rand.Uint64())
	}
	return base64.StdEncoding.EncodeToString(b[:])
}

// writeError answers with err as Kinesis does: {"__type": code, "message":
// text}, the message left out when there is none, and spelled "Message" in a
// SerializationException.
func (s *Service) writeError(w http.ResponseWriter, c codec, err error) {
	e := awsproto.AsError(err, awsproto.CodeInternalFailure)
	if e.Status >= 500 && e.Message != "" {
		var pe *awsproto.Error
		if !errors.As(err, &pe) {
			s.log.Error("kinesis internal failure", "err", err)
		}
	}
	body := map[string]string{"__type": e.Code}
	if e.Message != "" {
		key := "message"
		if e.Code == awsproto.CodeSerialization {
			key = "Message"
		}
		body[key] = e.Message
	}
	b, _ := c.marshal(body)
	w.Header().Set("X-Amzn-Errortype", e.Code)
	writeBody(w, c.contentType, e.Status, b)
}

// ---- names ----

// streamRef is how most operations name their stream: by name, by ARN or
// both.
type streamRef struct {
	StreamName *string `json:"StreamName"`
	StreamARN  *string `json:"StreamARN"`
}

// streamNameFromARN extracts the name from "arn:aws:kinesis:REGION:ACCOUNT:stream/NAME".
func streamNameFromARN(arn string) (string, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "kinesis" {
		return "", false
	}
	name, ok := strings.CutPrefix(parts[5], "stream/")
	if !ok || name == "" || strings.Contains(name, "/") {
		return "", false
	}
	return name, true
}

// name picks the stream name from a request that gives a name, an ARN or
// both; the members' constraints have been checked.
func (r streamRef) name() (string, error) {
	name, arn := deref(r.StreamName), deref(r.StreamARN)
	switch {
	case r.StreamName == nil && r.StreamARN == nil:
		return "", awsproto.InvalidArgument("Either StreamName or StreamARN should be provided.")
	case r.StreamARN == nil:
		return name, nil
	}
	n, ok := streamNameFromARN(arn)
	if !ok {
		return "", awsproto.InvalidArgument("StreamARN %s is not a valid Kinesis stream ARN.", arn)
	}
	if r.StreamName != nil && name != n {
		return "", awsproto.InvalidArgument("StreamARN %s and StreamName %s do not refer to the same stream.", arn, name)
	}
	return n, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// shardIndex reads a shard id as Kinesis does: the number after the first
// hyphen, or the whole id if it has none ("shardId-000000000001",
// "anything-1" and "1" all name shard 1). It returns -1 for an id that names
// no shard (not a number, or above 2^31-1).
func shardIndex(id string) int {
	digits := id
	if _, after, ok := strings.Cut(id, "-"); ok && after != "" {
		digits, _, _ = strings.Cut(after, "-")
	}
	if digits == "" {
		return -1
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return -1
		}
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n > 1<<31-1 {
		return -1
	}
	return int(n)
}
