package orchestrate

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// ManifestFile is the run manifest under OUT_DIR.
const ManifestFile = "run.json"

// Manifest says which run OUT_DIR belongs to: seed writes it, and every
// later stage checks that it runs with the same dataset and target, so that
// stages run one at a time never mix two datasets.
type Manifest struct {
	RunID string `json:"run_id"`
	// Dataset names the data: "generated workshop (seed 2)" or a directory.
	Dataset      string    `json:"dataset"`
	Scale        string    `json:"scale,omitempty"`
	Seed         uint64    `json:"seed,omitempty"`
	MovieLensDir string    `json:"movielens_dir,omitempty"`
	Target       string    `json:"target"`
	Started      time.Time `json:"started"`
}

// ErrNotSeeded is returned (wrapped) by a stage whose OUT_DIR has no run
// manifest: seed has not run there.
var ErrNotSeeded = errors.New("run seed first")

// newRunID returns a run id: the start time and a random suffix, so that
// ids sort by time.
func newRunID(now time.Time) string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}

// manifest is what the settings say the run is; RunID and Started are the
// caller's.
func (s Settings) manifest(target string) Manifest {
	m := Manifest{Dataset: s.DatasetName(), Target: target}
	if s.MovieLensDir != "" {
		m.MovieLensDir = s.MovieLensDir
	} else {
		m.Scale, m.Seed = s.Scale, s.Seed
	}
	return m
}

// DatasetName names the data a run works on.
func (s Settings) DatasetName() string {
	if s.MovieLensDir != "" {
		return s.MovieLensDir
	}
	return fmt.Sprintf("generated %s (seed %d)", s.Scale, s.Seed)
}

func (s Settings) manifestPath() string { return filepath.Join(s.OutDir, ManifestFile) }

func writeManifest(path string, m Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(b, '\n'))
}

// readManifest reads OUT_DIR's manifest strictly: a missing file is
// ErrNotSeeded, an unreadable or malformed one an error naming it.
func readManifest(path string) (Manifest, error) {
	var m Manifest
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return m, fmt.Errorf("%s does not exist: %w", path, ErrNotSeeded)
	}
	if err != nil {
		return m, fmt.Errorf("read run manifest: %w", err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("run manifest %s: %w", path, err)
	}
	if m.RunID == "" {
		return m, fmt.Errorf("run manifest %s has no run_id", path)
	}
	return m, nil
}

// checkManifest refuses a run whose dataset or target differs from what
// OUT_DIR was seeded with, naming both sides.
func checkManifest(path string, want Manifest) (Manifest, error) {
	got, err := readManifest(path)
	if err != nil {
		return got, err
	}
	if got.Dataset != want.Dataset || got.Target != want.Target {
		return got, fmt.Errorf("%s says run %s was seeded with dataset %s on target %s; these settings say dataset %s on target %s: run seed again with these settings, or use the seed's",
			path, got.RunID, got.Dataset, got.Target, want.Dataset, want.Target)
	}
	return got, nil
}

// writeFileAtomic writes b to path through a temporary file in the same
// folder, so that a reader never sees half a file.
func writeFileAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
}
