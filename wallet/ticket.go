package wallet

import (
	"errors"
	"fmt"
	"image/color"
	"strings"
	"time"

	ticketcrypto "github.com/admitone/admitone/crypto"
)

// Errors returned when a ticket cannot be delivered to a wallet. They are
// wrapped with the ticket and field at fault.
var (
	// ErrInvalidTicket means a PassTicket or GoogleTicket misses a
	// required field or holds a value the wallet cannot carry.
	ErrInvalidTicket = errors.New("invalid wallet ticket")
	// ErrRotatingUnsupported means the ticket requires a rotating code
	// and the wallet cannot compute one (Apple Wallet), or the rotating
	// secret and the token's rotating flag disagree.
	ErrRotatingUnsupported = errors.New("rotating code not supported here")
)

// Seat is a reserved seat. All fields are optional; a zero Seat means
// general admission.
type Seat struct {
	Section string
	Row     string
	Number  string
}

// IsZero reports whether s names no seat.
func (s Seat) IsZero() bool { return s == Seat{} }

// String is the seat as shown on a pass: "Section B · Row 4 · Seat 12".
func (s Seat) String() string {
	parts := make([]string, 0, 3)
	if s.Section != "" {
		parts = append(parts, "Section "+s.Section)
	}
	if s.Row != "" {
		parts = append(parts, "Row "+s.Row)
	}
	if s.Number != "" {
		parts = append(parts, "Seat "+s.Number)
	}
	return strings.Join(parts, " · ")
}

// Colors are a pass's colors. Apple Wallet uses all three; Google Wallet
// uses Background only. Alpha is ignored.
type Colors struct {
	Background color.RGBA
	Foreground color.RGBA
	Label      color.RGBA
}

// DefaultColors are used when a ticket gives no colors: white text on a
// dark blue.
var DefaultColors = Colors{
	Background: color.RGBA{R: 0x1d, G: 0x2b, B: 0x53, A: 0xff},
	Foreground: color.RGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff},
	Label:      color.RGBA{R: 0xc2, G: 0xc3, B: 0xc7, A: 0xff},
}

func cssRGB(c color.RGBA) string { return fmt.Sprintf("rgb(%d, %d, %d)", c.R, c.G, c.B) }

func hexRGB(c color.RGBA) string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

// tokenInfo is what the wallet code learns from a ticket's barcode text.
type tokenInfo struct {
	ticketID string // "" for a foreign barcode
	rotating bool
	// validUntil is the end of the token's validity window, zero if
	// unbounded or foreign.
	validUntil time.Time
}

// inspectToken checks the text a wallet will show as the barcode. An
// AdmitOne token ("AT1:...") must parse, in its static form: the wallet
// appends the rotating code itself. Other text is taken as a foreign
// barcode (listed mode) and passed through.
func inspectToken(text string) (tokenInfo, error) {
	if text == "" {
		return tokenInfo{}, fmt.Errorf("%w: token is missing", ErrInvalidTicket)
	}
	if !ticketcrypto.IsTokenText(text) {
		return tokenInfo{}, nil
	}
	sc, err := ticketcrypto.ParseText(text)
	if err != nil {
		return tokenInfo{}, fmt.Errorf("%w: token: %w", ErrInvalidTicket, err)
	}
	if sc.Code != "" {
		return tokenInfo{}, fmt.Errorf("%w: token carries a rotating code; give the static token", ErrInvalidTicket)
	}
	return tokenInfo{ticketID: sc.Ticket.String(), rotating: sc.Rotating(), validUntil: sc.ValidUntil}, nil
}

// resolveTicketID returns the ticket id to use: the given one, or the
// token's when none is given. A given id must match the token's.
func resolveTicketID(given string, ti tokenInfo) (string, error) {
	switch {
	case given == "" && ti.ticketID == "":
		return "", fmt.Errorf("%w: ticket id is missing", ErrInvalidTicket)
	case given == "":
		return ti.ticketID, nil
	case ti.ticketID != "" && given != ti.ticketID:
		return "", fmt.Errorf("%w: ticket id %s does not match the token's %s", ErrInvalidTicket, given, ti.ticketID)
	}
	return given, nil
}

// ShortTicketID is the text shown under a wallet barcode in place of the
// 148-character token: the ticket id cut to "tk_" and 8 hex digits, enough
// for staff to find the ticket by prefix. Other ids longer than 16
// characters are cut to 16.
func ShortTicketID(id string) string {
	if strings.HasPrefix(id, "tk_") && len(id) > 11 {
		return id[:11]
	}
	if len(id) > 16 {
		return id[:16]
	}
	return id
}

// eventLocation resolves the time zone a ticket's times are shown in: the
// IANA name if given, else the location of starts.
func eventLocation(name string, starts time.Time) (*time.Location, error) {
	if name == "" {
		return starts.Location(), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("%w: time zone %q: %v", ErrInvalidTicket, name, err)
	}
	return loc, nil
}

// checkTimes checks the event's start and end.
func checkTimes(starts, ends time.Time) error {
	if starts.IsZero() {
		return fmt.Errorf("%w: event start time is missing", ErrInvalidTicket)
	}
	if !ends.IsZero() && !ends.After(starts) {
		return fmt.Errorf("%w: event ends %s, not after it starts %s", ErrInvalidTicket,
			ends.UTC().Format(time.RFC3339), starts.UTC().Format(time.RFC3339))
	}
	return nil
}

// hasLocation reports whether a venue position is given. (0, 0) is taken
// as "not given": it lies in the Gulf of Guinea, where no venue is.
func hasLocation(lat, lon float64) bool { return lat != 0 || lon != 0 }

func checkLocation(lat, lon float64) error {
	if lat < -90 || lat > 90 || lon < -180 || lon > 180 || lat != lat || lon != lon {
		return fmt.Errorf("%w: venue location %v, %v is not a latitude and longitude", ErrInvalidTicket, lat, lon)
	}
	return nil
}
