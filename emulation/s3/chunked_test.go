package s3

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var sig = "chunk-signature=" + strings.Repeat("ab", 32)

func TestChunkedReader(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, body, want string
		wantErr          bool
	}{
		{"signed", "5;" + sig + "\r\nhello\r\n6;" + sig + "\r\n world\r\n0;" + sig + "\r\n\r\n", "hello world", false},
		{"signed, trailer", "5;" + sig + "\r\nhello\r\n0;" + sig + "\r\nx-amz-checksum-crc32:NhCmhg==\r\nx-amz-trailer-signature:" + strings.Repeat("cd", 32) + "\r\n\r\n", "hello", false},
		{"unsigned, trailer", "a\r\n0123456789\r\n3\r\nabc\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n", "0123456789abc", false},
		{"no final empty line", "3\r\nabc\r\n0\r\n", "abc", false},
		{"empty", "0\r\n\r\n", "", false},
		{"chunk longer than its header", "3\r\nabcd\r\n0\r\n\r\n", "", true},
		{"body ends inside a chunk", "a\r\nabc", "", true},
		{"bad header", "zz\r\nabc\r\n0\r\n\r\n", "", true},
		{"no last chunk", "3\r\nabc\r\n", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := io.ReadAll(newChunkedReader(strings.NewReader(tc.body)))
			if tc.wantErr {
				var e *apiError
				if !errors.As(err, &e) || e.Code != "IncompleteBody" {
					t.Errorf("err = %v, want IncompleteBody", err)
				}
				return
			}
			if err != nil || string(got) != tc.want {
				t.Errorf("read %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// TestUploadPartSignedChunks sends a part as SigV4-signed aws-chunked, the
// framing gofakes3 knows (the Go SDK does not send it).
func TestUploadPartSignedChunks(t *testing.T) {
	t.Parallel()
	s, dir := newDirService(t)
	m := s.multipart
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/lake/k?uploads", nil))
	var id string
	for u := range m.uploads {
		id = u
	}
	if rec.Code != http.StatusOK || id == "" {
		t.Fatalf("CreateMultipartUpload: %d %s", rec.Code, rec.Body)
	}

	body := "5;" + sig + "\r\nhello\r\n0;" + sig + "\r\n\r\n"
	r := httptest.NewRequest(http.MethodPut, "/lake/k?partNumber=1&uploadId="+id, strings.NewReader(body))
	r.Header.Set("X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
	r.Header.Set("X-Amz-Decoded-Content-Length", "5")
	r.Header.Set("Content-Length", strconv.Itoa(len(body)))
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, r)
	if rec.Code != http.StatusOK || rec.Header().Get("ETag") != `"5d41402abc4b2a76b9719d911017c592"` { // md5("hello")
		t.Errorf("UploadPart: %d, ETag %s, %s", rec.Code, rec.Header().Get("ETag"), rec.Body)
	}
	got, err := os.ReadFile(filepath.Join(dir, "multipart", id, "1"))
	if err != nil || string(got) != "hello" {
		t.Errorf("part on disk: %q, %v; want %q", got, err, "hello")
	}
}
