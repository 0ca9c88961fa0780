package emulation

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/mldatalake/mldatalake/emulation/awsproto"
	"github.com/mldatalake/mldatalake/emulation/fault"
)

// route is one service behind the edge port.
type route struct {
	svc     awsproto.Service
	proto   awsproto.Protocol // zero for S3
	handler http.Handler
}

// routes builds the edge router: health, authentication, service selection by
// X-Amz-Target (the JSON services), by the SigV4 credential scope's service
// (the query services IAM and STS), S3 otherwise, then fault injection.
func (s *Server) routes() http.Handler {
	jsonRoutes := []route{
		{awsproto.DynamoDB, awsproto.JSON10DynamoDB, s.DynamoDB},
		{awsproto.DynamoDBStreams, awsproto.JSON10DynamoDBStreams, s.DynamoDB.Streams()},
		{awsproto.Kinesis, awsproto.JSON11, s.Kinesis},
		{awsproto.Firehose, awsproto.JSON11, s.Firehose},
	}
	queryRoutes := map[string]route{
		awsproto.IAM.Name: {svc: awsproto.IAM, handler: s.IAM},
		awsproto.STS.Name: {svc: awsproto.STS, handler: s.STS},
	}
	s3Route := route{svc: awsproto.S3, handler: s.S3}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/_localstack/health" || r.URL.Path == "/_emulator/health" {
			s.health(w)
			return
		}
		rt := s3Route
		if target := r.Header.Get("X-Amz-Target"); target != "" {
			found := false
			for _, jr := range jsonRoutes {
				if strings.HasPrefix(target, jr.svc.TargetPrefix) {
					rt, found = jr, true
					break
				}
			}
			if !found {
				awsproto.WriteError(w, awsproto.JSON11, awsproto.Errorf(http.StatusBadRequest,
					awsproto.CodeUnknownOperation, "Unknown operation %q", target))
				return
			}
		} else if qr, ok := queryRoutes[awsproto.SigningService(r)]; ok {
			rt = qr
		} else {
			virtualHostToPath(r)
		}
		if !checksOwnAuth(rt.handler) && !signed(r) {
			rt.writeError(w, r, &awsproto.Error{Status: http.StatusForbidden, Code: "AccessDenied",
				Message: "Request is missing a SigV4 Authorization header"}, true)
			return
		}
		s.serveWithFaults(w, r, rt)
	})
}

// checksOwnAuth reports whether h authenticates requests itself, in the
// order its AWS service checks a request (Kinesis: body, content type and
// operation first).
func checksOwnAuth(h http.Handler) bool {
	a, ok := h.(interface{ ChecksAuthentication() bool })
	return ok && a.ChecksAuthentication()
}

// signed reports whether r carries SigV4 authentication, in the header or as a
// presigned URL. The signature itself is not checked: any key works.
func signed(r *http.Request) bool {
	if strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		return true
	}
	return r.URL.Query().Get("X-Amz-Algorithm") == "AWS4-HMAC-SHA256" && r.URL.Query().Get("X-Amz-Signature") != ""
}

// virtualHostToPath rewrites a virtual-hosted S3 request
// (bucket.localhost, bucket.s3.localhost.localstack.cloud) to path style.
func virtualHostToPath(r *http.Request) {
	host := hostOnly(r.Host)
	for _, base := range []string{".s3.localhost.localstack.cloud", ".localhost.localstack.cloud", ".localhost"} {
		bucket, ok := strings.CutSuffix(host, base)
		if !ok || bucket == "" || bucket == "s3" || strings.Contains(bucket, ".") {
			continue
		}
		r.URL.Path = "/" + bucket + r.URL.Path
		if r.URL.RawPath != "" {
			r.URL.RawPath = "/" + bucket + r.URL.RawPath
		}
		return
	}
}

func (s *Server) serveWithFaults(w http.ResponseWriter, r *http.Request, rt route) {
	inj := s.Faults
	if inj == nil {
		rt.handler.ServeHTTP(w, r)
		return
	}
	if d := inj.Latency(); d > 0 {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
	}
	// Each operation draws its faults from a sequence of its own.
	op := r.Header.Get("X-Amz-Target")
	if op == "" {
		op = rt.svc.Name + ":" + r.Method
	}
	if inj.RollOp(op, fault.Error5xx) {
		rt.writeError(w, r, &awsproto.Error{Status: rt.svc.InternalStatus, Code: rt.svc.InternalCode,
			Message: "injected fault: internal error"}, false)
		return
	}
	if inj.RollOp(op, fault.Throttle) {
		msg := "injected fault: rate exceeded"
		if rt.svc.Name == "dynamodb" {
			msg = "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API."
		}
		rt.writeError(w, r, &awsproto.Error{Status: rt.svc.ThrottleStatus, Code: rt.svc.ThrottleCode, Message: msg}, false)
		return
	}
	if inj.RollOp(op, fault.LostResponse) {
		rec := &discardWriter{header: http.Header{}}
		rt.handler.ServeHTTP(rec, r)
		resetConnection(w)
		return
	}
	rt.handler.ServeHTTP(w, r)
}

// writeError answers with e in the route's protocol: JSON for the JSON
// services, S3's XML otherwise. For a JSON service, an authentication failure
// is MissingAuthenticationTokenException with status 400, as AWS answers.
func (rt route) writeError(w http.ResponseWriter, r *http.Request, e *awsproto.Error, auth bool) {
	if rt.svc.XMLNamespace != "" {
		if auth {
			e = &awsproto.Error{Status: http.StatusForbidden, Code: "MissingAuthenticationToken", Message: "Request is missing Authentication Token"}
		}
		awsproto.WriteQueryError(w, rt.svc, e)
		return
	}
	if rt.svc.TargetPrefix != "" {
		if auth {
			e = &awsproto.Error{Status: http.StatusBadRequest, Code: awsproto.CodeMissingAuthentication, Message: "Missing Authentication Token"}
		}
		awsproto.WriteError(w, rt.proto, e)
		return
	}
	body, _ := xml.Marshal(struct {
		XMLName   xml.Name `xml:"Error"`
		Code      string   `xml:"Code"`
		Message   string   `xml:"Message"`
		Resource  string   `xml:"Resource"`
		RequestID string   `xml:"RequestId"`
	}{Code: e.Code, Message: e.Message, Resource: r.URL.Path, RequestID: "emulator"})
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(e.Status)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(body)
}

func (s *Server) health(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"services": map[string]string{"s3": "running", "dynamodb": "running", "kinesis": "running", "firehose": "running",
			"iam": "running", "sts": "running"},
		"edition": "emulator",
	})
}

// discardWriter swallows a response whose delivery is to be lost.
type discardWriter struct {
	header http.Header
	buf    bytes.Buffer
}

func (d *discardWriter) Header() http.Header         { return d.header }
func (d *discardWriter) Write(b []byte) (int, error) { return d.buf.Write(b) }
func (d *discardWriter) WriteHeader(int)             {}

// resetConnection closes the client's connection with a TCP reset, so the
// client sees "connection reset by peer" and no response.
func resetConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}
