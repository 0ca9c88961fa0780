package pipeline_test

import (
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
