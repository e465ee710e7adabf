package id

import "testing"

func TestNewValid(t *testing.T) {
	a, b := New("usr"), New("usr")
	if a == b || !Valid(a, "usr") || len(a) != 28 {
		t.Fatalf("New = %q, %q", a, b)
	}
	for _, bad := range []string{"", "usr_", "org_" + a[4:], a + "0", a[:27] + "G", "usr-" + a[4:]} {
		if Valid(bad, "usr") {
			t.Errorf("Valid(%q) = true", bad)
		}
	}
}
