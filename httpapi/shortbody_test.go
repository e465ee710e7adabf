package httpapi

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/admitone/admitone/payment"
)

// sendCutShort sends a POST whose body stops before its Content-Length,
// then half-closes the connection, as a client that died mid-upload
// would, and returns the answer's status and error code.
func sendCutShort(t *testing.T, addr, path string, header http.Header, declared int, body string) (int, string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	var req strings.Builder
	fmt.Fprintf(&req, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n", path, addr, declared)
	for k, vs := range header {
		for _, v := range vs {
			fmt.Fprintf(&req, "%s: %s\r\n", k, v)
		}
	}
	req.WriteString("\r\n" + body)
	if _, err := conn.Write([]byte(req.String())); err != nil {
		t.Fatal(err)
	}
	conn.(*net.TCPConn).CloseWrite()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("POST %s cut short: no answer: %v", path, err)
	}
	defer resp.Body.Close()
	var e errorBody
	json.NewDecoder(resp.Body).Decode(&e)
	return resp.StatusCode, e.Error.Code
}

// TestBodyCutShortIs400: a body that ends before its Content-Length is a
// bad request, not 413 too_large, on every route that reads a body; a
// body over the limit is still 413.
func TestBodyCutShortIs400(t *testing.T) {
	h := newHarness(t, "bolt")
	st, err := payment.NewStripe(payment.StripeConfig{SecretKey: "sk_test_short", WebhookSecret: "whsec_short"})
	if err != nil {
		t.Fatal(err)
	}
	h.api.Webhooks = st
	buyer := h.newUser(t, "buyer")
	addr := h.srv.Listener.Addr().String()
	auth := http.Header{"Authorization": {"Bearer " + buyer.Token}}
	idem := http.Header{"Authorization": {"Bearer " + buyer.Token}, "Idempotency-Key": {"cut-short-1"}}
	for _, c := range []struct {
		name, path string
		header     http.Header
	}{
		{"JSON body", "/v1/auth/signup", nil},
		{"JSON body, signed in", "/v1/orgs", auth},
		{"idempotent route", "/v1/holds", idem},
		{"Stripe webhook", "/v1/webhooks/stripe", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			if status, code := sendCutShort(t, addr, c.path, c.header, 1000, `{"email":"a@`); status != http.StatusBadRequest || code != "incomplete_body" {
				t.Errorf("body cut short: %d %q, want 400 incomplete_body", status, code)
			}
			big := strings.Repeat("x", int(max(MaxBody, payment.DefaultMaxWebhookBytes))+1)
			if status, code := sendCutShort(t, addr, c.path, c.header, len(big), big); status != http.StatusRequestEntityTooLarge || code != "too_large" {
				t.Errorf("body over the limit: %d %q, want 413 too_large", status, code)
			}
		})
	}
}
