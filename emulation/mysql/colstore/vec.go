package colstore

import (
	"bytes"
	"fmt"
	"hash/maphash"
	"math"
	"reflect"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/shopspring/decimal"
)

// vec holds one column of one chunk. Rows below a reader's snapshot are
// never written again: appends write past them, and deletes and updates
// build new chunks. A vec is not safe for concurrent writers.
type vec interface {
	// resize makes room for capacity rows, keeping the rows held.
	resize(capacity int)
	// push appends v, a non-NULL value of the column's Go type.
	push(v any) error
	// pushZero appends a placeholder for a NULL.
	pushZero()
	// pushFrom appends row i of src, a vec of the same column.
	pushFrom(src vec, i int)
	// truncate keeps the first n rows.
	truncate(n int)
	// value returns row i boxed in the column's Go type.
	value(i int) any
	// hash and equal compare rows as the column's key comparison does.
	hash(i int) uint64
	equal(i int, o vec, j int) bool
	// same reports whether row i holds exactly the bytes row j of o holds.
	same(i int, o vec, j int) bool
	// view returns a copy of the slice headers: rows pushed later are not
	// seen through it, and the rows it sees are never written again.
	view() vec
	// seal trims spare capacity once the chunk is full.
	seal()
	// size is the bytes the vec holds.
	size() int
}

// number is a Go type go-mysql-server gives fixed-width column values in.
type number interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~float32 | ~float64
}

var seed = maphash.MakeSeed()

// mix is a 64-bit finaliser (splitmix64's).
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

func bitsOf[T number](v T) uint64 {
	switch x := any(v).(type) {
	case float32:
		return uint64(math.Float32bits(x))
	case float64:
		return math.Float64bits(x)
	}
	return uint64(v)
}

// numVec is a column of T values, boxed as T.
type numVec[T number] struct{ vals []T }

func (v *numVec[T]) resize(n int) {
	vals := make([]T, len(v.vals), n)
	copy(vals, v.vals)
	v.vals = vals
}

func (v *numVec[T]) push(x any) error {
	t, ok := x.(T)
	if !ok {
		return fmt.Errorf("value %v is a %T, want a %T", x, x, t)
	}
	v.vals = append(v.vals, t)
	return nil
}

func (v *numVec[T]) pushZero()               { v.vals = append(v.vals, 0) }
func (v *numVec[T]) pushFrom(src vec, i int) { v.vals = append(v.vals, src.(*numVec[T]).vals[i]) }
func (v *numVec[T]) truncate(n int)          { v.vals = v.vals[:n] }
func (v *numVec[T]) value(i int) any         { return v.vals[i] }
func (v *numVec[T]) hash(i int) uint64       { return mix(bitsOf(v.vals[i])) }
func (v *numVec[T]) equal(i int, o vec, j int) bool {
	return v.vals[i] == o.(*numVec[T]).vals[j]
}
func (v *numVec[T]) same(i int, o vec, j int) bool {
	return bitsOf(v.vals[i]) == bitsOf(o.(*numVec[T]).vals[j])
}
func (v *numVec[T]) view() vec { return &numVec[T]{vals: v.vals} }
func (v *numVec[T]) seal()     {}
func (v *numVec[T]) size() int { return cap(v.vals) * int(unsafe.Sizeof(T(0))) }

// decVec is a DECIMAL(p,s) column with p at most 18, held as integers
// scaled by 10^s in the narrowest type that holds p digits.
type decVec[T ~int16 | ~int32 | ~int64] struct {
	numVec[T]
	scale int32
}

func (v *decVec[T]) push(x any) error {
	d, ok := x.(decimal.Decimal)
	if !ok {
		return fmt.Errorf("value %v is a %T, want a decimal.Decimal", x, x)
	}
	// The engine rounds a value to the column's scale, so its exponent is
	// -scale and its coefficient is the scaled integer.
	var n int64
	if d.Exponent() == -v.scale {
		n = d.CoefficientInt64()
		if !decimal.New(n, -v.scale).Equal(d) {
			return fmt.Errorf("value %s is out of range", d)
		}
	} else {
		s := d.Shift(v.scale)
		if !s.IsInteger() {
			return fmt.Errorf("value %s has more than %d decimals", d, v.scale)
		}
		n = s.IntPart()
		if !s.Equal(decimal.NewFromInt(n)) {
			return fmt.Errorf("value %s is out of range", d)
		}
	}
	if int64(T(n)) != n {
		return fmt.Errorf("value %s is out of range", d)
	}
	v.vals = append(v.vals, T(n))
	return nil
}

func (v *decVec[T]) pushFrom(src vec, i int) { v.vals = append(v.vals, src.(*decVec[T]).vals[i]) }
func (v *decVec[T]) value(i int) any         { return decimal.New(int64(v.vals[i]), -v.scale) }
func (v *decVec[T]) equal(i int, o vec, j int) bool {
	return v.vals[i] == o.(*decVec[T]).vals[j]
}
func (v *decVec[T]) same(i int, o vec, j int) bool { return v.equal(i, o, j) }
func (v *decVec[T]) view() vec                     { return &decVec[T]{numVec: numVec[T]{vals: v.vals}, scale: v.scale} }

// strVec is a text or binary column: the values end to end in one byte
// slice, and each value's end offset.
type strVec struct {
	data  []byte
	ends  []uint32
	bin   bool                // values are []byte rather than string
	order sql.CollationSorter // nil: compare bytes
}

func (v *strVec) resize(n int) {
	ends := make([]uint32, len(v.ends), n)
	copy(ends, v.ends)
	v.ends = ends
}

func (v *strVec) start(i int) uint32 {
	if i == 0 {
		return 0
	}
	return v.ends[i-1]
}

func (v *strVec) get(i int) []byte { return v.data[v.start(i):v.ends[i]] }

func (v *strVec) pushBytes(b []byte) error {
	if uint64(len(v.data))+uint64(len(b)) > math.MaxUint32 {
		return fmt.Errorf("chunk holds more than 4 GiB of text")
	}
	if len(v.data)+len(b) > cap(v.data) {
		// Grow by doubling ourselves: append's growth for large slices is
		// smaller and its size classes are not ours to choose.
		data := make([]byte, len(v.data), max(2*cap(v.data), len(v.data)+len(b), 256))
		copy(data, v.data)
		v.data = data
	}
	v.data = append(v.data, b...)
	v.ends = append(v.ends, uint32(len(v.data)))
	return nil
}

func (v *strVec) push(x any) error {
	switch s := x.(type) {
	case string:
		return v.pushBytes(unsafe.Slice(unsafe.StringData(s), len(s)))
	case []byte:
		return v.pushBytes(s)
	}
	return fmt.Errorf("value %v is a %T, want text", x, x)
}

func (v *strVec) pushZero()               { v.ends = append(v.ends, uint32(len(v.data))) }
func (v *strVec) pushFrom(src vec, i int) { _ = v.pushBytes(src.(*strVec).get(i)) }

func (v *strVec) truncate(n int) {
	v.data = v.data[:v.start(n)]
	v.ends = v.ends[:n]
}

func (v *strVec) value(i int) any {
	if v.bin {
		return bytes.Clone(v.get(i))
	}
	return string(v.get(i))
}

func (v *strVec) hash(i int) uint64 {
	b := v.get(i)
	if v.order == nil {
		return maphash.Bytes(seed, b)
	}
	var h maphash.Hash
	h.SetSeed(seed)
	var w [4]byte
	for _, r := range string(b) {
		x := v.order(r)
		w[0], w[1], w[2], w[3] = byte(x), byte(x>>8), byte(x>>16), byte(x>>24)
		h.Write(w[:])
	}
	return h.Sum64()
}

func (v *strVec) equal(i int, o vec, j int) bool {
	a, b := v.get(i), o.(*strVec).get(j)
	if v.order == nil {
		return bytes.Equal(a, b)
	}
	sa, sb := string(a), string(b)
	for sa != "" && sb != "" {
		ra, na := utf8.DecodeRuneInString(sa)
		rb, nb := utf8.DecodeRuneInString(sb)
		if v.order(ra) != v.order(rb) {
			return false
		}
		sa, sb = sa[na:], sb[nb:]
	}
	return sa == "" && sb == ""
}

func (v *strVec) same(i int, o vec, j int) bool { return bytes.Equal(v.get(i), o.(*strVec).get(j)) }

func (v *strVec) view() vec {
	return &strVec{data: v.data, ends: v.ends, bin: v.bin, order: v.order}
}

func (v *strVec) seal() {
	if cap(v.data) > len(v.data)+len(v.data)/8 {
		v.data = bytes.Clone(v.data)
	}
}

func (v *strVec) size() int { return cap(v.data) + 4*cap(v.ends) }

// newVec returns an empty vec for a column, or an error saying why the
// column's type is not held compactly.
func newVec(col *sql.Column) (vec, error) {
	if col.Generated != nil || col.Virtual || col.AutoIncrement {
		return nil, fmt.Errorf("column %s is generated, virtual or AUTO_INCREMENT", col.Name)
	}
	vt := col.Type.ValueType()
	if dt, ok := col.Type.(sql.DecimalType); ok && vt == reflect.TypeFor[decimal.Decimal]() {
		scale := int32(dt.Scale())
		switch p := dt.Precision(); {
		case p <= 4:
			return &decVec[int16]{scale: scale}, nil
		case p <= 9:
			return &decVec[int32]{scale: scale}, nil
		case p <= 18:
			return &decVec[int64]{scale: scale}, nil
		}
		return nil, fmt.Errorf("column %s is %s: more than 18 digits", col.Name, col.Type)
	}
	switch vt {
	case reflect.TypeFor[int8]():
		return &numVec[int8]{}, nil
	case reflect.TypeFor[int16]():
		return &numVec[int16]{}, nil
	case reflect.TypeFor[int32]():
		return &numVec[int32]{}, nil
	case reflect.TypeFor[int64]():
		return &numVec[int64]{}, nil
	case reflect.TypeFor[uint8]():
		return &numVec[uint8]{}, nil
	case reflect.TypeFor[uint16]():
		return &numVec[uint16]{}, nil
	case reflect.TypeFor[uint32]():
		return &numVec[uint32]{}, nil
	case reflect.TypeFor[uint64]():
		return &numVec[uint64]{}, nil
	case reflect.TypeFor[float32]():
		return &numVec[float32]{}, nil
	case reflect.TypeFor[float64]():
		return &numVec[float64]{}, nil
	case reflect.TypeFor[string](), reflect.TypeFor[[]byte]():
		st, ok := col.Type.(sql.StringType)
		if !ok {
			break
		}
		v := &strVec{bin: vt == reflect.TypeFor[[]byte]()}
		// Binary collations compare bytes (for UTF-8 text, byte order
		// is code point order); others compare their collation's weights.
		if c := st.Collation(); c != sql.Collation_binary && !strings.HasSuffix(c.Name(), "_bin") {
			v.order = c.Sorter()
		}
		return v, nil
	}
	return nil, fmt.Errorf("column %s is %s, which is not held compactly", col.Name, col.Type)
}
