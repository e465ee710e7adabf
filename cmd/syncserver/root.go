package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/internal/fileutil"
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

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "syncserver",
		Short:         "AdmitOne central server; issuer keys, tickets and gate bundles from a sealed key file",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newServeCmd(), newDemoCmd(), newBackupCmd(), newRestoreCmd(), newAdminCmd(), newMigrateCmd(), newKeysCmd(), newTicketsCmd(), newBundleCmd())
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
	p, err := fileutil.ReadSecret(o.passphraseFile, envPassphrase, "--passphrase-file")
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
