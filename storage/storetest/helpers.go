package storetest

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

// zone is deliberately not UTC: stores must return times in UTC.
var zone = time.FixedZone("UTC+05:30", 5*3600+30*60)

// when is a time with nanoseconds in a non-UTC zone, days after a fixed
// instant.
func when(days int) time.Time {
	return time.Date(2026, time.March, 14, 15, 9, 26, 535897932, zone).AddDate(0, 0, days)
}

// stored is t as every backend returns it.
func stored(t time.Time) time.Time { return t.Truncate(time.Microsecond).UTC() }

// storedSlice is s as every backend returns it.
func storedSlice(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return append([]string(nil), s...)
}

// errBoom is what failing update closures return.
var errBoom = errors.New("boom from the update closure")

// equal fails the test when got and want differ.
func equal[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// must fails the test now on an unexpected error.
func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// is fails the test unless errors.Is(err, want).
func is(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: error %v, want %v", what, err, want)
	}
}
