// Package dynamodb emulates Amazon DynamoDB's JSON 1.0 protocol in memory:
// tables (CreateTable, DescribeTable, DeleteTable, ListTables, with the
// CREATING and DELETING statuses the SDK's waiters expect) and items
// (PutItem, GetItem, DeleteItem, BatchWriteItem, BatchGetItem, Scan with
// parallel segments, Query), with DynamoDB's validation errors and limits:
// 400 KB items sized as DynamoDB sizes them, 25 writes per batch, 1 MB
// pages, duplicate keys in a batch.
//
// Items are stored compactly (see store.go): tens of millions of small items
// fit in a few gigabytes, with almost no pointers for the garbage collector.
// Expressions (KeyConditionExpression, ConditionExpression,
// FilterExpression, ProjectionExpression) are supported; UpdateItem,
// transactions, secondary indexes, streams and TTL are not.
//
// It imports only package awsproto and package fault from the emulation.
package dynamodb
