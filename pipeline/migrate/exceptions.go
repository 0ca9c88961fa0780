package migrate

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/mldatalake/mldatalake/pipeline"
)

// The exceptions table (Names.ExceptionsTable, by default DMS's
// awsdms_full_load_exceptions) holds the rows of a full load that could not
// be written. Each item has DMS's columns:
//
//	TASK_NAME    the task (Options.TaskName); the partition key
//	ERROR_TIME   when, UTC, "2006-01-02T15:04:05.000000000Z"; the sort key,
//	             unique per task (ties are moved on by a nanosecond)
//	TABLE_OWNER  the source schema
//	TABLE_NAME   the source table
//	STATEMENT    the write that failed: target table and the row's values
//	ERROR        why
//
// The table is created when missing and never dropped or truncated: it keeps
// the exceptions of every run.

// Attribute names of the exceptions table.
const (
	ExcTaskName   = "TASK_NAME"
	ExcTableOwner = "TABLE_OWNER"
	ExcTableName  = "TABLE_NAME"
	ExcErrorTime  = "ERROR_TIME"
	ExcStatement  = "STATEMENT"
	ExcError      = "ERROR"
)

const (
	errorTimeLayout  = "2006-01-02T15:04:05.000000000Z"
	maxStatementSize = 8 * 1024
)

var exceptionKeys = struct{ pk, sk KeyAttribute }{
	KeyAttribute{ExcTaskName, types.ScalarAttributeTypeS},
	KeyAttribute{ExcErrorTime, types.ScalarAttributeTypeS},
}

// errorClock hands out strictly increasing times, so that ERROR_TIME is a
// unique sort key across the runs of this process.
var errorClock struct {
	sync.Mutex
	last time.Time
}

func nextErrorTime() time.Time {
	errorClock.Lock()
	defer errorClock.Unlock()
	t := time.Now().UTC().Truncate(time.Nanosecond)
	if !t.After(errorClock.last) {
		t = errorClock.last.Add(time.Nanosecond)
	}
	errorClock.last = t
	return t
}

// exceptionSink buffers exception items and writes them in batches.
type exceptionSink struct {
	l     *loader
	table string // the exceptions table
	task  string
	start string // ERROR_TIME at the start of the run: this run's are after it
	mu    sync.Mutex
	buf   []types.WriteRequest
}

func newExceptionSink(l *loader, table, task string) *exceptionSink {
	return &exceptionSink{l: l, table: table, task: task, start: nextErrorTime().Format(errorTimeLayout)}
}

// add records one rejected row; it writes a batch when 25 are waiting.
func (s *exceptionSink) add(ctx context.Context, p *TablePlan, statement, reason string) error {
	item := map[string]types.AttributeValue{
		ExcTaskName:   &types.AttributeValueMemberS{Value: s.task},
		ExcErrorTime:  &types.AttributeValueMemberS{Value: nextErrorTime().Format(errorTimeLayout)},
		ExcTableOwner: &types.AttributeValueMemberS{Value: p.Source.Schema},
		ExcTableName:  &types.AttributeValueMemberS{Value: p.Source.Name},
		ExcStatement:  &types.AttributeValueMemberS{Value: statement},
		ExcError:      &types.AttributeValueMemberS{Value: reason},
	}
	s.l.log.Warn("row rejected", "stage", "migrate", "table", p.Target, "err", reason)
	s.mu.Lock()
	s.buf = append(s.buf, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
	var full []types.WriteRequest
	if len(s.buf) >= maxBatch {
		full, s.buf = s.buf, nil
	}
	s.mu.Unlock()
	if full != nil {
		return s.write(ctx, full)
	}
	return nil
}

// flush writes what is buffered.
func (s *exceptionSink) flush(ctx context.Context) error {
	s.mu.Lock()
	reqs := s.buf
	s.buf = nil
	s.mu.Unlock()
	if len(reqs) == 0 {
		return nil
	}
	return s.write(ctx, reqs)
}

func (s *exceptionSink) write(ctx context.Context, reqs []types.WriteRequest) error {
	res, err := s.l.writeBatch(ctx, s.table, reqs)
	if err != nil {
		return fmt.Errorf("record exceptions: %w", err)
	}
	if len(res.failed) > 0 {
		return fmt.Errorf("record exceptions: %s", res.failed[0].reason)
	}
	return nil
}

// countRun counts this run's exceptions per source table ("schema.table"),
// as they are in the exceptions table.
func (s *exceptionSink) countRun(ctx context.Context) (map[string]int64, error) {
	var mu sync.Mutex
	counts := map[string]int64{}
	in := dynamodb.ScanInput{
		TableName:        aws.String(s.table),
		ConsistentRead:   aws.Bool(true),
		FilterExpression: aws.String("#task = :task AND #time > :start"),
		ExpressionAttributeNames: map[string]string{
			"#task": ExcTaskName, "#time": ExcErrorTime, "#owner": ExcTableOwner, "#table": ExcTableName,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":task":  &types.AttributeValueMemberS{Value: s.task},
			":start": &types.AttributeValueMemberS{Value: s.start},
		},
		ProjectionExpression: aws.String("#owner, #table"),
	}
	_, err := pipeline.Scan(ctx, s.l.ddb, in, s.l.segments, func(_ context.Context, _ int, page *dynamodb.ScanOutput) error {
		mu.Lock()
		defer mu.Unlock()
		for _, it := range page.Items {
			owner, _ := it[ExcTableOwner].(*types.AttributeValueMemberS)
			name, _ := it[ExcTableName].(*types.AttributeValueMemberS)
			if owner != nil && name != nil {
				counts[owner.Value+"."+name.Value]++
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("count exceptions: %w", err)
	}
	return counts, nil
}

// rowStatement renders the write of a row that never became an item.
func rowStatement(p *TablePlan, row []sql.NullString) string {
	var b strings.Builder
	fmt.Fprintf(&b, "PutItem %s from %s.%s row {", p.Target, p.Source.Schema, p.Source.Name)
	for i, c := range p.Columns {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(jsonString(c))
		b.WriteString(": ")
		if row[i].Valid {
			b.WriteString(jsonString(row[i].String))
		} else {
			b.WriteString("null")
		}
	}
	b.WriteString("}")
	return truncate(b.String())
}

// itemStatement renders the write of an item DynamoDB refused.
func itemStatement(p *TablePlan, item map[string]types.AttributeValue) string {
	names := make([]string, 0, len(item))
	for k := range item {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	fmt.Fprintf(&b, "PutItem %s from %s.%s item {", p.Target, p.Source.Schema, p.Source.Name)
	for i, k := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(jsonString(k))
		switch v := item[k].(type) {
		case *types.AttributeValueMemberS:
			b.WriteString(`: {"S": ` + jsonString(v.Value) + `}`)
		case *types.AttributeValueMemberN:
			b.WriteString(`: {"N": ` + jsonString(v.Value) + `}`)
		default:
			b.WriteString(": {}")
		}
	}
	b.WriteString("}")
	return truncate(b.String())
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// truncate keeps a statement well inside an item's size.
func truncate(s string) string {
	if len(s) <= maxStatementSize {
		return s
	}
	cut := maxStatementSize
	for cut > 0 && (s[cut]&0xC0) == 0x80 { // do not split a UTF-8 sequence
		cut--
	}
	return fmt.Sprintf("%s… (%d bytes in all)", s[:cut], len(s))
}
