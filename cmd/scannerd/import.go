package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/admitone/admitone/bundle"
)

type importOptions struct {
	gate           string
	passphraseFile string
}

func newImportCmd(g *globalOptions) *cobra.Command {
	o := &importOptions{}
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Import a signed ticket-list bundle (keyring, gate profile, tickets, revocations)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			start := time.Now()
			data, err := readLimited(args[0], bundle.MaxSize)
			if err != nil {
				return err
			}
			s, err := g.openStore(1)
			if err != nil {
				return err
			}
			defer s.Close()
			trusted, err := s.Trusted()
			if err != nil {
				return err
			}
			if len(trusted) == 0 {
				return fmt.Errorf("this gate trusts no signer yet: run `scannerd init --trust aopk_...` with the organizer's public key")
			}
			var pass []byte
			if bundle.IsSealed(data) {
				if pass, err = readPassphrase(o.passphraseFile, "ADMITONE_BUNDLE_PASSPHRASE"); err != nil {
					return fmt.Errorf("%s is sealed: %w", args[0], err)
				}
			}
			p, signer, err := bundle.Read(data, trusted, pass)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			info, err := s.Import(p, o.gate, signer, time.Now())
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "imported %s for gate %s: %d tickets, %d revocations, %d keys, signed by %s, in %s\n",
				args[0], info.GateID, info.Tickets, info.Revocations, info.Keys, signer.ID(), time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
	cmd.Flags().StringVar(&o.gate, "gate", "", "gate id to take the profile of, when the bundle has several")
	cmd.Flags().StringVar(&o.passphraseFile, "passphrase-file", "", "file holding the passphrase of a sealed bundle (or env ADMITONE_BUNDLE_PASSPHRASE)")
	return cmd
}

// readLimited reads a whole file, refusing one larger than max.
func readLimited(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > max {
		return nil, fmt.Errorf("%s is %d bytes, more than the %d allowed", path, st.Size(), max)
	}
	return os.ReadFile(path)
}

// readPassphrase reads a passphrase from a file or an environment variable.
func readPassphrase(file, env string) ([]byte, error) {
	if file != "" {
		b, err := readLimited(file, 4096)
		if err != nil {
			return nil, fmt.Errorf("passphrase file: %w", err)
		}
		return trimNewline(b), nil
	}
	if v := os.Getenv(env); v != "" {
		return []byte(v), nil
	}
	return nil, fmt.Errorf("no passphrase: give --passphrase-file or set %s", env)
}

func trimNewline(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}
