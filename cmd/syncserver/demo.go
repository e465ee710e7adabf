package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	gosync "sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/admitone/admitone/internal/cliconf"
	"github.com/admitone/admitone/payment"
	"github.com/admitone/admitone/scanner"
	"github.com/admitone/admitone/scanner/source"
	ticketsync "github.com/admitone/admitone/sync"
)

// demoOptions are syncserver demo's own flags.
type demoOptions struct {
	listen  string
	dataDir string
}

func newDemoCmd() *cobra.Command {
	o := &demoOptions{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole system on this machine: a server, a sale, two gates and their sync, then keep it up to look around",
		Long: `Demo starts a server on the embedded database in a temporary data
directory, then through the server's real HTTP API: an organizer signs up
and creates a venue, an event with two ticket types and two gates; a buyer
buys tickets with the built-in test payment provider; the tickets' QR
codes are written as PNG files. The two gates enrol with their one-time
codes and run in this process with the same code scannerd runs (their own
gate stores, the verdict engine, the sync client over a websocket). A few
tickets are scanned from their PNG files through the real decoder: one at
the north door, then the same one at the south door, which refuses it as
already used once the north door's check-in has reached it through the
server. Demo then prints what happened, the URLs and the logins, and
keeps everything running until Ctrl-C.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cliconf.ApplyEnv(cmd.Flags()); err != nil {
				return err
			}
			return runDemo(cmd.Context(), o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.listen, "listen", "127.0.0.1:8080", "HTTP address of the demo server")
	f.StringVar(&o.dataDir, "data-dir", "", "keep everything in this directory; empty uses a temporary one, removed at the end")
	return cmd
}

// demoConfig is the server configuration of a demo: serve's defaults
// (as its flags give them), the embedded database in dir, the test
// payment provider and no metrics listener.
func demoConfig(dir, listen string) serverConfig {
	var cfg serverConfig
	cfg.addFlags(pflag.NewFlagSet("demo", pflag.ContinueOnError))
	cfg.DataDir, cfg.Listen, cfg.MetricsListen = filepath.Join(dir, "server"), listen, "off"
	cfg.Payments.Provider = "test"
	cfg.LogLevel = "warn"
	return cfg
}

func runDemo(ctx context.Context, o *demoOptions, out, logOut io.Writer) error {
	dir := o.dataDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "admitone-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	cfg := demoConfig(dir, o.listen)
	log, err := cfg.logger(logOut)
	if err != nil {
		return err
	}
	a, err := openApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- a.Run(ctx) }()
	select {
	case <-a.started:
	case err := <-served:
		return err
	}
	base := "http://" + a.Addr.String()
	fmt.Fprintf(out, "AdmitOne demo: server at %s (embedded database in %s)\n\n", base, cfg.DataDir)

	var gates gosync.WaitGroup
	err = demoScenario(ctx, base, dir, out, &gates)
	if err != nil {
		stop()
		gates.Wait()
		<-served
		return fmt.Errorf("demo: %w", err)
	}
	fmt.Fprintf(out, "\nEverything keeps running; press Ctrl-C to stop.\n")
	<-ctx.Done()
	gates.Wait()
	if err := <-served; err != nil {
		return err
	}
	fmt.Fprintln(out, "demo stopped")
	return nil
}

// demoClient calls the API as one signed-in user (or none).
type demoClient struct {
	base, token string
}

func (c *demoClient) call(ctx context.Context, method, path string, body, into any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if method == http.MethodPost {
		req.Header.Set("Idempotency-Key", newDemoKey())
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 16<<20))
	if err != nil {
		return err
	}
	if res.StatusCode >= 300 {
		return fmt.Errorf("%s %s: HTTP %d: %s", method, path, res.StatusCode, raw)
	}
	if into == nil {
		return nil
	}
	if b, ok := into.(*[]byte); ok {
		*b = raw
		return nil
	}
	return json.Unmarshal(raw, into)
}

func newDemoKey() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// signUp makes an account and signs it in.
func signUp(ctx context.Context, base, email, password, name string) (*demoClient, error) {
	c := &demoClient{base: base}
	if err := c.call(ctx, "POST", "/v1/auth/signup", map[string]string{"email": email, "password": password, "name": name}, nil); err != nil {
		return nil, err
	}
	var login struct{ Token string }
	if err := c.call(ctx, "POST", "/v1/auth/login", map[string]string{"email": email, "password": password}, &login); err != nil {
		return nil, err
	}
	c.token = login.Token
	return c, nil
}

// demoGate is a gate running in this process as scannerd runs one.
type demoGate struct {
	name   string
	store  *scanner.Store
	engine *scanner.Engine
	sync   *ticketsync.Client
}

// startGate creates a gate as the organizer, enrols it with its code
// and runs its sync client until ctx ends.
func startGate(ctx context.Context, org *demoClient, eventID, name, dir string, gates *gosync.WaitGroup) (*demoGate, string, error) {
	var created struct {
		Gate struct{ ID string }
		Code string `json:"enrolment_code"`
	}
	if err := org.call(ctx, "POST", "/v1/events/"+eventID+"/gates", map[string]any{"name": name, "direction": "entry"}, &created); err != nil {
		return nil, "", err
	}
	enr, err := ticketsync.FetchEnrollment(ctx, http.DefaultClient, org.base, created.Code)
	if err != nil {
		return nil, "", err
	}
	s, err := scanner.OpenStore(dir, scanner.StoreOptions{Lanes: 1})
	if err != nil {
		return nil, "", err
	}
	if _, err := s.Enroll(enr, org.base, created.Code, time.Now()); err != nil {
		s.Close()
		return nil, "", err
	}
	sc, _, err := s.SyncConfig()
	if err != nil {
		s.Close()
		return nil, "", err
	}
	g := &demoGate{name: name, store: s}
	g.sync = &ticketsync.Client{Server: sc.Server, Credential: sc.Credential, Store: s}
	g.engine = &scanner.Engine{Store: s, Online: g.sync.Connected, Recorded: g.sync.Kick}
	gates.Go(func() {
		defer s.Close()
		g.sync.Run(ctx)
	})
	return g, created.Code, nil
}

// scan decodes a ticket's PNG with the gate's decoder and checks it.
func (g *demoGate) scan(path string) (scanner.Result, error) {
	f, err := os.ReadFile(path)
	if err != nil {
		return scanner.Result{}, err
	}
	img, err := png.Decode(bytes.NewReader(f))
	if err != nil {
		return scanner.Result{}, err
	}
	text, ok := scanner.NewQRDecoder(scanner.QRDecoderOptions{Still: true}).DecodeText(source.LumaOf(img))
	if !ok {
		return scanner.Result{}, fmt.Errorf("no code found in %s", path)
	}
	return g.engine.Check(text, scanner.CheckOptions{Source: filepath.Base(path)})
}

// demoScenario sets the event up, sells, enrols the gates and scans.
func demoScenario(ctx context.Context, base, dir string, out io.Writer, gates *gosync.WaitGroup) error {
	const orgEmail, buyerEmail = "organizer@demo.admitone.test", "buyer@demo.admitone.test"
	password := "demo-" + newDemoKey()[:12]
	org, err := signUp(ctx, base, orgEmail, password, "Olga Organizer")
	if err != nil {
		return err
	}
	var o, venue, event struct{ ID string }
	if err := org.call(ctx, "POST", "/v1/orgs", map[string]any{"name": "Demo Hall Concerts"}, &o); err != nil {
		return err
	}
	if err := org.call(ctx, "POST", "/v1/orgs/"+o.ID+"/venues", map[string]any{"name": "Demo Hall", "city": "Berlin",
		"country": "DE", "address": "Musterstrasse 1", "lat": 52.52, "lon": 13.405}, &venue); err != nil {
		return err
	}
	starts := time.Now().Add(2 * time.Hour).Truncate(time.Hour).UTC()
	if err := org.call(ctx, "POST", "/v1/orgs/"+o.ID+"/events", map[string]any{"venue_id": venue.ID, "title": "AdmitOne Demo Night",
		"description": "The demo's event: two ticket types, two doors.", "category": "music", "time_zone": "Europe/Berlin",
		"starts_at": starts, "ends_at": starts.Add(3 * time.Hour), "doors_at": starts.Add(-time.Hour)}, &event); err != nil {
		return err
	}
	type typeReq struct {
		name  string
		price int64
		cap   int
	}
	var typeIDs []string
	for _, tr := range []typeReq{{"General admission", 2500, 500}, {"VIP", 6000, 50}} {
		var tt struct{ ID string }
		if err := org.call(ctx, "POST", "/v1/events/"+event.ID+"/ticket-types", map[string]any{"name": tr.name, "kind": "admission",
			"price": map[string]any{"amount": tr.price, "currency": "EUR"}, "capacity": tr.cap, "per_order_max": 6}, &tt); err != nil {
			return err
		}
		typeIDs = append(typeIDs, tt.ID)
	}
	if err := org.call(ctx, "POST", "/v1/events/"+event.ID+"/publish", nil, nil); err != nil {
		return err
	}
	fmt.Fprintf(out, "organizer %s created event %s (%s) with General admission (25.00 EUR) and VIP (60.00 EUR), and published it\n",
		orgEmail, event.ID, "AdmitOne Demo Night")

	// The buyer buys through the real purchase path: hold, order, pay.
	buyer, err := signUp(ctx, base, buyerEmail, password, "Ben Buyer")
	if err != nil {
		return err
	}
	var hold, order struct{ ID string }
	if err := buyer.call(ctx, "POST", "/v1/holds", map[string]any{"event_id": event.ID, "lines": []map[string]any{
		{"ticket_type_id": typeIDs[0], "quantity": 3}, {"ticket_type_id": typeIDs[1], "quantity": 1}}}, &hold); err != nil {
		return err
	}
	if err := buyer.call(ctx, "POST", "/v1/orders", map[string]any{"hold_id": hold.ID}, &order); err != nil {
		return err
	}
	if err := buyer.call(ctx, "POST", "/v1/orders/"+order.ID+"/pay", map[string]any{"test_card": payment.TestCardSucceeds}, nil); err != nil {
		return err
	}
	var list struct {
		Tickets []struct {
			ID         string
			TicketType struct{ Name string } `json:"ticket_type"`
		}
	}
	if err := buyer.call(ctx, "GET", "/v1/tickets", nil, &list); err != nil {
		return err
	}
	picDir := filepath.Join(dir, "tickets")
	if err := os.MkdirAll(picDir, 0o700); err != nil {
		return err
	}
	var pics []string
	for i, t := range list.Tickets {
		var pic []byte
		if err := buyer.call(ctx, "GET", "/v1/tickets/"+t.ID+"/qr.png", nil, &pic); err != nil {
			return err
		}
		path := filepath.Join(picDir, fmt.Sprintf("ticket-%d.png", i+1))
		if err := os.WriteFile(path, pic, 0o600); err != nil {
			return err
		}
		pics = append(pics, path)
	}
	fmt.Fprintf(out, "buyer %s paid order %s with the test card: %d tickets, QR codes in %s\n", buyerEmail, order.ID, len(pics), picDir)
	if len(pics) < 3 {
		return fmt.Errorf("the order has %d tickets, want 4", len(pics))
	}

	north, _, err := startGate(ctx, org, event.ID, "North door", filepath.Join(dir, "gate-north"), gates)
	if err != nil {
		return err
	}
	south, _, err := startGate(ctx, org, event.ID, "South door", filepath.Join(dir, "gate-south"), gates)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "two gates enrolled with their one-time codes and running in this process: North door, South door\n\n")
	for _, g := range []*demoGate{north, south} {
		if err := waitFor(ctx, 10*time.Second, g.sync.Connected); err != nil {
			return fmt.Errorf("gate %s did not connect: %w", g.name, err)
		}
	}

	report := func(g *demoGate, path, note string) error {
		res, err := g.scan(path)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%-11s %-13s %-13s %s", g.name, filepath.Base(path), res.Verdict, note)
		if res.Verdict != scanner.Accepted {
			fmt.Fprintf(out, ": %s", res.Reason)
		}
		fmt.Fprintln(out)
		return nil
	}
	// synced waits until g's store holds n check-ins (its own and those
	// the server relayed from the other gate) and says how long it took.
	synced := func(g *demoGate, n int) (time.Duration, error) {
		start := time.Now()
		err := waitFor(ctx, 10*time.Second, func() bool {
			st, err := g.store.Status()
			return err == nil && st.Checkins >= n
		})
		if err != nil {
			return 0, fmt.Errorf("gate %s did not get the other gate's check-ins: %w", g.name, err)
		}
		return time.Since(start), nil
	}
	fmt.Fprintf(out, "%-11s %-13s %-13s %s\n", "gate", "picture", "verdict", "")
	if err := report(north, pics[0], "first use"); err != nil {
		return err
	}
	// A second attendee with a copy of ticket 1 comes to the south door
	// once the north door's check-in has reached it through the server.
	took, err := synced(south, 1)
	if err != nil {
		return err
	}
	if err := report(south, pics[0], fmt.Sprintf("the same ticket at the other door (the server relayed the first use to it in %v)", took.Round(time.Millisecond))); err != nil {
		return err
	}
	if err := report(south, pics[1], "another ticket"); err != nil {
		return err
	}
	if err := report(north, pics[2], "another ticket"); err != nil {
		return err
	}
	if _, err := synced(north, 3); err != nil {
		return err
	}
	if err := report(north, pics[1], "the ticket used at the south door a moment ago"); err != nil {
		return err
	}

	fmt.Fprintf(out, `
Look around (logins: %s and %s, password %s):
  the organizer's desk:         %s/desk/events/%s (sign in as the organizer)
  API documentation (OpenAPI):  %s/v1/openapi.json
  the event:                    %s/v1/events/%s
  check-ins (organizer token):  %s/v1/events/%s/checkins
  the attendee app:             %s/app/
  sign in with curl:            curl -s %s/v1/auth/login -d '{"email":"%s","password":"%s"}'
  ticket pictures:              %s
`, orgEmail, buyerEmail, password, base, event.ID, base, base, event.ID, base, event.ID, base, base, orgEmail, password, picDir)
	return nil
}

// waitFor polls cond until it holds, ctx ends or within passes.
func waitFor(ctx context.Context, within time.Duration, cond func() bool) error {
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			return errors.New("timed out")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}
