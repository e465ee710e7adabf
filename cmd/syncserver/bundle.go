package main

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/admitone/admitone/bundle"
	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/internal/cliconf"
	"github.com/admitone/admitone/internal/fileutil"
	"github.com/admitone/admitone/issuer"
)

func newBundleCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bundle",
		Short: "Export signed ticket-list bundles for gates",
	}
	cmd.AddCommand(newBundleExportCmd(), newBundleServerExportCmd())
	return cmd
}

func newBundleServerExportCmd() *cobra.Command {
	cfg := &serverConfig{}
	var gate, out, passFile string
	var kdfFast bool
	cmd := &cobra.Command{
		Use:   "server-export --gate gat_... --out FILE",
		Short: "Write a gate's bundle from the server's own data (tickets sold, revocations, keys), for scannerd import",
		Long: `Build the bundle of an enrolled or not yet enrolled gate from what the
server knows now: the event's issuer keys, the gate's profile, every ticket
issued and every revocation in the event's log, and the rotation key. It is
signed by the server's active issuer key (printed: gates trust it with
"scannerd init --trust") and sealed under the passphrase from
--bundle-passphrase-file or ` + envBundlePassphrase + `. This is the path for
gates without network before doors open; enrolled gates get the same data
over the network. While the server runs on the embedded database, which
it holds, the command asks it through its admin socket (admin.sock in the
data directory).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cliconf.ApplyEnv(cmd.Flags()); err != nil {
				return err
			}
			pass, err := fileutil.ReadSecret(passFile, envBundlePassphrase, "--bundle-passphrase-file")
			if err != nil {
				return err
			}
			start := time.Now()
			var res serverExported
			if c := cfg.runningServer(); c != nil {
				res, err = c.serverExport(cmd.Context(), serverExportRequest{Gate: gate, Passphrase: pass, KDFFast: kdfFast})
			} else {
				var a *app
				if a, err = cfg.openFor(cmd); err != nil {
					return err
				}
				defer a.Close()
				res, err = exportServerBundle(cmd.Context(), a.api.Enroller, gate, pass, kdfFast)
			}
			if err != nil {
				return err
			}
			if err := fileutil.WriteAtomic(out, res.Bundle, 0o600); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s for gate %s: %d tickets, signed by %s (trust it with: scannerd init --trust %s), in %s\n",
				out, gate, res.Tickets, res.Signer.ID(), res.Signer, time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
	cfg.addFlags(cmd.Flags())
	f := cmd.Flags()
	f.StringVar(&gate, "gate", "", "gate id (gat_...), from POST /v1/events/{id}/gates")
	f.StringVar(&out, "out", "", "bundle file to write (replaced if it exists)")
	f.StringVar(&passFile, "bundle-passphrase-file", "", "file holding the bundle passphrase (or env "+envBundlePassphrase+")")
	f.BoolVar(&kdfFast, "kdf-fast", false, "weak key derivation, for tests only")
	f.MarkHidden("kdf-fast")
	cmd.MarkFlagRequired("gate")
	cmd.MarkFlagRequired("out")
	return cmd
}

type bundleExportOptions struct {
	key                  keyFileOptions
	event                string
	tickets              string
	out                  string
	gates                []string
	mode                 string
	types                string
	typeNames            []string
	allowReentry         bool
	revoked              string
	listedCodes          string
	seal                 bool
	bundlePassphraseFile string
	kdfFast              bool
}

func newBundleExportCmd() *cobra.Command {
	o := &bundleExportOptions{}
	cmd := &cobra.Command{
		Use:   "export --key FILE --event ev_... --tickets DIR --gate ID[:entry|:exit|:both] --out FILE",
		Short: "Write a signed bundle of an event's keyring, gate profiles, tickets and revocations",
		Long: `Build the bundle that "scannerd import" reads: a keyring that trusts the
issuer key for the event, one gate profile per --gate, the tickets of
--tickets (a directory of "tickets issue", or its tickets.jsonl), the
revocations of --revoked (one ticket id per line, optionally a reason after a
space; # starts a comment) and, in listed mode, the foreign barcodes of
--listed-codes (CSV "code,type" or "code,type,holder"). The gates' screens
show the names of --type-name and the holders' names of the ticket list (a
"holder" field on a tickets.jsonl line) or of --listed-codes; a scannerd
older than these names refuses a bundle that carries them. The bundle is
signed by the issuer key.

Tickets that require rotating codes need the event's rotation key at the
gates; only a sealed bundle (--seal) carries it. Its passphrase comes from
--bundle-passphrase-file or ADMITONE_BUNDLE_PASSPHRASE, and must differ from
the key file's.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	o.key.addFlags(cmd, "key")
	f := cmd.Flags()
	f.StringVar(&o.event, "event", "", "event id, ev_ and 16 hex digits")
	f.StringVar(&o.tickets, "tickets", "", "ticket directory or tickets.jsonl file")
	f.StringVar(&o.out, "out", "", "bundle file to write (replaced if it exists)")
	f.StringArrayVar(&o.gates, "gate", nil, "gate id with direction, ID[:entry|:exit|:both] (repeatable; entry if omitted; both: each scan says which)")
	f.StringVar(&o.mode, "mode", string(bundle.ModeSigned), "validation mode: signed (any valid ticket) or listed (only listed tickets)")
	f.StringVar(&o.types, "types", "", "ticket types the gates admit, comma-separated (default all)")
	f.StringArrayVar(&o.typeNames, "type-name", nil, "a ticket type's name on the gates' screens, NUMBER=NAME, e.g. 1=Standing (repeatable)")
	f.BoolVar(&o.allowReentry, "allow-reentry", false, "let a ticket scanned out at an exit come in again")
	f.StringVar(&o.revoked, "revoked", "", "file of revoked ticket ids, one per line, optionally a reason after a space")
	f.StringVar(&o.listedCodes, "listed-codes", "", "CSV file of foreign barcodes, code,type (listed mode)")
	f.BoolVar(&o.seal, "seal", false, "seal the bundle under a passphrase and include the event's rotation key")
	f.StringVar(&o.bundlePassphraseFile, "bundle-passphrase-file", "", "file holding the bundle passphrase, with --seal (or env "+envBundlePassphrase+")")
	f.BoolVar(&o.kdfFast, "kdf-fast", false, "weak key derivation for the sealed bundle, for tests only")
	f.MarkHidden("kdf-fast")
	cmd.MarkFlagRequired("event")
	cmd.MarkFlagRequired("out")
	cmd.MarkFlagRequired("gate")
	return cmd
}

// exportOptions checks the flags that need no file and returns what they
// say.
func (o *bundleExportOptions) exportOptions() (issuer.ExportOptions, error) {
	var opts issuer.ExportOptions
	var err error
	if opts.Event, err = ticketcrypto.ParseEventID(o.event); err != nil {
		return opts, fmt.Errorf("--event: %w", err)
	}
	for _, s := range o.gates {
		g, err := issuer.ParseGate(s)
		if err != nil {
			return opts, fmt.Errorf("--gate: %w", err)
		}
		opts.Gates = append(opts.Gates, g)
	}
	switch m := bundle.Mode(o.mode); m {
	case bundle.ModeSigned, bundle.ModeListed:
		opts.Mode = m
	default:
		return opts, fmt.Errorf("--mode %q: want %s or %s", o.mode, bundle.ModeSigned, bundle.ModeListed)
	}
	if o.types != "" {
		if opts.Types, err = issuer.ParseTypes(o.types); err != nil {
			return opts, fmt.Errorf("--types: %w", err)
		}
	}
	for _, s := range o.typeNames {
		tt, err := issuer.ParseTypeName(s)
		if err != nil {
			return opts, fmt.Errorf("--type-name: %w", err)
		}
		opts.TicketTypes = append(opts.TicketTypes, tt)
	}
	if o.listedCodes != "" && opts.Mode != bundle.ModeListed {
		return opts, errors.New("--listed-codes needs --mode listed: gates in signed mode do not admit foreign barcodes")
	}
	if o.bundlePassphraseFile != "" && !o.seal {
		return opts, errors.New("--bundle-passphrase-file is only used with --seal")
	}
	opts.AllowReentry = o.allowReentry
	opts.IncludeRotationKey = o.seal
	return opts, nil
}

func (o *bundleExportOptions) run(cmd *cobra.Command) error {
	opts, err := o.exportOptions()
	if err != nil {
		return err
	}
	var bundlePass []byte
	if o.seal {
		if bundlePass, err = fileutil.ReadSecret(o.bundlePassphraseFile, envBundlePassphrase, "--bundle-passphrase-file"); err != nil {
			return fmt.Errorf("--seal: bundle %w", err)
		}
	}
	kf, keyPass, err := o.key.load()
	if err != nil {
		return err
	}
	// Gate staff learn the bundle passphrase; it must not open the key.
	if bundlePass != nil && subtle.ConstantTimeCompare(bundlePass, keyPass) == 1 {
		return errors.New("the bundle passphrase is the key file's passphrase: choose another, since gate staff will know it")
	}
	opts.Now = time.Now()
	if o.tickets != "" {
		if opts.Tickets, err = readTicketList(o.tickets, opts.Event, kf.Key.ID()); err != nil {
			return err
		}
	}
	if o.revoked != "" {
		if err := readWith(o.revoked, bundle.MaxSize, func(f *os.File) (err error) {
			opts.Revocations, err = issuer.ParseRevocations(f, opts.Now)
			return err
		}); err != nil {
			return err
		}
	}
	if o.listedCodes != "" {
		if err := readWith(o.listedCodes, bundle.MaxSize, func(f *os.File) (err error) {
			opts.Listed, err = issuer.ParseListedCodes(f)
			return err
		}); err != nil {
			return err
		}
	}
	p, err := issuer.BuildPayload(kf, opts)
	if errors.Is(err, issuer.ErrNeedsRotationKey) {
		return fmt.Errorf("%w: export with --seal, so the bundle carries it", err)
	}
	if err != nil {
		return err
	}
	kdf := ticketcrypto.DefaultKDF
	if o.kdfFast {
		kdf = fastKDF
	}
	var buf bytes.Buffer
	if err := bundle.Write(&buf, p, kf.Key, bundlePass, kdf); err != nil {
		return err
	}
	perm := os.FileMode(0o644)
	if o.seal {
		perm = 0o600
	}
	if err := fileutil.WriteAtomic(o.out, buf.Bytes(), perm); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}

	out := cmd.OutOrStdout()
	name := ""
	if p.EventName != "" {
		name = fmt.Sprintf(" (%q)", p.EventName)
	}
	gates := make([]string, len(p.Profiles))
	for i, g := range p.Profiles {
		gates[i] = g.GateID + ":" + string(g.Direction)
	}
	fmt.Fprintf(out, "wrote bundle %s for event %s%s\n", o.out, p.Event, name)
	fmt.Fprintf(out, "tickets: %d (%d foreign codes), revocations: %d\n", len(p.Tickets), len(opts.Listed), len(p.Revocations))
	fmt.Fprintf(out, "gates: %s, %s mode\n", strings.Join(gates, " "), opts.Mode)
	fmt.Fprintf(out, "signed by %s (%s): gates trust it with scannerd init --trust %s\n", kf.Key.Public(), kf.Key.ID(), kf.Key.Public())
	if o.seal {
		fmt.Fprintln(out, "sealed with the event's rotation key: scannerd import needs the bundle passphrase")
	}
	return nil
}

// readTicketList reads a ticket list from a directory of "tickets issue"
// or a tickets.jsonl file.
func readTicketList(path string, ev ticketcrypto.EventID, key ticketcrypto.KeyID) (issuer.TicketList, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, issuer.TicketListName)
	}
	var list issuer.TicketList
	// A list line is about four times a bundle's ticket entry.
	err := readWith(path, 4*bundle.MaxSize, func(f *os.File) (err error) {
		list, err = issuer.ReadTicketList(f, ev, key)
		return err
	})
	return list, err
}

// readWith opens a file of at most max bytes and parses it with parse;
// errors name the file.
func readWith(path string, max int64, parse func(*os.File) error) error {
	f, err := fileutil.OpenLimited(path, max)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := parse(f); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
