package verify

import "testing"

// TestCastInt follows Spark's CAST(x AS INTEGER), as the ETL job does.
func TestCastInt(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"31": "31", " 31 ": "31", "007": "7", "-4": "-4", "12.7": "12", "-12.7": "-12", ".5": "0", "3.": "3",
		"": "", "x": "", "1e3": "", "12.7.1": "", "2147483648": "", "-": "", ".": "",
	} {
		if got := castInt(in); got != want {
			t.Errorf("castInt(%q) = %q, want %q", in, got, want)
		}
	}
}
