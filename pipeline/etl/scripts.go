package etl

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// The built-in transform (the workshop's Glue job), and what the job runs
// around any transform.
var (
	//go:embed sql/*.sql
	builtinFS embed.FS
	//go:embed job/*.sql
	jobFS embed.FS
)

// Script is one SQL file of a transform.
type Script struct {
	// Name is the file's name ("10_rating_new.sql"); the job runs a
	// transform's scripts in name order.
	Name string
	SQL  string
}

// BuiltinScripts returns the built-in transform, the workshop's Glue job,
// in the order the job runs it.
func BuiltinScripts() []Script {
	scripts, err := readScripts(builtinFS, "sql")
	if err != nil {
		panic(err) // embedded at build time
	}
	return scripts
}

// ReadScripts reads a transform: every .sql file directly in dir, in name
// order (subfolders, such as checks/, are not part of it). A folder without
// one is an error naming it.
func ReadScripts(dir string) ([]Script, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("read the transform in %s: %w", dir, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("read the transform in %s: not a folder", dir)
	}
	scripts, err := readScripts(os.DirFS(dir), ".")
	if err != nil {
		return nil, fmt.Errorf("read the transform in %s: %w", dir, err)
	}
	if len(scripts) == 0 {
		return nil, fmt.Errorf("read the transform in %s: no .sql files (`go tool mage etl:sql` writes the built-in one there)", dir)
	}
	return scripts, nil
}

func readScripts(fsys fs.FS, dir string) ([]Script, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var scripts []Script
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		scripts = append(scripts, Script{Name: e.Name(), SQL: string(b)})
	}
	slices.SortFunc(scripts, func(a, b Script) int { return strings.Compare(a.Name, b.Name) })
	return scripts, nil
}

// IsBuiltin reports whether scripts are the built-in transform, file for
// file and byte for byte.
func IsBuiltin(scripts []Script) bool {
	return slices.Equal(scripts, BuiltinScripts())
}

// WriteBuiltin writes the built-in transform's files into dir (making it),
// as a starting point for a transform of one's own, and returns their
// paths. It writes nothing when any of them exists already, and says which.
func WriteBuiltin(dir string) ([]string, error) {
	scripts := BuiltinScripts()
	var exist []string
	for _, s := range scripts {
		p := filepath.Join(dir, s.Name)
		if _, err := os.Stat(p); err == nil {
			exist = append(exist, p)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	if len(exist) > 0 {
		return nil, fmt.Errorf("write the built-in transform into %s: %s already exist; remove them or choose another folder", dir, strings.Join(exist, ", "))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("write the built-in transform: %w", err)
	}
	var paths []string
	for _, s := range scripts {
		p := filepath.Join(dir, s.Name)
		if err := os.WriteFile(p, []byte(s.SQL), 0o644); err != nil {
			return paths, fmt.Errorf("write the built-in transform: %w", err)
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// jobScript is one of the job's own SQL files (job/*.sql).
func jobScript(name string) string {
	b, err := jobFS.ReadFile("job/" + name)
	if err != nil {
		panic(err) // embedded at build time
	}
	return string(bytes.TrimSpace(b))
}
