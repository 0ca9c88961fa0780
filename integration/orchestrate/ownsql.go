package orchestrate

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/mldatalake/mldatalake/pipeline/etl"
	"github.com/mldatalake/mldatalake/pipeline/verify"
)

// ChecksDir is the folder of PIPELINE_ETL_SQL that holds the checks.
const ChecksDir = "checks"

// scripts is the transform the etl stage runs: nil (the built-in) unless
// PIPELINE_ETL_SQL names a folder.
func (s Settings) scripts() ([]etl.Script, error) {
	if s.ETLSQL == "" {
		return nil, nil
	}
	scripts, err := etl.ReadScripts(s.ETLSQL)
	if err != nil {
		return nil, fmt.Errorf("PIPELINE_ETL_SQL=%s: %w", s.ETLSQL, err)
	}
	return scripts, nil
}

// builtinSQL reports whether the etl stage runs the built-in transform:
// PIPELINE_ETL_SQL unset, or a folder whose .sql files are the built-in's
// byte for byte (as `etl-sql` wrote them).
func (s Settings) builtinSQL() (bool, error) {
	scripts, err := s.scripts()
	if err != nil || scripts == nil {
		return scripts == nil && err == nil, err
	}
	return etl.IsBuiltin(scripts), nil
}

// checks are the checks of PIPELINE_ETL_SQL's checks/ folder.
func (s Settings) checks() ([]verify.Check, error) {
	if s.ETLSQL == "" {
		return nil, nil
	}
	dir := filepath.Join(s.ETLSQL, ChecksDir)
	checks, err := verify.ReadChecks(dir)
	if err != nil {
		return nil, fmt.Errorf("PIPELINE_ETL_SQL=%s: %w", s.ETLSQL, err)
	}
	return checks, nil
}

// verifyOptions are verify's options but the counts: the content
// expectations when the built-in transform runs (a transform of one's own
// makes other contents), the checks, the catalog.
func (s Settings) verifyOptions() (verify.Options, error) {
	opts := verify.Options{Names: s.Names, CatalogPath: s.catalogPath(), MemoryLimit: s.ETLMemoryLimit}
	builtin, err := s.builtinSQL()
	if err != nil {
		return opts, err
	}
	if builtin {
		if opts.Expected, err = verify.Expect(s.preparedDir(), verify.DefaultKeepRows); err != nil {
			return opts, fmt.Errorf("expected outputs from %s (run seed first): %w", s.preparedDir(), err)
		}
	}
	if opts.Checks, err = s.checks(); err != nil {
		return opts, err
	}
	return opts, nil
}

// checkETLSQL reads the transform and the checks of dir, so that a folder
// that cannot run fails before anything starts.
func checkETLSQL(dir string) error {
	s := Settings{ETLSQL: dir}
	if _, err := s.scripts(); err != nil {
		return err
	}
	_, err := s.checks()
	return err
}

// WriteETLSQL is the etl-sql command: it writes the built-in transform into
// the folder PIPELINE_ETL_SQL names, as a starting point, and says what to
// do next.
func WriteETLSQL(s Settings, w io.Writer) error {
	if s.ETLSQL == "" {
		return fmt.Errorf("PIPELINE_ETL_SQL is not set: name the folder to write the built-in transform into, e.g. PIPELINE_ETL_SQL=mysql")
	}
	paths, err := etl.WriteBuiltin(s.ETLSQL)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "the built-in transform (the workshop's Glue job in DuckDB SQL), run in name order:\n")
	for _, p := range paths {
		fmt.Fprintf(w, "  %s\n", p)
	}
	fmt.Fprintf(w, "edit them, put checks (queries that must return no rows) in %s/*.sql, and run with PIPELINE_ETL_SQL=%s set;\n",
		filepath.Join(s.ETLSQL, ChecksDir), s.ETLSQL)
	fmt.Fprintf(w, "what the job gives the SQL and what it must write: the README's \"Your own transform and checks\", or go doc ./pipeline/etl\n")
	return nil
}
