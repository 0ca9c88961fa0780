package kinesis_test

import (
	"bytes"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/mldatalake/mldatalake/emulation"
)

// cborCall sends one Kinesis request in CBOR, as the AWS SDKs for Java and
// the KCL do, and decodes the CBOR answer into a map.
func cborCall(tb testing.TB, url, op string, req map[string]any) (int, map[string]any) {
	tb.Helper()
	status, raw := cborRaw(tb, url, op, req)
	out := map[string]any{}
	if len(raw) > 0 {
		if err := cbor.Unmarshal(raw, &out); err != nil {
			tb.Fatalf("%s: the answer is not CBOR: %v (% x)", op, err, raw)
		}
	}
	return status, out
}

// cborRaw sends one CBOR request and returns the answer's status and body.
func cborRaw(tb testing.TB, url, op string, req map[string]any) (int, []byte) {
	tb.Helper()
	body, err := cbor.Marshal(req)
	if err != nil {
		tb.Fatal(err)
	}
	hr, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	hr.Header.Set("Content-Type", "application/x-amz-cbor-1.1")
	hr.Header.Set("X-Amz-Target", "Kinesis_20131202."+op)
	hr.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=0")
	hr.Header.Set("X-Amz-Date", "20260101T000000Z")
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		tb.Fatalf("%s: %v", op, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/x-amz-cbor-1.1" {
		tb.Fatalf("%s answered Content-Type %q, want application/x-amz-cbor-1.1", op, ct)
	}
	return resp.StatusCode, raw
}

// cborInto sends one CBOR request and decodes a 200 answer into out.
func cborInto(tb testing.TB, url, op string, req map[string]any, out any) {
	tb.Helper()
	status, raw := cborRaw(tb, url, op, req)
	if status != http.StatusOK {
		tb.Fatalf("%s: %d % x", op, status, raw)
	}
	if err := cbor.Unmarshal(raw, out); err != nil {
		tb.Fatalf("%s: %v", op, err)
	}
}

// tagMillis checks that tag is CBOR tag 1 holding integer epoch
// milliseconds, what the Java SDKs read, and returns the time.
func tagMillis(tb testing.TB, what string, tag cbor.RawTag) time.Time {
	tb.Helper()
	if tag.Number != 1 {
		tb.Fatalf("%s is tag %d, want CBOR tag 1", what, tag.Number)
	}
	var ms int64
	if err := cbor.Unmarshal(tag.Content, &ms); err != nil || len(tag.Content) == 0 || tag.Content[0]>>5 > 1 {
		tb.Fatalf("%s holds % x, want integer epoch milliseconds", what, tag.Content)
	}
	return time.UnixMilli(ms)
}

func TestCBORRoundTrip(t *testing.T) {
	srv := emulation.NewTestServer(t)
	url := srv.URL
	status, out := cborCall(t, url, "CreateStream", map[string]any{"StreamName": "cbor", "ShardCount": 1})
	if status != http.StatusOK {
		t.Fatalf("CreateStream: %d %v", status, out)
	}
	for range 100 {
		var d struct {
			StreamDescription struct {
				StreamStatus            string
				StreamCreationTimestamp cbor.RawTag
			}
		}
		cborInto(t, url, "DescribeStream", map[string]any{"StreamName": "cbor"}, &d)
		if d.StreamDescription.StreamStatus == "ACTIVE" {
			created := tagMillis(t, "StreamCreationTimestamp", d.StreamDescription.StreamCreationTimestamp)
			if time.Since(created) > time.Minute || time.Until(created) > time.Second {
				t.Errorf("StreamCreationTimestamp %v is not now", created)
			}
			break
		}
		time.Sleep(50 * time.Millisecond)
	}

	before := time.Now().Add(-time.Second)
	data := []byte{0, 1, 2, 0xfe, 0xff, '{', '"'}
	status, put := cborCall(t, url, "PutRecord", map[string]any{"StreamName": "cbor", "PartitionKey": "k", "Data": data})
	if status != http.StatusOK || put["ShardId"] != "shardId-000000000000" {
		t.Fatalf("PutRecord: %d %v", status, put)
	}
	seq, _ := put["SequenceNumber"].(string)
	if len(seq) < 56 {
		t.Errorf("SequenceNumber %q", seq)
	}

	// Timestamp as the Java SDKs send it: tag 1, epoch milliseconds.
	status, it := cborCall(t, url, "GetShardIterator", map[string]any{
		"StreamName": "cbor", "ShardId": "shardId-000000000000", "ShardIteratorType": "AT_TIMESTAMP",
		"Timestamp": cbor.Tag{Number: 1, Content: before.UnixMilli()},
	})
	if status != http.StatusOK {
		t.Fatalf("GetShardIterator: %d %v", status, it)
	}
	var got struct {
		Records []struct {
			Data                        []byte
			SequenceNumber              string
			PartitionKey                string
			ApproximateArrivalTimestamp cbor.RawTag
		}
		NextShardIterator  *string
		MillisBehindLatest *uint64
	}
	cborInto(t, url, "GetRecords", map[string]any{"ShardIterator": it["ShardIterator"], "Limit": 10}, &got)
	if len(got.Records) != 1 {
		t.Fatalf("GetRecords returned %d records, want 1: %+v", len(got.Records), got)
	}
	rec := got.Records[0]
	if !bytes.Equal(rec.Data, data) {
		t.Errorf("Data came back as % x, want % x", rec.Data, data)
	}
	if rec.SequenceNumber != seq || rec.PartitionKey != "k" {
		t.Errorf("record %+v", rec)
	}
	arrival := tagMillis(t, "ApproximateArrivalTimestamp", rec.ApproximateArrivalTimestamp)
	if arrival.Before(before) || arrival.After(time.Now().Add(time.Second)) {
		t.Errorf("ApproximateArrivalTimestamp %v is not the time of the put", arrival)
	}
	if got.NextShardIterator == nil || got.MillisBehindLatest == nil {
		t.Errorf("NextShardIterator %v, MillisBehindLatest %v", got.NextShardIterator, got.MillisBehindLatest)
	}

	// The same timestamp in epoch seconds, as other CBOR encoders write tag 1.
	status, it = cborCall(t, url, "GetShardIterator", map[string]any{
		"StreamName": "cbor", "ShardId": "shardId-000000000000", "ShardIteratorType": "AT_TIMESTAMP",
		"Timestamp": cbor.Tag{Number: 1, Content: float64(before.UnixMilli()) / 1000},
	})
	if status != http.StatusOK {
		t.Fatalf("GetShardIterator, seconds: %d %v", status, it)
	}
	if _, again := cborCall(t, url, "GetRecords", map[string]any{"ShardIterator": it["ShardIterator"]}); len(again["Records"].([]any)) != 1 {
		t.Errorf("AT_TIMESTAMP in epoch seconds: %v", again)
	}

	// Errors come back in CBOR too.
	cases := []struct {
		name, op string
		req      map[string]any
		code     string
	}{
		{"missing stream", "DescribeStream", map[string]any{"StreamName": "nope"}, "ResourceNotFoundException"},
		{"blob of the wrong type", "PutRecord", map[string]any{"StreamName": "cbor", "PartitionKey": "k", "Data": 5}, "SerializationException"},
		{"constraint", "PutRecord", map[string]any{"StreamName": "cbor", "PartitionKey": "", "Data": []byte{}}, "ValidationException"},
		{"unknown operation", "Nope", map[string]any{}, "UnknownOperationException"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, e := cborCall(t, url, tc.op, tc.req)
			if status != http.StatusBadRequest || e["__type"] != tc.code {
				t.Errorf("%d %v, want 400 %s", status, e, tc.code)
			}
		})
	}
}
