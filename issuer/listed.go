package issuer

import (
	"crypto/sha256"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/admitone/admitone/bundle"
	ticketcrypto "github.com/admitone/admitone/crypto"
)

// ListedCode is a barcode sold by another ticketing system, admitted by
// gates in listed mode.
type ListedCode struct {
	Code       string
	TypeNumber uint16
	// Holder is the holder's name the gate shows, if the list has one.
	Holder string
}

// ParseListedCodes reads foreign barcodes from CSV with two columns,
// code and ticket type number ("4006381333931,2"), or three with the
// holder's name ("4006381333931,2,Ada Lovelace"; every record has as many
// columns as the first). A first record "code,type" or
// "code,type,holder" is a header and skipped. Errors name the line: a code that is
// empty, too long (bundle.MaxCodeLen), has surrounding spaces or control
// characters, looks like an AdmitOne token, or appears twice; a type that
// is not a number from 0 to 65535.
func ParseListedCodes(r io.Reader) ([]ListedCode, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = 0 // as many as the first record
	cr.ReuseRecord = true
	var out []ListedCode
	seen := make(map[string]int)
	for first := true; ; first = false {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("line %d: %w", pe.StartLine, pe.Err)
			}
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != 2 && len(rec) != 3 {
			return nil, fmt.Errorf("line %d: %d columns; want code,type or code,type,holder", line, len(rec))
		}
		if first {
			rec[0] = strings.TrimPrefix(rec[0], "\uFEFF") // a BOM from a spreadsheet
			if strings.EqualFold(strings.TrimSpace(rec[0]), "code") && strings.EqualFold(strings.TrimSpace(rec[1]), "type") {
				continue
			}
		}
		if len(out) == MaxListTickets {
			return nil, fmt.Errorf("line %d: more than %d codes", line, MaxListTickets)
		}
		code := rec[0]
		if err := validateCode(code); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		typ, err := strconv.ParseUint(strings.TrimSpace(rec[1]), 10, 16)
		if err != nil {
			return nil, fmt.Errorf("line %d: type %q is not a number from 0 to 65535", line, truncate(rec[1], 20))
		}
		if prev, dup := seen[code]; dup {
			return nil, fmt.Errorf("line %d: code %q is already on line %d", line, truncate(code, 40), prev)
		}
		seen[code] = line
		lc := ListedCode{Code: code, TypeNumber: uint16(typ)}
		if len(rec) == 3 {
			if lc.Holder = strings.TrimSpace(rec[2]); checkHolder(lc.Holder) != nil {
				return nil, fmt.Errorf("line %d: %w", line, checkHolder(lc.Holder))
			}
		}
		out = append(out, lc)
	}
	return out, nil
}

func validateCode(code string) error {
	switch {
	case code == "":
		return errors.New("code is empty")
	case len(code) > bundle.MaxCodeLen:
		return fmt.Errorf("code is %d bytes, more than %d", len(code), bundle.MaxCodeLen)
	case !utf8.ValidString(code):
		return errors.New("code is not valid UTF-8")
	case strings.ContainsFunc(code, unicode.IsControl):
		return fmt.Errorf("code %q contains a control character", truncate(code, 40))
	case strings.TrimSpace(code) != code:
		return fmt.Errorf("code %q has leading or trailing space; a scanner reads the code without it", truncate(code, 40))
	case ticketcrypto.IsTokenText(code):
		return fmt.Errorf("code %q starts like an AdmitOne ticket token (%q); gates would read it as one", truncate(code, 40), ticketcrypto.TokenPrefix)
	}
	return nil
}

// ForeignTicketID is the ticket id of a foreign barcode in an event: the
// first 12 bytes of SHA-256("AdmitOne foreign code v1", 0, event id, code).
// It is derived rather than random so that every export of the same codes
// gives the same ids, and a gate keeps the check-ins of codes already used
// when it imports a newer bundle.
func ForeignTicketID(ev ticketcrypto.EventID, code string) ticketcrypto.TicketID {
	h := sha256.New()
	h.Write([]byte("AdmitOne foreign code v1\x00"))
	h.Write(ev[:])
	h.Write([]byte(code))
	var id ticketcrypto.TicketID
	copy(id[:], h.Sum(nil))
	return id
}
