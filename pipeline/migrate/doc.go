// Package migrate is the pipeline's AWS DMS full load: it copies MySQL tables
// into DynamoDB as a DMS task with a DynamoDB target endpoint does.
//
// The load is driven by a table mapping in DMS's own JSON format (see
// ParseMapping for the rules it implements): by default the workshop's,
// table-mappings.json in this folder (WorkshopMapping), the one mapping file
// of the project. Selection rules choose the
// source tables; object-mapping rules with rule-action map-record-to-record
// say which DynamoDB table each one goes to, its partition and sort key, and
// the attributes built from `${column}` templates. A rule this package does
// not implement is an error that names it (a *RuleError wrapping
// ErrUnsupported), never ignored.
//
// Run prepares the target tables as the task setting TargetTablePrepMode
// says, streams each table's rows from MySQL (all values read as text, so
// DECIMAL 3.0 stays "3.0"), writes them with BatchWriteItem from parallel
// workers, retrying unprocessed items and throttles with exponential backoff
// and jitter (unprocessed items wait out their backoff in their writer's
// queue while it goes on, and go again merged into full batches; a writer
// pauses only when DynamoDB makes no progress), and sets rows DynamoDB cannot
// take aside in the exceptions
// table (Names.ExceptionsTable, DMS's awsdms_full_load_exceptions). Afterwards it validates as DMS data validation
// does: for each table, the source rows equal the target items plus the
// exceptions of this run.
//
// The package sees an aws.Config and a MySQL DSN and nothing else. It must
// not import another stage, emulation/, fixtures/, integration/ or
// magefiles/; its tests use the emulation from an external test package.
package migrate
