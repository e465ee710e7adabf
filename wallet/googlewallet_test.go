package wallet

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/wallet/wallettest"
)

// googleNow is mid-way through a 30 s TOTP step.
var googleNow = time.Date(2026, 6, 1, 17, 30, 15, 0, time.UTC)

func testGoogleIssuer(t testing.TB) *GoogleIssuer {
	return &GoogleIssuer{
		IssuerID:            "3388000000022222228",
		ServiceAccountEmail: "wallet@admitone-test.iam.gserviceaccount.com",
		KeyID:               "0123456789abcdef0123456789abcdef01234567",
		Key:                 wallettest.RSAKey(t),
		Origins:             []string{"https://tickets.example.com"},
		Now:                 func() time.Time { return googleNow },
	}
}

func testGoogleTicket(t testing.TB, rotating bool) GoogleTicket {
	gt := GoogleTicket{
		TicketID:       testTicket.String(),
		Token:          testToken(t, rotating).Text(),
		ClassSuffix:    testEvent.String() + "-2",
		IssuerName:     "Example Events GmbH",
		EventTitle:     "Nachtmusik im Park",
		VenueName:      "Tempodrom",
		VenueAddress:   "Möckernstraße 10, 10963 Berlin",
		DoorsOpen:      testStarts.Add(-time.Hour),
		Starts:         testStarts,
		Ends:           testEnds,
		TimeZone:       "Europe/Berlin",
		TicketTypeName: "Parkett",
		Seat:           Seat{Section: "B", Row: "4", Number: "12"},
		HolderName:     "Ada Lovelace",
	}
	if rotating {
		gt.RotatingSecret = testRotationKey(t).TicketSecret(testEvent, testTicket)
	}
	return gt
}

// The parts of the claims the tests read.
type testClaims struct {
	Iss     string   `json:"iss"`
	Aud     any      `json:"aud"`
	Typ     string   `json:"typ"`
	Iat     int64    `json:"iat"`
	Origins []string `json:"origins"`
	Payload struct {
		EventTicketClasses []struct {
			ID         string `json:"id"`
			IssuerName string `json:"issuerName"`
			EventName  struct {
				DefaultValue struct{ Language, Value string } `json:"defaultValue"`
			} `json:"eventName"`
			DateTime struct{ DoorsOpen, Start, End string } `json:"dateTime"`
			Venue    struct {
				Name struct {
					DefaultValue struct{ Value string } `json:"defaultValue"`
				} `json:"name"`
			} `json:"venue"`
		} `json:"eventTicketClasses"`
		EventTicketObjects []struct {
			ID               string `json:"id"`
			ClassID          string `json:"classId"`
			State            string `json:"state"`
			TicketHolderName string `json:"ticketHolderName"`
			Barcode          *struct {
				Type, Value, AlternateText string
			} `json:"barcode"`
			RotatingBarcode *struct {
				Type          string `json:"type"`
				ValuePattern  string `json:"valuePattern"`
				AlternateText string `json:"alternateText"`
				TotpDetails   struct {
					PeriodMillis string `json:"periodMillis"`
					Algorithm    string `json:"algorithm"`
					Parameters   []struct {
						Key         string `json:"key"`
						ValueLength int    `json:"valueLength"`
					} `json:"parameters"`
				} `json:"totpDetails"`
			} `json:"rotatingBarcode"`
			SeatInfo struct {
				Seat struct {
					DefaultValue struct{ Value string } `json:"defaultValue"`
				} `json:"seat"`
			} `json:"seatInfo"`
		} `json:"eventTicketObjects"`
	} `json:"payload"`
}

// parseSaveURL checks a save link's JWT with golang-jwt (RS256 only, the
// given public key) and by hand, and returns its header and claims.
func parseSaveURL(t *testing.T, url string, pub *rsa.PublicKey) (map[string]any, testClaims) {
	t.Helper()
	raw, ok := strings.CutPrefix(url, "https://pay.google.com/gp/v/save/")
	if !ok {
		t.Fatalf("URL %q lacks the save prefix", url)
	}
	tok, err := jwt.Parse(raw, func(*jwt.Token) (any, error) { return pub, nil },
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithAudience("google"), jwt.WithIssuedAt())
	if err != nil {
		t.Fatalf("jwt.Parse: %v", err)
	}
	if !tok.Valid {
		t.Fatal("jwt.Parse: token not valid")
	}

	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("JWT has %d parts", len(parts))
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig); err != nil {
		t.Fatalf("rsa.VerifyPKCS1v15: %v", err)
	}
	var header map[string]any
	var claims testClaims
	for i, dst := range []any{&header, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, dst); err != nil {
			t.Fatalf("JWT part %d: %v", i, err)
		}
	}
	return header, claims
}

func TestGoogleSaveURL(t *testing.T) {
	g := testGoogleIssuer(t)
	ticket := testGoogleTicket(t, false)
	url, err := g.SaveURL(ticket)
	if err != nil {
		t.Fatalf("SaveURL: %v", err)
	}
	t.Logf("save URL: %d characters", len(url))
	header, c := parseSaveURL(t, url, &g.Key.PublicKey)

	if header["alg"] != "RS256" || header["kid"] != g.KeyID || header["typ"] != "JWT" {
		t.Errorf("header = %v, want RS256 with kid %s", header, g.KeyID)
	}
	if c.Iss != g.ServiceAccountEmail || c.Aud != "google" || c.Typ != "savetowallet" || c.Iat != googleNow.Unix() {
		t.Errorf("claims iss %q aud %#v typ %q iat %d, want %q \"google\" \"savetowallet\" %d",
			c.Iss, c.Aud, c.Typ, c.Iat, g.ServiceAccountEmail, googleNow.Unix())
	}
	if len(c.Origins) != 1 || c.Origins[0] != "https://tickets.example.com" {
		t.Errorf("origins = %v", c.Origins)
	}
	if len(c.Payload.EventTicketClasses) != 1 || len(c.Payload.EventTicketObjects) != 1 {
		t.Fatalf("payload has %d classes and %d objects, want 1 and 1", len(c.Payload.EventTicketClasses), len(c.Payload.EventTicketObjects))
	}
	class, obj := c.Payload.EventTicketClasses[0], c.Payload.EventTicketObjects[0]
	for _, f := range []struct{ name, got, want string }{
		{"class id", class.ID, "3388000000022222228.ev_e0e1e2e3e4e5e6e7-2"},
		{"class issuerName", class.IssuerName, "Example Events GmbH"},
		{"class eventName", class.EventName.DefaultValue.Value, "Nachtmusik im Park"},
		{"class eventName language", class.EventName.DefaultValue.Language, "en"},
		{"class venue", class.Venue.Name.DefaultValue.Value, "Tempodrom"},
		{"class doorsOpen", class.DateTime.DoorsOpen, "2026-06-01T19:00:00+02:00"},
		{"class start", class.DateTime.Start, "2026-06-01T20:00:00+02:00"},
		{"class end", class.DateTime.End, "2026-06-02T00:30:00+02:00"},
		{"object id", obj.ID, "3388000000022222228.tk_101112131415161718191a1b"},
		{"object classId", obj.ClassID, class.ID},
		{"object state", obj.State, "ACTIVE"},
		{"object holder", obj.TicketHolderName, "Ada Lovelace"},
		{"object seat", obj.SeatInfo.Seat.DefaultValue.Value, "12"},
	} {
		if f.got != f.want {
			t.Errorf("%s = %q, want %q", f.name, f.got, f.want)
		}
	}
	if obj.RotatingBarcode != nil {
		t.Error("static ticket has a rotatingBarcode")
	}
	if obj.Barcode == nil {
		t.Fatal("object has no barcode")
	}
	if obj.Barcode.Type != "QR_CODE" || obj.Barcode.Value != ticket.Token || obj.Barcode.AlternateText != "tk_10111213" {
		t.Errorf("barcode = %+v, want QR_CODE with the token", *obj.Barcode)
	}

	t.Run("other key fails", func(t *testing.T) {
		other, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		forged := *g
		forged.Key = other
		url, err := forged.SaveURL(ticket)
		if err != nil {
			t.Fatal(err)
		}
		raw := strings.TrimPrefix(url, GoogleSaveURLPrefix)
		_, err = jwt.Parse(raw, func(*jwt.Token) (any, error) { return &g.Key.PublicKey, nil }, jwt.WithValidMethods([]string{"RS256"}))
		if !errors.Is(err, jwt.ErrTokenSignatureInvalid) {
			t.Fatalf("jwt.Parse of a link signed by another key = %v, want ErrTokenSignatureInvalid", err)
		}
		parts := strings.Split(raw, ".")
		sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
		digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
		if rsa.VerifyPKCS1v15(&g.Key.PublicKey, crypto.SHA256, digest[:], sig) == nil {
			t.Fatal("rsa.VerifyPKCS1v15 accepted a link signed by another key")
		}
	})

	t.Run("omit classes", func(t *testing.T) {
		g := *g
		g.OmitClasses = true
		short, err := g.SaveURL(ticket)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("save URL without class: %d characters", len(short))
		_, c := parseSaveURL(t, short, &g.Key.PublicKey)
		if len(c.Payload.EventTicketClasses) != 0 || len(c.Payload.EventTicketObjects) != 1 {
			t.Fatalf("payload has %d classes and %d objects, want 0 and 1", len(c.Payload.EventTicketClasses), len(c.Payload.EventTicketObjects))
		}
		if c.Payload.EventTicketObjects[0].ClassID != "3388000000022222228.ev_e0e1e2e3e4e5e6e7-2" {
			t.Errorf("classId = %q", c.Payload.EventTicketObjects[0].ClassID)
		}
	})
}

func TestGoogleSaveURLRotating(t *testing.T) {
	g := testGoogleIssuer(t)
	ticket := testGoogleTicket(t, true)
	url, err := g.SaveURL(ticket)
	if err != nil {
		t.Fatalf("SaveURL: %v", err)
	}
	_, c := parseSaveURL(t, url, &g.Key.PublicKey)
	obj := c.Payload.EventTicketObjects[0]
	if obj.Barcode != nil {
		t.Error("rotating ticket has a static barcode")
	}
	rb := obj.RotatingBarcode
	if rb == nil {
		t.Fatal("rotating ticket has no rotatingBarcode")
	}
	prefix, ok := strings.CutSuffix(rb.ValuePattern, "{totp_value_0}")
	if !ok || prefix != ticket.Token {
		t.Fatalf("valuePattern = %q, want the token followed by {totp_value_0}", rb.ValuePattern)
	}
	td := rb.TotpDetails
	if rb.Type != "QR_CODE" || td.PeriodMillis != "30000" || td.Algorithm != "TOTP_SHA1" || len(td.Parameters) != 1 || td.Parameters[0].ValueLength != 6 {
		t.Fatalf("rotatingBarcode = %+v, want QR_CODE, 30000 ms, TOTP_SHA1, one 6-digit parameter", *rb)
	}
	key := td.Parameters[0].Key
	if key != strings.ToUpper(key) {
		t.Errorf("TOTP key %q is not upper-case Base16", key)
	}
	secret, err := hex.DecodeString(key)
	if err != nil {
		t.Fatalf("TOTP key is not Base16: %v", err)
	}
	rk := testRotationKey(t)
	if want := rk.TicketSecret(testEvent, testTicket); !equalBytes(secret, want) {
		t.Fatalf("TOTP key = %x, want the ticket secret %x", secret, want)
	}

	// What the phone draws, Google substituting {totp_value_0} by RFC
	// 6238, is what a gate admits.
	code := ticketcrypto.TOTP(secret, googleNow, time.Duration(30000)*time.Millisecond, td.Parameters[0].ValueLength)
	drawn := strings.Replace(rb.ValuePattern, "{totp_value_0}", code, 1)
	var ring ticketcrypto.Keyring
	key0 := testIssuerKey(t)
	if err := ring.Add(ticketcrypto.KeyringEntry{Event: testEvent, KeyID: key0.ID(), PublicKey: key0.Public()}); err != nil {
		t.Fatal(err)
	}
	ring.SetRotationKey(testEvent, rk)
	if _, err := ring.Verify(drawn, googleNow); err != nil {
		t.Fatalf("gate refuses the code Google Wallet draws: %v", err)
	}
	if _, err := ring.Verify(drawn, googleNow.Add(5*time.Minute)); !errors.Is(err, ticketcrypto.ErrCodeExpired) {
		t.Fatalf("gate five minutes later = %v, want ErrCodeExpired", err)
	}
}

func equalBytes(a, b []byte) bool { return string(a) == string(b) }

func TestGoogleSaveURLRefuses(t *testing.T) {
	good := testGoogleTicket(t, false)
	for _, tc := range []struct {
		name    string
		edit    func(g *GoogleIssuer, t *GoogleTicket)
		wantErr error
		wantMsg string
	}{
		{"rotating without secret", func(_ *GoogleIssuer, gt *GoogleTicket) { gt.Token = testToken(t, true).Text() }, ErrRotatingUnsupported, "give its rotating secret"},
		{"secret for static ticket", func(_ *GoogleIssuer, gt *GoogleTicket) { gt.RotatingSecret = make([]byte, 20) }, ErrRotatingUnsupported, "does not use rotating codes"},
		{"secret for foreign barcode", func(_ *GoogleIssuer, gt *GoogleTicket) {
			gt.Token, gt.RotatingSecret = "EXT-1", make([]byte, 20)
		}, ErrRotatingUnsupported, "does not use rotating codes"},
		{"short secret", func(_ *GoogleIssuer, gt *GoogleTicket) {
			gt.Token, gt.RotatingSecret = testToken(t, true).Text(), make([]byte, 8)
		}, ErrInvalidTicket, "at least 16"},
		{"token with code", func(_ *GoogleIssuer, gt *GoogleTicket) { gt.Token = testToken(t, true).TextWithCode("000000") }, ErrInvalidTicket, "carries a rotating code"},
		{"ticket id mismatch", func(_ *GoogleIssuer, gt *GoogleTicket) { gt.TicketID = "tk_000000000000000000000000" }, ErrInvalidTicket, "does not match"},
		{"foreign id with space", func(_ *GoogleIssuer, gt *GoogleTicket) { gt.Token, gt.TicketID = "EXT-1", "ext 1" }, ErrInvalidTicket, "characters other than"},
		{"missing class", func(_ *GoogleIssuer, gt *GoogleTicket) { gt.ClassSuffix = "" }, ErrInvalidTicket, "class suffix is missing"},
		{"bad class", func(_ *GoogleIssuer, gt *GoogleTicket) { gt.ClassSuffix = "ev/1" }, ErrInvalidTicket, "characters other than"},
		{"missing issuer name", func(_ *GoogleIssuer, gt *GoogleTicket) { gt.IssuerName = "" }, ErrInvalidTicket, "issuer name"},
		{"missing title", func(_ *GoogleIssuer, gt *GoogleTicket) { gt.EventTitle = "" }, ErrInvalidTicket, "event title"},
		{"missing start", func(_ *GoogleIssuer, gt *GoogleTicket) { gt.Starts = time.Time{} }, ErrInvalidTicket, "start time"},
		{"doors after start", func(_ *GoogleIssuer, gt *GoogleTicket) { gt.DoorsOpen = gt.Starts.Add(time.Minute) }, ErrInvalidTicket, "doors open"},
		{"logo over http", func(_ *GoogleIssuer, gt *GoogleTicket) { gt.LogoURL = "http://example.com/logo.png" }, ErrInvalidTicket, "https://"},
		{"bad time zone", func(_ *GoogleIssuer, gt *GoogleTicket) { gt.TimeZone = "Nowhere/Special" }, ErrInvalidTicket, "Nowhere/Special"},
		{"no issuer id", func(g *GoogleIssuer, _ *GoogleTicket) { g.IssuerID = "" }, nil, "issuer id is missing"},
		{"issuer id not numeric", func(g *GoogleIssuer, _ *GoogleTicket) { g.IssuerID = "33x" }, nil, "not a number"},
		{"no email", func(g *GoogleIssuer, _ *GoogleTicket) { g.ServiceAccountEmail = "" }, nil, "email is missing"},
		{"no key id", func(g *GoogleIssuer, _ *GoogleTicket) { g.KeyID = "" }, nil, "key id is missing"},
		{"no key", func(g *GoogleIssuer, _ *GoogleTicket) { g.Key = nil }, nil, "key is missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, ticket := testGoogleIssuer(t), good
			tc.edit(g, &ticket)
			_, err := g.SaveURL(ticket)
			if err == nil || (tc.wantErr != nil && !errors.Is(err, tc.wantErr)) || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("SaveURL = %v, want %v mentioning %q", err, tc.wantErr, tc.wantMsg)
			}
			if secret := ticket.RotatingSecret; len(secret) > 0 && strings.Contains(strings.ToLower(err.Error()), hex.EncodeToString(secret)) {
				t.Fatalf("error quotes the rotating secret: %v", err)
			}
		})
	}

	t.Run("foreign barcode", func(t *testing.T) {
		g, ticket := testGoogleIssuer(t), good
		ticket.Token, ticket.TicketID = "EXT-12345", "ext-12345"
		url, err := g.SaveURL(ticket)
		if err != nil {
			t.Fatalf("SaveURL: %v", err)
		}
		_, c := parseSaveURL(t, url, &g.Key.PublicKey)
		if obj := c.Payload.EventTicketObjects[0]; obj.Barcode == nil || obj.Barcode.Value != "EXT-12345" || obj.ID != g.IssuerID+".ext-12345" {
			t.Fatalf("object = %+v", obj)
		}
	})
}
