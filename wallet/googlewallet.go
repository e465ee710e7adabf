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
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	ticketcrypto "github.com/admitone/admitone/crypto"
)

// GoogleSaveURLPrefix starts every "Add to Google Wallet" link; the signed
// JWT follows it.
const GoogleSaveURLPrefix = "https://pay.google.com/gp/v/save/"

// GoogleIssuer signs "Add to Google Wallet" links for one Google Wallet
// issuer account. Its fields are read-only after setup, so one
// GoogleIssuer may sign from many goroutines at once.
type GoogleIssuer struct {
	// IssuerID is the numeric issuer id from the Google Pay & Wallet
	// Console. LoadServiceAccount leaves it empty.
	IssuerID string
	// ServiceAccountEmail is the service account's client_email, the
	// JWT's issuer.
	ServiceAccountEmail string
	// KeyID is the service account key's private_key_id, the JWT's kid.
	KeyID string
	// Key is the service account's RSA private key.
	Key *rsa.PrivateKey
	// Origins are the web origins ("https://tickets.example.com") allowed
	// to show a Save button with the JWT; links work without any.
	Origins []string
	// OmitClasses leaves the event ticket class out of the JWT, for an
	// issuer that creates classes through the REST API beforehand; the
	// link is then about a third shorter.
	OmitClasses bool
	// Now is the clock for the JWT's iat; nil means time.Now.
	Now func() time.Time
}

// GoogleTicket is what a Google Wallet event ticket shows of one ticket.
type GoogleTicket struct {
	// TicketID is the ticket id text ("tk_..."); the pass object's id is
	// IssuerID.TicketID. It may be empty when Token is an AdmitOne token,
	// which names it.
	TicketID string
	// Token is the barcode text: the static token ("AT1:...") or, for a
	// ticket imported from another system, its barcode.
	Token string
	// RotatingSecret is the ticket's TOTP secret
	// (crypto.RotationKey.TicketSecret) for a ticket that requires a
	// rotating code, nil otherwise. Google Wallet then draws the token
	// followed by the current 6-digit code.
	RotatingSecret []byte

	// ClassSuffix names the event ticket class (IssuerID.ClassSuffix),
	// which holds what all tickets of an event and ticket type share.
	// Letters, digits, '.', '_' and '-' only.
	ClassSuffix string
	// IssuerName is the organizer's name at the top of the pass.
	IssuerName string

	EventTitle   string
	VenueName    string
	VenueAddress string
	// Starts is required; DoorsOpen and Ends may be zero.
	DoorsOpen, Starts, Ends time.Time
	// TimeZone is the event's IANA time zone; times are written with its
	// offset, so the pass shows venue time. Empty means the location of
	// Starts.
	TimeZone string

	TicketTypeName string
	Seat           Seat
	HolderName     string
	// LogoURL is an HTTPS URL of the class's logo image; optional.
	LogoURL string
	// Language is the BCP 47 tag of the texts; empty means "en".
	Language string
	// Colors is nil for DefaultColors; Google uses Background only.
	Colors *Colors
}

// Google's constants for the save JWT.
const (
	googleAudience        = "google"
	googleJWTType         = "savetowallet"
	googleBarcodeQR       = "QR_CODE"
	googleStateActive     = "ACTIVE"
	googleReviewStatus    = "UNDER_REVIEW"
	googleTOTPAlgorithm   = "TOTP_SHA1"
	googleTOTPPlaceholder = "{totp_value_0}"
	minRotatingSecretSize = 16 // RFC 4226 requires at least 128 bits
)

// The JWT claims of a save link, in the order Google's documentation
// lists them.
type googleClaims struct {
	Iss     string        `json:"iss"`
	Aud     string        `json:"aud"`
	Typ     string        `json:"typ"`
	Iat     int64         `json:"iat"`
	Origins []string      `json:"origins"`
	Payload googlePayload `json:"payload"`
}

type googlePayload struct {
	EventTicketClasses []googleClass  `json:"eventTicketClasses,omitempty"`
	EventTicketObjects []googleObject `json:"eventTicketObjects"`
}

type googleClass struct {
	ID                 string          `json:"id"`
	IssuerName         string          `json:"issuerName"`
	ReviewStatus       string          `json:"reviewStatus"`
	EventName          googleLocalized `json:"eventName"`
	Venue              *googleVenue    `json:"venue,omitempty"`
	DateTime           googleDateTime  `json:"dateTime"`
	Logo               *googleImage    `json:"logo,omitempty"`
	HexBackgroundColor string          `json:"hexBackgroundColor,omitempty"`
}

type googleVenue struct {
	Name    *googleLocalized `json:"name,omitempty"`
	Address *googleLocalized `json:"address,omitempty"`
}

type googleDateTime struct {
	DoorsOpen string `json:"doorsOpen,omitempty"`
	Start     string `json:"start"`
	End       string `json:"end,omitempty"`
}

type googleImage struct {
	SourceURI struct {
		URI string `json:"uri"`
	} `json:"sourceUri"`
}

type googleLocalized struct {
	DefaultValue googleTranslated `json:"defaultValue"`
}

type googleTranslated struct {
	Language string `json:"language"`
	Value    string `json:"value"`
}

type googleObject struct {
	ID               string                 `json:"id"`
	ClassID          string                 `json:"classId"`
	State            string                 `json:"state"`
	Barcode          *googleBarcode         `json:"barcode,omitempty"`
	RotatingBarcode  *googleRotatingBarcode `json:"rotatingBarcode,omitempty"`
	TicketHolderName string                 `json:"ticketHolderName,omitempty"`
	TicketNumber     string                 `json:"ticketNumber,omitempty"`
	TicketType       *googleLocalized       `json:"ticketType,omitempty"`
	SeatInfo         *googleSeatInfo        `json:"seatInfo,omitempty"`
}

type googleBarcode struct {
	Type          string `json:"type"`
	Value         string `json:"value"`
	AlternateText string `json:"alternateText,omitempty"`
}

type googleRotatingBarcode struct {
	Type          string            `json:"type"`
	ValuePattern  string            `json:"valuePattern"`
	AlternateText string            `json:"alternateText,omitempty"`
	TotpDetails   googleTOTPDetails `json:"totpDetails"`
}

type googleTOTPDetails struct {
	// PeriodMillis is an int64, which Google's JSON mapping writes as a
	// string.
	PeriodMillis string             `json:"periodMillis"`
	Algorithm    string             `json:"algorithm"`
	Parameters   []googleTOTPParams `json:"parameters"`
}

type googleTOTPParams struct {
	// Key is the TOTP secret in Base16. RFC 4648's Base16 alphabet is
	// upper case, which strict decoders require.
	Key         string `json:"key"`
	ValueLength int    `json:"valueLength"`
}

type googleSeatInfo struct {
	Section *googleLocalized `json:"section,omitempty"`
	Row     *googleLocalized `json:"row,omitempty"`
	Seat    *googleLocalized `json:"seat,omitempty"`
}

// SaveURL returns an "Add to Google Wallet" link for one ticket: the
// prefix GoogleSaveURLPrefix and a JWT signed with RS256 by the service
// account key, carrying the event ticket class (unless OmitClasses) and
// the ticket's object. A ticket that requires a rotating code needs its
// RotatingSecret, and only such a ticket may have one.
func (g *GoogleIssuer) SaveURL(t GoogleTicket) (string, error) {
	if err := g.validate(); err != nil {
		return "", err
	}
	claims, err := g.claims(t)
	if err != nil {
		return "", err
	}
	jwt, err := signJWT(g.Key, g.KeyID, claims)
	if err != nil {
		return "", fmt.Errorf("google wallet: sign: %w", err)
	}
	return GoogleSaveURLPrefix + jwt, nil
}

func (g *GoogleIssuer) validate() error {
	switch {
	case g == nil:
		return errors.New("google wallet: issuer not configured")
	case g.IssuerID == "":
		return errors.New("google wallet: issuer id is missing")
	case !isDigits(g.IssuerID):
		return fmt.Errorf("google wallet: issuer id %q is not a number", g.IssuerID)
	case g.ServiceAccountEmail == "":
		return errors.New("google wallet: service account email is missing")
	case g.KeyID == "":
		return errors.New("google wallet: service account key id is missing")
	case g.Key == nil:
		return errors.New("google wallet: service account key is missing")
	}
	return nil
}

func (g *GoogleIssuer) claims(t GoogleTicket) (googleClaims, error) {
	ti, err := inspectToken(t.Token)
	if err != nil {
		return googleClaims{}, fmt.Errorf("google wallet: ticket %s: %w", t.TicketID, err)
	}
	id, err := resolveTicketID(t.TicketID, ti)
	if err != nil {
		return googleClaims{}, fmt.Errorf("google wallet: %w", err)
	}
	fail := func(format string, args ...any) (googleClaims, error) {
		return googleClaims{}, fmt.Errorf("google wallet: ticket %s: %w: "+format, append([]any{id, ErrInvalidTicket}, args...)...)
	}
	if !isIdentifier(id) {
		return fail("ticket id %q has characters other than letters, digits, '.', '_' and '-'", id)
	}
	if t.ClassSuffix == "" {
		return fail("class suffix is missing")
	}
	if !isIdentifier(t.ClassSuffix) {
		return fail("class suffix %q has characters other than letters, digits, '.', '_' and '-'", t.ClassSuffix)
	}
	if t.IssuerName == "" {
		return fail("issuer name is missing")
	}
	if t.EventTitle == "" {
		return fail("event title is missing")
	}
	if !utf8.ValidString(t.Token) {
		return fail("barcode text is not valid UTF-8")
	}
	switch {
	case ti.rotating && t.RotatingSecret == nil:
		return googleClaims{}, fmt.Errorf("google wallet: ticket %s: %w: the ticket requires a rotating code; give its rotating secret", id, ErrRotatingUnsupported)
	case !ti.rotating && t.RotatingSecret != nil:
		return googleClaims{}, fmt.Errorf("google wallet: ticket %s: %w: a rotating secret was given for a ticket that does not use rotating codes (gates would refuse the code)", id, ErrRotatingUnsupported)
	case t.RotatingSecret != nil && len(t.RotatingSecret) < minRotatingSecretSize:
		return fail("rotating secret is %d bytes, want at least %d", len(t.RotatingSecret), minRotatingSecretSize)
	}
	if err := checkTimes(t.Starts, t.Ends); err != nil {
		return googleClaims{}, fmt.Errorf("google wallet: ticket %s: %w", id, err)
	}
	if t.LogoURL != "" && !strings.HasPrefix(t.LogoURL, "https://") {
		return fail("logo URL %q is not an https:// URL", t.LogoURL)
	}
	if !t.DoorsOpen.IsZero() && t.DoorsOpen.After(t.Starts) {
		return fail("doors open after the event starts")
	}
	loc, err := eventLocation(t.TimeZone, t.Starts)
	if err != nil {
		return googleClaims{}, fmt.Errorf("google wallet: ticket %s: %w", id, err)
	}
	at := func(tm time.Time) string {
		if tm.IsZero() {
			return ""
		}
		return tm.In(loc).Format(time.RFC3339)
	}
	lang := t.Language
	if lang == "" {
		lang = "en"
	}
	text := func(v string) *googleLocalized {
		if v == "" {
			return nil
		}
		return &googleLocalized{DefaultValue: googleTranslated{Language: lang, Value: v}}
	}
	colors := DefaultColors
	if t.Colors != nil {
		colors = *t.Colors
	}

	classID := g.IssuerID + "." + t.ClassSuffix
	obj := googleObject{
		ID:               g.IssuerID + "." + id,
		ClassID:          classID,
		State:            googleStateActive,
		TicketHolderName: t.HolderName,
		TicketNumber:     ShortTicketID(id),
		TicketType:       text(t.TicketTypeName),
	}
	if t.RotatingSecret != nil {
		obj.RotatingBarcode = &googleRotatingBarcode{
			Type: googleBarcodeQR,
			// The token's length tells a gate that digits follow (see
			// crypto's Caveats), so no separator goes between them.
			ValuePattern:  t.Token + googleTOTPPlaceholder,
			AlternateText: ShortTicketID(id),
			TotpDetails: googleTOTPDetails{
				PeriodMillis: strconv.FormatInt(ticketcrypto.RotatingStep.Milliseconds(), 10),
				Algorithm:    googleTOTPAlgorithm,
				Parameters: []googleTOTPParams{{
					Key:         strings.ToUpper(hex.EncodeToString(t.RotatingSecret)),
					ValueLength: ticketcrypto.RotatingCodeDigits,
				}},
			},
		}
	} else {
		obj.Barcode = &googleBarcode{Type: googleBarcodeQR, Value: t.Token, AlternateText: ShortTicketID(id)}
	}
	if !t.Seat.IsZero() {
		obj.SeatInfo = &googleSeatInfo{Section: text(t.Seat.Section), Row: text(t.Seat.Row), Seat: text(t.Seat.Number)}
	}

	now := time.Now
	if g.Now != nil {
		now = g.Now
	}
	c := googleClaims{
		Iss:     g.ServiceAccountEmail,
		Aud:     googleAudience,
		Typ:     googleJWTType,
		Iat:     now().Unix(),
		Origins: append([]string{}, g.Origins...),
		Payload: googlePayload{EventTicketObjects: []googleObject{obj}},
	}
	if !g.OmitClasses {
		class := googleClass{
			ID:                 classID,
			IssuerName:         t.IssuerName,
			ReviewStatus:       googleReviewStatus,
			EventName:          *text(t.EventTitle),
			DateTime:           googleDateTime{DoorsOpen: at(t.DoorsOpen), Start: at(t.Starts), End: at(t.Ends)},
			HexBackgroundColor: hexRGB(colors.Background),
		}
		if t.VenueName != "" || t.VenueAddress != "" {
			class.Venue = &googleVenue{Name: text(t.VenueName), Address: text(t.VenueAddress)}
		}
		if t.LogoURL != "" {
			class.Logo = &googleImage{}
			class.Logo.SourceURI.URI = t.LogoURL
		}
		c.Payload.EventTicketClasses = []googleClass{class}
	}
	return c, nil
}

// signJWT encodes claims as a compact JWS with RS256 (RFC 7515, 7518).
// It is written out here rather than taken from a JWT library because
// signing is all we need, and a library's registered-claims type writes a
// one-element "aud" as an array unless a package-level switch is flipped;
// Google's examples use the string "google". Tests check the result with
// github.com/golang-jwt/jwt/v5.
func signJWT(key *rsa.PrivateKey, kid string, claims any) (string, error) {
	header, err := json.Marshal(struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
		Typ string `json:"typ"`
	}{"RS256", kid, "JWT"})
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	signingInput := enc.EncodeToString(header) + "." + enc.EncodeToString(payload)
	digest := sha256.Sum256([]byte(signingInput))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	if err != nil {
		return "", err
	}
	return signingInput + "." + enc.EncodeToString(sig), nil
}

// isIdentifier reports whether s may follow "issuerID." in a Google
// Wallet class or object id.
func isIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
