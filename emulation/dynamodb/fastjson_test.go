package dynamodb

import (
	"encoding/json"
	"reflect"
	"testing"
)

// fastBodies are BatchWriteItem bodies and whether the fast decoder reads
// them (the others go to decodeBody).
var fastBodies = []struct {
	name string
	body string
	fast bool
}{
	{"ratings", `{"RequestItems":{"ratings_t":[{"PutRequest":{"Item":{"Id":{"S":"1X2"},"movieId":{"S":"2"},"rating":{"S":"3.5"}}}}]}}`, true},
	{"whitespace and options", " {\n\t\"RequestItems\" : { \"t1\" : [ { \"PutRequest\" : { \"Item\" : { \"a\" : { \"N\" : \"1e3\" } } } } ] } ,\r\n \"ReturnConsumedCapacity\" : \"TOTAL\", \"ReturnItemCollectionMetrics\": null } ", true},
	{"delete", `{"RequestItems":{"t1":[{"DeleteRequest":{"Key":{"Id":{"S":"a"}}}},{"PutRequest":{"Item":{"Id":{"S":"b"}}}}]}}`, true},
	{"every type", `{"RequestItems":{"t1":[{"PutRequest":{"Item":{"s":{"S":""},"n":{"N":"-0.5"},"b":{"B":"AAE="},"e":{"B":""},"t":{"BOOL":true},"f":{"BOOL":false},"z":{"NULL":true},"nf":{"NULL":false},
		"m":{"M":{"x":{"S":"y"},"e":{"M":{}}}},"l":{"L":[{"N":"1"},{"L":[]}]},"ss":{"SS":["a","b"]},"ns":{"NS":["1","2"]},"bs":{"BS":["AA==",""]},"es":{"SS":[]}}}}]}}`, true},
	{"escapes and unicode", `{"RequestItems":{"t\u0031":[{"PutRequest":{"Item":{"title":{"S":"\"Great\" Movie, The \\ (2001)\n"},"am\u00e9lie":{"S":"Amélie ♥ 😀"},"u":{"S":"\ud83d\ude00"}}}}]}}`, true},
	{"invalid UTF-8 becomes U+FFFD", "{\"RequestItems\":{\"t1\":[{\"PutRequest\":{\"Item\":{\"a\":{\"S\":\"x\xffy\"}}}}]}}", true},
	{"name given twice: the last wins", `{"RequestItems":{"t1":[{"PutRequest":{"Item":{"a":{"S":"1"},"a":{"N":"2"}}}}]}}`, true},
	{"empty batch", `{"RequestItems":{"t1":[]}}`, true},
	{"empty request items", `{"RequestItems":{}}`, true},

	{"empty body", ``, false},
	{"null request items", `{"RequestItems":null}`, false},
	{"no request items", `{"ReturnConsumedCapacity":"TOTAL"}`, false},
	{"unknown member", `{"RequestItems":{"t1":[]},"Extra":1}`, false},
	{"member in other case", `{"requestItems":{"t1":[]}}`, false},
	{"member twice", `{"RequestItems":{"t1":[]},"RequestItems":{"t2":[]}}`, false},
	{"table twice", `{"RequestItems":{"t1":[],"t1":[]}}`, false},
	{"two types in a value", `{"RequestItems":{"t1":[{"PutRequest":{"Item":{"a":{"S":"1","N":"2"}}}}]}}`, false},
	{"empty value", `{"RequestItems":{"t1":[{"PutRequest":{"Item":{"a":{}}}}]}}`, false},
	{"null value", `{"RequestItems":{"t1":[{"PutRequest":{"Item":{"a":null}}}]}}`, false},
	{"null string", `{"RequestItems":{"t1":[{"PutRequest":{"Item":{"a":{"S":null}}}}]}}`, false},
	{"number as N", `{"RequestItems":{"t1":[{"PutRequest":{"Item":{"a":{"N":5}}}}]}}`, false},
	{"bool as string", `{"RequestItems":{"t1":[{"PutRequest":{"Item":{"a":{"BOOL":"true"}}}}]}}`, false},
	{"bad base64", `{"RequestItems":{"t1":[{"PutRequest":{"Item":{"a":{"B":"!!"}}}}]}}`, false},
	{"null item", `{"RequestItems":{"t1":[{"PutRequest":{"Item":null}}]}}`, false},
	{"put and delete", `{"RequestItems":{"t1":[{"PutRequest":{"Item":{"a":{"S":"1"}}},"DeleteRequest":{"Key":{"a":{"S":"1"}}}}]}}`, true},
	{"empty request", `{"RequestItems":{"t1":[{}]}}`, true},
	{"trailing garbage", `{"RequestItems":{"t1":[]}} x`, false},
	{"truncated", `{"RequestItems":{"t1":[{"PutRequest":{"Item":{"a":{"S":"1`, false},
	{"control character", "{\"RequestItems\":{\"t1\":[{\"PutRequest\":{\"Item\":{\"a\":{\"S\":\"\x01\"}}}}]}}", false},
	{"trailing comma", `{"RequestItems":{"t1":[],}}`, false},
}

// TestFastBatchWriteInput checks the fast decoder against encoding/json:
// where it answers, the same input; elsewhere, no answer.
func TestFastBatchWriteInput(t *testing.T) {
	t.Parallel()
	for _, tc := range fastBodies {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := fastBatchWriteInput([]byte(tc.body))
			if ok != tc.fast {
				t.Fatalf("fast decoder answered %v, want %v", ok, tc.fast)
			}
			if !ok {
				return
			}
			var want batchWriteItemInput
			if err := json.Unmarshal([]byte(tc.body), &want); err != nil {
				t.Fatalf("encoding/json refuses what the fast decoder read: %v", err)
			}
			if !reflect.DeepEqual(got, &want) {
				t.Errorf("fast decoder read\n%s\nencoding/json\n%s", dumpInput(got), dumpInput(&want))
			}
		})
	}
}

func dumpInput(in *batchWriteItemInput) string {
	b, _ := json.Marshal(in)
	return string(b)
}

// FuzzFastBatchWriteInput holds the fast decoder to encoding/json on any
// input it accepts.
func FuzzFastBatchWriteInput(f *testing.F) {
	for _, tc := range fastBodies {
		f.Add([]byte(tc.body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, ok := fastBatchWriteInput(body)
		if !ok {
			return
		}
		var want batchWriteItemInput
		if err := json.Unmarshal(body, &want); err != nil {
			t.Fatalf("encoding/json refuses what the fast decoder read (%q): %v", body, err)
		}
		if !reflect.DeepEqual(got, &want) {
			t.Fatalf("%q: fast decoder read\n%s\nencoding/json\n%s", body, dumpInput(got), dumpInput(&want))
		}
	})
}

// TestReadOutputAppendJSON holds readOutput's own rendering to
// encoding/json's.
func TestReadOutputAppendJSON(t *testing.T) {
	t.Parallel()
	items := []rawJSON{rawJSON(`{"Id":{"S":"a<b>&\u2028"},"n":{"N":"1.5"}}`), rawJSON(`{"l":{"L":[{"NULL":true}]}}`), nil}
	empty := []rawJSON{}
	tests := []struct {
		name string
		out  readOutput
	}{
		{"items", readOutput{Items: &items, Count: 3, ScannedCount: 5}},
		{"no items", readOutput{Items: &empty}},
		{"count only", readOutput{Count: 7, ScannedCount: 9}},
		{"last key and capacity", readOutput{Items: &items, Count: 3, ScannedCount: 3, LastEvaluatedKey: rawJSON(`{"Id":{"S":"a"}}`),
			ConsumedCapacity: &consumedCapacity{TableName: "t", CapacityUnits: 1.5, Table: &capacity{CapacityUnits: 1.5}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			std, err := json.Marshal(&tc.out)
			if err != nil {
				t.Fatal(err)
			}
			own := tc.out.AppendJSON(nil)
			var a, b any
			if err := json.Unmarshal(std, &a); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(own, &b); err != nil {
				t.Fatalf("own rendering is not JSON: %v\n%s", err, own)
			}
			if !reflect.DeepEqual(a, b) {
				t.Errorf("own rendering\n%s\nencoding/json\n%s", own, std)
			}
		})
	}
}
