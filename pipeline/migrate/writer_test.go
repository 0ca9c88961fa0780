package migrate

import (
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestTakeReady(t *testing.T) {
	t.Parallel()
	plan := func(name string) *tableRun {
		return &tableRun{plan: &TablePlan{Target: name, PartitionKey: KeyAttribute{"Id", types.ScalarAttributeTypeS}}}
	}
	ratings, movies := plan("ratings"), plan("movies")
	puts := func(ids ...int) []types.WriteRequest {
		reqs := make([]types.WriteRequest, len(ids))
		for i, id := range ids {
			reqs[i] = types.WriteRequest{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{
				"Id": &types.AttributeValueMemberS{Value: fmt.Sprint(id)}}}}
		}
		return reqs
	}
	span := func(from, n int) []types.WriteRequest {
		ids := make([]int, n)
		for i := range ids {
			ids[i] = from + i
		}
		return puts(ids...)
	}
	ids := func(reqs []types.WriteRequest) []string {
		var out []string
		for _, r := range reqs {
			out = append(out, r.PutRequest.Item["Id"].(*types.AttributeValueMemberS).Value)
		}
		return out
	}
	now := time.Now()
	past, future := now.Add(-time.Millisecond), now.Add(time.Hour)
	tests := []struct {
		name      string
		queue     []held
		wantOK    bool
		wantTable string
		wantIDs   string
		wantTry   int
		wantLeft  int // requests left in the queue
	}{
		{name: "empty"},
		{name: "nothing due", queue: []held{{t: ratings, reqs: puts(1), attempt: 1, at: future}}, wantLeft: 1},
		{
			name: "due ones of the first due table merge",
			queue: []held{
				{t: ratings, reqs: puts(1, 2), attempt: 1, at: future},
				{t: movies, reqs: puts(3, 4), attempt: 2, at: past},
				{t: ratings, reqs: puts(5), attempt: 1, at: past},
				{t: movies, reqs: puts(6), attempt: 3, at: now},
			},
			wantOK: true, wantTable: "movies", wantIDs: "[3 4 6]", wantTry: 3, wantLeft: 3,
		},
		{
			name: "at most 25, the rest stays",
			queue: []held{
				{t: ratings, reqs: span(0, 20), attempt: 1, at: past},
				{t: ratings, reqs: span(100, 20), attempt: 1, at: past},
			},
			wantOK: true, wantTable: "ratings", wantIDs: fmt.Sprint(ids(append(span(0, 20), span(100, 5)...))), wantTry: 1, wantLeft: 15,
		},
		{
			name: "a key already in the batch waits for the next",
			queue: []held{
				{t: ratings, reqs: puts(1, 2), attempt: 1, at: past},
				{t: ratings, reqs: puts(3, 1, 4), attempt: 1, at: past},
			},
			wantOK: true, wantTable: "ratings", wantIDs: "[1 2 3]", wantTry: 1, wantLeft: 2,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := tc.queue
			job, ok := takeReady(&q, now)
			if ok != tc.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tc.wantOK)
			}
			left := 0
			for _, h := range q {
				left += len(h.reqs)
			}
			if left != tc.wantLeft {
				t.Errorf("%d requests left in the queue, want %d", left, tc.wantLeft)
			}
			if !ok {
				return
			}
			if job.t.plan.Target != tc.wantTable || fmt.Sprint(ids(job.reqs)) != tc.wantIDs || job.attempt != tc.wantTry {
				t.Errorf("took %s %v attempt %d, want %s %s attempt %d", job.t.plan.Target, ids(job.reqs), job.attempt,
					tc.wantTable, tc.wantIDs, tc.wantTry)
			}
		})
	}
}
