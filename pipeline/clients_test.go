package pipeline_test

import (
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/mldatalake/mldatalake/pipeline"
)

// TestClientsReuseConnections has more callers than the SDK's default
// transport keeps idle connections per host (10), in rounds: all call at
// once, then all wait, as the load's writers wait for a slow source. The
// default transport closes all but 10 connections in every pause and opens
// them again in the next round; the pipeline's clients keep them (a few
// more open in the first round, when callers race for connections).
func TestClientsReuseConnections(t *testing.T) {
	t.Parallel()
	var opened atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		body := `{"TableNames":[]}`
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE([]byte(body))), 10))
		io.WriteString(w, body)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			opened.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
	ddb := pipeline.NewClients(cfg).DynamoDB
	const callers, rounds = 24, 10
	for range rounds {
		var wg sync.WaitGroup
		for range callers {
			wg.Go(func() {
				if _, err := ddb.ListTables(t.Context(), &dynamodb.ListTablesInput{}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	}
	t.Logf("%d connections opened for %d callers in %d rounds", opened.Load(), callers, rounds)
	if n := opened.Load(); n > 2*callers {
		t.Errorf("%d connections opened for %d callers in %d rounds: connections are not reused", n, callers, rounds)
	}
}
