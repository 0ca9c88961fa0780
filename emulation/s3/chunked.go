package s3

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"

	"github.com/johannesboyne/gofakes3"
)

// chunkedReader decodes an aws-chunked body (x-amz-content-sha256:
// STREAMING-...): chunks of "<hex size>[;chunk-signature=<sig>]\r\n<data>\r\n",
// then a chunk of size 0, then trailing headers (the checksum of
// STREAMING-UNSIGNED-PAYLOAD-TRAILER, which the Go SDK sends over HTTPS) up
// to an empty line. Signatures and trailers are not checked. gofakes3's own
// reader knows only signed chunks without trailers.
type chunkedReader struct {
	r       *bufio.Reader
	remain  int64 // bytes left in the current chunk
	started bool  // a chunk was read, so its "\r\n" comes before the next header
	done    bool  // the last chunk was read
}

func newChunkedReader(r io.Reader) *chunkedReader { return &chunkedReader{r: bufio.NewReader(r)} }

func (c *chunkedReader) Read(p []byte) (int, error) {
	for c.remain == 0 {
		if c.done {
			return 0, io.EOF
		}
		if err := c.next(); err != nil {
			return 0, err
		}
	}
	if int64(len(p)) > c.remain {
		p = p[:c.remain]
	}
	n, err := c.r.Read(p)
	c.remain -= int64(n)
	if err == io.EOF {
		err = badChunk("the body ends inside a chunk")
	}
	return n, err
}

// next reads the end of the chunk before and the header of the next one, and
// past the trailer if that is the last.
func (c *chunkedReader) next() error {
	if c.started {
		if line, err := c.line(); err != nil || len(line) != 0 {
			return badChunk("a chunk is longer than its header says")
		}
	}
	c.started = true
	line, err := c.line()
	if err == io.EOF {
		return badChunk("the body ends before its last chunk")
	}
	if err != nil {
		return err
	}
	size, _, _ := bytes.Cut(line, []byte(";"))
	n, err := strconv.ParseInt(string(size), 16, 64)
	if err != nil || n < 0 {
		return badChunk(fmt.Sprintf("bad chunk header %.40q", line))
	}
	c.remain = n
	if n > 0 {
		return nil
	}
	c.done = true
	for { // trailing headers, up to an empty line or the end of the body
		line, err := c.line()
		if err == io.EOF || err == nil && len(line) == 0 {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// line reads a line of the framing without its "\r\n"; io.EOF only at the
// very end of the body.
func (c *chunkedReader) line() ([]byte, error) {
	line, err := c.r.ReadSlice('\n')
	switch {
	case err == io.EOF && len(line) == 0:
		return nil, io.EOF
	case err != nil:
		return nil, badChunk("a chunk header is cut or too long")
	}
	return bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r")), nil
}

func badChunk(msg string) error {
	return apiErr(gofakes3.ErrIncompleteBody, "aws-chunked body: "+msg)
}
