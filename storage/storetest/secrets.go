package storetest

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	gosync "sync"
	"testing"

	"github.com/admitone/admitone/vault"
)

// RunSecrets runs the vault.SecretStore conformance subtests. open
// returns a new, empty store for each subtest.
func RunSecrets(t *testing.T, open func(t *testing.T) vault.SecretStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s vault.SecretStore)
	}{
		{"FirstWriterWins", testSecretFirstWriterWins},
		{"Prefix", testSecretPrefix},
		{"Prefix/Literal", testSecretPrefixLiteral},
		{"ByteExact", testSecretByteExact},
		{"Limits", testSecretLimits},
		{"ContextCanceled", testSecretContextCanceled},
		{"Concurrent/PutSecret", testConcurrentPutSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

// putSecret stores a secret, failing the test on an error, and returns
// what the store holds.
func putSecret(t *testing.T, s vault.SecretStore, name string, value []byte) []byte {
	t.Helper()
	stored, err := s.PutSecret(t.Context(), name, value)
	must(t, "PutSecret "+name, err)
	return stored
}

func secrets(t *testing.T, s vault.SecretStore, prefix string) map[string][]byte {
	t.Helper()
	got, err := s.Secrets(t.Context(), prefix)
	must(t, fmt.Sprintf("Secrets(%q)", prefix), err)
	if got == nil {
		t.Errorf("Secrets(%q) = nil map, want an empty one", prefix)
	}
	return got
}

// names returns the sorted names of m.
func names(m map[string][]byte) []string { return slices.Sorted(maps.Keys(m)) }

func testSecretFirstWriterWins(t *testing.T, s vault.SecretStore) {
	first, second := []byte("sealed by server one"), []byte("sealed by server two")
	equal(t, "first PutSecret", putSecret(t, s, "rotation/ev_1", first), first)
	equal(t, "second PutSecret", putSecret(t, s, "rotation/ev_1", second), first)
	equal(t, "Secrets", secrets(t, s, "rotation/ev_1"), map[string][]byte{"rotation/ev_1": first})
	// Another name is another secret.
	equal(t, "PutSecret of another name", putSecret(t, s, "rotation/ev_2", second), second)
}

func testSecretPrefix(t *testing.T, s vault.SecretStore) {
	equal(t, "Secrets of an empty store", len(secrets(t, s, "")), 0)
	all := []string{"a", "a/1", "a/2", "ab", "b", "b/1", "issuer/00000000000000000001/kid_0001", "é/1", "éa"}
	for i, name := range all {
		putSecret(t, s, name, []byte{byte(i + 1)})
	}
	tests := []struct {
		prefix string
		want   []string
	}{
		{"", all},
		{"a", []string{"a", "a/1", "a/2", "ab"}},
		{"a/", []string{"a/1", "a/2"}},
		{"a/1", []string{"a/1"}},
		{"b", []string{"b", "b/1"}},
		{"c", nil},
		{"A", nil},
		{"issuer/", []string{"issuer/00000000000000000001/kid_0001"}},
		{"é", []string{"é/1", "éa"}},
		{"a/10", nil},
	}
	for _, tt := range tests {
		got := secrets(t, s, tt.prefix)
		equal(t, fmt.Sprintf("names of Secrets(%q)", tt.prefix), names(got), storedSlice(tt.want))
		for name, v := range got {
			want := []byte{byte(slices.Index(all, name) + 1)}
			equal(t, "value of "+name, v, want)
		}
	}
}

// testSecretPrefixLiteral: a prefix is matched byte for byte, whatever
// SQL's LIKE makes of % _ and \.
func testSecretPrefixLiteral(t *testing.T, s vault.SecretStore) {
	for _, name := range []string{"x%y", "x_y", "xay", `x\y`, `x\\y`, "x.y", "x*y"} {
		putSecret(t, s, name, []byte(name))
	}
	tests := []struct {
		prefix string
		want   []string
	}{
		{"x%", []string{"x%y"}},
		{"x_", []string{"x_y"}},
		{`x\`, []string{`x\\y`, `x\y`}},
		{`x\\`, []string{`x\\y`}},
		{"x.", []string{"x.y"}},
		{"x*", []string{"x*y"}},
		{"x%y", []string{"x%y"}},
		{"%", nil},
		{"_", nil},
	}
	for _, tt := range tests {
		equal(t, fmt.Sprintf("names of Secrets(%q)", tt.prefix), names(secrets(t, s, tt.prefix)), storedSlice(tt.want))
	}
}

func testSecretByteExact(t *testing.T, s vault.SecretStore) {
	every := make([]byte, 512)
	for i := range every {
		every[i] = byte(i)
	}
	largest := bytes.Repeat([]byte{0xff, 0x00, 0x5c, 0x27}, vault.MaxSecretValue/4)
	values := map[string][]byte{
		"bytes/every":   every,
		"bytes/zero":    {0},
		"bytes/zeros":   make([]byte, 100),
		"bytes/largest": largest,
		"bytes/text":    []byte("AT1:'quoted'\\x00\n"),
	}
	for name, v := range values {
		in := bytes.Clone(v)
		stored := putSecret(t, s, name, in)
		equal(t, "PutSecret "+name, stored, v)
		// Neither the caller's slice nor the returned one is the store's.
		in[0]++
		stored[0]++
	}
	got := secrets(t, s, "bytes/")
	equal(t, "Secrets", got, values)
	for _, v := range got {
		v[0]++
	}
	equal(t, "Secrets after changing a returned value", secrets(t, s, "bytes/"), values)
	equal(t, "PutSecret of a taken name", putSecret(t, s, "bytes/every", []byte("other")), every)
}

func testSecretLimits(t *testing.T, s vault.SecretStore) {
	ctx := t.Context()
	longest := strings.Repeat("é", vault.MaxSecretName/2) // 2 bytes each
	putSecret(t, s, longest, []byte{1})
	putSecret(t, s, "value/largest", make([]byte, vault.MaxSecretValue))
	bad := []struct {
		what  string
		name  string
		value []byte
	}{
		{"empty name", "", []byte{1}},
		{"long name", strings.Repeat("n", vault.MaxSecretName+1), []byte{1}},
		{"long name of multibyte characters", longest + "e", []byte{1}},
		{"NUL in name", "bad\x00name", []byte{1}},
		{"invalid UTF-8 name", "bad\xffname", []byte{1}},
		{"empty value", "value/empty", []byte{}},
		{"nil value", "value/nil", nil},
		{"large value", "value/large", make([]byte, vault.MaxSecretValue+1)},
	}
	for _, b := range bad {
		_, err := s.PutSecret(ctx, b.name, b.value)
		is(t, "PutSecret with "+b.what, err, vault.ErrInvalidSecret)
	}
	for _, prefix := range []string{strings.Repeat("n", vault.MaxSecretName+1), "bad\x00", "bad\xff"} {
		_, err := s.Secrets(ctx, prefix)
		is(t, fmt.Sprintf("Secrets(%.20q)", prefix), err, vault.ErrInvalidSecret)
	}
	equal(t, "names after the refused writes", names(secrets(t, s, "")), []string{"value/largest", longest})
}

func testSecretContextCanceled(t *testing.T, s vault.SecretStore) {
	putSecret(t, s, "kept", []byte("kept"))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := s.PutSecret(ctx, "late", []byte("late"))
	is(t, "PutSecret with a cancelled context", err, context.Canceled)
	_, err = s.Secrets(ctx, "")
	is(t, "Secrets with a cancelled context", err, context.Canceled)
	equal(t, "names after the cancelled write", names(secrets(t, s, "")), []string{"kept"})
}

// testConcurrentPutSecret: servers racing to create one secret all get
// the winner's value.
func testConcurrentPutSecret(t *testing.T, s vault.SecretStore) {
	ctx := t.Context()
	got := make([][]byte, workers)
	errs := make([]error, workers)
	var wg gosync.WaitGroup
	for i := range workers {
		wg.Go(func() { got[i], errs[i] = s.PutSecret(ctx, "rotation/race", fmt.Appendf(nil, "value %02d", i)) })
	}
	wg.Wait()
	for i := range workers {
		must(t, fmt.Sprintf("PutSecret %d", i), errs[i])
	}
	winner := got[0]
	if !bytes.HasPrefix(winner, []byte("value ")) {
		t.Fatalf("stored %q, which nobody wrote", winner)
	}
	for i, v := range got {
		equal(t, fmt.Sprintf("value PutSecret %d got", i), v, winner)
	}
	equal(t, "Secrets", secrets(t, s, "rotation/"), map[string][]byte{"rotation/race": winner})
}
