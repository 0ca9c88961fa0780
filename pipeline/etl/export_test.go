package etl

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Shared by the internal tests and the emulator-backed tests of etl_test.

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the outputs")

// Outputs are the job's output names, in order.
var Outputs = func() []string {
	var names []string
	for _, o := range outputs {
		names = append(names, o.name)
	}
	return names
}()

// Fixture is a hand-made input (see testdata/tiny/README.md).
type Fixture struct {
	// Items are the DynamoDB items per table name.
	Items map[string][]map[string]types.AttributeValue
	// Objects are the S3 objects' bodies as uploaded, per key; Keys lists
	// the keys in order.
	Objects map[string][]byte
	Keys    []string
}

// LoadFixture reads the fixture in dir.
func LoadFixture(tb testing.TB, dir string) Fixture {
	tb.Helper()
	fx := Fixture{Items: map[string][]map[string]types.AttributeValue{}, Objects: map[string][]byte{}}
	files, err := filepath.Glob(filepath.Join(dir, "dynamodb", "*.json"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("fixture %s: no dynamodb/*.json (%v)", dir, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var raw []map[string]any
		if err := dec.Decode(&raw); err != nil {
			tb.Fatalf("fixture %s: %v", f, err)
		}
		table := strings.TrimSuffix(filepath.Base(f), ".json")
		for _, r := range raw {
			item := map[string]types.AttributeValue{}
			for k, v := range r {
				switch v := v.(type) {
				case string:
					item[k] = &types.AttributeValueMemberS{Value: v}
				case json.Number:
					item[k] = &types.AttributeValueMemberN{Value: v.String()}
				case bool:
					item[k] = &types.AttributeValueMemberBOOL{Value: v}
				case nil:
					item[k] = &types.AttributeValueMemberNULL{Value: true}
				default:
					tb.Fatalf("fixture %s: attribute %s: unsupported value %v", f, k, v)
				}
			}
			fx.Items[table] = append(fx.Items[table], item)
		}
	}
	root := filepath.Join(dir, "s3")
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if strings.HasSuffix(key, ".gz") {
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			if _, err := zw.Write(b); err != nil {
				return err
			}
			if err := zw.Close(); err != nil {
				return err
			}
			b = buf.Bytes()
		}
		fx.Objects[key] = b
		fx.Keys = append(fx.Keys, key)
		return nil
	})
	if err != nil {
		tb.Fatalf("fixture %s: %v", dir, err)
	}
	sort.Strings(fx.Keys)
	return fx
}

// Golden compares got with testdata/<name>.golden, or rewrites that file
// when the test runs with -update.
func Golden(tb testing.TB, name string, got []byte) {
	tb.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			tb.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (run the test with -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		tb.Errorf("%s differs from %s:\n--- got\n%s\n--- want\n%s", name, path, got, want)
	}
}
