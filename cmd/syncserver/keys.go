package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/admitone/admitone/internal/cliconf"
	"github.com/admitone/admitone/issuer"
	"github.com/admitone/admitone/storage"
	"github.com/admitone/admitone/vault"
)

// minPassphrase is the shortest passphrase a new key file accepts. argon2id
// slows guessing down; it cannot save a four-letter word.
const minPassphrase = 8

func newKeysCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Manage issuer keys: a sealed key file (new), the server's own (rotate)",
	}
	cmd.AddCommand(newKeysNewCmd(), newKeysRotateCmd())
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

type keysRotateOptions struct {
	cfg serverConfig
}

func newKeysRotateCmd() *cobra.Command {
	o := &keysRotateOptions{}
	cmd := &cobra.Command{
		Use:   "rotate",
		Short: "Add a new issuer key to the server's database; it signs from now on, older keys stay trusted",
		Long: `Add a new Ed25519 issuer key to the server's database, sealed under the
data directory's seal.key. The server signs new tickets with it (running
servers switch within 30 seconds); tickets signed with older keys stay
valid, as gates keep trusting every key the server has. It prints the new
key id and public key, and lists all keys; never a secret key.

While the server runs on the embedded database, which it holds, the
command asks it through its admin socket (admin.sock in the data
directory); otherwise it opens the database itself.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	o.cfg.addFlags(cmd.Flags())
	return cmd
}

func (o *keysRotateOptions) run(cmd *cobra.Command) error {
	if err := cliconf.ApplyEnv(cmd.Flags()); err != nil {
		return err
	}
	if c := o.cfg.runningServer(); c != nil {
		var res keysRotated
		if err := c.callJSON(cmd.Context(), "/keys/rotate", struct{}{}, &res); err != nil {
			return err
		}
		res.print(cmd.OutOrStdout())
		return nil
	}
	// Unlike serve, refuse to make a seal key: a mistyped --data-dir
	// would otherwise get a new key in a new, empty database.
	sealPath := filepath.Join(o.cfg.DataDir, "seal.key")
	if _, err := os.Stat(sealPath); err != nil {
		return fmt.Errorf("seal key: %w (is --data-dir the server's? serve creates it on first start)", err)
	}
	seal, err := loadSealKey(sealPath)
	if err != nil {
		return err
	}
	b, err := storage.Open(cmd.Context(), o.cfg.Database, o.cfg.DataDir)
	if err != nil {
		return err
	}
	defer b.Close()
	res, err := rotateKeys(cmd.Context(), &vault.Vault{Store: b.Secrets, Seal: seal}, b.Kind)
	if err != nil {
		return err
	}
	res.print(cmd.OutOrStdout())
	return nil
}
