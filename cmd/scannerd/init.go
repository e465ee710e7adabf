package main

import (
	"fmt"

	"github.com/spf13/cobra"

	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/scanner/gateauth"
)

type initOptions struct {
	trust   []string
	pinFile string
}

func newInitCmd(g *globalOptions) *cobra.Command {
	o := &initOptions{}
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create a gate data directory and trust the organizer's bundle signing keys",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var keys []ticketcrypto.PublicKey
			for _, t := range o.trust {
				k, err := ticketcrypto.ParsePublicKey(t)
				if err != nil {
					return fmt.Errorf("--trust: %w", err)
				}
				keys = append(keys, k)
			}
			pin, setPIN, err := readStaffPIN(o.pinFile, cmd.InOrStdin())
			if err != nil {
				return err
			}
			s, err := g.openStore(1)
			if err != nil {
				return err
			}
			defer s.Close()
			if err := s.Trust(keys...); err != nil {
				return fmt.Errorf("record trusted keys: %w", err)
			}
			if setPIN {
				if err := gateauth.SetPIN(g.dataDir, pin); err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), "staff PIN set")
			}
			trusted, err := s.Trusted()
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "gate data dir %s ready; %d trusted signer key(s)\n", g.dataDir, len(trusted))
			for _, k := range trusted {
				fmt.Fprintf(cmd.OutOrStdout(), "  %s (%s)\n", k, k.ID())
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&o.trust, "trust", nil, "organizer public key (aopk_...) whose bundles this gate accepts; repeatable")
	addStaffPINFlag(cmd, &o.pinFile)
	return cmd
}
