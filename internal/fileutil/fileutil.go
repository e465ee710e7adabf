// Package fileutil holds the file operations both programs need: an atomic,
// durable replace, size-limited reads, and reading a secret from a file or
// an environment variable.
package fileutil

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// WriteAtomic replaces path with data through a synced temporary file in
// the same directory (created with perm) and a rename, then syncs the
// directory, so a reader never sees half a file and a crash leaves the old
// or the new one.
func WriteAtomic(path string, data []byte, perm os.FileMode) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = tmp.Chmod(perm); err != nil {
		return err
	}
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, derr := os.Open(dir); derr == nil {
		d.Sync() // some systems cannot sync a directory; the rename stands
		d.Close()
	}
	return nil
}

// OpenLimited opens a file for reading, refusing a directory and a regular
// file larger than max bytes.
func OpenLimited(path string, max int64) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if st.IsDir() {
		f.Close()
		return nil, fmt.Errorf("%s is a directory, not a file", path)
	}
	if st.Mode().IsRegular() && st.Size() > max {
		f.Close()
		return nil, fmt.Errorf("%s is %d bytes, more than the %d allowed", path, st.Size(), max)
	}
	return f, nil
}

// ReadLimited reads a whole file, refusing one larger than max bytes.
func ReadLimited(path string, max int64) ([]byte, error) {
	f, err := OpenLimited(path, max)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s is more than the %d bytes allowed", path, max)
	}
	return b, nil
}

// MaxSecret bounds a passphrase or password file.
const MaxSecret = 4096

// ReadSecret reads a passphrase from file (its trailing newline removed)
// or, with file empty, from the environment variable env. flag names the
// file option in the error. Errors name the file or variable, never the
// content.
func ReadSecret(file, env, flag string) ([]byte, error) {
	if file != "" {
		b, err := ReadLimited(file, MaxSecret)
		if err != nil {
			return nil, fmt.Errorf("passphrase file: %w", err)
		}
		b = bytes.TrimRight(b, "\r\n")
		if len(b) == 0 {
			return nil, fmt.Errorf("passphrase file %s is empty", file)
		}
		return b, nil
	}
	if v := os.Getenv(env); v != "" {
		return []byte(v), nil
	}
	return nil, fmt.Errorf("no passphrase: give %s or set %s", flag, env)
}
