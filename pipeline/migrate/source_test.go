package migrate

import (
	"database/sql"
	"testing"
	"time"
)

// TestRowValueScan holds rowValue to sql.NullString for what drivers send.
func TestRowValueScan(t *testing.T) {
	t.Parallel()
	for _, src := range []any{nil, []byte("3.0"), []byte{}, "text", "", int64(-42), 1.5, true,
		time.Date(2001, 2, 3, 4, 5, 6, 7, time.UTC)} {
		var want sql.NullString
		if err := want.Scan(src); err != nil {
			t.Fatal(err)
		}
		var v rowValue
		if err := v.Scan(src); err != nil {
			t.Fatalf("Scan(%#v): %v", src, err)
		}
		if got := nullStrings([]rowValue{v})[0]; got != want {
			t.Errorf("Scan(%#v) = %+v, want %+v", src, got, want)
		}
	}
}
