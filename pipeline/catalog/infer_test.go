package catalog

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/mldatalake/mldatalake/pipeline/datacatalog"
)

// render writes columns as "name:type,...".
func render(cols []datacatalog.Column) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = c.Name + ":" + c.Type
	}
	return strings.Join(parts, ",")
}

func TestRecordType(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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
