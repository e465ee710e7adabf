package wallet

import (
	"testing"
	"time"

	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/wallet/wallettest"

	// The tests show times in Europe/Berlin on any machine.
	_ "time/tzdata"
)

// Fixed ticket material, as in package crypto's tests.
const (
	testIssuerSecret   = "aosk_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
	testRotationSecret = "aork_QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8"
)

var (
	testEvent  = ticketcrypto.EventID{0xe0, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7}
	testTicket = ticketcrypto.TicketID{0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b}
	// testStarts is 20:00 in Berlin (summer time, UTC+2).
	testStarts = time.Date(2026, 6, 1, 18, 0, 0, 0, time.UTC)
	testEnds   = time.Date(2026, 6, 1, 22, 30, 0, 0, time.UTC)
	testUntil  = time.Date(2026, 6, 2, 2, 0, 0, 0, time.UTC)
)

func testIssuerKey(t testing.TB) ticketcrypto.PrivateKey {
	t.Helper()
	k, err := ticketcrypto.ParsePrivateKey(testIssuerSecret)
	if err != nil {
		t.Fatalf("ParsePrivateKey: %v", err)
	}
	return k
}

func testRotationKey(t testing.TB) ticketcrypto.RotationKey {
	t.Helper()
	k, err := ticketcrypto.ParseRotationKey(testRotationSecret)
	if err != nil {
		t.Fatalf("ParseRotationKey: %v", err)
	}
	return k
}

// testToken signs a ticket token; rotating sets the rotating-code flag.
func testToken(t testing.TB, rotating bool) ticketcrypto.SignedToken {
	t.Helper()
	tok := ticketcrypto.Token{Event: testEvent, Ticket: testTicket, TypeNumber: 2, ValidUntil: testUntil}
	if rotating {
		tok.Flags = ticketcrypto.FlagRotating
	}
	st, err := ticketcrypto.Sign(testIssuerKey(t), tok)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return st
}

func testPassTicket(t testing.TB) PassTicket {
	return PassTicket{
		TicketID:       testTicket.String(),
		Token:          testToken(t, false).Text(),
		EventTitle:     "Nachtmusik im Park",
		VenueName:      "Tempodrom",
		VenueLat:       52.5009,
		VenueLon:       13.3817,
		Starts:         testStarts,
		Ends:           testEnds,
		TimeZone:       "Europe/Berlin",
		TicketTypeName: "Parkett",
		Seat:           Seat{Section: "B", Row: "4", Number: "12"},
		HolderName:     "Ada Lovelace",
	}
}

// testSigner signs passes with p's pass certificate.
func testSigner(p *wallettest.PKI) *PassSigner {
	return &PassSigner{
		PassTypeID:       "pass.com.example.tickets",
		TeamID:           "ABCDE12345",
		OrganizationName: "Example Events GmbH",
		Cert:             p.Leaf,
		Key:              p.LeafKey,
		WWDR:             p.WWDR,
	}
}
