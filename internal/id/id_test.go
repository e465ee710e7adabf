package id

import (
	"testing"
	"time"
)

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

func TestNewOrderedSortsByTime(t *testing.T) {
	a := NewOrdered("hld")
	time.Sleep(2 * time.Millisecond)
	b := NewOrdered("hld")
	if !Valid(a, "hld") || !Valid(b, "hld") || a == b {
		t.Fatalf("NewOrdered = %q, %q", a, b)
	}
	if a[:16] >= b[:16] {
		t.Errorf("the time part of %q is not before that of %q", a, b)
	}
}
