package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/issuer"
	"github.com/admitone/admitone/qr"
)

// pngPixelsPerModule makes a ticket code 392 pixels square (41 modules and
// the quiet zone): about 3.3 cm at 300 dpi, easy for a gate camera.
const pngPixelsPerModule = 8

func newTicketsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tickets",
		Short: "Issue signed tickets from the sealed issuer key file",
	}
	cmd.AddCommand(newTicketsIssueCmd())
	return cmd
}

type ticketsIssueOptions struct {
	key        keyFileOptions
	event      string
	newEvent   bool
	eventName  string
	typ        uint16
	count      int
	out        string
	validFrom  string
	validUntil string
	rotating   bool
	noPNG      bool
	listOnly   bool
}

func newTicketsIssueCmd() *cobra.Command {
	o := &ticketsIssueOptions{}
	cmd := &cobra.Command{
		Use:   "issue --key FILE (--event ev_... | --new-event) --type N --count N --out DIR",
		Short: "Sign tickets and write their QR codes, tokens and ticket list",
		Long: `Sign --count tickets of one type for an event, each with a random ticket
id, and write into DIR for every ticket <id>.png (its QR code) and <id>.txt
(its token text), and one line per ticket to DIR/tickets.jsonl, which
"syncserver bundle export" reads. The first time tickets are issued for an
event, the event and a new rotation key are stored in the key file.

Tickets with --rotating need the holder's app to add a current code, so no
PNG is written for them: a printed code would be refused at the gate.
Writing PNG files takes most of the time; --no-png skips them, and
--list-only writes no per-ticket files at all (every token is in
tickets.jsonl), for runs of a hundred thousand tickets and more.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	o.key.addFlags(cmd, "key")
	f := cmd.Flags()
	f.StringVar(&o.event, "event", "", "event id, ev_ and 16 hex digits")
	f.BoolVar(&o.newEvent, "new-event", false, "make a new random event id (printed)")
	f.StringVar(&o.eventName, "event-name", "", "event name, stored in the key file and shown at gates")
	f.Uint16Var(&o.typ, "type", 0, "ticket type number within the event, 0 to 65535")
	f.IntVar(&o.count, "count", 0, fmt.Sprintf("number of tickets, 1 to %d", issuer.MaxCount))
	f.StringVar(&o.out, "out", "", "output directory (made if missing)")
	f.StringVar(&o.validFrom, "valid-from", "", "tickets admit from this time, RFC 3339 (rounded down to the minute)")
	f.StringVar(&o.validUntil, "valid-until", "", "tickets admit until this time, RFC 3339 (rounded up to the minute)")
	f.BoolVar(&o.rotating, "rotating", false, "tickets require a rotating code (TOTP) shown by the holder's app")
	f.BoolVar(&o.noPNG, "no-png", false, "write no QR images, only tokens and the ticket list")
	f.BoolVar(&o.listOnly, "list-only", false, "write only the ticket list, no per-ticket files")
	cmd.MarkFlagRequired("type")
	cmd.MarkFlagRequired("count")
	cmd.MarkFlagRequired("out")
	cmd.MarkFlagsMutuallyExclusive("event", "new-event")
	cmd.MarkFlagsOneRequired("event", "new-event")
	return cmd
}

func (o *ticketsIssueOptions) issueOptions() (issuer.IssueOptions, error) {
	opts := issuer.IssueOptions{Rotating: o.rotating}
	var err error
	if o.validFrom != "" {
		if opts.ValidFrom, err = time.Parse(time.RFC3339, o.validFrom); err != nil {
			return opts, fmt.Errorf("--valid-from %q: want an RFC 3339 time such as 2026-06-01T18:00:00Z", o.validFrom)
		}
	}
	if o.validUntil != "" {
		if opts.ValidUntil, err = time.Parse(time.RFC3339, o.validUntil); err != nil {
			return opts, fmt.Errorf("--valid-until %q: want an RFC 3339 time such as 2026-06-01T23:59:00Z", o.validUntil)
		}
	}
	return opts, nil
}

func (o *ticketsIssueOptions) run(cmd *cobra.Command) error {
	start := time.Now()
	if o.count < 1 || o.count > issuer.MaxCount {
		return fmt.Errorf("--count %d: want 1 to %d", o.count, issuer.MaxCount)
	}
	opts, err := o.issueOptions()
	if err != nil {
		return err
	}
	if err := issuer.ValidateEventName(o.eventName); err != nil {
		return fmt.Errorf("--event-name: %w", err)
	}
	var ev ticketcrypto.EventID
	if o.newEvent {
		ev = ticketcrypto.NewEventID()
	} else if ev, err = ticketcrypto.ParseEventID(o.event); err != nil {
		return fmt.Errorf("--event: %w", err)
	}
	kf, pass, err := o.key.load()
	if err != nil {
		return err
	}
	listPath := filepath.Join(o.out, issuer.TicketListName)
	if err := checkTicketList(listPath, ev); err != nil {
		return err
	}
	// Sign before anything is written: a bad validity window is refused
	// with the key file and DIR as they were.
	tokens, err := issuer.Issue(kf.Key, ev, o.typ, o.count, opts)
	if err != nil {
		return err
	}
	if err := cmd.Context().Err(); err != nil {
		return fmt.Errorf("interrupted before any ticket was written: %w", err)
	}
	if err := os.MkdirAll(o.out, 0o700); err != nil {
		return err
	}
	// The event and its rotation key are stored before any ticket leaves,
	// so a rotating ticket never exists without the key to check it.
	out := cmd.OutOrStdout()
	event, known := kf.Event(ev)
	switch {
	case !known:
		if event, err = kf.AddEvent(ev, o.eventName, time.Now()); err != nil {
			return err
		}
		if err := kf.Save(o.key.path, pass); err != nil {
			return err
		}
		if o.newEvent {
			fmt.Fprintf(out, "new event %s\n", ev)
		} else {
			fmt.Fprintf(out, "added event %s to key file %s\n", ev, o.key.path)
		}
	case o.eventName != "" && o.eventName != event.Name:
		if err := kf.SetEventName(ev, o.eventName); err != nil {
			return err
		}
		if err := kf.Save(o.key.path, pass); err != nil {
			return err
		}
		event.Name = o.eventName
	}
	if err := appendTicketList(listPath, tokens); err != nil {
		return err
	}
	writePNG := !o.noPNG && !o.rotating && !o.listOnly
	if !o.listOnly {
		if err := writeTicketFiles(cmd.Context(), o.out, tokens, writePNG); err != nil {
			return fmt.Errorf("%w (all %d tickets are in %s)", err, len(tokens), listPath)
		}
	}

	name := ""
	if event.Name != "" {
		name = fmt.Sprintf(" (%q)", event.Name)
	}
	fmt.Fprintf(out, "issued %d tickets of type %d for event %s%s, signed by %s\n", len(tokens), o.typ, ev, name, kf.Key.ID())
	if t := tokens[0]; !t.ValidFrom.IsZero() || !t.ValidUntil.IsZero() {
		fmt.Fprintf(out, "valid from %s until %s\n", timeOrNone(t.ValidFrom), timeOrNone(t.ValidUntil))
	}
	if o.rotating {
		fmt.Fprintln(out, "rotating codes required: deliver the .txt tokens to the holders' app; no PNG written, a static code would be refused")
	}
	files := "a .txt file per ticket to " + o.out + " and "
	switch {
	case o.listOnly:
		files = ""
	case writePNG:
		files = "a .png and a .txt file per ticket to " + o.out + " and "
	}
	fmt.Fprintf(out, "wrote %s%d lines to %s in %s\n", files, len(tokens), listPath, time.Since(start).Round(time.Millisecond))
	return nil
}

func timeOrNone(t time.Time) string {
	if t.IsZero() {
		return "(unbounded)"
	}
	return t.UTC().Format(time.RFC3339)
}

// checkTicketList refuses to append to a ticket list that belongs to
// another event or whose last line is incomplete (an interrupted run).
func checkTicketList(path string, ev ticketcrypto.EventID) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if st.Size() == 0 {
		return nil
	}
	last := make([]byte, 1)
	if _, err := f.ReadAt(last, st.Size()-1); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if last[0] != '\n' {
		return fmt.Errorf("%s: the last line is incomplete (an interrupted run?): repair it or use another --out directory", path)
	}
	line, err := bufio.NewReaderSize(f, 4096).ReadSlice('\n')
	if err != nil {
		return fmt.Errorf("%s: first line: %w", path, err)
	}
	var first ticketcrypto.EventID
	var tl issuer.TicketLine
	if json.Unmarshal(line, &tl) == nil {
		if sc, err := ticketcrypto.ParseText(tl.Token); err == nil {
			first = sc.Event
		}
	}
	if first.IsZero() {
		return fmt.Errorf("%s: the first line is not a ticket line: is this a ticket directory?", path)
	}
	if first != ev {
		return fmt.Errorf("%s holds tickets for event %s, not %s: keep each event's tickets in its own --out directory", path, first, ev)
	}
	return nil
}

// appendTicketList appends the tokens to the ticket list and syncs it. On
// failure it cuts the file back to its old length, so a half-written line
// never follows.
func appendTicketList(path string, tokens []ticketcrypto.SignedToken) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	err = issuer.AppendTicketList(f, tokens)
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		f.Truncate(st.Size())
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// writeTicketFiles writes <id>.txt and, with png, <id>.png for every token,
// on all CPUs. It stops early when ctx is cancelled.
func writeTicketFiles(ctx context.Context, dir string, tokens []ticketcrypto.SignedToken, png bool) error {
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
	}
	failed := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return firstErr != nil
	}
	for range min(runtime.GOMAXPROCS(0), len(tokens)) {
		wg.Go(func() {
			var buf bytes.Buffer
			for {
				i := int(next.Add(1)) - 1
				if i >= len(tokens) || failed() {
					return
				}
				if err := ctx.Err(); err != nil {
					fail(err)
					return
				}
				st := tokens[i]
				base := filepath.Join(dir, st.Ticket.String())
				text := st.Text()
				if err := writeNewFile(base+".txt", []byte(text+"\n")); err != nil {
					fail(err)
					return
				}
				if !png {
					continue
				}
				buf.Reset()
				if err := qr.PNG(text, pngPixelsPerModule, &buf); err != nil {
					fail(fmt.Errorf("ticket %s: %w", st.Ticket, err))
					return
				}
				if err := writeNewFile(base+".png", buf.Bytes()); err != nil {
					fail(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return firstErr
}

// writeNewFile writes a file that must not exist yet.
func writeNewFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
