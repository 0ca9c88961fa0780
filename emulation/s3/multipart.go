package s3

import (
	"bytes"
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/johannesboyne/gofakes3"
)

// minPartSize is the smallest size S3 accepts for a part that is not the
// last one of an upload.
const minPartSize = 5 << 20

// s3NS is the XML namespace of S3's responses.
const s3NS = "http://s3.amazonaws.com/doc/2006-03-01/"

// multipart serves S3's multipart upload operations for the on-disk mode, in
// constant memory: each part is streamed to a file under dir/<uploadID>/<N>,
// and CompleteMultipartUpload streams the parts, one after the other, into the
// backend's PutObject. gofakes3's own uploader keeps every part in memory and
// joins them into one more []byte before PutObject, which for a 600 MB object
// is 1.2 GB of heap.
//
// Uploads live in memory (a few hundred bytes each) and do not survive a
// restart; New removes the part files a previous process left.
type multipart struct {
	backend gofakes3.Backend
	dir     string
	now     func() time.Time

	mu      sync.Mutex
	uploads map[string]*upload // by upload id
}

// upload is one multipart upload under way.
type upload struct {
	id, bucket, key string
	meta            map[string]string // stored with the object on completion
	initiated       time.Time
	parts           map[int]part // by part number
}

// part is an uploaded part; its bytes are in the file dir/<uploadID>/<N>.
type part struct {
	md5      []byte // binary; the part's ETag is its quoted hex
	size     int64
	modified time.Time
}

func (p part) etag() string { return `"` + hex.EncodeToString(p.md5) + `"` }

// newMultipart serves multipart uploads into backend, keeping the parts under
// dir, which it empties.
func newMultipart(backend gofakes3.Backend, dir string, now func() time.Time) (*multipart, error) {
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("clear multipart parts: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("multipart dir: %w", err)
	}
	return &multipart{backend: backend, dir: dir, now: now, uploads: map[string]*upload{}}, nil
}

// serve answers r if it is a multipart upload operation, routed as gofakes3
// routes them (?uploadId=ID on an object, ?uploads on an object or a bucket),
// and reports whether it was one.
func (m *multipart) serve(w http.ResponseWriter, r *http.Request) bool {
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	q := r.URL.Query()
	id := q.Get("uploadId")
	_, uploads := q["uploads"]
	var err error
	switch {
	case id != "" && r.Method == http.MethodPut:
		err = m.uploadPart(w, r, bucket, key, id)
	case id != "" && r.Method == http.MethodPost:
		err = m.complete(w, r, bucket, key, id)
	case id != "" && r.Method == http.MethodDelete:
		err = m.abort(w, bucket, key, id)
	case id != "" && r.Method == http.MethodGet:
		err = m.listParts(w, r, bucket, key, id)
	case id == "" && uploads && r.Method == http.MethodPost:
		err = m.create(w, r, bucket, key)
	case id == "" && uploads && r.Method == http.MethodGet:
		err = m.listUploads(w, r, bucket)
	default:
		return false
	}
	if err != nil {
		writeError(w, r, err)
	}
	return true
}

// create is CreateMultipartUpload.
func (m *multipart) create(w http.ResponseWriter, r *http.Request, bucket, key string) error {
	if key == "" {
		return apiErr(gofakes3.ErrInvalidURI, "A multipart upload needs an object key")
	}
	if len(key) > gofakes3.KeySizeLimit {
		return apiErr(gofakes3.ErrKeyTooLong, "Your key is too long")
	}
	if err := m.bucketExists(bucket); err != nil {
		return err
	}
	now := m.now()
	meta, err := objectMeta(r.Header, now)
	if err != nil {
		return err
	}
	u := &upload{id: rand.Text(), bucket: bucket, key: key, meta: meta, initiated: now, parts: map[int]part{}}
	if err := os.Mkdir(filepath.Join(m.dir, u.id), 0o755); err != nil {
		return fmt.Errorf("create upload %s: %w", u.id, err)
	}
	m.mu.Lock()
	m.uploads[u.id] = u
	m.mu.Unlock()
	return writeXML(w, struct {
		XMLName  xml.Name `xml:"InitiateMultipartUploadResult"`
		NS       string   `xml:"xmlns,attr"`
		Bucket   string
		Key      string
		UploadID string `xml:"UploadId"`
	}{NS: s3NS, Bucket: bucket, Key: key, UploadID: u.id})
}

// objectMeta is the metadata kept from CreateMultipartUpload's headers for
// the object: its content headers and user metadata (x-amz-meta-*), and the
// initiation time as Last-Modified, as S3 reports it. gofakes3 keeps every
// x-amz-* header of a PutObject; the ones that describe the request
// (signature, date, checksums) would be wrong for the assembled object.
func objectMeta(h http.Header, now time.Time) (map[string]string, error) {
	meta := map[string]string{"Last-Modified": now.UTC().Format(http.TimeFormat)}
	size := 0
	for k, v := range h {
		if k == "Content-Type" || k == "Content-Disposition" || k == "Content-Encoding" || strings.HasPrefix(k, "X-Amz-Meta-") {
			meta[k] = v[0]
			size += len(k) + len(v[0])
		}
	}
	if size > gofakes3.DefaultMetadataSizeLimit {
		return nil, apiErr(gofakes3.ErrMetadataTooLarge, "Your metadata headers exceed the maximum allowed metadata size")
	}
	return meta, nil
}

// uploadPart is UploadPart: the body goes to a temporary file beside the
// part's, which replaces it once the body is complete and its MD5 checked.
func (m *multipart) uploadPart(w http.ResponseWriter, r *http.Request, bucket, key, id string) error {
	if r.Header.Get("X-Amz-Copy-Source") != "" {
		return apiErr(gofakes3.ErrNotImplemented, "UploadPartCopy is not implemented")
	}
	n, err := strconv.Atoi(r.URL.Query().Get("partNumber"))
	if err != nil || n < 1 || n > gofakes3.MaxUploadPartNumber {
		return apiErr(gofakes3.ErrInvalidArgument, "Part number must be an integer between 1 and 10000, inclusive")
	}
	if _, err := m.get(bucket, key, id); err != nil {
		return err
	}
	var wantMD5 []byte
	if v, ok := r.Header["Content-Md5"]; ok {
		if wantMD5, err = base64.StdEncoding.DecodeString(v[0]); err != nil || len(wantMD5) != md5.Size {
			return apiErr(gofakes3.ErrInvalidDigest, "The Content-MD5 you specified is not valid")
		}
	}
	body, size := io.Reader(r.Body), r.ContentLength
	if strings.HasPrefix(r.Header.Get("X-Amz-Content-Sha256"), "STREAMING-") {
		body = newChunkedReader(r.Body)
		if size, err = strconv.ParseInt(r.Header.Get("X-Amz-Decoded-Content-Length"), 10, 64); err != nil {
			return apiErr(gofakes3.ErrMissingContentLength, "An aws-chunked body needs x-amz-decoded-content-length")
		}
	}
	if size < 0 {
		return apiErr(gofakes3.ErrMissingContentLength, "You must provide the Content-Length HTTP header")
	}

	f, err := os.CreateTemp(filepath.Join(m.dir, id), strconv.Itoa(n)+".*")
	if err != nil {
		if errors.Is(err, os.ErrNotExist) { // aborted or completed meanwhile
			return apiErr(gofakes3.ErrNoSuchUpload, "The specified upload does not exist")
		}
		return fmt.Errorf("upload part %d: %w", n, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // fails, harmlessly, once renamed
	h := md5.New()
	written, err := io.Copy(f, io.TeeReader(body, h))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("upload part %d: %w", n, err)
	}
	if written != size {
		return apiErr(gofakes3.ErrIncompleteBody, "You did not provide the number of bytes specified by the Content-Length HTTP header")
	}
	p := part{md5: h.Sum(nil), size: written, modified: m.now()}
	if wantMD5 != nil && !bytes.Equal(p.md5, wantMD5) {
		return apiErr(gofakes3.ErrBadDigest, "The Content-MD5 you specified did not match what we received")
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	u, err := m.getLocked(bucket, key, id)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, m.partFile(id, n)); err != nil {
		return fmt.Errorf("upload part %d: %w", n, err)
	}
	u.parts[n] = p
	w.Header().Set("ETag", p.etag())
	return nil
}

// complete is CompleteMultipartUpload. The object's ETag in the answer is
// S3's: the MD5 of the parts' binary MD5s, then "-" and the number of parts.
// GetObject and HeadObject report the ETag gofakes3's backend computes
// instead, the MD5 of the whole content: the on-disk backend has no place for
// another.
func (m *multipart) complete(w http.ResponseWriter, r *http.Request, bucket, key, id string) error {
	var req struct {
		Parts []completedPart `xml:"Part"`
	}
	if err := xml.NewDecoder(io.LimitReader(r.Body, 4<<20)).Decode(&req); err != nil || len(req.Parts) == 0 {
		return apiErr(gofakes3.ErrMalformedXML, gofakes3.ErrMalformedXML.Message())
	}
	m.mu.Lock()
	u, err := m.getLocked(bucket, key, id)
	var a assembly
	if err == nil {
		a, err = m.assemble(u, req.Parts)
	}
	if err == nil {
		delete(m.uploads, id) // a part uploaded from now on fails with NoSuchUpload
	}
	m.mu.Unlock()
	if err != nil {
		return err
	}

	parts := &fileChain{files: a.files}
	_, err = m.backend.PutObject(bucket, key, u.meta, parts, a.size, nil)
	if cerr := parts.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		m.mu.Lock()
		m.uploads[id] = u // S3 keeps an upload whose completion failed
		m.mu.Unlock()
		return fmt.Errorf("complete upload %s: %w", id, err)
	}
	if err := os.RemoveAll(filepath.Join(m.dir, id)); err != nil {
		return fmt.Errorf("remove parts of upload %s: %w", id, err)
	}

	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return writeXML(w, struct {
		XMLName  xml.Name `xml:"CompleteMultipartUploadResult"`
		NS       string   `xml:"xmlns,attr"`
		Location string
		Bucket   string
		Key      string
		ETag     string
	}{
		NS:       s3NS,
		Location: fmt.Sprintf("%s://%s/%s/%s", scheme, r.Host, bucket, key),
		Bucket:   bucket,
		Key:      key,
		ETag:     a.etag,
	})
}

// completedPart is a part as CompleteMultipartUpload lists it.
type completedPart struct {
	PartNumber int
	ETag       string
}

// assembly is the object CompleteMultipartUpload puts together: the part
// files in order, their total size, and the object's ETag.
type assembly struct {
	files []string
	size  int64
	etag  string
}

// assemble checks the parts listed against upload u's, as S3 does: in
// ascending order, each uploaded and with its ETag, each but the last at
// least 5 MiB. m.mu is held.
func (m *multipart) assemble(u *upload, list []completedPart) (assembly, error) {
	for i := 1; i < len(list); i++ {
		if list[i].PartNumber <= list[i-1].PartNumber {
			return assembly{}, apiErr(gofakes3.ErrInvalidPartOrder, "The list of parts was not in ascending order. The parts list must be specified in order by part number.")
		}
	}
	var a assembly
	md5s := md5.New()
	for i, in := range list {
		p, ok := u.parts[in.PartNumber]
		if !ok || strings.Trim(in.ETag, `"`) != hex.EncodeToString(p.md5) {
			return assembly{}, apiErr(gofakes3.ErrInvalidPart, fmt.Sprintf("One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag (part %d).", in.PartNumber))
		}
		if i < len(list)-1 && p.size < minPartSize {
			return assembly{}, &apiError{Status: http.StatusBadRequest, Code: "EntityTooSmall",
				Message: fmt.Sprintf("Your proposed upload is smaller than the minimum allowed size (part %d is %d bytes)", in.PartNumber, p.size)}
		}
		a.files = append(a.files, m.partFile(u.id, in.PartNumber))
		a.size += p.size
		md5s.Write(p.md5)
	}
	a.etag = fmt.Sprintf(`"%s-%d"`, hex.EncodeToString(md5s.Sum(nil)), len(list))
	return a, nil
}

// abort is AbortMultipartUpload.
func (m *multipart) abort(w http.ResponseWriter, bucket, key, id string) error {
	m.mu.Lock()
	_, err := m.getLocked(bucket, key, id)
	if err == nil {
		delete(m.uploads, id)
	}
	m.mu.Unlock()
	if err != nil {
		return err
	}
	if err := os.RemoveAll(filepath.Join(m.dir, id)); err != nil {
		return fmt.Errorf("abort upload %s: %w", id, err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// listParts is ListParts, with part-number-marker and max-parts.
func (m *multipart) listParts(w http.ResponseWriter, r *http.Request, bucket, key, id string) error {
	q := r.URL.Query()
	marker, _ := strconv.Atoi(q.Get("part-number-marker"))
	limit := maxItems(q.Get("max-parts"))

	type item struct {
		PartNumber   int
		LastModified gofakes3.ContentTime
		ETag         string
		Size         int64
	}
	out := struct {
		XMLName              xml.Name `xml:"ListPartsResult"`
		NS                   string   `xml:"xmlns,attr"`
		Bucket               string
		Key                  string
		UploadID             string `xml:"UploadId"`
		StorageClass         string
		PartNumberMarker     int
		NextPartNumberMarker int
		MaxParts             int
		IsTruncated          bool
		Parts                []item `xml:"Part"`
	}{NS: s3NS, Bucket: bucket, Key: key, UploadID: id, StorageClass: "STANDARD", PartNumberMarker: marker, MaxParts: limit}

	m.mu.Lock()
	defer m.mu.Unlock()
	u, err := m.getLocked(bucket, key, id)
	if err != nil {
		return err
	}
	numbers := make([]int, 0, len(u.parts))
	for n := range u.parts {
		if n > marker {
			numbers = append(numbers, n)
		}
	}
	slices.Sort(numbers)
	if len(numbers) > limit {
		numbers, out.IsTruncated = numbers[:limit], true
	}
	for _, n := range numbers {
		p := u.parts[n]
		out.Parts = append(out.Parts, item{n, gofakes3.NewContentTime(p.modified), p.etag(), p.size})
		out.NextPartNumberMarker = n
	}
	return writeXML(w, out)
}

// listUploads is ListMultipartUploads: the bucket's uploads sorted by key,
// then by initiation, with prefix, delimiter, key-marker, upload-id-marker
// and max-uploads.
func (m *multipart) listUploads(w http.ResponseWriter, r *http.Request, bucket string) error {
	if err := m.bucketExists(bucket); err != nil {
		return err
	}
	q := r.URL.Query()
	prefix, delim := q.Get("prefix"), q.Get("delimiter")
	keyMarker, idMarker := q.Get("key-marker"), q.Get("upload-id-marker")
	limit := maxItems(q.Get("max-uploads"))

	type item struct {
		Key          string
		UploadID     string `xml:"UploadId"`
		StorageClass string
		Initiated    gofakes3.ContentTime
	}
	type commonPrefix struct{ Prefix string }
	out := struct {
		XMLName            xml.Name `xml:"ListMultipartUploadsResult"`
		NS                 string   `xml:"xmlns,attr"`
		Bucket             string
		KeyMarker          string
		UploadIDMarker     string `xml:"UploadIdMarker"`
		NextKeyMarker      string `xml:",omitempty"`
		NextUploadIDMarker string `xml:"NextUploadIdMarker,omitempty"`
		Prefix             string
		Delimiter          string `xml:",omitempty"`
		MaxUploads         int
		IsTruncated        bool
		Uploads            []item         `xml:"Upload"`
		CommonPrefixes     []commonPrefix `xml:",omitempty"`
	}{NS: s3NS, Bucket: bucket, KeyMarker: keyMarker, UploadIDMarker: idMarker, Prefix: prefix, Delimiter: delim, MaxUploads: limit}

	m.mu.Lock()
	defer m.mu.Unlock()
	var list []*upload
	for _, u := range m.uploads {
		if u.bucket == bucket && strings.HasPrefix(u.key, prefix) {
			list = append(list, u)
		}
	}
	slices.SortFunc(list, func(a, b *upload) int {
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		if c := a.initiated.Compare(b.initiated); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	// Start after the marker: after keyMarker's uploads, or after the upload
	// idMarker names.
	start, _ := slices.BinarySearchFunc(list, keyMarker, func(u *upload, k string) int {
		if u.key <= k {
			return -1
		}
		return 1
	})
	if idMarker != "" {
		if i := slices.IndexFunc(list, func(u *upload) bool { return u.key == keyMarker && u.id == idMarker }); i >= 0 {
			start = i + 1
		}
	}
	for i := start; i < len(list); i++ {
		if len(out.Uploads)+len(out.CommonPrefixes) == limit {
			out.IsTruncated = true
			break
		}
		u := list[i]
		if j := strings.Index(u.key[len(prefix):], delim); delim != "" && j >= 0 {
			cp := u.key[:len(prefix)+j+len(delim)]
			out.CommonPrefixes = append(out.CommonPrefixes, commonPrefix{cp})
			for i+1 < len(list) && strings.HasPrefix(list[i+1].key, cp) {
				i++ // the rest of the common prefix
			}
		} else {
			out.Uploads = append(out.Uploads, item{u.key, u.id, "STANDARD", gofakes3.NewContentTime(u.initiated)})
		}
		out.NextKeyMarker, out.NextUploadIDMarker = list[i].key, list[i].id
	}
	if !out.IsTruncated {
		out.NextKeyMarker, out.NextUploadIDMarker = "", ""
	}
	return writeXML(w, out)
}

// maxItems is a max-parts or max-uploads value: 1000 when absent or out of
// range, as S3 caps it.
func maxItems(v string) int {
	if n, err := strconv.Atoi(v); err == nil && n > 0 && n < 1000 {
		return n
	}
	return 1000
}

// get returns the upload id of bucket/key, or NoSuchUpload.
func (m *multipart) get(bucket, key, id string) (*upload, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.getLocked(bucket, key, id)
}

func (m *multipart) getLocked(bucket, key, id string) (*upload, error) {
	u, ok := m.uploads[id]
	if !ok || u.bucket != bucket || u.key != key {
		return nil, apiErr(gofakes3.ErrNoSuchUpload, "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.")
	}
	return u, nil
}

func (m *multipart) partFile(id string, n int) string {
	return filepath.Join(m.dir, id, strconv.Itoa(n))
}

func (m *multipart) bucketExists(bucket string) error {
	ok, err := m.backend.BucketExists(bucket)
	if err != nil {
		return fmt.Errorf("bucket %s: %w", bucket, err)
	}
	if !ok {
		return &apiError{Status: http.StatusNotFound, Code: string(gofakes3.ErrNoSuchBucket),
			Message: gofakes3.ErrNoSuchBucket.Message(), Resource: bucket}
	}
	return nil
}

// fileChain reads the files one after the other, each opened when the one
// before it ends, so that an upload of 10,000 parts holds one open file.
type fileChain struct {
	files []string
	f     *os.File
}

func (c *fileChain) Read(p []byte) (int, error) {
	for {
		if c.f == nil {
			if len(c.files) == 0 {
				return 0, io.EOF
			}
			f, err := os.Open(c.files[0])
			if err != nil {
				return 0, err
			}
			c.f, c.files = f, c.files[1:]
		}
		n, err := c.f.Read(p)
		if err == io.EOF {
			err = c.Close()
		}
		if n > 0 || err != nil {
			return n, err
		}
	}
}

// Close closes the file being read.
func (c *fileChain) Close() error {
	if c.f == nil {
		return nil
	}
	err := c.f.Close()
	c.f = nil
	return err
}

// apiError is an S3 error answer: Status, and the XML body gofakes3 writes.
type apiError struct {
	XMLName  xml.Name `xml:"Error"`
	Status   int      `xml:"-"`
	Code     string
	Message  string
	Resource string `xml:",omitempty"`
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// apiErr is an error of a code gofakes3 knows, with its HTTP status.
func apiErr(code gofakes3.ErrorCode, msg string) error {
	return &apiError{Status: code.Status(), Code: string(code), Message: msg}
}

// writeError writes err as S3 does; an error that is not an S3 error
// (gofakes3's or ours) is an InternalError.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	var e *apiError
	var ge gofakes3.Error
	switch {
	case errors.As(err, &e):
	case errors.As(err, &ge):
		e = &apiError{Status: ge.ErrorCode().Status(), Code: string(ge.ErrorCode()), Message: err.Error()}
	default:
		e = &apiError{Status: http.StatusInternalServerError, Code: string(gofakes3.ErrInternal), Message: err.Error()}
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(e.Status)
	if r.Method != http.MethodHead {
		_, _ = io.WriteString(w, xml.Header)
		_ = xml.NewEncoder(w).Encode(e)
	}
}

// writeXML writes v as an S3 answer. A failure to write is the client's
// problem, not one to answer.
func writeXML(w http.ResponseWriter, v any) error {
	b, err := xml.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/xml")
	_, _ = io.WriteString(w, xml.Header)
	_, _ = w.Write(b)
	return nil
}
