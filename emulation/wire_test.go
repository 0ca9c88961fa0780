package emulation_test

import (
	"encoding/json"
	"hash/crc32"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/mldatalake/mldatalake/emulation"
)

// TestErrorWireFormat checks the raw `__type` of errors, as AWS writes them:
// DynamoDB in its own namespace or, for errors raised before the service
// (validation, serialization), in Coral's; Kinesis and Firehose bare.
func TestErrorWireFormat(t *testing.T) {
	t.Parallel()
	srv := emulation.NewTestServer(t)
	for _, tc := range []struct {
		target, contentType, body string
		status                    int
		wantType                  string
	}{
		{"DynamoDB_20120810.DescribeTable", "application/x-amz-json-1.0", `{"TableName":"missing"}`, 400,
			"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"},
		{"DynamoDB_20120810.BatchWriteItem", "application/x-amz-json-1.0", `{"RequestItems":{}}`, 400,
			"com.amazon.coral.validate#ValidationException"},
		{"DynamoDB_20120810.NoSuchOperation", "application/x-amz-json-1.0", `{}`, 400,
			"com.amazon.coral.service#UnknownOperationException"},
		{"Kinesis_20131202.DescribeStream", "application/x-amz-json-1.1", `{"StreamName":"missing"}`, 400,
			"ResourceNotFoundException"},
		{"Firehose_20150804.DescribeDeliveryStream", "application/x-amz-json-1.1", `{"DeliveryStreamName":"missing"}`, 400,
			"ResourceNotFoundException"},
	} {
		t.Run(tc.target, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/", strings.NewReader(tc.body))
			req.Header.Set("X-Amz-Target", tc.target)
			req.Header.Set("Content-Type", tc.contentType)
			req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20261125/us-east-1/x/aws4_request, SignedHeaders=host, Signature=0")
			req.Header.Set("X-Amz-Date", "20261125T000000Z")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			var body struct {
				Type    string `json:"__type"`
				Message string `json:"message"`
			}
			if err := json.Unmarshal(b, &body); err != nil {
				t.Fatalf("body %s: %v", b, err)
			}
			if resp.StatusCode != tc.status || body.Type != tc.wantType || body.Message == "" {
				t.Errorf("status %d __type %q message %q; want %d %q and a message", resp.StatusCode, body.Type, body.Message, tc.status, tc.wantType)
			}
			if ct := resp.Header.Get("Content-Type"); ct != tc.contentType {
				t.Errorf("Content-Type %q, want %q", ct, tc.contentType)
			}
			if strings.HasPrefix(tc.target, "DynamoDB") {
				if got, want := resp.Header.Get("X-Amz-Crc32"), strconv.FormatUint(uint64(crc32.ChecksumIEEE(b)), 10); got != want {
					t.Errorf("X-Amz-Crc32 %q, want the body's CRC-32 %s", got, want)
				}
			}
		})
	}
}
