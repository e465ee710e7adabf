package issuer

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/admitone/admitone/bundle"
	ticketcrypto "github.com/admitone/admitone/crypto"
)

// MaxReason bounds the reason of a revocation.
const MaxReason = 200

// ParseRevocations reads a revocation list: one ticket id per line,
// optionally followed by white space and a reason ("tk_... refunded").
// Empty lines and lines starting with # are skipped. Every revocation gets
// the time at. Errors name the line: an id that does not parse, a ticket
// listed twice, a reason that is too long or holds control characters.
func ParseRevocations(r io.Reader, at time.Time) ([]bundle.Revocation, error) {
	var out []bundle.Revocation
	seen := make(map[ticketcrypto.TicketID]int)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1024), maxLineLen)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if n == 1 {
			line = strings.TrimPrefix(line, "\uFEFF") // a BOM from a Windows editor
		}
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if len(out) == MaxListTickets {
			return nil, fmt.Errorf("line %d: more than %d revocations", n, MaxListTickets)
		}
		idText, reason := line, ""
		if i := strings.IndexFunc(line, unicode.IsSpace); i >= 0 {
			idText, reason = line[:i], strings.TrimSpace(line[i:])
		}
		id, err := ticketcrypto.ParseTicketID(idText)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if id.IsZero() {
			return nil, fmt.Errorf("line %d: ticket id %s is zero", n, id)
		}
		if prev, dup := seen[id]; dup {
			return nil, fmt.Errorf("line %d: ticket %s is already revoked on line %d", n, id, prev)
		}
		seen[id] = n
		if err := validateReason(reason); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		out = append(out, bundle.Revocation{Ticket: id, At: at.UTC(), Reason: reason})
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("line %d: longer than %d bytes", n+1, maxLineLen)
		}
		return nil, err
	}
	return out, nil
}

func validateReason(reason string) error {
	switch {
	case len(reason) > MaxReason:
		return fmt.Errorf("reason is %d bytes, more than %d", len(reason), MaxReason)
	case !utf8.ValidString(reason):
		return errors.New("reason is not valid UTF-8")
	case strings.ContainsFunc(reason, unicode.IsControl):
		return errors.New("reason contains a control character")
	}
	return nil
}
