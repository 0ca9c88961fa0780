package kinesis_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mldatalake/mldatalake/emulation"
)

// jsonCall sends a raw JSON-protocol request and returns the status and the
// decoded answer.
func jsonCall(tb testing.TB, url, contentType, op, body string) (int, map[string]any) {
	tb.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Amz-Target", "Kinesis_20131202."+op)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=0")
	req.Header.Set("X-Amz-Date", "20260101T000000Z")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]any{}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			tb.Fatalf("%s: answer %q is not JSON: %v", op, raw, err)
		}
	}
	return resp.StatusCode, out
}

// TestWireErrors holds the emulator to the errors Kinesis's request
// framework gives before an operation runs, as kinesalite's tests recorded
// them: SerializationException naming the Java type a member could not be
// converted to (under "Message"), and every constraint violation at once.
func TestWireErrors(t *testing.T) {
	srv := emulation.NewTestServer(t)
	const j = "application/x-amz-json-1.1"
	cases := []struct {
		name, op, body string
		code, key, msg string
	}{
		{"string member given a boolean", "CreateStream", `{"StreamName":true}`,
			"SerializationException", "Message", "class java.lang.Boolean can not be converted to an String"},
		{"string member given a number", "DescribeStream", `{"StreamName":2147483648}`,
			"SerializationException", "Message", "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String"},
		{"boolean member given a string", "DeleteStream", `{"StreamName":"a","EnforceConsumerDeletion":"yes"}`,
			"SerializationException", "Message", "'YES' can not be converted to an Boolean"},
		{"integer member given a string", "CreateStream", `{"StreamName":"a","ShardCount":"3"}`,
			"SerializationException", "Message", "class java.lang.String can not be converted to an Integer"},
		{"integer member given an object", "ListStreams", `{"Limit":{}}`,
			"SerializationException", "Message", "Start of structure or map found where not expected."},
		{"blob of bad length", "PutRecord", `{"StreamName":"a","PartitionKey":"k","Data":"23456"}`,
			"SerializationException", "Message", "'23456' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes but found: 5"},
		{"blob with a bad character", "PutRecord", `{"StreamName":"a","PartitionKey":"k","Data":"=+/="}`,
			"SerializationException", "Message", "'=+/=' can not be converted to a Blob: Invalid Base64 character: '='"},
		{"blob with trailing bits", "PutRecord", `{"StreamName":"a","PartitionKey":"k","Data":"+/+="}`,
			"SerializationException", "Message", "'+/+=' can not be converted to a Blob: Invalid last non-pad Base64 character dectected"},
		{"list given a string", "PutRecords", `{"StreamName":"a","Records":"x"}`,
			"SerializationException", "Message", "Expected list or null"},
		{"structure given a string", "PutRecords", `{"StreamName":"a","Records":["x"]}`,
			"SerializationException", "Message", "Expected null"},
		{"map given a list", "AddTagsToStream", `{"StreamName":"a","Tags":[]}`,
			"SerializationException", "Message", "Start of list found where not expected"},
		{"timestamp given a string", "GetShardIterator", `{"StreamName":"a","ShardId":"0","ShardIteratorType":"LATEST","Timestamp":"23"}`,
			"SerializationException", "Message", "class java.lang.String can not be converted to milliseconds since epoch"},
		{"every violation at once", "CreateStream", `{"StreamName":"","ShardCount":0}`,
			"ValidationException", "message", "3 validation errors detected: " +
				"Value '0' at 'shardCount' failed to satisfy constraint: Member must have value greater than or equal to 1; " +
				"Value '' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; " +
				"Value '' at 'streamName' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"integers clamped to 32 bits", "CreateStream", `{"StreamName":"a","ShardCount":100000000000}`,
			"ValidationException", "message", "1 validation error detected: Value '2147483647' at 'shardCount' failed to satisfy constraint: Member must have value less than or equal to 100000"},
		{"nested members by path", "PutRecords", `{"StreamName":"a","Records":[{"PartitionKey":"","Data":""}]}`,
			"ValidationException", "message", "1 validation error detected: Value '' at 'records.1.member.partitionKey' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"no body", "ListStreams", ``, "SerializationException", "", ""},
		{"not JSON", "ListStreams", `hello`, "SerializationException", "", ""},
		{"unknown operation", "ListStream", `{}`, "UnknownOperationException", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, out := jsonCall(t, srv.URL, j, tc.op, tc.body)
			if status != http.StatusBadRequest || out["__type"] != tc.code {
				t.Fatalf("%d %v, want 400 %s", status, out, tc.code)
			}
			if tc.key == "" {
				if len(out) != 1 {
					t.Errorf("answer %v, want __type alone", out)
				}
				return
			}
			if got := out[tc.key]; got != tc.msg {
				t.Errorf("%s = %q\nwant %q", tc.key, got, tc.msg)
			}
		})
	}
}

// TestIteratorRequestErrors covers GetShardIterator's checks of its
// arguments against the stream.
func TestIteratorRequestErrors(t *testing.T) {
	srv := emulation.NewTestServer(t)
	const j = "application/x-amz-json-1.1"
	if status, out := jsonCall(t, srv.URL, j, "CreateStream", `{"StreamName":"it","ShardCount":2}`); status != http.StatusOK {
		t.Fatalf("CreateStream: %d %v", status, out)
	}
	for range 100 {
		_, d := jsonCall(t, srv.URL, j, "DescribeStreamSummary", `{"StreamName":"it"}`)
		if d["StreamDescriptionSummary"].(map[string]any)["StreamStatus"] == "ACTIVE" {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	_, put := jsonCall(t, srv.URL, j, "PutRecord", `{"StreamName":"it","PartitionKey":"k","Data":"YQ==","ExplicitHashKey":"0"}`)
	seq, _ := put["SequenceNumber"].(string)
	cases := []struct {
		name, op, body, code, msg string
	}{
		{"LATEST with a sequence number", "GetShardIterator", `{"StreamName":"it","ShardId":"shardId-0","ShardIteratorType":"LATEST","StartingSequenceNumber":"5"}`,
			"InvalidArgumentException", "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. Request specified LATEST and also a StartingSequenceNumber."},
		{"TRIM_HORIZON with a sequence number", "GetShardIterator", `{"StreamName":"it","ShardId":"shardId-0","ShardIteratorType":"TRIM_HORIZON","StartingSequenceNumber":"5"}`,
			"InvalidArgumentException", "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. Request specified TRIM_HORIZON and also a StartingSequenceNumber."},
		{"AT_TIMESTAMP in the future", "GetShardIterator", `{"StreamName":"it","ShardId":"shardId-0","ShardIteratorType":"AT_TIMESTAMP","Timestamp":99999999999.5}`,
			"InvalidArgumentException", "The timestampInMillis parameter cannot be greater than the currentTimestampInMillis. timestampInMillis: 99999999999500, currentTimestampInMillis: "},
		{"sequence number of another shard", "GetShardIterator", `{"StreamName":"it","ShardId":"shardId-1","ShardIteratorType":"AT_SEQUENCE_NUMBER","StartingSequenceNumber":"` + seq + `"}`,
			"InvalidArgumentException", "Invalid StartingSequenceNumber. It encodes shardId-000000000000, while it was used in a call to a shard with shardId-000000000001"},
		{"shard id that names no shard", "GetShardIterator", `{"StreamName":"it","ShardId":"2.14E4","ShardIteratorType":"LATEST"}`,
			"ResourceNotFoundException", "Could not find shard 2.14E4 in stream it under account 000000000000."},
		{"SequenceNumberForOrdering of an unknown layout", "PutRecord", `{"StreamName":"it","PartitionKey":"k","Data":"","SequenceNumberForOrdering":"26227199374822427428162556223570313216"}`,
			"InvalidArgumentException", "ExclusiveMinimumSequenceNumber 26227199374822427428162556223570313216 used in PutRecord on stream it under account 000000000000 is invalid."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, out := jsonCall(t, srv.URL, j, tc.op, tc.body)
			msg, _ := out["message"].(string)
			if status != http.StatusBadRequest || out["__type"] != tc.code || !strings.HasPrefix(msg, tc.msg) {
				t.Errorf("%d %v\nwant 400 %s %q", status, out, tc.code, tc.msg)
			}
		})
	}
	// A valid SequenceNumberForOrdering, one Kinesis gave, is accepted.
	status, out := jsonCall(t, srv.URL, j, "PutRecord", `{"StreamName":"it","PartitionKey":"k","Data":"","ExplicitHashKey":"0","SequenceNumberForOrdering":"`+seq+`"}`)
	if next, _ := out["SequenceNumber"].(string); status != http.StatusOK || next <= seq && len(next) == len(seq) {
		t.Errorf("PutRecord after %s: %d %v", seq, status, out)
	}
}
