package wallet

import (
	"archive/zip"
	"bytes"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/smallstep/pkcs7"
)

// PassTicket is what an Apple Wallet pass shows of one ticket.
type PassTicket struct {
	// TicketID is the ticket id text ("tk_..."), the pass's serial number.
	// It may be empty when Token is an AdmitOne token, which names it.
	TicketID string
	// Token is the barcode text: the static token ("AT1:...") or, for a
	// ticket imported from another system, its barcode (ISO-8859-1).
	Token string

	EventTitle string
	// EventType is an Apple semantic event type; empty means
	// "PKEventTypeLivePerformance".
	EventType string
	VenueName string
	// VenueLat and VenueLon place the venue (degrees, WGS 84); both zero
	// means unknown.
	VenueLat, VenueLon float64
	// Starts is required; Ends may be zero.
	Starts, Ends time.Time
	// TimeZone is the event's IANA time zone ("Europe/Berlin"); times on
	// the pass are shown in it. Empty means the location of Starts.
	TimeZone string

	TicketTypeName string
	Seat           Seat
	HolderName     string
	// Colors is nil for DefaultColors.
	Colors *Colors
}

// Apple's constants for pass.json.
const (
	passFormatVersion     = 1
	passBarcodeFormatQR   = "PKBarcodeFormatQR"
	passBarcodeEncoding   = "iso-8859-1"
	passDefaultEventType  = "PKEventTypeLivePerformance"
	passDateStyleMedium   = "PKDateStyleMedium"
	passDateStyleShort    = "PKDateStyleShort"
	passManifestName      = "manifest.json"
	passSignatureName     = "signature"
	passJSONName          = "pass.json"
	passMaxTextFieldRunes = 512
)

// pass.json, as much of it as AdmitOne fills in.
type passJSON struct {
	FormatVersion      int             `json:"formatVersion"`
	PassTypeIdentifier string          `json:"passTypeIdentifier"`
	SerialNumber       string          `json:"serialNumber"`
	TeamIdentifier     string          `json:"teamIdentifier"`
	OrganizationName   string          `json:"organizationName"`
	Description        string          `json:"description"`
	LogoText           string          `json:"logoText,omitempty"`
	BackgroundColor    string          `json:"backgroundColor"`
	ForegroundColor    string          `json:"foregroundColor"`
	LabelColor         string          `json:"labelColor"`
	RelevantDate       string          `json:"relevantDate"`
	RelevantDates      []passDateRange `json:"relevantDates,omitempty"`
	ExpirationDate     string          `json:"expirationDate,omitempty"`
	Locations          []passLocation  `json:"locations,omitempty"`
	Barcodes           []passBarcode   `json:"barcodes"`
	EventTicket        passFields      `json:"eventTicket"`
	Semantics          passSemantics   `json:"semantics"`
}

type passDateRange struct {
	StartDate string `json:"startDate"`
	EndDate   string `json:"endDate"`
}

type passLocation struct {
	Latitude     float64 `json:"latitude"`
	Longitude    float64 `json:"longitude"`
	RelevantText string  `json:"relevantText,omitempty"`
}

type passBarcode struct {
	Format          string `json:"format"`
	Message         string `json:"message"`
	MessageEncoding string `json:"messageEncoding"`
	AltText         string `json:"altText,omitempty"`
}

type passFields struct {
	PrimaryFields   []passField `json:"primaryFields"`
	SecondaryFields []passField `json:"secondaryFields,omitempty"`
	AuxiliaryFields []passField `json:"auxiliaryFields,omitempty"`
	BackFields      []passField `json:"backFields,omitempty"`
}

type passField struct {
	Key   string `json:"key"`
	Label string `json:"label,omitempty"`
	Value string `json:"value"`
	// Date fields: Wallet formats the value in the viewer's locale, and
	// with IgnoresTimeZone in the time zone written in the value (the
	// venue's), not the phone's.
	DateStyle       string `json:"dateStyle,omitempty"`
	TimeStyle       string `json:"timeStyle,omitempty"`
	IgnoresTimeZone bool   `json:"ignoresTimeZone,omitempty"`
}

type passSemantics struct {
	EventName      string            `json:"eventName"`
	EventType      string            `json:"eventType"`
	EventStartDate string            `json:"eventStartDate"`
	EventEndDate   string            `json:"eventEndDate,omitempty"`
	VenueName      string            `json:"venueName,omitempty"`
	VenueLocation  *passSemanticsLoc `json:"venueLocation,omitempty"`
	AdmissionLevel string            `json:"admissionLevel,omitempty"`
	AttendeeName   string            `json:"attendeeName,omitempty"`
	Seats          []passSeat        `json:"seats,omitempty"`
}

type passSemanticsLoc struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
}

type passSeat struct {
	SeatSection string `json:"seatSection,omitempty"`
	SeatRow     string `json:"seatRow,omitempty"`
	SeatNumber  string `json:"seatNumber,omitempty"`
}

// Build makes a signed .pkpass file (a zip archive) for one ticket: the
// pass.json, icons and logos, manifest.json with the SHA-1 of every file,
// and a detached PKCS#7 signature of the manifest by the pass certificate
// with the WWDR intermediate included. It refuses a ticket that requires
// a rotating code (ErrRotatingUnsupported): Apple Wallet shows only the
// static code, which gates refuse for such tickets.
func (s *PassSigner) Build(t PassTicket) ([]byte, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	pj, err := s.passJSON(t)
	if err != nil {
		return nil, err
	}
	pjBytes, err := json.MarshalIndent(pj, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("pass %s: %w", pj.SerialNumber, err)
	}
	colors := DefaultColors
	if t.Colors != nil {
		colors = *t.Colors
	}
	images, err := passImageFiles(colors)
	if err != nil {
		return nil, fmt.Errorf("pass %s: images: %w", pj.SerialNumber, err)
	}

	files := make([]passFile, 0, len(passImages)+1)
	files = append(files, passFile{passJSONName, pjBytes})
	for _, pi := range passImages {
		files = append(files, passFile{pi.name, images[pi.name]})
	}
	manifest, err := buildManifest(files)
	if err != nil {
		return nil, fmt.Errorf("pass %s: %w", pj.SerialNumber, err)
	}
	sig, err := s.sign(manifest)
	if err != nil {
		return nil, fmt.Errorf("pass %s: %w", pj.SerialNumber, err)
	}
	files = append(files, passFile{passManifestName, manifest}, passFile{passSignatureName, sig})

	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	mod := time.Now()
	for _, f := range files {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: mod})
		if err != nil {
			return nil, fmt.Errorf("pass %s: zip: %w", pj.SerialNumber, err)
		}
		if _, err := w.Write(f.data); err != nil {
			return nil, fmt.Errorf("pass %s: zip: %w", pj.SerialNumber, err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("pass %s: zip: %w", pj.SerialNumber, err)
	}
	return buf.Bytes(), nil
}

// sign returns the DER of a detached CMS SignedData over manifest: SHA-256,
// signed attributes (content type, message digest, signing time), and the
// pass certificate and WWDR intermediate in the certificate set.
func (s *PassSigner) sign(manifest []byte) ([]byte, error) {
	sd, err := pkcs7.NewSignedData(manifest)
	if err != nil {
		return nil, fmt.Errorf("signature: %w", err)
	}
	sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA256)
	if err := sd.AddSignerChain(s.Cert, s.Key, []*x509.Certificate{s.WWDR}, pkcs7.SignerInfoConfig{}); err != nil {
		return nil, fmt.Errorf("signature: %w", err)
	}
	sd.Detach()
	der, err := sd.Finish()
	if err != nil {
		return nil, fmt.Errorf("signature: %w", err)
	}
	return der, nil
}

// passJSON checks t and fills in pass.json.
func (s *PassSigner) passJSON(t PassTicket) (passJSON, error) {
	ti, err := inspectToken(t.Token)
	if err != nil {
		return passJSON{}, fmt.Errorf("pass %s: %w", t.TicketID, err)
	}
	id, err := resolveTicketID(t.TicketID, ti)
	if err != nil {
		return passJSON{}, fmt.Errorf("pass: %w", err)
	}
	fail := func(format string, args ...any) (passJSON, error) {
		return passJSON{}, fmt.Errorf("pass %s: %w: "+format, append([]any{id, ErrInvalidTicket}, args...)...)
	}
	if ti.rotating {
		return passJSON{}, fmt.Errorf("pass %s: %w: the ticket requires a rotating code, which Apple Wallet cannot show; deliver it through Google Wallet or the app", id, ErrRotatingUnsupported)
	}
	for i, r := range t.Token {
		if r > 0xff {
			return fail("barcode text has %q at byte %d, outside ISO-8859-1", r, i)
		}
	}
	if t.EventTitle == "" {
		return fail("event title is missing")
	}
	for _, f := range []struct{ name, v string }{
		{"event title", t.EventTitle}, {"venue name", t.VenueName},
		{"ticket type", t.TicketTypeName}, {"holder name", t.HolderName},
	} {
		if n := utf8.RuneCountInString(f.v); n > passMaxTextFieldRunes {
			return fail("%s is %d characters, more than %d", f.name, n, passMaxTextFieldRunes)
		}
	}
	if err := checkTimes(t.Starts, t.Ends); err != nil {
		return passJSON{}, fmt.Errorf("pass %s: %w", id, err)
	}
	if err := checkLocation(t.VenueLat, t.VenueLon); err != nil {
		return passJSON{}, fmt.Errorf("pass %s: %w", id, err)
	}
	loc, err := eventLocation(t.TimeZone, t.Starts)
	if err != nil {
		return passJSON{}, fmt.Errorf("pass %s: %w", id, err)
	}
	at := func(tm time.Time) string { return tm.In(loc).Format(time.RFC3339) }
	colors := DefaultColors
	if t.Colors != nil {
		colors = *t.Colors
	}
	eventType := t.EventType
	if eventType == "" {
		eventType = passDefaultEventType
	}

	pj := passJSON{
		FormatVersion:      passFormatVersion,
		PassTypeIdentifier: s.PassTypeID,
		SerialNumber:       id,
		TeamIdentifier:     s.TeamID,
		OrganizationName:   s.OrganizationName,
		Description:        "Ticket: " + t.EventTitle,
		LogoText:           s.OrganizationName,
		BackgroundColor:    cssRGB(colors.Background),
		ForegroundColor:    cssRGB(colors.Foreground),
		LabelColor:         cssRGB(colors.Label),
		RelevantDate:       at(t.Starts),
		Barcodes: []passBarcode{{
			Format:          passBarcodeFormatQR,
			Message:         t.Token,
			MessageEncoding: passBarcodeEncoding,
			AltText:         ShortTicketID(id),
		}},
		Semantics: passSemantics{
			EventName:      t.EventTitle,
			EventType:      eventType,
			EventStartDate: at(t.Starts),
			VenueName:      t.VenueName,
			AdmissionLevel: t.TicketTypeName,
			AttendeeName:   t.HolderName,
		},
	}
	if !t.Ends.IsZero() {
		pj.RelevantDates = []passDateRange{{StartDate: at(t.Starts), EndDate: at(t.Ends)}}
		pj.Semantics.EventEndDate = at(t.Ends)
	}
	// The pass greys out as expired when the gate would refuse it.
	if !ti.validUntil.IsZero() {
		pj.ExpirationDate = at(ti.validUntil)
	}
	if hasLocation(t.VenueLat, t.VenueLon) {
		pj.Semantics.VenueLocation = &passSemanticsLoc{Latitude: t.VenueLat, Longitude: t.VenueLon}
		text := t.EventTitle
		if t.VenueName != "" {
			text += " at " + t.VenueName
		}
		pj.Locations = []passLocation{{Latitude: t.VenueLat, Longitude: t.VenueLon, RelevantText: text}}
	}

	f := &pj.EventTicket
	f.PrimaryFields = []passField{{Key: "event", Label: "EVENT", Value: t.EventTitle}}
	if t.VenueName != "" {
		f.SecondaryFields = append(f.SecondaryFields, passField{Key: "venue", Label: "VENUE", Value: t.VenueName})
	}
	f.SecondaryFields = append(f.SecondaryFields, passField{
		Key: "starts", Label: "DATE", Value: at(t.Starts),
		DateStyle: passDateStyleMedium, TimeStyle: passDateStyleShort, IgnoresTimeZone: true,
	})
	if t.TicketTypeName != "" {
		f.AuxiliaryFields = append(f.AuxiliaryFields, passField{Key: "type", Label: "TICKET", Value: t.TicketTypeName})
	}
	if !t.Seat.IsZero() {
		f.AuxiliaryFields = append(f.AuxiliaryFields, passField{Key: "seat", Label: "SEAT", Value: t.Seat.String()})
		pj.Semantics.Seats = []passSeat{{SeatSection: t.Seat.Section, SeatRow: t.Seat.Row, SeatNumber: t.Seat.Number}}
	}
	if t.HolderName != "" {
		f.AuxiliaryFields = append(f.AuxiliaryFields, passField{Key: "holder", Label: "NAME", Value: t.HolderName})
	}
	f.BackFields = append(f.BackFields, passField{Key: "ticketId", Label: "Ticket ID", Value: id})
	if !t.Ends.IsZero() {
		f.BackFields = append(f.BackFields, passField{
			Key: "ends", Label: "Ends", Value: at(t.Ends),
			DateStyle: passDateStyleMedium, TimeStyle: passDateStyleShort, IgnoresTimeZone: true,
		})
	}
	f.BackFields = append(f.BackFields, passField{Key: "entry", Label: "Entry",
		Value: "Show the code at the gate. It admits once; a copy is worth no more than the original."})
	return pj, nil
}
