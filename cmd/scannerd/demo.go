package main

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/admitone/admitone/bundle"
	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/qr"
	"github.com/admitone/admitone/scanner"
	"github.com/admitone/admitone/scanner/source"
)

func newDemoCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "demo",
		Short: "Make a demo event, import its signed bundle and scan its ticket pictures",
		Long: `Demo runs the whole gate offline on tickets it makes itself: an issuer key,
an event, a signed bundle (imported as ` + "`scannerd import`" + ` would), QR pictures
of the tickets, and then scans of those pictures through the real decoder,
verdict engine and store. It writes into a new temporary directory unless
--data-dir is given, and prints where.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("data-dir") && os.Getenv("ADMITONE_DATA_DIR") == "" {
				dir, err := os.MkdirTemp("", "admitone-demo-")
				if err != nil {
					return err
				}
				g.dataDir = dir
			}
			return runDemo(cmd, g)
		},
	}
}

type demoTicket struct {
	name string
	text string
}

func runDemo(cmd *cobra.Command, g *globalOptions) error {
	out := cmd.OutOrStdout()
	now := time.Now()
	key, err := ticketcrypto.GeneratePrivateKey()
	if err != nil {
		return err
	}
	ev := ticketcrypto.NewEventID()
	payload := &bundle.Payload{
		Format: bundle.Format, CreatedAt: now, Event: ev, EventName: "AdmitOne demo night",
		Keyring: []ticketcrypto.KeyringEntry{{Event: ev, KeyID: key.ID(), PublicKey: key.Public()}},
		Profiles: []bundle.GateProfile{{GateID: "main-door", Name: "Main door", Event: ev, EventName: "AdmitOne demo night",
			Mode: bundle.ModeSigned, Direction: bundle.Entry, Types: []uint16{1, 2}}},
	}
	var tickets []demoTicket
	issue := func(name string, tok ticketcrypto.Token) (ticketcrypto.SignedToken, error) {
		tok.Event, tok.Ticket = ev, ticketcrypto.NewTicketID()
		st, err := ticketcrypto.Sign(key, tok)
		if err != nil {
			return st, err
		}
		payload.Tickets = append(payload.Tickets, bundle.Ticket{ID: st.Ticket, TypeNumber: tok.TypeNumber})
		tickets = append(tickets, demoTicket{name, st.Text()})
		return st, nil
	}
	if _, err := issue("general-admission", ticketcrypto.Token{TypeNumber: 1}); err != nil {
		return err
	}
	if _, err := issue("vip", ticketcrypto.Token{TypeNumber: 2}); err != nil {
		return err
	}
	if _, err := issue("backstage-pass", ticketcrypto.Token{TypeNumber: 3}); err != nil {
		return err
	}
	if _, err := issue("tomorrow-only", ticketcrypto.Token{TypeNumber: 1, ValidFrom: now.Add(24 * time.Hour)}); err != nil {
		return err
	}
	refunded, err := issue("refunded", ticketcrypto.Token{TypeNumber: 1})
	if err != nil {
		return err
	}
	payload.Revocations = []bundle.Revocation{{Ticket: refunded.Ticket, At: now, Reason: "refunded by the buyer"}}
	// A copy of the first ticket, scanned again, and a forged one.
	tickets = append(tickets, demoTicket{"general-admission-again", tickets[0].text})
	forged := []byte(tickets[1].text)
	forged[30] = map[bool]byte{true: 'A', false: 'B'}[forged[30] != 'A']
	tickets = append(tickets, demoTicket{"forged", string(forged)})

	// Sign and read the bundle exactly as an import does.
	var file bytes.Buffer
	if err := bundle.Write(&file, payload, key, nil, ticketcrypto.KDFParams{}); err != nil {
		return err
	}
	bundlePath := filepath.Join(g.dataDir, "demo-bundle.json")
	if err := os.MkdirAll(g.dataDir, 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(bundlePath, file.Bytes(), 0o600); err != nil {
		return err
	}
	s, err := g.openStore(1)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.Trust(key.Public()); err != nil {
		return err
	}
	read, signer, err := bundle.Read(file.Bytes(), []ticketcrypto.PublicKey{key.Public()}, nil)
	if err != nil {
		return err
	}
	if _, err := s.Import(read, "", signer, now); err != nil {
		return err
	}
	fmt.Fprintf(out, "demo gate in %s: event %s, gate main-door admits types 1 and 2; bundle %s\n\n", g.dataDir, ev, bundlePath)

	picDir := filepath.Join(g.dataDir, "tickets")
	if err := os.MkdirAll(picDir, 0o700); err != nil {
		return err
	}
	engine := &scanner.Engine{Store: s}
	dec := scanner.NewQRDecoder(scanner.QRDecoderOptions{Still: true})
	for i, t := range tickets {
		path := filepath.Join(picDir, fmt.Sprintf("%d-%s.png", i+1, t.name))
		var pic bytes.Buffer
		if err := qr.PNG(t.text, 6, &pic); err != nil {
			return err
		}
		if err := os.WriteFile(path, pic.Bytes(), 0o600); err != nil {
			return err
		}
		img, err := png.Decode(bytes.NewReader(pic.Bytes()))
		if err != nil {
			return err
		}
		text, ok := dec.DecodeText(source.LumaOf(img))
		if !ok {
			return fmt.Errorf("demo: could not decode %s", path)
		}
		res, err := engine.Check(text, scanner.CheckOptions{Source: path})
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%-30s %-18s %s\n", filepath.Base(path), res.Verdict, res.Reason)
	}
	st, err := s.Status()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\n%d check-ins recorded, %d waiting in the outbox for the server.\n", st.Checkins, st.Outbox)
	fmt.Fprintf(out, "Scan the pictures again: go run ./cmd/scannerd scan --data-dir %s %s\n", g.dataDir, picDir)
	return nil
}
