package dynamodb

import (
	"context"
	"errors"
)

// Backend is where tables' items and their secondary indexes live. The
// Service (the protocol layer) validates every request, keeps the tables'
// definitions and settings, evaluates expressions and renders responses; it
// calls a Backend only to store and find items. Memory, the default, keeps
// them in compact in-memory records (see store.go); another store (on disk,
// say) implements the same interface.
//
// Items are exchanged as Item going in and as Record (the compact encoding
// of codec.go) coming out, so that scans render records without decoding
// them. Key values are the canonical bytes of scalarBytes: a string's UTF-8
// bytes, a binary's bytes, a number's canonical decimal text.
type Backend interface {
	// CreateTable makes an empty table; ErrTableExists if it exists.
	CreateTable(ctx context.Context, name string, s Schema) error
	// DropTable removes a table and its items; ErrNoTable if absent.
	DropTable(ctx context.Context, name string) error
	// CreateIndex adds a global secondary index to a table and fills it
	// from the items already stored.
	CreateIndex(ctx context.Context, table string, ix IndexSchema) error
	// DropIndex removes a secondary index.
	DropIndex(ctx context.Context, table, index string) error
	// View calls fn with a read-only view of the tables that no write
	// changes while fn runs. Records passed to fn are valid only until fn
	// returns.
	View(ctx context.Context, tables []string, fn func(ReadTx) error) error
	// Update calls fn with exclusive access to the tables. fn checks
	// everything it must before its first write: the Backend does not roll
	// back, so a transaction's writes are all or nothing only because fn
	// writes nothing until all its conditions hold.
	Update(ctx context.Context, tables []string, fn func(WriteTx) error) error
}

// ReadTx reads the tables a View or Update was opened on.
type ReadTx interface {
	// Get returns the item with this primary key.
	Get(table string, k Key) (Record, bool)
	// Scan calls fn for each item of the table (index "") or of a
	// secondary index, in the store's order, until fn returns false.
	Scan(table, index string, r ScanRange, fn func(Record) bool)
	// Query calls fn for the items of one partition of the table or index
	// whose sort key meets q, in sort-key order (reversed unless
	// q.Forward), until fn returns false.
	Query(table, index string, q QueryRange, fn func(Record) bool)
	// Stats returns the number of items and their size in bytes, as
	// DynamoDB counts it, of the table or index.
	Stats(table, index string) (items int64, bytes int64)
}

// WriteTx writes the tables an Update was opened on; secondary indexes
// follow every write.
type WriteTx interface {
	ReadTx
	// Put stores it under k, replacing and returning any item there. it
	// must be valid and k its key.
	Put(table string, k Key, it Item) (old Record, replaced bool)
	// Delete removes the item with key k and returns it.
	Delete(table string, k Key) (old Record, deleted bool)
}

// Errors a Backend returns.
var (
	ErrNoTable     = errors.New("dynamodb backend: no such table")
	ErrTableExists = errors.New("dynamodb backend: table exists")
	ErrNoIndex     = errors.New("dynamodb backend: no such index")
)

// KeyAttr is a key attribute: its name and type ("S", "N" or "B").
type KeyAttr struct {
	Name string
	Type string
}

// Schema is what a Backend must know of a table: its primary key and its
// secondary indexes.
type Schema struct {
	Hash    KeyAttr
	Range   KeyAttr // zero for a hash-only table
	Indexes []IndexSchema
}

// IndexSchema is a secondary index: its key and what it projects.
type IndexSchema struct {
	Name  string
	Local bool
	Hash  KeyAttr
	Range KeyAttr // zero for a hash-only index
	// Projection is ALL, KEYS_ONLY or INCLUDE; NonKey lists the
	// attributes INCLUDE adds to the keys.
	Projection string
	NonKey     []string
}

// projects reports whether the index stores the attribute name beside its
// keys and the table's.
func (ix *IndexSchema) projects(name string) bool {
	switch ix.Projection {
	case "ALL":
		return true
	case "INCLUDE":
		for _, n := range ix.NonKey {
			if n == name {
				return true
			}
		}
	}
	return false
}

// Key is a primary key (or an index key): the canonical bytes of its hash
// and range values; SK is nil without a range key.
type Key struct {
	PK, SK []byte
}

// Position is where a read resumes (ExclusiveStartKey): after the item
// with primary key Item and, for an index, index key Index.
type Position struct {
	Index Key
	Item  Key
}

// ScanRange is the part of a table or index a Scan reads: segment Segment
// of TotalSegments (the hash space cut into equal ranges; TotalSegments 0
// or 1 for all of it), after Start when it is not nil.
type ScanRange struct {
	Segment, TotalSegments int
	Start                  *Position
}

// QueryRange is the part of a partition a Query reads: the partition key,
// an optional condition on the sort key, the direction, and where to
// resume.
type QueryRange struct {
	PK      []byte
	Sort    SortCond
	Forward bool
	Start   *Position
}

// SortCond is a condition on a sort key: Op is "" (none), "=", "<", "<=",
// ">", ">=", "BETWEEN" (Args[0] to Args[1]) or "begins_with".
type SortCond struct {
	Op   string
	Args [2][]byte
}

// Record is a stored item in the compact encoding of codec.go, with the
// dictionary of attribute names its name ids refer to. A Record is read
// only; its bytes stay valid while the View or Update that produced it
// runs (and Put's and Delete's old records after it).
type Record struct {
	b     []byte
	names []string
}

// MakeRecord wraps an encoded record and its names dictionary, for a
// Backend that stores records itself.
func MakeRecord(b []byte, names []string) Record { return Record{b: b, names: names} }
