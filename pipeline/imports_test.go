package pipeline_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestPipelineSeesOnlyAWSConfig keeps the rule that makes the same code run on
// every target: no non-test file under pipeline/ imports the emulation, the
// fixtures, the harness or the mage targets. (Tests may use the emulation.)
func TestPipelineSeesOnlyAWSConfig(t *testing.T) {
	const module = "github.com/mldatalake/mldatalake/"
	forbidden := []string{"emulation", "fixtures", "integration", "magefiles"}
	files := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		files++
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			for _, dir := range forbidden {
				if p == module+dir || strings.HasPrefix(p, module+dir+"/") {
					t.Errorf("pipeline/%s imports %s", path, p)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 10 {
		t.Fatalf("read %d files: the walk did not find the pipeline's sources", files)
	}
}

// TestStagesDependOnlyOnPipeline: a stage imports package pipeline (and
// the catalog store, shared state like a table) and the SDK, never another
// stage, so that each can be changed without reading the others.
func TestStagesDependOnlyOnPipeline(t *testing.T) {
	const module = "github.com/mldatalake/mldatalake/"
	allowed := map[string]bool{module + "pipeline": true, module + "pipeline/datacatalog": true}
	stages := []string{"migrate", "stage", "stream", "catalog", "etl", "verify", "train"}
	for _, st := range stages {
		files, err := filepath.Glob(filepath.Join(st, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("stage %s: no sources (%v)", st, err)
		}
		for _, path := range files {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range f.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				if strings.HasPrefix(p, module) && !allowed[p] {
					t.Errorf("stage %s (%s) imports %s", st, path, p)
				}
			}
		}
	}
}

// TestSharedHelpersHaveOneHome: the I/O every stage shares (listing,
// reading, downloading, uploading and deleting S3 objects, parallel DynamoDB scans) is
// written once, in pipeline/s3.go and pipeline/dynamodb.go; nothing else in
// the module's non-test code calls those SDK operations itself.
func TestSharedHelpersHaveOneHome(t *testing.T) {
	homes := map[string]bool{filepath.Join("pipeline", "s3.go"): true, filepath.Join("pipeline", "dynamodb.go"): true}
	// calls of these SDK methods belong in the homes; the value lists
	// further files allowed one, with why.
	ops := map[string]map[string]string{
		"ListObjectsV2":             nil,
		"NewListObjectsV2Paginator": nil,
		"DeleteObject":              nil,
		"DeleteObjects":             nil,
		"Upload":                    nil, // the upload manager's, of a file (pipeline.UploadFile)
		"NewScanPaginator":          nil,
		"Scan":                      nil, // DynamoDB's, called with a context first (database/sql's takes pointers)
		"GetObject":                 {filepath.Join("pipeline", "stream", "stream.go"): "reads the source with its ETag, the event ids' fingerprint"},
	}
	var files []string
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "emulation" || strings.HasPrefix(d.Name(), ".")) && path != ".." {
			return filepath.SkipDir // the emulator serves these operations
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range files {
		rel, _ := filepath.Rel("..", path)
		if homes[rel] {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			allowed, tracked := ops[sel.Sel.Name]
			if !tracked {
				return true
			}
			if x, ok := sel.X.(*ast.Ident); ok && x.Name == "pipeline" {
				return true // the helper itself
			}
			if sel.Sel.Name == "Scan" {
				// DynamoDB's Scan takes ctx and an input; rows.Scan(dest...)
				// and a one-argument sql.Scanner are not it.
				if len(call.Args) < 2 || call.Ellipsis.IsValid() {
					return true
				}
				if _, ctxFirst := call.Args[0].(*ast.Ident); !ctxFirst {
					return true
				}
			}
			if _, ok := allowed[rel]; ok {
				return true
			}
			t.Errorf("%s calls %s: use the helper in pipeline/s3.go or pipeline/dynamodb.go", path, sel.Sel.Name)
			return true
		})
	}
}
