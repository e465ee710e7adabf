package httpapi

import (
	"bytes"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"image/png"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/admitone/admitone/catalog"
	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/purchase"
	"github.com/admitone/admitone/qr"
	"github.com/admitone/admitone/wallet"
	"github.com/admitone/admitone/wallet/wallettest"
)

// --- fixtures: a ticket signer, wallets, paid orders

// testWallets are the wallet credentials of a test: a pass certificate
// chain like Apple's (root, "WWDR" intermediate, Pass Type ID
// certificate) and a Google service account key.
type testWallets struct {
	pass    *wallet.PassSigner
	rootPEM []byte
	google  *wallet.GoogleIssuer
}

func newTestWallets(t *testing.T) *testWallets {
	t.Helper()
	pki := wallettest.NewPKI(t, false)
	return &testWallets{
		pass: &wallet.PassSigner{PassTypeID: "pass.com.example.tickets", TeamID: "ABCDE12345",
			OrganizationName: "AdmitOne Test", Cert: pki.Leaf, Key: pki.LeafKey, WWDR: pki.WWDR},
		rootPEM: pki.RootPEM,
		google: &wallet.GoogleIssuer{IssuerID: "3388000000012345678", ServiceAccountEmail: "wallet@admitone-test.iam.gserviceaccount.com",
			KeyID: "0123456789abcdef", Key: wallettest.RSAKey(t)},
	}
}

// enableTickets makes h deliver tickets to both wallets. Call it before
// the first request that needs them.
func (h *harness) enableTickets(t *testing.T) *testWallets {
	t.Helper()
	w := newTestWallets(t)
	h.api.PassSigner, h.api.GoogleWallet = w.pass, w.google
	return w
}

// buyTickets has u buy lines of an event and pays the order through
// purchase.Service.MarkPaid, which signs and stores the tickets. It
// returns the order's tickets in issue order.
func (h *harness) buyTickets(t *testing.T, u *user, eventID string, lines ...purchase.Line) (purchase.Order, []purchase.Ticket) {
	t.Helper()
	ctx := t.Context()
	hold, err := h.purchase.CreateHold(ctx, u.ID, eventID, lines)
	if err != nil {
		t.Fatalf("CreateHold: %v", err)
	}
	o, err := h.purchase.Checkout(ctx, hold.ID, u.ID)
	if err != nil {
		t.Fatalf("Checkout: %v", err)
	}
	if o, err = h.purchase.MarkPaid(ctx, o.ID, "pi_"+o.ID); err != nil {
		t.Fatalf("MarkPaid: %v", err)
	}
	tickets, err := h.purchase.OrderTickets(ctx, o.ID, u.ID)
	if err != nil {
		t.Fatalf("OrderTickets: %v", err)
	}
	want := 0
	for _, l := range lines {
		want += l.Quantity
	}
	if len(tickets) != want {
		t.Fatalf("order %s of %d admissions has %d tickets", o.ID, want, len(tickets))
	}
	return o, tickets
}

// ticketWorld is a published event with a static and a rotating ticket
// type, and two buyers with paid tickets.
type ticketWorld struct {
	h             *harness
	w             *testWallets
	organizer     *user
	org           catalog.Organization
	venue         catalog.Venue
	event         catalog.Event
	ev            ticketcrypto.EventID // event.ID as tokens carry it
	standing, pit catalog.TicketType   // pit requires rotating codes
	alice, bob    *user
	aliceOrder    purchase.Order
	aliceTickets  []purchase.Ticket // 2 standing and 1 pit
	bobTickets    []purchase.Ticket // 1 standing
	// standingA and pitA are alice's first standing and her pit ticket.
	standingA, pitA purchase.Ticket
	bobStanding     purchase.Ticket
}

func newTicketWorld(t *testing.T, backend string) *ticketWorld {
	t.Helper()
	h := newHarness(t, backend)
	tw := &ticketWorld{h: h, w: h.enableTickets(t)}
	tw.organizer = h.newUser(t, "organizer")
	tw.org = h.createOrg(t, tw.organizer, "Nachtmusik GmbH", false)
	tw.venue = h.createVenue(t, tw.organizer, tw.org.ID, venueBody("Tempodrom", "Berlin", "DE", 52.5009, 13.3817))
	tw.event = h.createEvent(t, tw.organizer, tw.org.ID, eventBody(tw.venue.ID, "Nachtmusik im Park", "music", h.clock.Now().Add(30*24*time.Hour)))
	tw.standing = h.createTicketType(t, tw.organizer, tw.event.ID, ticketTypeBody("Standing", 2500, "EUR"))
	pit := ticketTypeBody("Pit", 6000, "EUR")
	pit["rotating_code"] = true
	tw.pit = h.createTicketType(t, tw.organizer, tw.event.ID, pit)
	if !tw.pit.RotatingCode {
		t.Fatal("the pit ticket type was created without rotating_code")
	}
	tw.event = h.publish(t, tw.organizer, tw.event.ID)
	var err error
	if tw.ev, err = ticketcrypto.ParseEventID(tw.event.ID); err != nil {
		t.Fatal(err)
	}

	tw.alice, tw.bob = h.newUser(t, "alice"), h.newUser(t, "bob")
	tw.aliceOrder, tw.aliceTickets = h.buyTickets(t, tw.alice, tw.event.ID,
		purchase.Line{TicketTypeID: tw.standing.ID, Quantity: 2}, purchase.Line{TicketTypeID: tw.pit.ID, Quantity: 1})
	_, tw.bobTickets = h.buyTickets(t, tw.bob, tw.event.ID, purchase.Line{TicketTypeID: tw.standing.ID, Quantity: 1})
	for _, tk := range tw.aliceTickets {
		switch {
		case tk.TicketTypeID == tw.pit.ID:
			tw.pitA = tk
		case tw.standingA.ID == "":
			tw.standingA = tk
		}
	}
	tw.bobStanding = tw.bobTickets[0]
	if tw.standingA.ID == "" || tw.pitA.ID == "" || tw.standingA.Rotating || !tw.pitA.Rotating {
		t.Fatalf("alice's tickets are not 2 static standing and 1 rotating pit: %+v", tw.aliceTickets)
	}
	return tw
}

// ticketWire is a ticket as the API sends it.
type ticketWire struct {
	ID    string `json:"id"`
	Event struct {
		ID        string    `json:"id"`
		Title     string    `json:"title"`
		StartsAt  time.Time `json:"starts_at"`
		VenueName string    `json:"venue_name"`
	} `json:"event"`
	TicketType struct {
		ID     string `json:"id"`
		Name   string `json:"name"`
		Number uint16 `json:"number"`
	} `json:"ticket_type"`
	Seat         json.RawMessage `json:"seat"`
	HolderID     string          `json:"holder_id"`
	OrderID      string          `json:"order_id"`
	Status       string          `json:"status"`
	Rotating     bool            `json:"rotating"`
	IssuedAt     time.Time       `json:"issued_at"`
	RevokedAt    *time.Time      `json:"revoked_at"`
	RevokeReason string          `json:"revoke_reason"`
	Token        *string         `json:"token"`
	HolderName   string          `json:"holder_name"`
	Wallets      *struct {
		Apple  bool `json:"apple"`
		Google bool `json:"google"`
	} `json:"wallets"`
}

// noStore fails unless a response that carries a token forbids caching.
func noStore(t *testing.T, r response) {
	t.Helper()
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store: the answer carries a bearer credential", cc)
	}
}

// --- tests

func TestTickets(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		tw := newTicketWorld(t, backend)
		h := tw.h

		t.Run("list has the caller's tickets only, oldest first", func(t *testing.T) {
			for _, c := range []struct {
				who  *user
				want []purchase.Ticket
			}{{tw.alice, tw.aliceTickets}, {tw.bob, tw.bobTickets}} {
				res := h.do(t, "GET", "/v1/tickets", c.who.Token, nil)
				noStore(t, res)
				list := decodeAs[struct {
					Tickets []ticketWire `json:"tickets"`
				}](t, res, http.StatusOK)
				var got, want []string
				for _, tk := range list.Tickets {
					got = append(got, tk.ID)
					if tk.HolderID != c.who.ID {
						t.Errorf("%s's list has ticket %s of holder %s", c.who.Email, tk.ID, tk.HolderID)
					}
				}
				for _, tk := range c.want {
					want = append(want, tk.ID)
				}
				if !slices.Equal(got, want) {
					t.Errorf("%s's list = %v, want %v", c.who.Email, got, want)
				}
			}
			// Someone without tickets gets an empty array, not null.
			res := h.do(t, "GET", "/v1/tickets", h.newUser(t, "nobody").Token, nil).want(t, http.StatusOK)
			if got := strings.TrimSpace(string(res.body)); got != `{"tickets":[]}` {
				t.Errorf("empty list = %s, want {\"tickets\":[]}", got)
			}
		})

		t.Run("one ticket", func(t *testing.T) {
			for _, want := range []purchase.Ticket{tw.standingA, tw.pitA} {
				res := h.do(t, "GET", "/v1/tickets/"+want.ID, tw.alice.Token, nil)
				noStore(t, res)
				got := decodeAs[ticketWire](t, res, http.StatusOK)
				tt := tw.standing
				if want.Rotating {
					tt = tw.pit
				}
				if got.ID != want.ID || got.HolderID != tw.alice.ID || got.OrderID != tw.aliceOrder.ID || got.Status != "valid" ||
					got.Rotating != want.Rotating || !got.IssuedAt.Equal(want.IssuedAt) {
					t.Errorf("ticket = %+v, want id %s of %s, order %s, valid, rotating %v, issued %v",
						got, want.ID, tw.alice.ID, tw.aliceOrder.ID, want.Rotating, want.IssuedAt)
				}
				if got.Event.ID != tw.event.ID || got.Event.Title != tw.event.Title || !got.Event.StartsAt.Equal(tw.event.StartsAt) ||
					got.Event.VenueName != tw.venue.Name {
					t.Errorf("event = %+v, want %s %q at %v in %q", got.Event, tw.event.ID, tw.event.Title, tw.event.StartsAt, tw.venue.Name)
				}
				if got.TicketType.ID != tt.ID || got.TicketType.Name != tt.Name || got.TicketType.Number != tt.Number {
					t.Errorf("ticket type = %+v, want %s %q number %d", got.TicketType, tt.ID, tt.Name, tt.Number)
				}
				if string(got.Seat) != "null" {
					t.Errorf("seat = %s, want null (general admission)", got.Seat)
				}
				if got.Token == nil || *got.Token != want.Token || !strings.HasPrefix(*got.Token, ticketcrypto.TokenPrefix) {
					t.Errorf("token = %v, want the stored token %s", got.Token, want.Token)
				}
				if got.RevokedAt != nil || got.RevokeReason != "" {
					t.Errorf("a valid ticket shows revoked_at %v, reason %q", got.RevokedAt, got.RevokeReason)
				}
			}
		})

		t.Run("tokens are signed by the server's issuer key", func(t *testing.T) {
			keys, err := h.vault.Keys(t.Context())
			if err != nil || len(keys) != 1 {
				t.Fatalf("vault keys = %v, %v; want one", keys, err)
			}
			for _, tk := range append(slices.Clone(tw.aliceTickets), tw.bobTickets...) {
				sc, err := ticketcrypto.ParseText(tk.Token)
				if err != nil {
					t.Fatalf("ticket %s: %v", tk.ID, err)
				}
				if err := sc.Verify(keys[0].PublicKey); err != nil {
					t.Errorf("ticket %s: %v", tk.ID, err)
				}
				if sc.Ticket.String() != tk.ID || sc.Event != tw.ev || sc.Rotating() != tk.Rotating {
					t.Errorf("ticket %s: token names ticket %s of %s, rotating %v", tk.ID, sc.Ticket, sc.Event, sc.Rotating())
				}
			}
		})

		t.Run("another holder's ticket is not found", func(t *testing.T) {
			for _, sub := range []string{"", "/qr.png", "/pass.pkpass", "/google-wallet"} {
				for _, id := range []string{tw.bobStanding.ID, "tk_000000000000000000000000", "nonsense"} {
					path := "/v1/tickets/" + id + sub
					res := h.do(t, "GET", path, tw.alice.Token, nil)
					if res.status != http.StatusNotFound {
						t.Errorf("GET %s as alice: status %d, want 404; body %s", path, res.status, res.short())
						continue
					}
					if e := res.apiErr(t); e.Code != "not_found" {
						t.Errorf("GET %s: code %q, want not_found", path, e.Code)
					}
					if strings.Contains(string(res.body), tw.bobStanding.Token) {
						t.Errorf("GET %s as alice leaks bob's token", path)
					}
				}
				res := h.do(t, "GET", "/v1/tickets/"+tw.standingA.ID+sub, "", nil)
				if res.status != http.StatusUnauthorized {
					t.Errorf("GET %s without a token: status %d, want 401", "/v1/tickets/"+tw.standingA.ID+sub, res.status)
				}
			}
		})

		t.Run("qr.png is the token", func(t *testing.T) {
			res := h.do(t, "GET", "/v1/tickets/"+tw.standingA.ID+"/qr.png", tw.alice.Token, nil).want(t, http.StatusOK)
			noStore(t, res)
			if got := decodeQR(t, res); got != tw.standingA.Token {
				t.Errorf("QR text = %q, want the token %q", got, tw.standingA.Token)
			}
		})

		t.Run("qr.png of a rotating ticket carries the current code", func(t *testing.T) {
			key, err := h.purchase.RotationKey(t.Context(), tw.event.ID)
			if err != nil {
				t.Fatal(err)
			}
			tid, err := ticketcrypto.ParseTicketID(tw.pitA.ID)
			if err != nil {
				t.Fatal(err)
			}
			res := h.do(t, "GET", "/v1/tickets/"+tw.pitA.ID+"/qr.png", tw.alice.Token, nil).want(t, http.StatusOK)
			noStore(t, res)
			got := decodeQR(t, res)
			want := tw.pitA.Token + key.Code(tw.ev, tid, h.clock.Now())
			if got != want {
				t.Fatalf("QR text = %q, want token and current code %q", got, want)
			}
			sc, err := ticketcrypto.ParseText(got)
			if err != nil {
				t.Fatal(err)
			}
			if err := key.VerifyCode(sc.Event, sc.Ticket, sc.Code, h.clock.Now()); err != nil {
				t.Errorf("a gate refuses the code: %v", err)
			}
			if err := key.VerifyCode(sc.Event, sc.Ticket, sc.Code, h.clock.Now().Add(5*ticketcrypto.RotatingStep)); err == nil {
				t.Error("the code still admits five steps later: it does not rotate")
			}
		})

		t.Run("pkpass verifies", func(t *testing.T) {
			res := h.do(t, "GET", "/v1/tickets/"+tw.standingA.ID+"/pass.pkpass", tw.alice.Token, nil).want(t, http.StatusOK)
			noStore(t, res)
			if ct := res.header.Get("Content-Type"); ct != "application/vnd.apple.pkpass" {
				t.Errorf("Content-Type %q, want application/vnd.apple.pkpass", ct)
			}
			if err := wallet.VerifyManifest(res.body); err != nil {
				t.Fatalf("VerifyManifest: %v", err)
			}
			files := unzipPass(t, res.body)
			var pass struct {
				SerialNumber string `json:"serialNumber"`
				Barcodes     []struct {
					Message string `json:"message"`
				} `json:"barcodes"`
				Semantics struct {
					EventName string `json:"eventName"`
					VenueName string `json:"venueName"`
				} `json:"semantics"`
			}
			if err := json.Unmarshal(files["pass.json"], &pass); err != nil {
				t.Fatalf("pass.json: %v", err)
			}
			if pass.SerialNumber != tw.standingA.ID || len(pass.Barcodes) != 1 || pass.Barcodes[0].Message != tw.standingA.Token {
				t.Errorf("pass.json serial %q, barcodes %+v; want %s with the token", pass.SerialNumber, pass.Barcodes, tw.standingA.ID)
			}
			if pass.Semantics.EventName != tw.event.Title || pass.Semantics.VenueName != tw.venue.Name {
				t.Errorf("pass semantics %+v, want %q at %q", pass.Semantics, tw.event.Title, tw.venue.Name)
			}
			if out, ok := wallettest.OpensslVerify(t, files["manifest.json"], files["signature"], tw.w.rootPEM); !ok {
				t.Errorf("openssl smime -verify refused the pass signature: %s", out)
			}
			// The check can fail: another root is refused.
			if out, ok := wallettest.OpensslVerify(t, files["manifest.json"], files["signature"], newTestWallets(t).rootPEM); ok {
				t.Errorf("openssl accepted the signature under another root: %s", out)
			}
		})

		t.Run("pkpass of a rotating ticket is refused", func(t *testing.T) {
			res := h.do(t, "GET", "/v1/tickets/"+tw.pitA.ID+"/pass.pkpass", tw.alice.Token, nil).want(t, http.StatusConflict)
			if e := res.apiErr(t); e.Code != "rotating_unsupported" || !strings.Contains(e.Message, "google-wallet") {
				t.Errorf("error %+v, want rotating_unsupported pointing to google-wallet", e)
			}
		})

		t.Run("google wallet link", func(t *testing.T) {
			for _, tk := range []purchase.Ticket{tw.standingA, tw.pitA} {
				res := h.do(t, "GET", "/v1/tickets/"+tk.ID+"/google-wallet", tw.alice.Token, nil)
				noStore(t, res)
				link := decodeAs[struct {
					SaveURL string `json:"save_url"`
				}](t, res, http.StatusOK)
				obj := googleObject(t, link.SaveURL, &tw.w.google.Key.PublicKey)
				if obj.ID != tw.w.google.IssuerID+"."+tk.ID {
					t.Errorf("object id %q, want %s.%s", obj.ID, tw.w.google.IssuerID, tk.ID)
				}
				if !tk.Rotating {
					if obj.Barcode == nil || obj.Barcode.Value != tk.Token || obj.RotatingBarcode != nil {
						t.Errorf("static ticket: barcode %+v, rotating %+v; want the token as a plain barcode", obj.Barcode, obj.RotatingBarcode)
					}
					continue
				}
				key, err := h.purchase.RotationKey(t.Context(), tw.event.ID)
				if err != nil {
					t.Fatal(err)
				}
				tid, _ := ticketcrypto.ParseTicketID(tk.ID)
				secret := strings.ToUpper(hex.EncodeToString(key.TicketSecret(tw.ev, tid)))
				rb := obj.RotatingBarcode
				switch {
				case obj.Barcode != nil:
					t.Errorf("rotating ticket has a static barcode %+v", obj.Barcode)
				case rb == nil:
					t.Error("rotating ticket has no rotatingBarcode")
				case rb.ValuePattern != tk.Token+"{totp_value_0}":
					t.Errorf("valuePattern %q, want the token and {totp_value_0}", rb.ValuePattern)
				case len(rb.TotpDetails.Parameters) != 1 || rb.TotpDetails.Parameters[0].Key != secret:
					t.Errorf("TOTP parameters %+v, want the ticket's secret %s", rb.TotpDetails.Parameters, secret)
				}
			}
		})

		t.Run("revoked ticket", func(t *testing.T) {
			o, tickets := h.buyTickets(t, tw.alice, tw.event.ID, purchase.Line{TicketTypeID: tw.standing.ID, Quantity: 1})
			if _, err := h.purchase.Refund(t.Context(), o.ID); err != nil {
				t.Fatalf("Refund: %v", err)
			}
			tk := tickets[0]
			for _, sub := range []string{"/qr.png", "/pass.pkpass", "/google-wallet"} {
				res := h.do(t, "GET", "/v1/tickets/"+tk.ID+sub, tw.alice.Token, nil).want(t, http.StatusGone)
				if e := res.apiErr(t); e.Code != "revoked" {
					t.Errorf("GET %s: code %q, want revoked", sub, e.Code)
				}
			}
			got := decodeAs[ticketWire](t, h.do(t, "GET", "/v1/tickets/"+tk.ID, tw.alice.Token, nil), http.StatusOK)
			if got.Status != "revoked" || got.RevokeReason != purchase.RevokedRefunded || got.RevokedAt == nil || got.Token != nil {
				t.Errorf("revoked ticket = status %q, reason %q, revoked_at %v, token %v; want revoked, refunded, a time and no token",
					got.Status, got.RevokeReason, got.RevokedAt, got.Token)
			}
		})

		t.Run("the holder's view says whose it is and which wallets work", func(t *testing.T) {
			for _, c := range []struct {
				tk            purchase.Ticket
				apple, google bool
			}{{tw.standingA, true, true}, {tw.pitA, false, true}} { // Apple Wallet cannot show a rotating code
				got := decodeAs[ticketWire](t, h.do(t, "GET", "/v1/tickets/"+c.tk.ID, tw.alice.Token, nil), http.StatusOK)
				if got.HolderName != "Test User" || got.Wallets == nil || got.Wallets.Apple != c.apple || got.Wallets.Google != c.google {
					t.Errorf("ticket %s (rotating %v): holder %q, wallets %+v; want Test User, apple %v, google %v",
						c.tk.ID, c.tk.Rotating, got.HolderName, got.Wallets, c.apple, c.google)
				}
			}
		})

		t.Run("wallets not configured", func(t *testing.T) {
			pass, google := h.api.PassSigner, h.api.GoogleWallet
			h.api.PassSigner, h.api.GoogleWallet = nil, nil
			t.Cleanup(func() { h.api.PassSigner, h.api.GoogleWallet = pass, google })
			got := decodeAs[ticketWire](t, h.do(t, "GET", "/v1/tickets/"+tw.standingA.ID, tw.alice.Token, nil), http.StatusOK)
			if got.Wallets == nil || got.Wallets.Apple || got.Wallets.Google {
				t.Errorf("wallets without configuration = %+v, want both false", got.Wallets)
			}
			for sub, name := range map[string]string{"/pass.pkpass": "Apple Wallet", "/google-wallet": "Google Wallet"} {
				res := h.do(t, "GET", "/v1/tickets/"+tw.standingA.ID+sub, tw.alice.Token, nil).want(t, http.StatusServiceUnavailable)
				if e := res.apiErr(t); e.Code != "unavailable" || !strings.Contains(e.Message, name) {
					t.Errorf("GET %s: error %+v, want unavailable naming %s", sub, e, name)
				}
			}
		})
	})
}

// decodeQR reads the QR code of a PNG response.
func decodeQR(t *testing.T, r response) string {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "image/png" {
		t.Fatalf("Content-Type %q, want image/png", ct)
	}
	img, err := png.Decode(bytes.NewReader(r.body))
	if err != nil {
		t.Fatalf("png: %v", err)
	}
	res, err := qr.DecodeImage(img)
	if err != nil {
		t.Fatalf("qr.DecodeImage: %v", err)
	}
	return res.Text
}

func unzipPass(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	files := wallettest.Unzip(t, b)
	for _, name := range []string{"pass.json", "manifest.json", "signature"} {
		if _, ok := files[name]; !ok {
			t.Fatalf("pkpass lacks %s; has %v", name, slices.Sorted(maps.Keys(files)))
		}
	}
	return files
}

// googleTicketObject is the part of a save link's eventTicketObject the
// tests read.
type googleTicketObject struct {
	ID      string `json:"id"`
	Barcode *struct {
		Value string `json:"value"`
	} `json:"barcode"`
	RotatingBarcode *struct {
		ValuePattern string `json:"valuePattern"`
		TotpDetails  struct {
			Parameters []struct {
				Key string `json:"key"`
			} `json:"parameters"`
		} `json:"totpDetails"`
	} `json:"rotatingBarcode"`
}

// googleObject verifies a save link's JWT (RS256 by pub, audience
// "google") and returns its one ticket object.
func googleObject(t *testing.T, url string, pub *rsa.PublicKey) googleTicketObject {
	t.Helper()
	raw, ok := strings.CutPrefix(url, wallet.GoogleSaveURLPrefix)
	if !ok {
		t.Fatalf("save URL %q lacks %s", url, wallet.GoogleSaveURLPrefix)
	}
	var claims struct {
		jwt.RegisteredClaims
		Typ     string `json:"typ"`
		Payload struct {
			Objects []googleTicketObject `json:"eventTicketObjects"`
		} `json:"payload"`
	}
	tok, err := jwt.ParseWithClaims(raw, &claims, func(*jwt.Token) (any, error) { return pub, nil },
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithAudience("google"))
	if err != nil || !tok.Valid {
		t.Fatalf("save link JWT does not verify: %v", err)
	}
	if claims.Typ != "savetowallet" || len(claims.Payload.Objects) != 1 {
		t.Fatalf("JWT typ %q with %d objects, want savetowallet with one", claims.Typ, len(claims.Payload.Objects))
	}
	return claims.Payload.Objects[0]
}
