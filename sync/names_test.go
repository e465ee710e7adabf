package sync_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/admitone/admitone/bundle"
	ticketcrypto "github.com/admitone/admitone/crypto"
	ticketsync "github.com/admitone/admitone/sync"
)

// TestEnrollmentTypeNames: a gate that asks for names gets the event's
// ticket type names from the catalog in its enrolment bundle and answers
// with them; one that does not ask (an older scannerd) gets a bundle
// without them, which it can read; the USB-stick export carries them.
func TestEnrollmentTypeNames(t *testing.T) {
	w := newWorld(t)
	tok := w.ticket(t) // makes ticket type 1, "Standing"
	g := w.enroll(t, "north")
	if res := g.scan(t, tok, false); res.Verdict != "accepted" || res.TicketTypeName != "Standing" {
		t.Fatalf("scan at an enrolled gate: %s, type name %q", res.Verdict, res.TicketTypeName)
	}

	ctx := context.Background()
	gt, code, err := w.enr.CreateGate(ctx, w.eventID, ticketsync.GateSpec{Name: "old", Direction: bundle.Both}, "usr_test")
	if err != nil {
		t.Fatal(err)
	}
	enr, err := w.enr.Enroll(ctx, code, ticketsync.EnrollOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := bundle.Read(enr.Bundle, []ticketcrypto.PublicKey{enr.Signer}, []byte(code))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.TicketTypes) != 0 || p.Profiles[0].Direction != bundle.Both || enr.Gate.Direction != bundle.Both {
		t.Fatalf("enrolment without names: types %+v, direction %s", p.TicketTypes, p.Profiles[0].Direction)
	}

	var buf bytes.Buffer
	signer, _, err := w.enr.Export(ctx, gt.ID, &buf, []byte("door-pass"), ticketcrypto.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	p, _, err = bundle.Read(buf.Bytes(), []ticketcrypto.PublicKey{signer}, []byte("door-pass"))
	if err != nil {
		t.Fatal(err)
	}
	if p.TypeName(1) != "Standing" {
		t.Fatalf("exported bundle's type names: %+v", p.TicketTypes)
	}

	if _, _, err := w.enr.CreateGate(ctx, w.eventID, ticketsync.GateSpec{Name: "x", Direction: "sideways"}, "usr_test"); err == nil {
		t.Fatal("a gate with direction sideways was created")
	}
}
