package main

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/spf13/cobra"

	"github.com/admitone/admitone/issuer"
)

// minPassphrase is the shortest passphrase a new key file accepts. argon2id
// slows guessing down; it cannot save a four-letter word.
const minPassphrase = 8

func newKeysCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Manage the sealed issuer key file",
	}
	cmd.AddCommand(newKeysNewCmd())
	return cmd
}

type keysNewOptions struct {
	key     keyFileOptions
	force   bool
	kdfFast bool
}

func newKeysNewCmd() *cobra.Command {
	o := &keysNewOptions{}
	cmd := &cobra.Command{
		Use:   "new --out FILE",
		Short: "Make an issuer key and write it to a key file sealed under a passphrase",
		Long: `Make a new Ed25519 issuer key and write it to FILE, sealed under a
passphrase (argon2id and XChaCha20-Poly1305). It prints the public key,
which gates trust with "scannerd init --trust", and the key id; never the
secret key. An existing FILE is kept unless --force is given.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	o.key.addFlags(cmd, "out")
	cmd.Flags().BoolVar(&o.force, "force", false, "replace an existing key file (its key is lost)")
	cmd.Flags().BoolVar(&o.kdfFast, "kdf-fast", false, "weak key derivation, for tests only")
	cmd.Flags().MarkHidden("kdf-fast")
	return cmd
}

func (o *keysNewOptions) run(cmd *cobra.Command) error {
	pass, err := o.key.passphrase()
	if err != nil {
		return err
	}
	if len(pass) < minPassphrase {
		return fmt.Errorf("key file %s: the passphrase is %d bytes; a new key file needs at least %d", o.key.path, len(pass), minPassphrase)
	}
	f, err := issuer.NewKeyFile()
	if err != nil {
		return err
	}
	if o.kdfFast {
		f.KDF = fastKDF
	}
	if o.force {
		err = f.Save(o.key.path, pass)
	} else {
		err = f.Create(o.key.path, pass)
	}
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%w: give --force to replace it, and lose the key it holds", err)
	}
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "wrote issuer key file %s\n", o.key.path)
	fmt.Fprintf(out, "public key: %s\n", f.Key.Public())
	fmt.Fprintf(out, "key id:     %s\n", f.Key.ID())
	fmt.Fprintf(out, "gates trust bundles signed by it with: scannerd init --trust %s\n", f.Key.Public())
	return nil
}
