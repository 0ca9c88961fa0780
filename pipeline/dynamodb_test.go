package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/mldatalake/mldatalake/pipeline"
)

// fakeScan serves a table split into segments, pageSize items per page.
type fakeScan struct {
	mu       sync.Mutex
	items    int
	pageSize int
	calls    []string
	failAt   int // fail the call with this item offset, if > 0
}

func (f *fakeScan) Scan(_ context.Context, in *dynamodb.ScanInput, _ ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	seg, total := int(aws.ToInt32(in.Segment)), int(aws.ToInt32(in.TotalSegments))
	if !aws.ToBool(in.ConsistentRead) {
		return nil, errors.New("not a consistent read")
	}
	start := seg
	if k, ok := in.ExclusiveStartKey["k"].(*types.AttributeValueMemberN); ok {
		fmt.Sscan(k.Value, &start)
		start += total
	}
	f.mu.Lock()
	f.calls = append(f.calls, fmt.Sprintf("%d/%d@%d", seg, total, start))
	f.mu.Unlock()
	if f.failAt > 0 && start == f.failAt {
		return nil, errors.New("boom")
	}
	out := &dynamodb.ScanOutput{}
	defer func() { out.Count = int32(len(out.Items)) }()
	last := -1
	for i := start; i < f.items && len(out.Items) < f.pageSize; i += total {
		out.Items = append(out.Items, map[string]types.AttributeValue{"k": &types.AttributeValueMemberN{Value: fmt.Sprint(i)}})
		last = i
	}
	if last >= 0 && last+total < f.items {
		out.LastEvaluatedKey = map[string]types.AttributeValue{"k": &types.AttributeValueMemberN{Value: fmt.Sprint(last)}}
	}
	return out, nil
}

func TestScanItems(t *testing.T) {
	for _, segments := range []int{0, 1, 3, 8} {
		t.Run(fmt.Sprintf("segments=%d", segments), func(t *testing.T) {
			f := &fakeScan{items: 100, pageSize: 7}
			var mu sync.Mutex
			seen := map[string]int{}
			n, err := pipeline.ScanItems(t.Context(), f, "t", segments, func(_ context.Context, seg int, items []map[string]types.AttributeValue) error {
				mu.Lock()
				defer mu.Unlock()
				for _, it := range items {
					seen[it["k"].(*types.AttributeValueMemberN).Value]++
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if n != 100 || len(seen) != 100 {
				t.Fatalf("read %d items, %d distinct; want 100", n, len(seen))
			}
			for k, c := range seen {
				if c != 1 {
					t.Errorf("item %s read %d times", k, c)
				}
			}
			if len(f.calls) < 15 { // 100 items, 7 a page
				t.Errorf("%d Scan calls, want at least 15 pages: %v", len(f.calls), f.calls)
			}
		})
	}
	t.Run("error stops the scan", func(t *testing.T) {
		f := &fakeScan{items: 100, pageSize: 5, failAt: 10}
		_, err := pipeline.ScanItems(t.Context(), f, "ratings_t", 2, func(context.Context, int, []map[string]types.AttributeValue) error { return nil })
		if err == nil || !strings.Contains(err.Error(), "scan ratings_t segment 0/2: boom") {
			t.Errorf("Scan error = %v", err)
		}
	})
	t.Run("page error stops the scan", func(t *testing.T) {
		stop := errors.New("stop")
		_, err := pipeline.ScanItems(t.Context(), &fakeScan{items: 10, pageSize: 1}, "t", 2, func(context.Context, int, []map[string]types.AttributeValue) error { return stop })
		if !errors.Is(err, stop) {
			t.Errorf("Scan error = %v, want the page's", err)
		}
	})
}
