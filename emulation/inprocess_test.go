package emulation

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mldatalake/mldatalake/emulation/fault"
)

// twoWays serves h over a real socket and in process, at the same address,
// and returns a client for each.
func twoWays(t *testing.T, h http.Handler) (base string, real, inproc *http.Client) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	stop := make(chan struct{})
	ip := &inProcess{h: h, host: u.Host, stop: stop, other: http.DefaultTransport}
	return srv.URL, srv.Client(), &http.Client{Transport: ip}
}

// seen is what a handler saw of a request.
type seen struct {
	Method, URL, RequestURI, Host, Proto string
	ContentLength                        int64
	TransferEncoding                     []string
	Header                               http.Header
	Body                                 string
	RemoteAddr                           bool
}

func TestInProcessRequestAsTheServerSeesIt(t *testing.T) {
	t.Parallel()
	var got seen
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		hdr := http.Header{}
		for _, k := range []string{"Content-Length", "X-Amz-Target", "X-Lower", "Expect", "Host"} {
			if v, ok := r.Header[k]; ok {
				hdr[k] = v
			}
		}
		got = seen{r.Method, r.URL.String(), r.RequestURI, r.Host, r.Proto, r.ContentLength, r.TransferEncoding, hdr, string(body), r.RemoteAddr != ""}
	})
	base, real, inproc := twoWays(t, h)
	tests := []struct {
		name   string
		method string
		path   string
		body   func() io.Reader
	}{
		{"post with body", http.MethodPost, "/", func() io.Reader { return strings.NewReader(`{"a":1}`) }},
		{"put, empty", http.MethodPut, "/bucket/key%20with%20space?uploads=&x=a%2Fb", nil},
		{"get with query", http.MethodGet, "/bucket?list-type=2&prefix=a%2Fb", nil},
		{"unknown length", http.MethodPost, "/stream", func() io.Reader { return io.MultiReader(strings.NewReader("abc"), strings.NewReader("def")) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			do := func(c *http.Client) seen {
				var body io.Reader
				if tc.body != nil {
					body = tc.body()
				}
				req, err := http.NewRequestWithContext(t.Context(), tc.method, base+tc.path, body)
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("X-Amz-Target", "DynamoDB_20120810.ListTables")
				req.Header["x-lower"] = []string{"v"} // not canonical
				res, err := c.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				return got
			}
			want, have := do(real), do(inproc)
			if !reflect.DeepEqual(want, have) {
				t.Errorf("in process the handler saw\n%+v\nover a socket\n%+v", have, want)
			}
		})
	}
}

// answer is what a client saw of a response.
type answer struct {
	Status                       int
	ContentType, ContentLengthH  string
	ContentLength                int64
	Body                         string
	HasDate, UncompressedOrPlain bool
}

func TestInProcessResponseAsTheClientSeesIt(t *testing.T) {
	t.Parallel()
	big := bytes.Repeat([]byte("0123456789abcdef"), 200_000/16) // over inProcessBuffer
	tests := []struct {
		name   string
		method string
		h      http.HandlerFunc
	}{
		{"small, sniffed", http.MethodGet, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "<html><body>hi</body></html>") }},
		{"json with type", http.MethodPost, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/x-amz-json-1.0")
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"__type":"x"}`)
		}},
		{"empty", http.MethodGet, func(w http.ResponseWriter, r *http.Request) {}},
		{"no content", http.MethodDelete, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }},
		{"head with length", http.MethodHead, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "1234")
			w.Header().Set("Content-Type", "text/csv")
		}},
		{"head writing the body", http.MethodHead, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "abc") }},
		{"head writing nothing", http.MethodHead, func(w http.ResponseWriter, r *http.Request) {}},
		{"large, streamed", http.MethodGet, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/octet-stream")
			for b := big; len(b) > 0; b = b[min(4096, len(b)):] {
				w.Write(b[:min(4096, len(b))])
			}
		}},
		{"large with length", http.MethodGet, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", fmt.Sprint(len(big)))
			w.Write(big)
		}},
		{"flushed", http.MethodGet, func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "first ")
			w.(http.Flusher).Flush()
			io.WriteString(w, "second")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base, real, inproc := twoWays(t, tc.h)
			do := func(c *http.Client) answer {
				req, _ := http.NewRequestWithContext(t.Context(), tc.method, base+"/x", nil)
				res, err := c.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				body, err := io.ReadAll(res.Body)
				if err != nil {
					t.Fatal(err)
				}
				return answer{res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Content-Length"), res.ContentLength,
					string(body), res.Header.Get("Date") != "", !res.Uncompressed}
			}
			want, have := do(real), do(inproc)
			if !reflect.DeepEqual(want, have) {
				t.Errorf("in process the client got\n%.300v\nover a socket\n%.300v", have, want)
			}
		})
	}
}

// TestInProcessStreamStops checks that a client closing a streamed body
// ends the handler's writes and its context.
func TestInProcessStreamStops(t *testing.T) {
	t.Parallel()
	stopped := make(chan error, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := make([]byte, 32<<10)
		for {
			if _, err := w.Write(chunk); err != nil {
				<-r.Context().Done()
				stopped <- err
				return
			}
		}
	})
	base, _, inproc := twoWays(t, h)
	res, err := inproc.Get(base + "/endless")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(res.Body, make([]byte, 100<<10)); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	select {
	case err := <-stopped:
		t.Logf("handler stopped: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("the handler still writes 10 s after the client closed the body")
	}
}

func TestInProcessLostResponsePanicAndClose(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	put := func(cfg aws.Config) error {
		c := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 })
		_, err := c.ListTables(ctx, &dynamodb.ListTablesInput{})
		return err
	}
	t.Run("lost response", func(t *testing.T) {
		srv := NewTestServer(t, WithFaults(fault.Config{Rates: map[fault.Kind]float64{fault.LostResponse: 1}}))
		if err := put(srv.InProcessConfig()); err == nil || !strings.Contains(err.Error(), "connection reset by peer") {
			t.Errorf("err = %v, want connection reset by peer", err)
		}
	})
	t.Run("panic", func(t *testing.T) {
		base, _, inproc := twoWays(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
		_, err := inproc.Get(base)
		if err == nil || !strings.Contains(err.Error(), "connection reset by peer") {
			t.Errorf("err = %v, want connection reset by peer", err)
		}
	})
	t.Run("closed", func(t *testing.T) {
		srv, err := NewServer()
		if err != nil {
			t.Fatal(err)
		}
		cfg := srv.InProcessConfig()
		if err := put(cfg); err != nil {
			t.Fatalf("before Close: %v", err)
		}
		srv.Close()
		if err := put(cfg); err == nil || !strings.Contains(err.Error(), "connection refused") {
			t.Errorf("after Close: err = %v, want connection refused", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		release := make(chan struct{})
		t.Cleanup(func() { close(release) })
		base, _, inproc := twoWays(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
		cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(cctx, http.MethodGet, base, nil)
		if _, err := inproc.Do(req); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want the context's deadline", err)
		}
	})
}

// TestInProcessConfig writes and reads DynamoDB items through the SDK in
// process, and through a changed endpoint over the network.
func TestInProcessConfig(t *testing.T) {
	t.Parallel()
	srv := NewTestServer(t)
	other := NewTestServer(t)
	for _, tc := range []struct {
		name string
		cfg  aws.Config
		tgt  *Server
	}{
		{"in process", srv.InProcessConfig(), srv},
		{"endpoint changed", func() aws.Config { c := srv.InProcessConfig(); c.BaseEndpoint = aws.String(other.URL); return c }(), other},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dynamodb.NewFromConfig(tc.cfg)
			name := "t_" + strings.ReplaceAll(tc.name, " ", "_")
			if _, err := c.CreateTable(t.Context(), &dynamodb.CreateTableInput{TableName: aws.String(name), BillingMode: types.BillingModePayPerRequest,
				KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("Id"), KeyType: types.KeyTypeHash}},
				AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("Id"), AttributeType: types.ScalarAttributeTypeS}},
			}); err != nil {
				t.Fatal(err)
			}
			if got := tc.tgt.DynamoDB.Tables(); !reflect.DeepEqual(got, []string{name}) {
				t.Errorf("tables of the intended server: %v, want [%s]", got, name)
			}
		})
	}
}
