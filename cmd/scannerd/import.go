package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/admitone/admitone/bundle"
	"github.com/admitone/admitone/internal/fileutil"
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
			data, err := fileutil.ReadLimited(args[0], bundle.MaxSize)
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
				if pass, err = fileutil.ReadSecret(o.passphraseFile, "ADMITONE_BUNDLE_PASSPHRASE", "--passphrase-file"); err != nil {
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
