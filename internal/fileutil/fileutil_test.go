package fileutil

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteAtomic(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := WriteAtomic(p, []byte("one"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteAtomic(p, []byte("two"), 0o600); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	st, _ := os.Stat(p)
	if string(b) != "two" || st.Mode().Perm() != 0o600 {
		t.Fatalf("content %q mode %v", b, st.Mode())
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(p), ".*tmp"))
	if len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

func TestReadSecret(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	os.WriteFile(good, []byte("s3cret\r\n"), 0o600)
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte("\n"), 0o600)
	big := filepath.Join(dir, "big")
	os.WriteFile(big, []byte(strings.Repeat("x", MaxSecret+1)), 0o600)

	if b, err := ReadSecret(good, "ADMITONE_X", "--f"); err != nil || string(b) != "s3cret" {
		t.Fatalf("good file: %q %v", b, err)
	}
	for _, f := range []string{empty, big, filepath.Join(dir, "missing"), dir} {
		if _, err := ReadSecret(f, "ADMITONE_X", "--f"); err == nil {
			t.Errorf("%s: accepted", f)
		}
	}
	t.Setenv("ADMITONE_X", "from-env")
	if b, err := ReadSecret("", "ADMITONE_X", "--f"); err != nil || string(b) != "from-env" {
		t.Fatalf("env: %q %v", b, err)
	}
	t.Setenv("ADMITONE_X", "")
	if _, err := ReadSecret("", "ADMITONE_X", "--f"); err == nil || !strings.Contains(err.Error(), "--f") {
		t.Fatalf("nothing given: %v", err)
	}
	if _, err := ReadSecret(big, "ADMITONE_X", "--f"); err != nil && strings.Contains(err.Error(), "xxxx") {
		t.Fatal("error quotes the secret")
	}
}
