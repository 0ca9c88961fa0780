// Package dynamodb emulates Amazon DynamoDB's JSON 1.0 protocol: tables
// (CreateTable, DescribeTable, UpdateTable, DeleteTable, ListTables, with the
// CREATING, UPDATING and DELETING statuses the SDK's waiters expect), items
// (PutItem, GetItem, UpdateItem, DeleteItem, BatchWriteItem, BatchGetItem,
// Query, Scan with parallel segments), global and local secondary indexes,
// transactions (TransactWriteItems, TransactGetItems), PartiQL
// (ExecuteStatement, BatchExecuteStatement, ExecuteTransaction), TTL with
// expiry (Service.ExpireItems), tags, DynamoDB Streams (Service.Streams),
// consumed capacity and item collection metrics, and the legacy parameters
// (Expected, AttributeUpdates, KeyConditions, QueryFilter, ScanFilter,
// AttributesToGet, ConditionalOperator).
//
// Requests are validated as DynamoDB validates them, in its order and with
// its messages: the declarative constraints first, all reported at once
// (validate.go), then the request's own values and expressions
// (exprcheck.go), then what needs the table. The public DynamoDB
// conformance suite passes in full (.ci/conformance-dynamodb.sh).
//
// The Service is the protocol layer; items live behind the Backend
// interface (backend.go). Memory, the default Backend, stores items
// compactly (store.go, codec.go): tens of millions of small items fit in a
// few gigabytes, with almost no pointers for the garbage collector; its
// secondary indexes are in index.go.
//
// It imports only package awsproto and package fault from the emulation.
package dynamodb
