package firehose_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsfirehose "github.com/aws/aws-sdk-go-v2/service/firehose"
	fhtypes "github.com/aws/aws-sdk-go-v2/service/firehose/types"
	awskinesis "github.com/aws/aws-sdk-go-v2/service/kinesis"
	kntypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/mldatalake/mldatalake/emulation"
	"github.com/mldatalake/mldatalake/emulation/clock"
	"github.com/mldatalake/mldatalake/emulation/fault"
	"github.com/mldatalake/mldatalake/emulation/firehose"
	"github.com/mldatalake/mldatalake/emulation/kinesis"
)

const (
	bucket = "lake"
	role   = "arn:aws:iam::000000000000:role/firehose"
)

// uuidV4 is the random part of a key: a lowercase version-4 UUID.
const uuidV4 = `[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}`

// env is an emulator with clients and a bucket.
type env struct {
	srv *emulation.Server
	fh  *awsfirehose.Client
	kn  *awskinesis.Client
	s3  *awss3.Client
	// fake is the emulator's clock when the test drives time.
	fake *clock.Fake
}

// newFakeEnv is newEnv on a fake clock that starts at start: buffering
// intervals, state transitions and the firehose_start fault move only when
// the test advances it. (Kinesis's transitions follow real time.)
func newFakeEnv(t *testing.T, start time.Time, opts ...emulation.Option) *env {
	t.Helper()
	fake := clock.NewFake(start)
	e := newEnv(t, append(opts, emulation.WithClock(fake))...)
	e.fake = fake
	return e
}

// create makes a DirectPut delivery stream on the fake clock and moves the
// clock past its CREATING time.
func (e *env) create(t *testing.T, name string, dest *fhtypes.ExtendedS3DestinationConfiguration) {
	t.Helper()
	if _, err := e.fh.CreateDeliveryStream(t.Context(), &awsfirehose.CreateDeliveryStreamInput{
		DeliveryStreamName: aws.String(name), DeliveryStreamType: fhtypes.DeliveryStreamTypeDirectPut,
		ExtendedS3DestinationConfiguration: dest,
	}); err != nil {
		t.Fatalf("create delivery stream %s: %v", name, err)
	}
	e.fake.Advance(firehose.DefaultTransitionDelay)
	waitStatus(t, e.fh, name, fhtypes.DeliveryStreamStatusActive)
}

// buffered waits until the delivery stream has taken n records in and set
// its interval timer, so that advancing the fake clock flushes them.
func (e *env) buffered(t *testing.T, name string, n int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, _ := e.srv.Firehose.Stats(name)
		if st.RecordsIn >= n && e.fake.WaitTimers(1, 10*time.Millisecond) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s took in %d of %d records (%d timers waiting)", name, st.RecordsIn, n, e.fake.Timers())
		}
	}
}

func newEnv(t *testing.T, opts ...emulation.Option) *env {
	t.Helper()
	srv := emulation.NewTestServer(t, opts...)
	cfg := srv.Config()
	e := &env{
		srv: srv,
		fh:  awsfirehose.NewFromConfig(cfg),
		kn:  awskinesis.NewFromConfig(cfg),
		s3:  awss3.NewFromConfig(cfg, func(o *awss3.Options) { o.UsePathStyle = true }),
	}
	if _, err := e.s3.CreateBucket(t.Context(), &awss3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	return e
}

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func wantCode(tb testing.TB, err error, code string) {
	tb.Helper()
	if err == nil {
		tb.Fatalf("got no error, want %s", code)
	}
	if got := errorCode(err); got != code {
		tb.Fatalf("got error %v (code %q), want %s", err, got, code)
	}
}

func s3Dest(prefix string, sizeMB, intervalS int32, format fhtypes.CompressionFormat) *fhtypes.ExtendedS3DestinationConfiguration {
	return &fhtypes.ExtendedS3DestinationConfiguration{
		BucketARN: aws.String("arn:aws:s3:::" + bucket), RoleARN: aws.String(role),
		Prefix: aws.String(prefix), ErrorOutputPrefix: aws.String("errors/!{firehose:error-output-type}/"),
		BufferingHints:    &fhtypes.BufferingHints{SizeInMBs: aws.Int32(sizeMB), IntervalInSeconds: aws.Int32(intervalS)},
		CompressionFormat: format,
	}
}

func createDirect(tb testing.TB, c *awsfirehose.Client, name string, dest *fhtypes.ExtendedS3DestinationConfiguration) {
	tb.Helper()
	_, err := c.CreateDeliveryStream(context.Background(), &awsfirehose.CreateDeliveryStreamInput{
		DeliveryStreamName: aws.String(name), DeliveryStreamType: fhtypes.DeliveryStreamTypeDirectPut,
		ExtendedS3DestinationConfiguration: dest,
	})
	if err != nil {
		tb.Fatalf("create delivery stream %s: %v", name, err)
	}
	waitStatus(tb, c, name, fhtypes.DeliveryStreamStatusActive)
}

func waitStatus(tb testing.TB, c *awsfirehose.Client, name string, want fhtypes.DeliveryStreamStatus) *fhtypes.DeliveryStreamDescription {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, err := c.DescribeDeliveryStream(context.Background(), &awsfirehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String(name)})
		if err != nil {
			tb.Fatalf("describe %s: %v", name, err)
		}
		if out.DeliveryStreamDescription.DeliveryStreamStatus == want {
			return out.DeliveryStreamDescription
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s is %s after 10 s, want %s", name, out.DeliveryStreamDescription.DeliveryStreamStatus, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// object is one S3 object: its key and content.
type object struct {
	key  string
	body []byte
}

func listObjects(tb testing.TB, c *awss3.Client, prefix string) []object {
	tb.Helper()
	ctx := context.Background()
	var out []object
	p := awss3.NewListObjectsV2Paginator(c, &awss3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			tb.Fatalf("list s3://%s/%s: %v", bucket, prefix, err)
		}
		for _, o := range page.Contents {
			got, err := c.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String(bucket), Key: o.Key})
			if err != nil {
				tb.Fatalf("get %s: %v", aws.ToString(o.Key), err)
			}
			body, err := io.ReadAll(got.Body)
			got.Body.Close()
			if err != nil {
				tb.Fatalf("read %s: %v", aws.ToString(o.Key), err)
			}
			out = append(out, object{aws.ToString(o.Key), body})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out
}

// waitObjects polls until the objects under prefix hold want lines, or the
// deadline passes, and returns them.
func waitObjects(tb testing.TB, c *awss3.Client, prefix string, want int, within time.Duration) []object {
	tb.Helper()
	deadline := time.Now().Add(within)
	for {
		objs := listObjects(tb, c, prefix)
		n := 0
		for _, o := range objs {
			n += bytes.Count(o.body, []byte("\n"))
		}
		if n >= want {
			return objs
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%d of %d records under %q after %v", n, want, prefix, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func lines(objs []object) map[string]int {
	out := map[string]int{}
	for _, o := range objs {
		for _, l := range strings.SplitAfter(string(o.body), "\n") {
			if l != "" {
				out[l]++
			}
		}
	}
	return out
}

func putKinesis(tb testing.TB, c *awskinesis.Client, stream string, recs []string) {
	tb.Helper()
	entries := make([]kntypes.PutRecordsRequestEntry, len(recs))
	for i, r := range recs {
		entries[i] = kntypes.PutRecordsRequestEntry{Data: []byte(r), PartitionKey: aws.String(fmt.Sprint(i))}
	}
	out, err := c.PutRecords(context.Background(), &awskinesis.PutRecordsInput{StreamName: aws.String(stream), Records: entries})
	if err != nil || aws.ToInt32(out.FailedRecordCount) != 0 {
		tb.Fatalf("put records: %v", err)
	}
}

func TestKinesisSourceDeliversToS3(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t, time.Now().UTC())
	ctx := t.Context()
	if _, err := e.kn.CreateStream(ctx, &awskinesis.CreateStreamInput{StreamName: aws.String("ratings"), ShardCount: aws.Int32(4)}); err != nil {
		t.Fatal(err)
	}
	w := awskinesis.NewStreamExistsWaiter(e.kn, func(o *awskinesis.StreamExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 50*time.Millisecond, time.Second
	})
	desc, err := w.WaitForOutput(ctx, &awskinesis.DescribeStreamInput{StreamName: aws.String("ratings")}, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	streamARN := desc.StreamDescription.StreamARN

	// Records put before the delivery stream exists are not delivered.
	putKinesis(t, e.kn, "ratings", []string{"before-1\n", "before-2\n"})

	_, err = e.fh.CreateDeliveryStream(ctx, &awsfirehose.CreateDeliveryStreamInput{
		DeliveryStreamName: aws.String("ratings-to-s3"),
		DeliveryStreamType: fhtypes.DeliveryStreamTypeKinesisStreamAsSource,
		KinesisStreamSourceConfiguration: &fhtypes.KinesisStreamSourceConfiguration{
			KinesisStreamARN: streamARN, RoleARN: aws.String(role),
		},
		ExtendedS3DestinationConfiguration: s3Dest("firehose/", 5, 1, fhtypes.CompressionFormatUncompressed),
	})
	if err != nil {
		t.Fatal(err)
	}
	e.fake.Advance(firehose.DefaultTransitionDelay)
	d := waitStatus(t, e.fh, "ratings-to-s3", fhtypes.DeliveryStreamStatusActive)
	if d.Source == nil || d.Source.KinesisStreamSourceDescription == nil || aws.ToString(d.Source.KinesisStreamSourceDescription.KinesisStreamARN) != aws.ToString(streamARN) {
		t.Errorf("Source = %+v, want the Kinesis stream", d.Source)
	}
	_, err = e.fh.PutRecordBatch(ctx, &awsfirehose.PutRecordBatchInput{DeliveryStreamName: aws.String("ratings-to-s3"), Records: []fhtypes.Record{{Data: []byte("x")}}})
	wantCode(t, err, "InvalidArgumentException")

	const n = 1200
	var want []string
	for i := range n {
		want = append(want, fmt.Sprintf(`{"userId":%d,"movieId":%d,"rating":%.1f}`+"\n", i, i*31%9000, float64(i%10)/2))
	}
	for i := 0; i < n; i += 500 {
		putKinesis(t, e.kn, "ratings", want[i:min(i+500, n)])
	}
	// Buffered for the 1 s interval: nothing is delivered until it passes.
	e.buffered(t, "ratings-to-s3", n)
	if objs := listObjects(t, e.s3, "firehose/"); len(objs) != 0 {
		t.Fatalf("%d objects before the interval passed", len(objs))
	}
	e.fake.Advance(time.Second)
	objs := waitObjects(t, e.s3, "firehose/", n, 10*time.Second)

	keyRE := regexp.MustCompile(`^firehose/(\d{4})/(\d{2})/(\d{2})/(\d{2})/ratings-to-s3-1-(\d{4})-(\d{2})-(\d{2})-(\d{2})-\d{2}-\d{2}-` + uuidV4 + `$`)
	for _, o := range objs {
		m := keyRE.FindStringSubmatch(o.key)
		if m == nil {
			t.Errorf("key %q does not match %s", o.key, keyRE)
			continue
		}
		if m[1] != m[5] || m[2] != m[6] || m[3] != m[7] || m[4] != m[8] {
			t.Errorf("key %q: the prefix's hour and the name's disagree", o.key)
		}
		if ts, _ := time.Parse("2006/01/02/15", strings.Join(m[1:5], "/")); time.Since(ts) > 2*time.Hour || time.Until(ts) > time.Hour {
			t.Errorf("key %q: hour is not now (UTC)", o.key)
		}
	}
	got := lines(objs)
	if len(got) != n {
		t.Errorf("delivered %d distinct records, want %d", len(got), n)
	}
	for _, w := range want {
		if got[w] != 1 {
			t.Errorf("record %q delivered %d times", w, got[w])
		}
	}
	for l := range got {
		if strings.HasPrefix(l, "before-") {
			t.Errorf("record %q was put before the delivery stream existed but was delivered", l)
		}
	}
	st, ok := e.srv.Firehose.Stats("ratings-to-s3")
	if !ok || st.RecordsIn != n || st.RecordsDelivered != n || st.ObjectsWritten != int64(len(objs)) || st.RecordsDropped != 0 {
		t.Errorf("stats %+v, want %d records in and delivered in %d objects", st, n, len(objs))
	}
}

func TestKeyLayout(t *testing.T) {
	t.Parallel()
	// A fixed clock, near real time because S3 rejects skewed requests;
	// each case's stream becomes ACTIVE half a second later, in the same
	// second.
	at := time.Now().UTC().Truncate(time.Second)
	y, mo, d, h := at.Format("2006"), at.Format("01"), at.Format("02"), at.Format("15")
	hour := y + "/" + mo + "/" + d + "/" + h + "/"
	stamp := at.Format("2006-01-02-15-04-05")
	cases := []struct {
		name, prefix, errPrefix string
		format                  fhtypes.CompressionFormat
		want                    string // regular expression before the UUID
		ext                     string
	}{
		{"prefix without slash", "firehose", "", "", `firehose` + hour, ""},
		{"prefix with slash", "firehose/", "", "", `firehose/` + hour, ""},
		{"no prefix", "", "", "", hour, ""},
		{"gzip", "gz/", "", fhtypes.CompressionFormatGzip, `gz/` + hour, `\.gz`},
		{"timestamp expression", "ratings/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/", "errors/!{firehose:error-output-type}/", "",
			`ratings/year=` + y + `/month=` + mo + `/day=` + d + `/`, ""},
		{"quoted literal", "!{timestamp:'dt='yyyy-MM-dd}/", "errors/!{firehose:error-output-type}/", "", `dt=` + y + `-` + mo + `-` + d + `/`, ""},
		{"random string", "r/!{firehose:random-string}/", "errors/!{firehose:error-output-type}/", "", `r/[a-z0-9]{11}/` + hour, ""},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newFakeEnv(t, at)
			name := fmt.Sprintf("keys-%d", i)
			dest := s3Dest(tc.prefix, 1, 0, tc.format)
			dest.ErrorOutputPrefix = aws.String(tc.errPrefix)
			e.create(t, name, dest)
			if _, err := e.fh.PutRecord(t.Context(), &awsfirehose.PutRecordInput{DeliveryStreamName: aws.String(name), Record: &fhtypes.Record{Data: []byte(name + "\n")}}); err != nil {
				t.Fatal(err)
			}
			re := regexp.MustCompile(`^` + tc.want + name + `-1-` + stamp + `-` + uuidV4 + tc.ext + `$`)
			deadline := time.Now().Add(5 * time.Second)
			for {
				for _, o := range listObjects(t, e.s3, "") {
					if re.MatchString(o.key) {
						return
					}
				}
				if time.Now().After(deadline) {
					t.Fatalf("no key matches %s; keys: %v", re, keys(listObjects(t, e.s3, "")))
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}

func keys(objs []object) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.key)
	}
	return out
}

func TestSizeTriggeredFlush(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	createDirect(t, e.fh, "big", s3Dest("big/", 1, 900, fhtypes.CompressionFormatUncompressed))
	ctx := t.Context()
	rec := bytes.Repeat([]byte("r"), 9999)
	rec = append(rec, '\n') // 10,000 bytes
	var sent int
	for range 3 { // 1,500,000 bytes in all: one full MiB object, the rest buffered
		batch := make([]fhtypes.Record, 50)
		for i := range batch {
			batch[i] = fhtypes.Record{Data: rec}
		}
		out, err := e.fh.PutRecordBatch(ctx, &awsfirehose.PutRecordBatchInput{DeliveryStreamName: aws.String("big"), Records: batch})
		if err != nil || aws.ToInt32(out.FailedPutCount) != 0 {
			t.Fatalf("put batch: %v", err)
		}
		sent += len(batch)
	}
	// The interval is 15 minutes: an object now can only be the size trigger.
	objs := waitObjects(t, e.s3, "big/", 1, 5*time.Second)
	if len(objs) != 1 {
		t.Fatalf("%d objects after the size trigger, want 1", len(objs))
	}
	if n := len(objs[0].body); n > 1<<20 || n < 1<<20-len(rec) {
		t.Errorf("size-triggered object is %d bytes, want just under 1 MiB", n)
	}
	// Close flushes the rest.
	if err := e.srv.Firehose.Close(); err != nil {
		t.Fatal(err)
	}
	objs = listObjects(t, e.s3, "big/")
	total := 0
	for _, o := range objs {
		total += bytes.Count(o.body, []byte("\n"))
	}
	if len(objs) != 2 || total != sent {
		t.Errorf("after Close: %d objects holding %d records, want 2 holding %d", len(objs), total, sent)
	}
}

func TestGzip(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t, time.Now().UTC())
	e.create(t, "zipped", s3Dest("z/", 5, 1, fhtypes.CompressionFormatGzip))
	var want bytes.Buffer
	batch := make([]fhtypes.Record, 300)
	for i := range batch {
		r := fmt.Sprintf("%d,%d,%.1f,%d\n", i, i*7, 3.5, 1700000000+i)
		want.WriteString(r)
		batch[i] = fhtypes.Record{Data: []byte(r)}
	}
	if _, err := e.fh.PutRecordBatch(t.Context(), &awsfirehose.PutRecordBatchInput{DeliveryStreamName: aws.String("zipped"), Records: batch}); err != nil {
		t.Fatal(err)
	}
	e.buffered(t, "zipped", int64(len(batch)))
	if objs := listObjects(t, e.s3, "z/"); len(objs) != 0 {
		t.Fatalf("%d objects before the 1 s interval passed", len(objs))
	}
	e.fake.Advance(time.Second)
	objs := waitObjects(t, e.s3, "z/", len(batch)/len(batch), 10*time.Second)
	if len(objs) != 1 {
		t.Fatalf("%d objects, want 1", len(objs))
	}
	if !strings.HasSuffix(objs[0].key, ".gz") {
		t.Errorf("key %q lacks .gz", objs[0].key)
	}
	zr, err := gzip.NewReader(bytes.NewReader(objs[0].body))
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	got, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("decompressed %d bytes differ from the %d bytes sent", len(got), want.Len())
	}
}

func TestDirectPutLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t, emulation.WithFaults(fault.Config{Rates: map[fault.Kind]float64{fault.Partial: 0.2}, Seed: 3}))
	ctx := t.Context()
	name := "direct"
	_, err := e.fh.CreateDeliveryStream(ctx, &awsfirehose.CreateDeliveryStreamInput{
		DeliveryStreamName: aws.String(name), ExtendedS3DestinationConfiguration: s3Dest("direct/", 5, 1, ""),
	})
	if err != nil {
		t.Fatal(err)
	}
	first, err := e.fh.DescribeDeliveryStream(ctx, &awsfirehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	if s := first.DeliveryStreamDescription.DeliveryStreamStatus; s != fhtypes.DeliveryStreamStatusCreating {
		t.Errorf("status right after create = %s, want CREATING", s)
	}
	_, err = e.fh.PutRecord(ctx, &awsfirehose.PutRecordInput{DeliveryStreamName: aws.String(name), Record: &fhtypes.Record{Data: []byte("x")}})
	wantCode(t, err, "ResourceNotFoundException")
	_, err = e.fh.CreateDeliveryStream(ctx, &awsfirehose.CreateDeliveryStreamInput{
		DeliveryStreamName: aws.String(name), ExtendedS3DestinationConfiguration: s3Dest("direct/", 5, 1, ""),
	})
	wantCode(t, err, "ResourceInUseException")

	d := waitStatus(t, e.fh, name, fhtypes.DeliveryStreamStatusActive)
	if aws.ToString(d.VersionId) != "1" || d.DeliveryStreamType != fhtypes.DeliveryStreamTypeDirectPut || !strings.HasSuffix(aws.ToString(d.DeliveryStreamARN), ":deliverystream/"+name) {
		t.Errorf("version %q type %s arn %q", aws.ToString(d.VersionId), d.DeliveryStreamType, aws.ToString(d.DeliveryStreamARN))
	}
	if len(d.Destinations) != 1 || aws.ToString(d.Destinations[0].DestinationId) != "destinationId-000000000001" {
		t.Fatalf("destinations %+v", d.Destinations)
	}
	x := d.Destinations[0].ExtendedS3DestinationDescription
	if x == nil || aws.ToString(x.BucketARN) != "arn:aws:s3:::"+bucket || aws.ToString(x.Prefix) != "direct/" ||
		aws.ToInt32(x.BufferingHints.SizeInMBs) != 5 || aws.ToInt32(x.BufferingHints.IntervalInSeconds) != 1 || x.CompressionFormat != fhtypes.CompressionFormatUncompressed {
		t.Errorf("extended S3 destination %+v", x)
	}

	list, err := e.fh.ListDeliveryStreams(ctx, &awsfirehose.ListDeliveryStreamsInput{})
	if err != nil || len(list.DeliveryStreamNames) != 1 || list.DeliveryStreamNames[0] != name {
		t.Errorf("ListDeliveryStreams = %v, %v", list, err)
	}

	const n = 400
	pending := make([]fhtypes.Record, n)
	for i := range pending {
		pending[i] = fhtypes.Record{Data: []byte(fmt.Sprintf("rec-%03d\n", i))}
	}
	firstFailed := -1
	for attempt := 0; len(pending) > 0; attempt++ {
		if attempt == 20 {
			t.Fatalf("%d records still failing after 20 attempts", len(pending))
		}
		out, err := e.fh.PutRecordBatch(ctx, &awsfirehose.PutRecordBatchInput{DeliveryStreamName: aws.String(name), Records: pending})
		if err != nil {
			t.Fatal(err)
		}
		var retry []fhtypes.Record
		for i, r := range out.RequestResponses {
			if r.ErrorCode != nil {
				if aws.ToString(r.ErrorCode) != "ServiceUnavailableException" || r.RecordId != nil {
					t.Errorf("failed entry %+v", r)
				}
				retry = append(retry, pending[i])
			} else if aws.ToString(r.RecordId) == "" {
				t.Errorf("entry %d has neither a RecordId nor an error", i)
			}
		}
		if int(aws.ToInt32(out.FailedPutCount)) != len(retry) {
			t.Errorf("FailedPutCount %d, entries with errors %d", aws.ToInt32(out.FailedPutCount), len(retry))
		}
		if attempt == 0 {
			firstFailed = len(retry)
		}
		pending = retry
	}
	if firstFailed <= 0 {
		t.Errorf("partial=0.2 failed %d records on the first try", firstFailed)
	}
	got := lines(waitObjects(t, e.s3, "direct/", n, 5*time.Second))
	if len(got) != n {
		t.Errorf("delivered %d distinct records, want %d", len(got), n)
	}
	for l, k := range got {
		if k != 1 {
			t.Errorf("%q delivered %d times", l, k)
		}
	}

	if _, err := e.fh.DeleteDeliveryStream(ctx, &awsfirehose.DeleteDeliveryStreamInput{DeliveryStreamName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	sawDeleting := false
	for {
		out, err := e.fh.DescribeDeliveryStream(ctx, &awsfirehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String(name)})
		if err != nil {
			wantCode(t, err, "ResourceNotFoundException")
			break
		}
		sawDeleting = sawDeleting || out.DeliveryStreamDescription.DeliveryStreamStatus == fhtypes.DeliveryStreamStatusDeleting
		if time.Now().After(deadline) {
			t.Fatal("delivery stream still there 10 s after DeleteDeliveryStream")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !sawDeleting {
		t.Error("never saw DELETING")
	}
}

func TestValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	createDirect(t, e.fh, "v", s3Dest("v/", 5, 60, ""))
	records := func(n, size int) []fhtypes.Record {
		out := make([]fhtypes.Record, n)
		for i := range out {
			out[i] = fhtypes.Record{Data: make([]byte, size)}
		}
		return out
	}
	put := func(recs []fhtypes.Record) error {
		_, err := e.fh.PutRecordBatch(ctx, &awsfirehose.PutRecordBatchInput{DeliveryStreamName: aws.String("v"), Records: recs})
		return err
	}
	create := func(mut func(*awsfirehose.CreateDeliveryStreamInput)) error {
		in := &awsfirehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("new"), ExtendedS3DestinationConfiguration: s3Dest("p/", 5, 60, "")}
		mut(in)
		_, err := e.fh.CreateDeliveryStream(ctx, in)
		return err
	}
	cases := []struct {
		name string
		err  func() error
		code string
	}{
		{"501 records", func() error { return put(records(501, 1)) }, "ValidationException"},
		{"record over 1000 KiB", func() error { return put(records(1, 1000<<10+1)) }, "ValidationException"},
		{"batch over 4 MiB", func() error { return put(records(5, 1000<<10)) }, "InvalidArgumentException"},
		{"unknown stream", func() error {
			_, err := e.fh.PutRecord(ctx, &awsfirehose.PutRecordInput{DeliveryStreamName: aws.String("nope"), Record: &fhtypes.Record{Data: []byte("x")}})
			return err
		}, "ResourceNotFoundException"},
		{"SizeInMBs 0", func() error {
			return create(func(in *awsfirehose.CreateDeliveryStreamInput) {
				in.ExtendedS3DestinationConfiguration.BufferingHints.SizeInMBs = aws.Int32(0)
			})
		}, "ValidationException"},
		{"SizeInMBs 129", func() error {
			return create(func(in *awsfirehose.CreateDeliveryStreamInput) {
				in.ExtendedS3DestinationConfiguration.BufferingHints.SizeInMBs = aws.Int32(129)
			})
		}, "ValidationException"},
		{"IntervalInSeconds 901", func() error {
			return create(func(in *awsfirehose.CreateDeliveryStreamInput) {
				in.ExtendedS3DestinationConfiguration.BufferingHints.IntervalInSeconds = aws.Int32(901)
			})
		}, "ValidationException"},
		{"bad bucket ARN", func() error {
			return create(func(in *awsfirehose.CreateDeliveryStreamInput) {
				in.ExtendedS3DestinationConfiguration.BucketARN = aws.String("lake")
			})
		}, "ValidationException"},
		{"ZIP", func() error {
			return create(func(in *awsfirehose.CreateDeliveryStreamInput) {
				in.ExtendedS3DestinationConfiguration.CompressionFormat = fhtypes.CompressionFormatZip
			})
		}, "InvalidArgumentException"},
		{"expression without ErrorOutputPrefix", func() error {
			return create(func(in *awsfirehose.CreateDeliveryStreamInput) {
				in.ExtendedS3DestinationConfiguration.Prefix = aws.String("y=!{timestamp:yyyy}/")
				in.ExtendedS3DestinationConfiguration.ErrorOutputPrefix = nil
			})
		}, "InvalidArgumentException"},
		{"dynamic partitioning", func() error {
			return create(func(in *awsfirehose.CreateDeliveryStreamInput) {
				in.ExtendedS3DestinationConfiguration.Prefix = aws.String("!{partitionKeyFromQuery:user}/")
			})
		}, "InvalidArgumentException"},
		{"unknown source stream", func() error {
			return create(func(in *awsfirehose.CreateDeliveryStreamInput) {
				in.DeliveryStreamType = fhtypes.DeliveryStreamTypeKinesisStreamAsSource
				in.KinesisStreamSourceConfiguration = &fhtypes.KinesisStreamSourceConfiguration{
					KinesisStreamARN: aws.String("arn:aws:kinesis:us-east-1:000000000000:stream/nope"), RoleARN: aws.String(role)}
			})
		}, "InvalidArgumentException"},
		{"Kinesis source without configuration", func() error {
			return create(func(in *awsfirehose.CreateDeliveryStreamInput) {
				in.DeliveryStreamType = fhtypes.DeliveryStreamTypeKinesisStreamAsSource
			})
		}, "InvalidArgumentException"},
		{"duplicate", func() error {
			return create(func(in *awsfirehose.CreateDeliveryStreamInput) { in.DeliveryStreamName = aws.String("v") })
		}, "ResourceInUseException"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { wantCode(t, tc.err(), tc.code) })
	}
}

// flakyStore is an ObjectStore that fails writes as told.
type flakyStore struct {
	mu       sync.Mutex
	objects  map[string][]byte
	failures int                   // fail this many writes, then succeed
	fail     func(key string) bool // fail every write for which this is true
}

func (s *flakyStore) PutObject(_ context.Context, bucket, key string, body []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failures > 0 {
		s.failures--
		return errors.New("injected: no such bucket")
	}
	if s.fail != nil && s.fail(key) {
		return errors.New("injected: no such bucket")
	}
	s.objects[bucket+"/"+key] = append([]byte(nil), body...)
	return nil
}

func (s *flakyStore) keys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k := range s.objects {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// newBare serves a Firehose over store with short retries, without the edge
// router, for tests of failed deliveries.
func newBare(t *testing.T, store firehose.ObjectStore) (*firehose.Service, *awsfirehose.Client) {
	t.Helper()
	fh := firehose.New(kinesis.New(), store, firehose.WithTransitionDelay(0), firehose.WithRetryDuration(300*time.Millisecond))
	hs := httptest.NewServer(fh)
	t.Cleanup(func() {
		hs.Close()
		if err := fh.Close(); err != nil {
			t.Error(err)
		}
	})
	c := awsfirehose.NewFromConfig(aws.Config{
		Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""), BaseEndpoint: aws.String(hs.URL),
	})
	return fh, c
}

func TestFailedWrites(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		store *flakyStore
		check func(t *testing.T, st firehose.Stats, keys []string)
	}{
		{"transient failure is retried", &flakyStore{failures: 2}, func(t *testing.T, st firehose.Stats, keys []string) {
			if st.WriteRetries != 2 || st.RecordsDelivered != 3 || st.ObjectsWritten != 1 || len(keys) != 1 || !strings.HasPrefix(keys[0], bucket+"/ok/") {
				t.Errorf("stats %+v keys %v; want 2 retries and 3 records delivered under ok/", st, keys)
			}
		}},
		{"error prefix after the retry duration", &flakyStore{fail: func(k string) bool { return strings.HasPrefix(k, "ok/") }}, func(t *testing.T, st firehose.Stats, keys []string) {
			re := regexp.MustCompile(`^lake/errors/s3-failed/\d{4}/\d{2}/\d{2}/\d{2}/flaky-1-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-` + uuidV4 + `$`)
			if st.ErrorObjects != 1 || st.ErrorRecords != 3 || st.RecordsDelivered != 0 || st.WriteRetries == 0 || len(keys) != 1 || !re.MatchString(keys[0]) {
				t.Errorf("stats %+v keys %v; want 3 records in one object matching %s", st, keys, re)
			}
		}},
		{"nothing writable is counted, not dropped silently", &flakyStore{fail: func(string) bool { return true }}, func(t *testing.T, st firehose.Stats, keys []string) {
			if st.RecordsDropped != 3 || st.RecordsDelivered != 0 || len(keys) != 0 {
				t.Errorf("stats %+v keys %v; want 3 records counted as dropped", st, keys)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.store.objects = map[string][]byte{}
			fh, c := newBare(t, tc.store)
			dest := s3Dest("ok/", 1, 0, "")
			dest.ErrorOutputPrefix = aws.String("errors/")
			createDirect(t, c, "flaky", dest)
			recs := []fhtypes.Record{{Data: []byte("a\n")}, {Data: []byte("b\n")}, {Data: []byte("c\n")}}
			if _, err := c.PutRecordBatch(t.Context(), &awsfirehose.PutRecordBatchInput{DeliveryStreamName: aws.String("flaky"), Records: recs}); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(5 * time.Second)
			for {
				st, _ := fh.Stats("flaky")
				if st.RecordsDelivered+st.ErrorRecords+st.RecordsDropped == 3 {
					tc.check(t, st, tc.store.keys())
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("records unaccounted for after 5 s: %+v", st)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}

func TestPlainS3Destination(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	_, err := e.fh.CreateDeliveryStream(ctx, &awsfirehose.CreateDeliveryStreamInput{
		DeliveryStreamName: aws.String("plain"),
		S3DestinationConfiguration: &fhtypes.S3DestinationConfiguration{
			BucketARN: aws.String("arn:aws:s3:::" + bucket), RoleARN: aws.String(role), Prefix: aws.String("plain/"),
			BufferingHints: &fhtypes.BufferingHints{IntervalInSeconds: aws.Int32(0), SizeInMBs: aws.Int32(1)},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	d := waitStatus(t, e.fh, "plain", fhtypes.DeliveryStreamStatusActive)
	if len(d.Destinations) != 1 || d.Destinations[0].S3DestinationDescription == nil || d.Destinations[0].ExtendedS3DestinationDescription != nil {
		t.Fatalf("destinations %+v: want only an S3DestinationDescription", d.Destinations)
	}
	if f := d.Destinations[0].S3DestinationDescription.CompressionFormat; f != fhtypes.CompressionFormatUncompressed {
		t.Errorf("default CompressionFormat %s, want UNCOMPRESSED", f)
	}
	if _, err := e.fh.PutRecord(ctx, &awsfirehose.PutRecordInput{DeliveryStreamName: aws.String("plain"), Record: &fhtypes.Record{Data: []byte("one\n")}}); err != nil {
		t.Fatal(err)
	}
	objs := waitObjects(t, e.s3, "plain/", 1, 5*time.Second)
	if len(objs) != 1 || string(objs[0].body) != "one\n" {
		t.Errorf("objects %v, want one holding the record", keys(objs))
	}
}

// TestLateSourceReader is the firehose_start fault: the delivery stream is
// ACTIVE at once, but its reader starts at LATEST only after the delay, so
// the records put in between are never delivered, and those put after are.
// The fake clock makes the delay exact.
func TestLateSourceReader(t *testing.T) {
	t.Parallel()
	const late = 3 * time.Second
	e := newFakeEnv(t, time.Now().UTC(), emulation.WithFaults(fault.Config{FirehoseStart: late}))
	ctx := t.Context()
	if _, err := e.kn.CreateStream(ctx, &awskinesis.CreateStreamInput{StreamName: aws.String("ratings"), ShardCount: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}
	desc, err := awskinesis.NewStreamExistsWaiter(e.kn, func(o *awskinesis.StreamExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 50*time.Millisecond, time.Second
	}).WaitForOutput(ctx, &awskinesis.DescribeStreamInput{StreamName: aws.String("ratings")}, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.fh.CreateDeliveryStream(ctx, &awsfirehose.CreateDeliveryStreamInput{
		DeliveryStreamName: aws.String("late"),
		DeliveryStreamType: fhtypes.DeliveryStreamTypeKinesisStreamAsSource,
		KinesisStreamSourceConfiguration: &fhtypes.KinesisStreamSourceConfiguration{
			KinesisStreamARN: desc.StreamDescription.StreamARN, RoleARN: aws.String(role),
		},
		ExtendedS3DestinationConfiguration: s3Dest("firehose/", 5, 1, fhtypes.CompressionFormatUncompressed),
	}); err != nil {
		t.Fatal(err)
	}
	out, err := e.fh.DescribeDeliveryStream(ctx, &awsfirehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String("late")})
	if err != nil || out.DeliveryStreamDescription.DeliveryStreamStatus != fhtypes.DeliveryStreamStatusActive {
		t.Fatalf("status at once: %v, %v; want ACTIVE", out, err)
	}
	putKinesis(t, e.kn, "ratings", []string{"early-1\n", "early-2\n", "early-3\n"})
	if !e.fake.WaitTimers(1, 10*time.Second) {
		t.Fatal("the delivery stream set no timer for its late reader")
	}
	e.fake.Advance(late - time.Millisecond)
	if st, _ := e.srv.Firehose.Stats("late"); st.Reading {
		t.Fatal("the reader started before the fault's delay")
	}
	e.fake.Advance(time.Millisecond)
	deadline := time.Now().Add(10 * time.Second)
	for st, _ := e.srv.Firehose.Stats("late"); !st.Reading; st, _ = e.srv.Firehose.Stats("late") {
		if time.Now().After(deadline) {
			t.Fatal("the reader did not start once the delay had passed")
		}
		time.Sleep(time.Millisecond)
	}
	putKinesis(t, e.kn, "ratings", []string{"late-1\n", "late-2\n"})
	e.buffered(t, "late", 2)
	e.fake.Advance(time.Second)
	got := lines(waitObjects(t, e.s3, "firehose/", 2, 10*time.Second))
	if len(got) != 2 || got["late-1\n"] != 1 || got["late-2\n"] != 1 {
		t.Errorf("delivered %v, want the two records put after the reader started, and none of the three before", got)
	}
}
