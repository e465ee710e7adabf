package main

import (
	"encoding/json"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/admitone/admitone/scanner"
	"github.com/admitone/admitone/scanner/gateauth"
	"github.com/admitone/admitone/scanner/gatetls"
)

// statusOutput is the store's status and how the gate's screen is
// reached (access.go).
type statusOutput struct {
	scanner.Status
	Access accessStatus `json:"access"`
}

type accessStatus struct {
	StaffPIN bool `json:"staff_pin"`
	// TLS is the gate's own HTTPS certificate, once scannerd run made
	// one (it does for a listen address off loopback, or with --tls).
	TLS *certStatus `json:"tls_certificate,omitempty"`
}

type certStatus struct {
	File     string    `json:"file"`
	SHA256   string    `json:"sha256"`
	NotAfter time.Time `json:"not_after"`
}

func newStatusCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show the gate profile, last import, check-in counts, staff PIN and HTTPS certificate as JSON",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := g.openStore(1)
			if err != nil {
				return err
			}
			defer s.Close()
			st, err := s.Status()
			if err != nil {
				return err
			}
			out := statusOutput{Status: st}
			if out.Access.StaffPIN, err = gateauth.PINSet(g.dataDir); err != nil {
				return err
			}
			if c, ok, err := gatetls.Read(g.dataDir); err != nil {
				return err
			} else if ok {
				out.Access.TLS = &certStatus{File: filepath.Join(g.dataDir, gatetls.CertFile), SHA256: c.Fingerprint, NotAfter: c.NotAfter.UTC()}
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "  ")
			return enc.Encode(out)
		},
	}
}
