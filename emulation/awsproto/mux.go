package awsproto

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
)

// Protocol is the flavour of AWS JSON a service speaks.
type Protocol struct {
	// ContentType is "application/x-amz-json-1.0" (DynamoDB) or
	// "application/x-amz-json-1.1" (Kinesis, Firehose).
	ContentType string
	// TypePrefix is written before the error code in `__type`, e.g.
	// "com.amazonaws.dynamodb.v20120810#"; empty for Kinesis and Firehose.
	TypePrefix string
	// CRC32 adds the X-Amz-Crc32 header DynamoDB sends with every response
	// (the CRC-32 of the body), which its SDKs verify.
	CRC32 bool
}

// Protocols of the emulated JSON services.
var (
	JSON10DynamoDB = Protocol{ContentType: "application/x-amz-json-1.0", TypePrefix: "com.amazonaws.dynamodb.v20120810#", CRC32: true}
	// JSON10DynamoDBStreams is DynamoDB Streams' flavour: no CRC header.
	JSON10DynamoDBStreams = Protocol{ContentType: "application/x-amz-json-1.0", TypePrefix: "com.amazonaws.dynamodb.v20120810#"}
	JSON11                = Protocol{ContentType: "application/x-amz-json-1.1"}
)

// Op is one operation: it receives the raw request body and returns a value
// to be encoded as the JSON response, or an error (an *Error for a protocol
// error; anything else is a 500).
type Op func(ctx context.Context, body []byte) (any, error)

// Mux dispatches JSON-protocol requests by the operation named in
// X-Amz-Target. It is an http.Handler.
type Mux struct {
	svc   Service
	proto Protocol
	ops   map[string]Op
	reqID atomic.Uint64
}

// NewMux returns an empty Mux for svc speaking proto.
func NewMux(svc Service, proto Protocol) *Mux {
	return &Mux{svc: svc, proto: proto, ops: map[string]Op{}}
}

// Handle registers op under name (the part of X-Amz-Target after the dot).
func (m *Mux) Handle(name string, op Op) { m.ops[name] = op }

// Typed adapts a typed function to an Op: the body is decoded into In with
// unknown fields allowed, as AWS services accept them.
func Typed[In any, Out any](fn func(context.Context, *In) (*Out, error)) Op {
	return func(ctx context.Context, body []byte) (any, error) {
		in := new(In)
		if len(body) > 0 {
			if err := json.Unmarshal(body, in); err != nil {
				return nil, Errorf(http.StatusBadRequest, CodeSerialization, "%s", serializationMessage(err))
			}
		}
		out, err := fn(ctx, in)
		if err != nil {
			return nil, err
		}
		return out, nil
	}
}

func serializationMessage(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("Unexpected value type in payload for field %q", te.Field)
	}
	return "Start of structure or map found where not expected. " + err.Error()
}

// Operations returns the names of the registered operations.
func (m *Mux) Operations() []string {
	names := make([]string, 0, len(m.ops))
	for n := range m.ops {
		names = append(names, n)
	}
	return names
}

func (m *Mux) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := m.reqID.Add(1)
	if m.svc.RequestID != nil {
		w.Header().Set("X-Amzn-Requestid", m.svc.RequestID(n))
	} else {
		w.Header().Set("X-Amzn-Requestid", m.svc.Name+"-"+strconv.FormatUint(n, 10))
	}
	target := r.Header.Get("X-Amz-Target")
	name, ok := strings.CutPrefix(target, m.svc.TargetPrefix)
	op := m.ops[name]
	if !ok || op == nil {
		m.WriteError(w, Errorf(http.StatusBadRequest, CodeUnknownOperation, "Unknown operation %q", target))
		return
	}
	if r.Method != http.MethodPost {
		m.WriteError(w, Errorf(http.StatusBadRequest, CodeSerialization, "JSON protocol requests must be POST"))
		return
	}
	body, err := ReadBody(r)
	if err != nil {
		m.WriteError(w, Errorf(http.StatusBadRequest, CodeSerialization, "read body: %v", err))
		return
	}
	out, err := op(r.Context(), body)
	if err != nil {
		m.WriteError(w, err)
		return
	}
	m.WriteJSON(w, http.StatusOK, out)
}

// maxPrealloc bounds the buffer ReadBody allocates up front from a
// request's Content-Length.
const maxPrealloc = 16 << 20

// ReadBody reads a request's body in one allocation when its length is
// known (io.ReadAll grows its buffer from 512 bytes, copying as it goes).
func ReadBody(r *http.Request) ([]byte, error) {
	if r.ContentLength <= 0 || r.ContentLength > maxPrealloc {
		return io.ReadAll(r.Body)
	}
	// One byte more than announced, so that a longer body still reads to
	// the end (and is then as long as it is).
	buf := make([]byte, 0, r.ContentLength+1)
	for {
		n, err := r.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
		if len(buf) == cap(buf) {
			rest, err := io.ReadAll(r.Body)
			return append(buf, rest...), err
		}
	}
}

// WriteJSON writes v as the service's JSON response.
func (m *Mux) WriteJSON(w http.ResponseWriter, status int, v any) {
	WriteJSON(w, m.proto, status, v)
}

// WriteError writes err as the service's JSON error response.
func (m *Mux) WriteError(w http.ResponseWriter, err error) {
	WriteError(w, m.proto, AsError(err, m.svc.InternalCode))
}

// An Appender renders itself as JSON, exactly as encoding/json would
// render it; WriteJSON writes that as it is, without encoding/json's pass
// over the result (which costs much for large responses).
type Appender interface {
	AppendJSON(b []byte) []byte
}

// WriteJSON writes v with the protocol's content type.
func WriteJSON(w http.ResponseWriter, proto Protocol, status int, v any) {
	var b []byte
	var err error
	if a, ok := v.(Appender); ok {
		b = a.AppendJSON(nil)
	} else {
		b, err = json.Marshal(v)
	}
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"__type":"` + proto.TypePrefix + `InternalFailure","message":"encode response"}`)
	}
	w.Header().Set("Content-Type", proto.ContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	if proto.CRC32 {
		w.Header().Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(b)), 10))
	}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// WriteError writes e in AWS JSON error form: {"__type": ..., "message": ...}
// and the X-Amzn-ErrorType header.
func WriteError(w http.ResponseWriter, proto Protocol, e *Error) {
	w.Header().Set("X-Amzn-Errortype", e.Code)
	if len(e.Fields) > 0 {
		body := make(map[string]any, len(e.Fields)+2)
		for k, v := range e.Fields {
			body[k] = v
		}
		body["__type"], body["message"] = proto.typeName(e.Code), e.Message
		WriteJSON(w, proto, e.Status, body)
		return
	}
	if proto.TypePrefix != "" && e.Code == CodeSerialization {
		// Coral's SerializationException spells the member Message.
		WriteJSON(w, proto, e.Status, struct {
			Type    string `json:"__type"`
			Message string `json:"Message,omitempty"`
		}{proto.typeName(e.Code), e.Message})
		return
	}
	WriteJSON(w, proto, e.Status, struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{proto.typeName(e.Code), e.Message})
}

// coralCodes are the errors AWS's request framework (Coral) raises before a
// service sees the request; DynamoDB names them in Coral's namespaces.
var coralCodes = map[string]string{
	CodeValidation:            "com.amazon.coral.validate#",
	CodeSerialization:         "com.amazon.coral.service#",
	CodeUnknownOperation:      "com.amazon.coral.service#",
	CodeMissingAuthentication: "com.amazon.coral.service#",
	"AccessDeniedException":   "com.amazon.coral.service#",
}

// typeName is the `__type` of an error code in this protocol.
func (p Protocol) typeName(code string) string {
	if p.TypePrefix == "" {
		return code
	}
	if ns, ok := coralCodes[code]; ok {
		return ns + code
	}
	return p.TypePrefix + code
}
