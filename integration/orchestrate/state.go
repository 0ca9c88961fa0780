package orchestrate

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/mldatalake/mldatalake/pipeline"
)

// StateDir is where PIPELINE_KEEP_STATE=1 keeps a run's state under OUT_DIR.
const StateDir = "state"

// keepState copies what the run left in the target before it is torn
// down, into OUT_DIR/state (replacing an earlier run's):
//
//	s3/<bucket>/<key>           every object of the bucket, as stored
//	dynamodb/<table>.jsonl      every item of the pipeline's tables, one
//	                            {"Item": {...}} a line in DynamoDB JSON, as
//	                            DynamoDB's export to S3 writes them
//	firehose/<delivery>.jsonl   the records Firehose delivered, in order of
//	                            delivery, gunzipped
func (r *Runner) keepState(ctx context.Context) error {
	s := r.Settings
	dir := filepath.Join(s.OutDir, StateDir)
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	c := pipeline.NewClients(r.Env.AWS)
	bucket := s.Names.Bucket
	var objects, records, items int64
	err := pipeline.EachObject(ctx, c.S3, bucket, "", func(o s3types.Object) error {
		key := aws.ToString(o.Key)
		if strings.HasSuffix(key, "/") {
			return nil
		}
		dst := filepath.Join(dir, "s3", bucket, filepath.FromSlash(key))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		objects++
		return pipeline.Download(ctx, c.S3, bucket, key, dst, false)
	})
	var nb *s3types.NoSuchBucket
	if err != nil && !errors.As(err, &nb) {
		return err
	}
	// The delivered records, as the ETL reads them.
	if err := writeLines(filepath.Join(dir, "firehose", s.Names.DeliveryStream+".jsonl"), func(w io.Writer) error {
		objs, err := pipeline.ListObjects(ctx, c.S3, bucket, s.Names.FirehosePrefix)
		if errors.As(err, &nb) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, o := range objs {
			err := pipeline.ReadObject(ctx, c.S3, bucket, o.Key, func(r io.Reader, _ string) error {
				return pipeline.EachLine(r, func(_ int64, line []byte) error {
					records++
					_, err := fmt.Fprintf(w, "%s\n", line)
					return err
				})
			})
			if err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}
	n := s.Names
	for _, table := range []string{n.RatingsTable, n.MoviesTable, n.LinksTable, n.TagsTable, n.ExceptionsTable} {
		err := writeLines(filepath.Join(dir, "dynamodb", table+".jsonl"), func(w io.Writer) error {
			var mu sync.Mutex
			k, err := pipeline.ScanItems(ctx, c.DynamoDB, table, 1, func(_ context.Context, _ int, page []map[string]types.AttributeValue) error {
				mu.Lock()
				defer mu.Unlock()
				for _, item := range page {
					b, err := json.Marshal(map[string]any{"Item": dynamoJSON(&types.AttributeValueMemberM{Value: item})["M"]})
					if err != nil {
						return err
					}
					if _, err := fmt.Fprintf(w, "%s\n", b); err != nil {
						return err
					}
				}
				return nil
			})
			items += k
			return err
		})
		var nf *types.ResourceNotFoundException
		if errors.As(err, &nf) {
			os.Remove(filepath.Join(dir, "dynamodb", table+".jsonl"))
			continue
		}
		if err != nil {
			return err
		}
	}
	fmt.Fprintf(r.Out, "state kept in %s: %s S3 objects, %s DynamoDB items, %s Firehose records\n",
		dir, thousands(objects), thousands(items), thousands(records))
	return nil
}

// writeLines creates path (and its folder) and lets fn write into it.
func writeLines(path string, fn func(io.Writer) error) (err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	w := bufio.NewWriter(f)
	if err := fn(w); err != nil {
		return err
	}
	return w.Flush()
}

// dynamoJSON is an attribute value in DynamoDB JSON: {"S": "..."},
// {"N": "..."}, {"M": {...}}, and so on.
func dynamoJSON(av types.AttributeValue) map[string]any {
	switch v := av.(type) {
	case *types.AttributeValueMemberS:
		return map[string]any{"S": v.Value}
	case *types.AttributeValueMemberN:
		return map[string]any{"N": v.Value}
	case *types.AttributeValueMemberB:
		return map[string]any{"B": v.Value}
	case *types.AttributeValueMemberBOOL:
		return map[string]any{"BOOL": v.Value}
	case *types.AttributeValueMemberNULL:
		return map[string]any{"NULL": true}
	case *types.AttributeValueMemberSS:
		return map[string]any{"SS": v.Value}
	case *types.AttributeValueMemberNS:
		return map[string]any{"NS": v.Value}
	case *types.AttributeValueMemberBS:
		return map[string]any{"BS": v.Value}
	case *types.AttributeValueMemberL:
		l := make([]any, len(v.Value))
		for i, e := range v.Value {
			l[i] = dynamoJSON(e)
		}
		return map[string]any{"L": l}
	case *types.AttributeValueMemberM:
		m := make(map[string]any, len(v.Value))
		for k, e := range v.Value {
			m[k] = dynamoJSON(e)
		}
		return map[string]any{"M": m}
	default:
		return map[string]any{"NULL": true}
	}
}
