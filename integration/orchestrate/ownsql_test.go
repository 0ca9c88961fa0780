package orchestrate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mldatalake/mldatalake/pipeline/etl"
)

func TestOwnSQLSettings(t *testing.T) {
	t.Chdir(t.TempDir())
	s, err := Load(envOf(map[string]string{"PIPELINE_KEEP_STATE": "1", "PIPELINE_TRAIN_FACTORS": "16", "PIPELINE_TRAIN_SEED": "9", "PIPELINE_ETL_SQL": "mine"}))
	if err != nil {
		t.Fatal(err)
	}
	if !s.KeepState || s.TrainFactors != 16 || s.TrainSeed != 9 || s.ETLSQL != "mine" {
		t.Errorf("settings %+v", s)
	}
	for k, v := range map[string]string{"PIPELINE_KEEP_STATE": "yes", "PIPELINE_TRAIN_FACTORS": "-1", "PIPELINE_TRAIN_SEED": "x"} {
		if _, err := Load(envOf(map[string]string{k: v})); err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%s: %v, want an error naming it", k, v, err)
		}
	}
	// A folder that cannot run fails before anything starts, named.
	empty := t.TempDir()
	_, err = LoadChecked(t.Context(), envOf(map[string]string{"PIPELINE_ETL_SQL": empty, "OUT_DIR": t.TempDir()}))
	if err == nil || !strings.Contains(err.Error(), "PIPELINE_ETL_SQL="+empty) || !strings.Contains(err.Error(), "no .sql files") {
		t.Errorf("empty PIPELINE_ETL_SQL: %v", err)
	}
}

// TestBuiltinSQL: the content expectations apply when the built-in
// transform runs: no PIPELINE_ETL_SQL, or the built-in exported unchanged;
// not after an edit.
func TestBuiltinSQL(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "sql")
	var out strings.Builder
	if err := WriteETLSQL(Settings{ETLSQL: dir}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), filepath.Join(dir, "10_rating_new.sql")) {
		t.Errorf("etl-sql says:\n%s", out.String())
	}
	for _, tc := range []struct {
		name string
		s    Settings
		edit bool
		want bool
	}{
		{"unset", Settings{}, false, true},
		{"exported", Settings{ETLSQL: dir}, false, true},
		{"edited", Settings{ETLSQL: dir}, true, false},
	} {
		if tc.edit {
			if err := os.WriteFile(filepath.Join(dir, "99_more.sql"), []byte("SELECT 1;"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := tc.s.builtinSQL()
		if err != nil || got != tc.want {
			t.Errorf("%s: builtinSQL = %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
	if err := WriteETLSQL(Settings{}, &out); err == nil || !strings.Contains(err.Error(), "PIPELINE_ETL_SQL is not set") {
		t.Errorf("etl-sql without a folder: %v", err)
	}
	if err := WriteETLSQL(Settings{ETLSQL: dir}, &out); err == nil || !strings.Contains(err.Error(), "already exist") {
		t.Errorf("etl-sql over an existing transform: %v", err)
	}
	if len(etl.BuiltinScripts()) != 4 {
		t.Errorf("built-in scripts: %d", len(etl.BuiltinScripts()))
	}
}
