package catalog

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// render writes columns as "name:type,...".
func render(cols []Column) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = c.Name + ":" + c.Type
	}
	return strings.Join(parts, ",")
}

func TestRecordType(t *testing.T) {
	tests := []struct {
		name, line, want, wantErr string
	}{
		{"firehose record keeps key order", `{"userid":"1","movieid":"31","ratingid":"2.5","timestamp":"1260759144"}`,
			"userid:string,movieid:string,ratingid:string,timestamp:string", ""},
		{"scalars", `{"UserId":1,"big":3000000000,"f":1.5,"e":1e3,"b":true,"n":null}`,
			"userid:int,big:bigint,f:double,e:double,b:boolean,n:string", ""},
		{"nested", `{"a":{"Z":1,"y":"s"},"l":[1,2.5],"m":[],"o":[{"k":1},{"j":"x"}]}`,
			"a:struct<z:int,y:string>,l:array<double>,m:array<string>,o:array<struct<k:int,j:string>>", ""},
		{"case variants are one column", `{"a":1,"A":"x"}`, "a:string", ""},
		{"huge integer is double", `{"n":123456789012345678901234567890}`, "n:double", ""},
		{"array", `[1,2]`, "", "not a JSON object"},
		{"string", `"s"`, "", "not a JSON object"},
		{"two objects", `{"a":1}{"b":2}`, "", "data after"},
		{"truncated", `{"a":`, "", "EOF"},
		{"bad syntax", `{bad}`, "", "invalid character"},
		{"trailing comma", `{"a":1,}`, "", "invalid character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			typ, err := recordType([]byte(tt.line))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("recordType(%s) error = %v, want one containing %q", tt.line, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("recordType(%s): %v", tt.line, err)
			}
			if got := render(columns(typ)); got != tt.want {
				t.Errorf("recordType(%s) = %s, want %s", tt.line, got, tt.want)
			}
		})
	}
}

func TestMerge(t *testing.T) {
	scalar := func(k kind) *gtype { return &gtype{kind: k} }
	arr := func(e *gtype) *gtype { return &gtype{kind: kindArray, elem: e} }
	st := func(fs ...field) *gtype { return &gtype{kind: kindStruct, fields: fs} }
	tests := []struct {
		name string
		a, b *gtype
		want string
	}{
		{"nil and int", nil, scalar(kindInt), "int"},
		{"null and bigint", scalar(kindUnknown), scalar(kindBigint), "bigint"},
		{"int and bigint", scalar(kindInt), scalar(kindBigint), "bigint"},
		{"bigint and double", scalar(kindBigint), scalar(kindDouble), "double"},
		{"int and string", scalar(kindInt), scalar(kindString), "string"},
		{"boolean and int", scalar(kindBoolean), scalar(kindInt), "string"},
		{"array and scalar", arr(scalar(kindInt)), scalar(kindInt), "string"},
		{"arrays", arr(scalar(kindInt)), arr(scalar(kindDouble)), "array<double>"},
		{"structs", st(field{"a", scalar(kindInt)}), st(field{"b", scalar(kindString)}, field{"a", scalar(kindBigint)}),
			"struct<a:bigint,b:string>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := merge(tt.a, tt.b).String(); got != tt.want {
				t.Errorf("merge = %s, want %s", got, tt.want)
			}
			if got := merge(tt.b, tt.a).String(); tt.name != "structs" && got != tt.want {
				t.Errorf("merge reversed = %s, want %s", got, tt.want)
			}
		})
	}
	// Records of a schema's shape merge into it without allocating.
	schema, err := recordType([]byte(`{"userid":"1","movieid":"31","l":[1],"s":{"a":1.5}}`))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := recordType([]byte(`{"userid":"2","s":{"a":2},"movieid":"7","l":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	if allocs := testing.AllocsPerRun(100, func() {
		if merge(schema, rec) != schema {
			t.Fatal("merge of a record the schema holds returned a new type")
		}
	}); allocs != 0 {
		t.Errorf("merge allocated %v times", allocs)
	}
	// merge must not change its inputs.
	a := st(field{"a", scalar(kindInt)})
	merge(a, st(field{"a", scalar(kindDouble)}, field{"c", scalar(kindString)}))
	if got := a.String(); got != "struct<a:int>" {
		t.Errorf("merge changed its input to %s", got)
	}
}

func TestAttrType(t *testing.T) {
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	n := func(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }
	tests := []struct {
		name string
		av   types.AttributeValue
		want string
	}{
		{"S", s("0114709"), "string"},
		{"N integer", n("42"), "bigint"},
		{"N decimal", n("4.5"), "double"},
		{"N beyond int64", n("99999999999999999999"), "double"},
		{"BOOL", &types.AttributeValueMemberBOOL{Value: true}, "boolean"},
		{"B", &types.AttributeValueMemberB{Value: []byte{1}}, "binary"},
		{"NULL", &types.AttributeValueMemberNULL{Value: true}, "string"},
		{"SS", &types.AttributeValueMemberSS{Value: []string{"a"}}, "array<string>"},
		{"NS", &types.AttributeValueMemberNS{Value: []string{"1", "2.5"}}, "array<double>"},
		{"BS", &types.AttributeValueMemberBS{Value: [][]byte{{1}}}, "array<binary>"},
		{"L", &types.AttributeValueMemberL{Value: []types.AttributeValue{n("1"), n("2")}}, "array<bigint>"},
		{"L mixed", &types.AttributeValueMemberL{Value: []types.AttributeValue{n("1"), s("x")}}, "array<string>"},
		{"M", &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"Z": n("1"), "a": s("x")}}, "struct<a:string,z:bigint>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := attrType(tt.av).String(); got != tt.want {
				t.Errorf("attrType = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestItemSchema(t *testing.T) {
	items := []map[string]types.AttributeValue{
		{"Id": &types.AttributeValueMemberS{Value: "1x31"}, "userId": &types.AttributeValueMemberS{Value: "1"},
			"rating": &types.AttributeValueMemberS{Value: "2.5"}},
		{"Id": &types.AttributeValueMemberS{Value: "2x1"}, "userId": &types.AttributeValueMemberN{Value: "2"},
			"tmdbId": &types.AttributeValueMemberN{Value: "862"}, "count": &types.AttributeValueMemberN{Value: "1"}},
		{"Id": &types.AttributeValueMemberS{Value: "3x1"}, "count": &types.AttributeValueMemberN{Value: "1.5"}},
	}
	var schema *gtype
	for _, it := range items {
		schema = merge(schema, itemType(it))
	}
	want := "count:double,id:string,rating:string,tmdbid:bigint,userid:string"
	if got := render(sortedColumns(schema)); got != want {
		t.Errorf("columns = %s, want %s", got, want)
	}
}

func TestS3Folder(t *testing.T) {
	tests := []struct {
		prefix, key, bucket   string
		wantFolder, wantTable string
	}{
		{"firehose/", "firehose/2026/11/25/19/gc_firehose-1-2026-11-25-19-03-11-x", "ml-data-lake", "firehose/", "firehose"},
		{"firehose", "firehose2018/11/25/19/gc_firehose-1-x", "ml-data-lake", "firehose2018/", "firehose2018"},
		{"stream/fire", "stream/firehose-2026/01/x", "b", "stream/firehose-2026/", "firehose_2026"},
		{"stream/In/", "stream/In/2026/x.gz", "b", "stream/In/", "in"},
		{"firehose", "firehose.json", "my-bucket", "", "my_bucket"},
		{"", "a/b", "my-bucket", "", "my_bucket"},
	}
	for _, tt := range tests {
		t.Run(tt.prefix+"|"+tt.key, func(t *testing.T) {
			folder := s3Folder(tt.prefix, tt.key)
			if folder != tt.wantFolder {
				t.Errorf("s3Folder(%q, %q) = %q, want %q", tt.prefix, tt.key, folder, tt.wantFolder)
			}
			if got := s3TableName(tt.bucket, folder); got != tt.wantTable {
				t.Errorf("s3TableName(%q, %q) = %q, want %q", tt.bucket, folder, got, tt.wantTable)
			}
		})
	}
}

func TestTableName(t *testing.T) {
	for in, want := range map[string]string{
		"ratings_t": "ratings_t", "Ratings-T": "ratings_t", "firehose/": "firehose", "a.b c": "a_b_c", "né": "n_",
	} {
		if got := TableName(in); got != want {
			t.Errorf("TableName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseS3URIAndHidden(t *testing.T) {
	b, p, err := ParseS3URI("s3://ml-data-lake/firehose/")
	if err != nil || b != "ml-data-lake" || p != "firehose/" {
		t.Errorf("ParseS3URI = %q, %q, %v", b, p, err)
	}
	for _, bad := range []string{"http://x/y", "s3:///x", "ml-data-lake/x"} {
		if _, _, err := ParseS3URI(bad); err == nil {
			t.Errorf("ParseS3URI(%q) accepted", bad)
		}
	}
	for key, want := range map[string]bool{
		"firehose/2026/x": false, "firehose/_SUCCESS": true, "firehose/.tmp": true, "firehose/2026/": true,
		"firehose/_x/y": false, "": true,
	} {
		if got := Hidden(key); got != want {
			t.Errorf("Hidden(%q) = %v, want %v", key, got, want)
		}
	}
	for loc, want := range map[string]string{
		"arn:aws:dynamodb:us-east-1:000000000000:table/ratings_t":               "ratings_t",
		"arn:aws:dynamodb:us-east-1:000000000000:table/ratings_t/stream/2026-1": "ratings_t",
		"links_t": "links_t",
	} {
		if got := DynamoDBTableName(loc); got != want {
			t.Errorf("DynamoDBTableName(%q) = %q, want %q", loc, got, want)
		}
	}
}

func TestEachLine(t *testing.T) {
	long := strings.Repeat("x", 200<<10)
	tests := []struct {
		name, in string
		want     []string // "n:line"
	}{
		{"newline terminated", "a\nb\n", []string{"1:a", "2:b"}},
		{"no final newline", "a\nb", []string{"1:a", "2:b"}},
		{"CRLF and blanks", "a\r\n\r\n  \nb\r\n", []string{"1:a", "4:b"}},
		{"long line", "a\n" + long + "\nb", []string{"1:a", "2:" + long, "3:b"}},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			err := EachLine(strings.NewReader(tt.in), func(n int64, line []byte) error {
				got = append(got, fmt.Sprintf("%d:%s", n, line))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("lines = %.80q, want %.80q", got, tt.want)
			}
		})
	}
	stop := errors.New("stop")
	if err := EachLine(strings.NewReader("a\nb\n"), func(int64, []byte) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("EachLine error = %v, want the callback's", err)
	}
}

func TestDecompress(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("{\"a\":1}\n"))
	zw.Close()
	tests := []struct {
		name, in, want, compression string
	}{
		{"plain", "{\"a\":1}\n", "{\"a\":1}\n", "none"},
		{"gzip", gz.String(), "{\"a\":1}\n", "gzip"},
		{"empty", "", "", "none"},
		{"one byte", "x", "x", "none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, c, err := Decompress(strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want || c != tt.compression {
				t.Errorf("Decompress = %q, %s; want %q, %s", b, c, tt.want, tt.compression)
			}
		})
	}
}

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

func TestScan(t *testing.T) {
	for _, segments := range []int{0, 1, 3, 8} {
		t.Run(fmt.Sprintf("segments=%d", segments), func(t *testing.T) {
			f := &fakeScan{items: 100, pageSize: 7}
			var mu sync.Mutex
			seen := map[string]int{}
			n, err := Scan(t.Context(), f, "t", segments, func(_ context.Context, seg int, items []map[string]types.AttributeValue) error {
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
		_, err := Scan(t.Context(), f, "ratings_t", 2, func(context.Context, int, []map[string]types.AttributeValue) error { return nil })
		if err == nil || !strings.Contains(err.Error(), "scan ratings_t segment 0/2: boom") {
			t.Errorf("Scan error = %v", err)
		}
	})
	t.Run("page error stops the scan", func(t *testing.T) {
		stop := errors.New("stop")
		_, err := Scan(t.Context(), &fakeScan{items: 10, pageSize: 1}, "t", 2, func(context.Context, int, []map[string]types.AttributeValue) error { return stop })
		if !errors.Is(err, stop) {
			t.Errorf("Scan error = %v, want the page's", err)
		}
	})
}

// BenchmarkItemSchema measures the crawler's inference per DynamoDB item.
func BenchmarkItemSchema(b *testing.B) {
	item := map[string]types.AttributeValue{
		"Id": &types.AttributeValueMemberS{Value: "1x31"}, "userId": &types.AttributeValueMemberS{Value: "1"},
		"movieId": &types.AttributeValueMemberS{Value: "31"}, "rating": &types.AttributeValueMemberS{Value: "2.5"},
		"timestamp_c": &types.AttributeValueMemberS{Value: "1260759144"},
	}
	var schema *gtype
	for b.Loop() {
		schema = merge(schema, itemType(item))
	}
	if got := render(sortedColumns(schema)); got != "id:string,movieid:string,rating:string,timestamp_c:string,userid:string" {
		b.Fatal(got)
	}
}

// BenchmarkRecordType measures the crawler's inference per JSON record.
func BenchmarkRecordType(b *testing.B) {
	line := []byte(`{"userid":"1","movieid":"31","ratingid":"2.5","timestamp":"1260759144"}`)
	var schema *gtype
	for b.Loop() {
		t, err := recordType(line)
		if err != nil {
			b.Fatal(err)
		}
		schema = merge(schema, t)
	}
	b.SetBytes(int64(len(line)))
}
