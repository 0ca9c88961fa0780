package emulation

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// InProcessConfig is Config with an HTTP client that hands every request
// to the emulator's handler in this process instead of sending it over a
// socket: for clients in the same process, such as the pipeline on the
// embedded default, which then spend nothing on TCP and HTTP framing.
// Everything else is as over the socket: the handler sees the request as
// the server would (path-only URL, RequestURI, Host, Content-Length), the
// client gets the response as the server would send it (status, headers,
// Date, a Content-Length the server would compute, large bodies streamed as
// they are written), a response lost to fault injection ends the call with
// "connection reset by peer", and after Close calls fail with "connection
// refused". Requires a started server.
func (s *Server) InProcessConfig() aws.Config {
	cfg := s.Config()
	host := ""
	if u, err := url.Parse(s.URL); err == nil {
		host = u.Host
	}
	other := http.DefaultTransport.(*http.Transport).Clone()
	other.MaxIdleConnsPerHost = 64
	cfg.HTTPClient = &http.Client{Transport: &inProcess{h: s.handler, host: host, stop: s.stop, other: other}}
	return cfg
}

// inProcess is an http.RoundTripper that serves the requests to the
// server's address with its handler, and sends the others (a client whose
// endpoint was changed) over the network.
type inProcess struct {
	h     http.Handler
	host  string        // the server's host:port
	stop  chan struct{} // closed when the server closes
	other http.RoundTripper
}

// inProcessBuffer is how much of a response is held before it is handed to
// the client as a stream (net/http's server buffers 4 KB, then chunks).
const inProcessBuffer = 64 << 10

func (t *inProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host != t.host {
		return t.other.RoundTrip(req)
	}
	select {
	case <-t.stop:
		closeBody(req)
		return nil, t.opError("dial", syscall.ECONNREFUSED)
	default:
	}
	ctx, cancel := context.WithCancel(req.Context())
	sr, err := serverRequest(ctx, req)
	if err != nil {
		cancel()
		closeBody(req)
		return nil, err
	}
	w := &inProcessWriter{req: req, method: sr.Method, header: http.Header{}, ready: make(chan struct{}), cancel: cancel}
	go func() {
		defer cancel() // the handler is done: its context ends as the connection's would
		defer closeBody(req)
		defer func() {
			if p := recover(); p != nil {
				w.abort() // as net/http's server, which closes the connection
			}
		}()
		t.h.ServeHTTP(w, sr)
		w.finish()
	}()
	select {
	case <-w.ready:
	case <-req.Context().Done():
		cancel()
		return nil, context.Cause(req.Context())
	}
	if w.res == nil {
		cancel()
		return nil, t.opError("read", syscall.ECONNRESET)
	}
	return w.res, nil
}

// opError is the error a socket would give.
func (t *inProcess) opError(op string, errno syscall.Errno) error {
	addr, _ := net.ResolveTCPAddr("tcp", t.host)
	return &net.OpError{Op: op, Net: "tcp", Addr: addr, Err: os.NewSyscallError(op, errno)}
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// serverRequest is req as net/http's server would hand it to a handler.
func serverRequest(ctx context.Context, req *http.Request) (*http.Request, error) {
	sr := req.Clone(ctx)
	u, err := url.ParseRequestURI(req.URL.RequestURI())
	if err != nil {
		return nil, err
	}
	sr.URL = u
	sr.RequestURI = req.URL.RequestURI()
	sr.Proto, sr.ProtoMajor, sr.ProtoMinor = "HTTP/1.1", 1, 1
	sr.Host = req.Host
	if sr.Host == "" {
		sr.Host = req.URL.Host
	}
	sr.RemoteAddr = "127.0.0.1:1"
	sr.Close = false
	sr.GetBody = nil
	for k, vs := range sr.Header {
		if ck := http.CanonicalHeaderKey(k); ck != k {
			delete(sr.Header, k)
			sr.Header[ck] = append(sr.Header[ck], vs...)
		}
	}
	sr.Header.Del("Host")
	sr.Body = req.Body
	if sr.Body == nil {
		sr.Body = http.NoBody
	}
	// As net/http's client sends it: a length when known, chunked when
	// not (a body with ContentLength 0), and "0" for an empty POST or PUT.
	hasBody := req.Body != nil && req.Body != http.NoBody
	switch {
	case req.ContentLength > 0:
		sr.Header.Set("Content-Length", strconv.FormatInt(req.ContentLength, 10))
	case req.ContentLength < 0 || hasBody:
		sr.ContentLength = -1
		sr.TransferEncoding = []string{"chunked"}
	case req.Method == http.MethodPost || req.Method == http.MethodPut || req.Method == http.MethodPatch:
		sr.Header.Set("Content-Length", "0")
	}
	return sr, nil
}

// inProcessWriter is the handler's http.ResponseWriter. It holds the body
// until the handler returns, then hands the whole response over; a body
// that outgrows inProcessBuffer, or a Flush, hands the response over at
// once and streams the rest through a pipe.
type inProcessWriter struct {
	req    *http.Request // the client's
	method string
	header http.Header
	cancel context.CancelFunc

	mu          sync.Mutex
	status      int
	wroteHeader bool
	buf         bytes.Buffer
	written     int64
	sniff       []byte         // the first bytes written, for the Content-Type
	pw          *io.PipeWriter // set once streaming
	hijacked    bool
	res         *http.Response
	ready       chan struct{} // closed when res is set, or the response is lost
	done        bool
}

var _ http.Hijacker = (*inProcessWriter)(nil)

func (w *inProcessWriter) Header() http.Header { return w.header }

func (w *inProcessWriter) WriteHeader(code int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writeHeaderLocked(code)
}

func (w *inProcessWriter) writeHeaderLocked(code int) {
	if w.wroteHeader || w.hijacked || code < 200 {
		return
	}
	w.wroteHeader = true
	w.status = code
}

func (w *inProcessWriter) bodyAllowed() bool {
	return w.status != http.StatusNoContent && w.status != http.StatusNotModified
}

func (w *inProcessWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	if w.hijacked {
		w.mu.Unlock()
		return 0, http.ErrHijacked
	}
	w.writeHeaderLocked(http.StatusOK)
	if !w.bodyAllowed() {
		w.mu.Unlock()
		return 0, http.ErrBodyNotAllowed
	}
	w.written += int64(len(p))
	if len(w.sniff) < 512 {
		w.sniff = append(w.sniff, p[:min(len(p), 512-len(w.sniff))]...)
	}
	if w.method == http.MethodHead {
		w.mu.Unlock()
		return len(p), nil
	}
	if w.pw == nil && w.buf.Len()+len(p) <= inProcessBuffer {
		w.buf.Write(p)
		w.mu.Unlock()
		return len(p), nil
	}
	if w.pw == nil {
		w.streamLocked()
	}
	pw := w.pw
	w.mu.Unlock()
	return pw.Write(p)
}

// Flush hands the response over and streams the rest.
func (w *inProcessWriter) Flush() {
	w.mu.Lock()
	if w.hijacked || w.res != nil {
		w.mu.Unlock()
		return
	}
	w.writeHeaderLocked(http.StatusOK)
	w.streamLocked()
	w.mu.Unlock()
}

// streamLocked hands the response over with a body read from a pipe, into
// which what is buffered goes first.
func (w *inProcessWriter) streamLocked() {
	pr, pw := io.Pipe()
	w.pw = pw
	held := bytes.Clone(w.buf.Bytes())
	w.buf = bytes.Buffer{}
	length := int64(-1)
	if cl, err := strconv.ParseInt(w.header.Get("Content-Length"), 10, 64); err == nil && cl >= 0 {
		length = cl
	}
	w.respondLocked(&streamBody{Reader: io.MultiReader(bytes.NewReader(held), pr), pr: pr, cancel: w.cancel}, length)
}

// finish completes the response when the handler returns.
func (w *inProcessWriter) finish() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.done = true
	switch {
	case w.hijacked:
		if w.res == nil {
			close(w.ready)
		}
		return
	case w.pw != nil:
		w.pw.Close()
		return
	case w.res != nil:
		return
	}
	w.writeHeaderLocked(http.StatusOK)
	// As net/http's server: a Content-Length for a body that fit its buffer,
	// but not for a HEAD request to which the handler wrote nothing.
	if _, ok := w.header["Content-Length"]; !ok && w.bodyAllowed() && w.header.Get("Transfer-Encoding") == "" &&
		(w.method != http.MethodHead || w.written > 0) {
		w.header.Set("Content-Length", strconv.FormatInt(w.written, 10))
	}
	b := w.buf.Bytes()
	w.respondLocked(&streamBody{Reader: bytes.NewReader(b), cancel: w.cancel}, int64(len(b)))
}

// abort loses the response of a handler that panicked.
func (w *inProcessWriter) abort() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.pw != nil {
		w.pw.CloseWithError(errors.New("connection reset by peer: the handler panicked"))
		return
	}
	if w.res == nil && !w.done {
		w.hijacked = true
		w.done = true
		close(w.ready)
	}
}

// respondLocked hands the response over.
func (w *inProcessWriter) respondLocked(body io.ReadCloser, length int64) {
	h := w.header.Clone()
	if _, ok := h["Content-Type"]; !ok && w.bodyAllowed() && len(w.sniff) > 0 {
		h.Set("Content-Type", http.DetectContentType(w.sniff))
	}
	if _, ok := h["Date"]; !ok {
		h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	}
	// As net/http's client reads them: no body for HEAD, 204 and 304; for
	// HEAD the length the header announces.
	switch {
	case w.method == http.MethodHead:
		body, length = http.NoBody, -1
		if cl, err := strconv.ParseInt(h.Get("Content-Length"), 10, 64); err == nil && cl >= 0 {
			length = cl
		}
	case !w.bodyAllowed():
		body, length = http.NoBody, 0
	}
	w.res = &http.Response{
		Status:     strconv.Itoa(w.status) + " " + http.StatusText(w.status),
		StatusCode: w.status, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: body, ContentLength: length, Request: w.req,
	}
	close(w.ready)
}

// Hijack gives the handler a connection whose closing loses the response,
// as a reset connection does over TCP.
func (w *inProcessWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.res != nil {
		return nil, nil, errors.New("in-process response already sent")
	}
	w.hijacked = true
	c, other := net.Pipe()
	other.Close()
	return c, bufio.NewReadWriter(bufio.NewReader(c), bufio.NewWriter(c)), nil
}

// streamBody is a response body; closing it ends the request's context
// and, for a stream, the handler's writes.
type streamBody struct {
	io.Reader
	pr     *io.PipeReader
	cancel context.CancelFunc
}

func (b *streamBody) Close() error {
	if b.pr != nil {
		b.pr.Close()
	}
	b.cancel()
	return nil
}
