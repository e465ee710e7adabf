package bundle_test

import (
	"strings"
	"testing"

	"github.com/admitone/admitone/bundle"
	ticketcrypto "github.com/admitone/admitone/crypto"
)

func TestBundleLineagesRefused(t *testing.T) {
	a, b, c := ticketcrypto.NewTicketID(), ticketcrypto.NewTicketID(), ticketcrypto.NewTicketID()
	for _, tc := range []struct {
		name    string
		tickets []bundle.Ticket
		want    string
	}{
		{"itself", []bundle.Ticket{{ID: a, TypeNumber: 1, Replaces: a}}, "replaces itself"},
		{"not listed", []bundle.Ticket{{ID: a, TypeNumber: 1, Replaces: b}}, "does not list"},
		{"replaced twice", []bundle.Ticket{{ID: a, TypeNumber: 1}, {ID: b, TypeNumber: 1, Replaces: a}, {ID: c, TypeNumber: 1, Replaces: a}}, "replaced already"},
		{"cycle", []bundle.Ticket{{ID: a, TypeNumber: 1, Replaces: b}, {ID: b, TypeNumber: 1, Replaces: a}}, "cycle"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &bundle.Payload{Tickets: tc.tickets}
			_, err := p.Lineages()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Lineages = %v, want an error saying %q", err, tc.want)
			}
		})
	}
}
