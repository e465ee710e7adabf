package crypto_test

import (
	"errors"
	"fmt"
	"time"

	ticketcrypto "github.com/admitone/admitone/crypto"
)

// issuerKey is a fixed key so that the examples print the same output on
// every run; an issuer makes its key with GeneratePrivateKey.
func issuerKey() ticketcrypto.PrivateKey {
	k, err := ticketcrypto.ParsePrivateKey("aosk_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8")
	if err != nil {
		panic(err)
	}
	return k
}

func ExampleSign() {
	ev, _ := ticketcrypto.ParseEventID("ev_e0e1e2e3e4e5e6e7")
	tk, _ := ticketcrypto.ParseTicketID("tk_101112131415161718191a1b")
	st, err := ticketcrypto.Sign(issuerKey(), ticketcrypto.Token{
		Event:      ev,
		Ticket:     tk,
		TypeNumber: 7,
		ValidFrom:  time.Date(2026, 6, 1, 16, 0, 0, 0, time.UTC),
		ValidUntil: time.Date(2026, 6, 2, 2, 0, 0, 0, time.UTC),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	text := st.Text()
	fmt.Println(len(text), text[:4])
	fmt.Println(st.KeyID)
	// Output:
	// 148 AT1:
	// kid_0b00
}

func ExampleKeyring_Verify() {
	key := issuerKey()
	ev, _ := ticketcrypto.ParseEventID("ev_e0e1e2e3e4e5e6e7")
	st, _ := ticketcrypto.Sign(key, ticketcrypto.Token{Event: ev, Ticket: ticketcrypto.NewTicketID(), TypeNumber: 2})

	// A gate's keyring trusts the event's issuer keys; the key was retired
	// at the end of 2026.
	var ring ticketcrypto.Keyring
	retired := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	err := ring.Add(ticketcrypto.KeyringEntry{Event: ev, KeyID: key.ID(), PublicKey: key.Public(), NotAfter: retired})
	if err != nil {
		fmt.Println(err)
		return
	}

	sc, err := ring.Verify(st.Text(), time.Date(2026, 6, 1, 18, 0, 0, 0, time.UTC))
	fmt.Println("type", sc.TypeNumber, "error", err)

	_, err = ring.Verify(st.Text(), retired)
	fmt.Println("after retirement, unknown key:", errors.Is(err, ticketcrypto.ErrUnknownKey))

	_, err = ring.Verify(st.Text()[:100], retired)
	fmt.Println("cut short, malformed:", errors.Is(err, ticketcrypto.ErrMalformed))
	// Output:
	// type 2 error <nil>
	// after retirement, unknown key: true
	// cut short, malformed: true
}

func ExampleBase45Encode() {
	fmt.Println(ticketcrypto.Base45Encode([]byte("Hello!!")))
	b, err := ticketcrypto.Base45Decode("QED8WEX0")
	fmt.Printf("%s %v\n", b, err)
	// Output:
	// %69 VD92EX0
	// ietf! <nil>
}
