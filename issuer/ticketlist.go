package issuer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/admitone/admitone/bundle"
	ticketcrypto "github.com/admitone/admitone/crypto"
)

// TicketListName is the file name of the ticket list in an output
// directory.
const TicketListName = "tickets.jsonl"

// MaxListTickets bounds the tickets read from one list: about what a
// bundle (bundle.MaxSize) carries.
const MaxListTickets = 2_000_000

// maxLineLen bounds one line of the text formats read here; a ticket list
// line is about 200 bytes.
const maxLineLen = 4096

// TicketLine is one line of a ticket list.
type TicketLine struct {
	ID         ticketcrypto.TicketID `json:"id"`
	TypeNumber uint16                `json:"type"`
	Token      string                `json:"token"`
	// Holder is the holder's name the gate shows; optional, at most
	// bundle.MaxNameLen bytes, added by the organizer.
	Holder string `json:"holder,omitempty"`
}

// AppendTicketList writes one TicketLine per token to w, in order.
func AppendTicketList(w io.Writer, tokens []ticketcrypto.SignedToken) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	for _, st := range tokens {
		b, err := json.Marshal(TicketLine{ID: st.Ticket, TypeNumber: st.TypeNumber, Token: st.Text()})
		if err != nil {
			return err
		}
		bw.Write(b)
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// TicketList is a ticket list read by ReadTicketList.
type TicketList struct {
	Tickets []bundle.Ticket
	// Rotating counts the tickets that require a rotating code: a gate
	// needs the event's rotation key to admit them.
	Rotating int
}

// ReadTicketList reads a ticket list of one event signed by one key. It
// refuses a line that is not a TicketLine, a token that does not parse or
// disagrees with its line's id or type, a token for another event or key,
// and a ticket listed twice; errors name the line. Empty lines are
// skipped. Signatures are not verified (see the package Caveats).
func ReadTicketList(r io.Reader, ev ticketcrypto.EventID, key ticketcrypto.KeyID) (TicketList, error) {
	var list TicketList
	seen := make(map[ticketcrypto.TicketID]int)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1024), maxLineLen)
	n := 0
	for sc.Scan() {
		n++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		if len(list.Tickets) == MaxListTickets {
			return TicketList{}, fmt.Errorf("line %d: more than %d tickets", n, MaxListTickets)
		}
		t, rotating, err := parseTicketLine(line, ev, key)
		if err != nil {
			return TicketList{}, fmt.Errorf("line %d: %w", n, err)
		}
		if prev, dup := seen[t.ID]; dup {
			return TicketList{}, fmt.Errorf("line %d: ticket %s is already on line %d", n, t.ID, prev)
		}
		seen[t.ID] = n
		list.Tickets = append(list.Tickets, t)
		if rotating {
			list.Rotating++
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return TicketList{}, fmt.Errorf("line %d: longer than %d bytes", n+1, maxLineLen)
		}
		return TicketList{}, err
	}
	return list, nil
}

// checkHolder refuses a holder's name a bundle would not carry.
func checkHolder(h string) error {
	if bundle.ClipName(h) != h {
		return fmt.Errorf("holder %q must be at most %d bytes of text without control characters or surrounding spaces", truncate(h, 40), bundle.MaxNameLen)
	}
	return nil
}

func parseTicketLine(line []byte, ev ticketcrypto.EventID, key ticketcrypto.KeyID) (bundle.Ticket, bool, error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	var tl TicketLine
	if err := dec.Decode(&tl); err != nil {
		return bundle.Ticket{}, false, fmt.Errorf("not a ticket line: %w", jsonError(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return bundle.Ticket{}, false, errors.New("not a ticket line: trailing data after the JSON object")
	}
	if tl.ID.IsZero() {
		return bundle.Ticket{}, false, errors.New("id is missing")
	}
	s, err := ticketcrypto.ParseText(tl.Token)
	if err != nil {
		return bundle.Ticket{}, false, fmt.Errorf("ticket %s: token: %w", tl.ID, err)
	}
	switch {
	case s.Code != "":
		return bundle.Ticket{}, false, fmt.Errorf("ticket %s: token carries a rotating code; the list holds the static form", tl.ID)
	case s.Ticket != tl.ID:
		return bundle.Ticket{}, false, fmt.Errorf("ticket %s: token is for ticket %s", tl.ID, s.Ticket)
	case s.TypeNumber != tl.TypeNumber:
		return bundle.Ticket{}, false, fmt.Errorf("ticket %s: type %d, but its token says %d", tl.ID, tl.TypeNumber, s.TypeNumber)
	case s.Event != ev:
		return bundle.Ticket{}, false, fmt.Errorf("ticket %s is for event %s, not %s", tl.ID, s.Event, ev)
	case s.KeyID != key:
		return bundle.Ticket{}, false, fmt.Errorf("ticket %s is signed by key %s, not %s", tl.ID, s.KeyID, key)
	}
	if err := checkHolder(tl.Holder); err != nil {
		return bundle.Ticket{}, false, fmt.Errorf("ticket %s: %w", tl.ID, err)
	}
	return bundle.Ticket{ID: tl.ID, TypeNumber: tl.TypeNumber, Holder: tl.Holder}, s.Rotating(), nil
}
