package bolt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	bbolt "go.etcd.io/bbolt"
	bberrors "go.etcd.io/bbolt/errors"
)

// Backup writes a consistent copy of the whole store to w while it
// serves: one read transaction (bbolt's Tx.WriteTo), so writers go on
// and the copy is the store as of the transaction's start. It returns
// the bytes written.
func (s *DB) Backup(w io.Writer) (int64, error) {
	var n int64
	err := s.db.View(func(tx *bbolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("backup: %w", err)
	}
	return n, nil
}

// CheckBackup opens the store file at path read-only and checks it: the
// file's page structure (bbolt's consistency check) and this store's
// layout version. A backup that passes can be restored.
func CheckBackup(path string) error {
	db, err := bbolt.Open(path, 0o400, &bbolt.Options{ReadOnly: true, Timeout: 2 * time.Second})
	if err != nil {
		if errors.Is(err, bberrors.ErrTimeout) {
			return fmt.Errorf("check %s: another process holds it", path)
		}
		return fmt.Errorf("check %s: not a store file: %w", path, err)
	}
	defer db.Close()
	return db.View(func(tx *bbolt.Tx) error {
		for err := range tx.Check() {
			return fmt.Errorf("check %s: damaged: %w", path, err)
		}
		return checkLayout(tx)
	})
}

// Restore puts the store file at backup in place as dir's store: it
// checks the backup, copies it next to the store and renames it over it,
// keeping the store it replaces (if any) as File+".before-restore". The
// store must not be open (the server stopped).
func Restore(dir, backup string) error {
	if err := CheckBackup(backup); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	dst := filepath.Join(dir, File)
	if db, err := bbolt.Open(dst, 0o600, &bbolt.Options{Timeout: 100 * time.Millisecond}); err == nil {
		db.Close()
	} else if errors.Is(err, bberrors.ErrTimeout) {
		return fmt.Errorf("restore: %s is open in another process: stop the server first", dst)
	}
	tmp := dst + ".restoring"
	if err := copyFile(backup, tmp); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("restore: %w", err)
	}
	if _, err := os.Stat(dst); err == nil {
		if err := os.Rename(dst, dst+".before-restore"); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("restore: %w", err)
		}
	}
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	return syncDir(dir)
}

// copyFile copies src to a new file dst and syncs it.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// checkLayout refuses a file that is not this store: no meta bucket or
// layout version, or a version newer than this program's.
func checkLayout(tx *bbolt.Tx) error {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		return errors.New("not an AdmitOne server store: no meta bucket")
	}
	raw := meta.Get(keyVersion)
	if len(raw) != 4 {
		return errors.New("not an AdmitOne server store: no layout version")
	}
	if v := binary.BigEndian.Uint32(raw); v > schemaVersion {
		return fmt.Errorf("layout version %d is newer than this program's %d", v, schemaVersion)
	}
	return nil
}
