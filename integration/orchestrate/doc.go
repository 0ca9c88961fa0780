// Package harness turns the emulation, the fixtures and the pipeline stages
// into the product: it reads the settings (environment variables and an
// optional config file), brings up the environment for the target, prepares
// and loads the dataset, runs every stage, verifies the outputs, exports them
// to OUT_DIR, trains the baseline model and writes a summary, a JSON report,
// a JUnit file and a self-contained HTML page of the run (report.html); it
// also prints the catalog (show-catalog), exports the built-in SQL (etl-sql)
// and keeps a run's state on request (PIPELINE_KEEP_STATE).
//
// The mage targets in magefiles/ are thin wrappers around this package.
package orchestrate
