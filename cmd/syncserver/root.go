package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/issuer"
)

// Environment variables that hold passphrases, for scripts that cannot
// use a passphrase file.
const (
	envPassphrase       = "ADMITONE_PASSPHRASE"
	envBundlePassphrase = "ADMITONE_BUNDLE_PASSPHRASE"
)

// fastKDF are argon2id parameters for tests only (the hidden --kdf-fast
// flag): they make sealing instant and offer no protection.
var fastKDF = ticketcrypto.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}

// maxPassphrase bounds a passphrase file.
const maxPassphrase = 4096

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "syncserver",
		Short:         "AdmitOne central server; issuer keys, tickets and gate bundles from a sealed key file",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newServeCmd(), newAdminCmd(), newMigrateCmd(), newKeysCmd(), newTicketsCmd(), newBundleCmd())
	return root
}

// keyFileOptions are the flags that open the sealed issuer key file.
type keyFileOptions struct {
	path           string
	passphraseFile string
}

func (o *keyFileOptions) addFlags(cmd *cobra.Command, pathFlag string) {
	cmd.Flags().StringVar(&o.path, pathFlag, "", "sealed issuer key file")
	cmd.Flags().StringVar(&o.passphraseFile, "passphrase-file", "", "file holding the key file's passphrase (or env "+envPassphrase+")")
	cmd.MarkFlagRequired(pathFlag)
}

func (o *keyFileOptions) passphrase() ([]byte, error) {
	p, err := readPassphrase(o.passphraseFile, envPassphrase, "--passphrase-file")
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", o.path, err)
	}
	return p, nil
}

// load opens the key file and returns it with its passphrase, which a
// rewrite needs.
func (o *keyFileOptions) load() (*issuer.KeyFile, []byte, error) {
	pass, err := o.passphrase()
	if err != nil {
		return nil, nil, err
	}
	f, err := issuer.Load(o.path, pass)
	if err != nil {
		if errors.Is(err, ticketcrypto.ErrOpen) {
			return nil, nil, fmt.Errorf("%w (check the passphrase)", err)
		}
		return nil, nil, err
	}
	return f, pass, nil
}

// readPassphrase reads a passphrase from a file (its trailing newline
// removed) or else from an environment variable. Errors name the file or
// variable, never the content.
func readPassphrase(file, env, flag string) ([]byte, error) {
	if file != "" {
		fh, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("passphrase file: %w", err)
		}
		defer fh.Close()
		b, err := io.ReadAll(io.LimitReader(fh, maxPassphrase+1))
		if err != nil {
			return nil, fmt.Errorf("passphrase file %s: %w", file, err)
		}
		if len(b) > maxPassphrase {
			return nil, fmt.Errorf("passphrase file %s is longer than %d bytes: is it the right file?", file, maxPassphrase)
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

// openLimited opens a regular file for reading, refusing one larger than
// max bytes.
func openLimited(path string, max int64) (*os.File, error) {
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

// writeFileAtomic replaces path with data through a synced temporary file
// in the same directory and a rename, so a reader never sees half a file.
func writeFileAtomic(path string, data []byte, perm os.FileMode) (err error) {
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
		d.Sync() // make the rename durable where the system allows it
		d.Close()
	}
	return nil
}
