package awsproto

import (
	"bytes"
	"context"
	"encoding/xml"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
)

// Codes of the query-protocol services (IAM, STS).
const (
	CodeMissingAction      = "MissingAction"
	CodeInvalidAction      = "InvalidAction"
	CodeMissingParameter   = "MissingParameter"
	CodeQueryValidation    = "ValidationError"
	CodeMalformedQueryBody = "MalformedQueryString"
)

// QueryOp is one operation of a query-protocol service: it receives the
// request's parameters (the form body of a POST, or the URL query) and
// returns the value encoded inside <ActionResult>, nil for none, or an error
// (an *Error for a protocol error; anything else is a 500).
type QueryOp func(ctx context.Context, params url.Values) (any, error)

// QueryMux dispatches AWS query-protocol requests (Action=...&Version=...,
// form-encoded, answered in XML) by their Action, as IAM and STS take them.
type QueryMux struct {
	svc   Service
	xmlns string
	ops   map[string]QueryOp
	reqID atomic.Uint64
}

// NewQueryMux returns an empty QueryMux for svc; xmlns is the namespace of
// its responses, e.g. "https://iam.amazonaws.com/doc/2010-05-08/".
func NewQueryMux(svc Service, xmlns string) *QueryMux {
	return &QueryMux{svc: svc, xmlns: xmlns, ops: map[string]QueryOp{}}
}

// Handle registers op under action.
func (m *QueryMux) Handle(action string, op QueryOp) { m.ops[action] = op }

// Operations returns the names of the registered actions.
func (m *QueryMux) Operations() []string {
	names := make([]string, 0, len(m.ops))
	for n := range m.ops {
		names = append(names, n)
	}
	return names
}

func (m *QueryMux) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := m.svc.Name + "-" + strconv.FormatUint(m.reqID.Add(1), 10)
	w.Header().Set("X-Amzn-Requestid", id)
	if err := r.ParseForm(); err != nil {
		m.writeError(w, id, Errorf(http.StatusBadRequest, CodeMalformedQueryBody, "%v", err))
		return
	}
	action := r.Form.Get("Action")
	if action == "" {
		m.writeError(w, id, Errorf(http.StatusBadRequest, CodeMissingAction, "Missing Action"))
		return
	}
	op := m.ops[action]
	if op == nil {
		m.writeError(w, id, Errorf(http.StatusBadRequest, CodeInvalidAction, "Could not find operation %s for version %s", action, r.Form.Get("Version")))
		return
	}
	out, err := op(r.Context(), r.Form)
	if err != nil {
		m.writeError(w, id, AsError(err, m.svc.InternalCode))
		return
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	resp := xml.StartElement{Name: xml.Name{Local: action + "Response"}, Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: m.xmlns}}}
	err = enc.EncodeToken(resp)
	if err == nil && out != nil {
		err = enc.EncodeElement(out, xml.StartElement{Name: xml.Name{Local: action + "Result"}})
	}
	if err == nil {
		err = enc.EncodeElement(struct {
			RequestID string `xml:"RequestId"`
		}{id}, xml.StartElement{Name: xml.Name{Local: "ResponseMetadata"}})
	}
	if err == nil {
		err = enc.EncodeToken(resp.End())
	}
	if err == nil {
		err = enc.Flush()
	}
	if err != nil {
		m.writeError(w, id, Errorf(http.StatusInternalServerError, m.svc.InternalCode, "encode response: %v", err))
		return
	}
	writeXML(w, http.StatusOK, b.Bytes())
}

// writeError answers in the query protocol's error form, which the SDKs
// read as ErrorResponse/Error/Code.
func (m *QueryMux) writeError(w http.ResponseWriter, id string, e *Error) {
	kind := "Sender"
	if e.Status >= 500 {
		kind = "Receiver"
	}
	b, _ := xml.Marshal(struct {
		XMLName xml.Name `xml:"ErrorResponse"`
		Xmlns   string   `xml:"xmlns,attr"`
		Error   struct {
			Type    string `xml:"Type"`
			Code    string `xml:"Code"`
			Message string `xml:"Message"`
		} `xml:"Error"`
		RequestID string `xml:"RequestId"`
	}{Xmlns: m.xmlns, Error: struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}{kind, e.Code, e.Message}, RequestID: id})
	writeXML(w, e.Status, append([]byte(xml.Header), b...))
}

// WriteQueryError writes e as a query-protocol service answers an error,
// for failures raised before the QueryMux sees the request (authentication,
// injected faults).
func WriteQueryError(w http.ResponseWriter, svc Service, e *Error) {
	(&QueryMux{svc: svc, xmlns: svc.XMLNamespace}).writeError(w, svc.Name+"-edge", e)
}

func writeXML(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// QueryList reads the members of a list parameter as the query protocol
// flattens it: name.member.1, name.member.2, ... until the first absent one.
func QueryList(params url.Values, name string) []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := params[name+".member."+strconv.Itoa(i)]
		if !ok || len(v) == 0 {
			return out
		}
		out = append(out, v[0])
	}
}

// SigningService returns the service name of a SigV4 request's credential
// scope ("AKID/20260101/us-east-1/iam/aws4_request"), from the Authorization
// header or a presigned URL's X-Amz-Credential; "" when there is none.
func SigningService(r *http.Request) string {
	cred := ""
	if auth := r.Header.Get("Authorization"); auth != "" {
		_, after, ok := strings.Cut(auth, "Credential=")
		if !ok {
			return ""
		}
		cred, _, _ = strings.Cut(after, ",")
	} else {
		cred = r.URL.Query().Get("X-Amz-Credential")
	}
	parts := strings.Split(strings.TrimSpace(cred), "/")
	if len(parts) != 5 {
		return ""
	}
	return parts[3]
}

// AccessKey returns the access key id of a SigV4 request, "" when there is none.
func AccessKey(r *http.Request) string {
	if auth := r.Header.Get("Authorization"); auth != "" {
		_, after, ok := strings.Cut(auth, "Credential=")
		if !ok {
			return ""
		}
		key, _, _ := strings.Cut(after, "/")
		return key
	}
	key, _, _ := strings.Cut(r.URL.Query().Get("X-Amz-Credential"), "/")
	return key
}
