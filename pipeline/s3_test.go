package pipeline_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/mldatalake/mldatalake/pipeline"
)

func TestParseS3URIAndHidden(t *testing.T) {
	b, p, err := pipeline.ParseS3URI("s3://ml-data-lake/firehose/")
	if err != nil || b != "ml-data-lake" || p != "firehose/" {
		t.Errorf("ParseS3URI = %q, %q, %v", b, p, err)
	}
	for _, bad := range []string{"http://x/y", "s3:///x", "ml-data-lake/x"} {
		if _, _, err := pipeline.ParseS3URI(bad); err == nil {
			t.Errorf("pipeline.ParseS3URI(%q) accepted", bad)
		}
	}
	for key, want := range map[string]bool{
		"firehose/2026/x": false, "firehose/_SUCCESS": true, "firehose/.tmp": true, "firehose/2026/": true,
		"firehose/_x/y": false, "": true,
	} {
		if got := pipeline.Hidden(key); got != want {
			t.Errorf("pipeline.Hidden(%q) = %v, want %v", key, got, want)
		}
	}
}

func TestEachLine(t *testing.T) {
	long := strings.Repeat("x", 200<<10)
	tests := []struct {
		name, in string
		want     []string // "n:line"
	}{
		{"newline terminated", "a\nb\n", []string{"1:a", "2:b"}},
		{"no final newline", "a\nb", []string{"1:a", "2:b"}},
		{"CRLF and blanks", "a\r\n\r\n  \nb\r\n", []string{"1:a", "4:b"}},
		{"long line", "a\n" + long + "\nb", []string{"1:a", "2:" + long, "3:b"}},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			err := pipeline.EachLine(strings.NewReader(tt.in), func(n int64, line []byte) error {
				got = append(got, fmt.Sprintf("%d:%s", n, line))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("lines = %.80q, want %.80q", got, tt.want)
			}
		})
	}
	stop := errors.New("stop")
	if err := pipeline.EachLine(strings.NewReader("a\nb\n"), func(int64, []byte) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("EachLine error = %v, want the callback's", err)
	}
}

func TestDecompress(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("{\"a\":1}\n"))
	zw.Close()
	tests := []struct {
		name, in, want, compression string
	}{
		{"plain", "{\"a\":1}\n", "{\"a\":1}\n", pipeline.CompressionNone},
		{"gzip", gz.String(), "{\"a\":1}\n", pipeline.CompressionGzip},
		{"empty", "", "", pipeline.CompressionNone},
		{"one byte", "x", "x", pipeline.CompressionNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, c, err := pipeline.Decompress(strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want || c != tt.compression {
				t.Errorf("Decompress = %q, %s; want %q, %s", b, c, tt.want, tt.compression)
			}
		})
	}
}
