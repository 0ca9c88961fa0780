package kinesis_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskinesis "github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/mldatalake/mldatalake/emulation"
)

// BenchmarkPutAndRead measures the path the pipeline's stream stage takes:
// 500-record PutRecords calls through the SDK to a 4-shard stream, each
// batch read back in-process by a LATEST Reader, as the emulated Firehose
// reads its source stream.
func BenchmarkPutAndRead(b *testing.B) {
	srv := emulation.NewTestServer(b)
	c := awskinesis.NewFromConfig(srv.Config())
	name := uniqueName(b, "bench")
	createStream(b, c, name, 4)
	r, err := srv.Kinesis.NewLatestReader(name)
	if err != nil {
		b.Fatal(err)
	}
	entries := make([]types.PutRecordsRequestEntry, 500)
	for i := range entries {
		entries[i] = types.PutRecordsRequestEntry{
			Data:         []byte(fmt.Sprintf(`{"userId":%d,"movieId":%d,"rating":4.5,"timestamp":1700000000}`, i, i*3)),
			PartitionKey: aws.String(fmt.Sprint(i)),
		}
	}
	in := &awskinesis.PutRecordsInput{StreamName: aws.String(name), Records: entries}
	for b.Loop() {
		out, err := c.PutRecords(context.Background(), in)
		if err != nil || aws.ToInt32(out.FailedRecordCount) != 0 {
			b.Fatalf("PutRecords: %v", err)
		}
		for got := 0; got < len(entries); {
			recs, _, err := r.Read(500)
			if err != nil {
				b.Fatal(err)
			}
			if len(recs) == 0 {
				b.Fatalf("read %d of %d records", got, len(entries))
			}
			got += len(recs)
		}
	}
	b.ReportMetric(float64(b.N*len(entries))/b.Elapsed().Seconds(), "records/s")
}
