// Package harness turns the emulation, the fixtures and the pipeline stages
// into the product: it reads the settings (environment variables and an
// optional config file), brings up the environment for the target, prepares
// and loads the dataset, runs every stage, verifies the outputs, exports them
// to OUT_DIR and writes a summary, a JSON report and a JUnit file.
//
// The mage targets in magefiles/ are thin wrappers around this package.
package orchestrate
