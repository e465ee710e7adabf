package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/admitone/admitone/internal/fileutil"
	"github.com/admitone/admitone/scanner/gateauth"
	ticketsync "github.com/admitone/admitone/sync"
)

type enrollOptions struct {
	server   string
	code     string
	codeFile string
	timeout  time.Duration
	pinFile  string
}

func newEnrollCmd(g *globalOptions) *cobra.Command {
	o := &enrollOptions{}
	cmd := &cobra.Command{
		Use:   "enroll --server URL --code CODE",
		Short: "Enrol this gate with the server: device credential, gate profile, keys and the ticket list in one step",
		Long: `Enroll exchanges the one-time enrolment code an organizer created for
this gate (POST /v1/events/{id}/gates) for the gate's device credential and
its starting state: gate profile, the event's public keys, its sealed
rotation key, the ticket list, revocations and the check-ins so far. From
then on "scannerd run" keeps the gate in sync with the server over a
websocket, and keeps scanning when the network is down.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			start := time.Now()
			code := o.code
			if code == "" {
				b, err := fileutil.ReadSecret(o.codeFile, "ADMITONE_ENROLMENT_CODE", "--code-file")
				if err != nil {
					return fmt.Errorf("no enrolment code: give --code, --code-file or ADMITONE_ENROLMENT_CODE")
				}
				code = string(b)
			}
			pin, setPIN, err := readStaffPIN(o.pinFile, cmd.InOrStdin())
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), o.timeout)
			defer cancel()
			enr, err := ticketsync.FetchEnrollment(ctx, http.DefaultClient, o.server, strings.TrimSpace(code))
			if err != nil {
				return err
			}
			s, err := g.openStore(1)
			if err != nil {
				return err
			}
			defer s.Close()
			info, err := s.Enroll(enr, o.server, strings.TrimSpace(code), time.Now())
			if err != nil {
				return err
			}
			if setPIN {
				if err := gateauth.SetPIN(g.dataDir, pin); err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), "staff PIN set")
			}
			fmt.Fprintf(cmd.OutOrStdout(), "enrolled gate %s (%s) of event %s: %d tickets, %d revocations, %d check-ins, %d keys, in %s\n",
				enr.Gate.ID, enr.Gate.Name, enr.Gate.EventID, info.Tickets, info.Revocations, len(enr.Checkins), info.Keys,
				time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.server, "server", "", "the server's base URL, e.g. https://tickets.example.com (env ADMITONE_SERVER)")
	f.StringVar(&o.code, "code", "", "the enrolment code (aoec_...)")
	f.StringVar(&o.codeFile, "code-file", "", "file holding the enrolment code (or env ADMITONE_ENROLMENT_CODE)")
	f.DurationVar(&o.timeout, "timeout", 2*time.Minute, "give up after this long")
	addStaffPINFlag(cmd, &o.pinFile)
	cmd.MarkFlagRequired("server")
	return cmd
}
