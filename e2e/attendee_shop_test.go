package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"github.com/admitone/admitone/internal/browsertest"
	"github.com/admitone/admitone/internal/testenv"
	attendeeapp "github.com/admitone/admitone/web/attendee"
)

// The phone the shop is tested on.
const phoneW, phoneH = 390, 844

// pageChecks is what every page of the shop must pass, as JavaScript
// answering a list of problems (empty: none): every input, button and
// select has an accessible name (a label, aria-label or
// aria-labelledby), headings do not skip a level, and nothing scrolls
// sideways at the phone's width.
const pageChecks = `(() => {
  const bad = [];
  for (const c of document.querySelectorAll("input:not([type=hidden]), button, select, textarea")) {
    const named = (c.labels && c.labels.length && c.labels[0].textContent.trim()) || c.getAttribute("aria-label") ||
      (c.getAttribute("aria-labelledby") && document.getElementById(c.getAttribute("aria-labelledby"))) ||
      (c.tagName === "BUTTON" && c.textContent.trim());
    if (!named) bad.push("unlabelled " + c.tagName.toLowerCase() + "#" + c.id);
  }
  let last = 0;
  for (const h of document.querySelectorAll("h1, h2, h3, h4, h5, h6")) {
    if (h.closest("[hidden]")) continue;
    const n = Number(h.tagName[1]);
    if (n > last + 1) bad.push("heading " + h.tagName + " " + JSON.stringify(h.textContent) + " after h" + last);
    last = n;
  }
  if (document.documentElement.scrollWidth > window.innerWidth) bad.push("scrolls sideways: " + document.documentElement.scrollWidth + " > " + window.innerWidth);
  return bad.join("; ");
})()`

// shop is a browser on a phone-sized viewport pointed at a server.
type shop struct {
	t    *testing.T
	ctx  context.Context
	base string
	art  string
}

func openShop(t *testing.T, base, path string) *shop {
	t.Helper()
	return &shop{t: t, ctx: browsertest.Open(t, base+path, phoneW, phoneH), base: base, art: browsertest.ArtifactsDir(t, "attendee")}
}

// eval runs JavaScript and returns its value.
func eval[T any](s *shop, js string) T {
	s.t.Helper()
	v, err := chromedp.Run(s.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		s.t.Fatalf("%s: %v", js, err)
	}
	return v
}

// wait polls cond from outside the page, so a navigation in between does
// not end the wait, for up to 30 seconds.
func (s *shop) wait(cond, what string) {
	s.t.Helper()
	_, ok := testenv.Poll(30*time.Second, 100*time.Millisecond, func() bool {
		v, err := chromedp.Run(s.ctx, chromedp.Evaluate[bool](`document.readyState === "complete" && !!(`+cond+`)`))
		return err == nil && v
	})
	if !ok {
		text, _ := chromedp.Run(s.ctx, chromedp.Evaluate[string](`location.href + "\n" + document.body.innerText.slice(0, 2000)`))
		s.Shot("failed-" + strings.ReplaceAll(what, " ", "-"))
		s.t.Fatalf("the page never showed %s; it shows %s", what, text)
	}
}

// check runs pageChecks on the page and keeps a screenshot of it.
func (s *shop) check(name string) {
	s.t.Helper()
	if bad := eval[string](s, pageChecks); bad != "" {
		s.t.Errorf("page %s: %s", name, bad)
	}
	s.Shot(name)
}

func (s *shop) Shot(name string) {
	s.t.Helper()
	browsertest.Shot(s.t, s.ctx, filepath.Join(s.art, fmt.Sprintf("%s-%dx%d.png", name, phoneW, phoneH)))
}

func (s *shop) do(js string) {
	s.t.Helper()
	eval[bool](s, js+"; true")
}

// title waits for the page's h1 to read want.
func (s *shop) title(want string) {
	s.t.Helper()
	s.wait(fmt.Sprintf(`document.querySelector("h1") && document.querySelector("h1").textContent === %q`, want), "the heading "+want)
}

// goTo navigates to path and waits until the new page has loaded (a
// marker left on the old page's window tells the two apart, so a wait
// after it never matches the page being left).
func (s *shop) goTo(path string) {
	s.t.Helper()
	s.do(fmt.Sprintf(`window.leaving = true; location.href = %q`, path))
	s.wait(`!window.leaving && document.readyState !== "loading"`, "the page "+path)
}

// holdAndCheckout opens the event, chooses q tickets of the type and
// holds them, then checks out; it leaves the browser on the payment form.
func (s *shop) holdAndCheckout(eventID, typeID string, q int) {
	s.t.Helper()
	s.goTo("/app/event.html?id=" + eventID)
	s.wait(fmt.Sprintf(`document.getElementById("qty-%s")`, typeID), "the ticket type's quantity")
	s.do(fmt.Sprintf(`const q = document.getElementById("qty-%s"); q.value = "%d"; q.dispatchEvent(new Event("change"))`, typeID, q))
	s.do(`document.getElementById("hold").click()`)
	s.title("Your tickets are held")
	s.wait(`/^\d+:\d\d$/.test(document.getElementById("countdown").textContent)`, "the hold's countdown")
	s.do(`document.getElementById("checkout").click()`)
	s.wait(`document.getElementById("card")`, "the card form")
}

// buyOne holds one ticket of the type, checks out and pays with card;
// it returns the order's id.
func (s *shop) buyOne(eventID, typeID, card string) string {
	s.t.Helper()
	s.holdAndCheckout(eventID, typeID, 1)
	id := s.orderID()
	browsertest.Submit(s.t, s.ctx, "card", "pay-form", card)
	return id
}

// orderID is the order the checkout page shows.
func (s *shop) orderID() string {
	s.t.Helper()
	return eval[string](s, `new URLSearchParams(location.search).get("order") || ""`)
}

// token is the session token the app keeps.
func (s *shop) token() string {
	s.t.Helper()
	return eval[string](s, `localStorage.getItem("admitone.token") || ""`)
}

// shopOrder is an order as its buyer reads it, with its tickets.
type shopOrder struct {
	Status          string `json:"status"`
	PaymentIntentID string `json:"payment_intent_id"`
	PaidAt          string `json:"paid_at"`
}

// orderState is the order as its buyer reads it and how many of the
// buyer's tickets it issued.
func orderState(t *testing.T, base, token, orderID string) (shopOrder, int) {
	t.Helper()
	var o shopOrder
	call(t, "GET", base+"/v1/orders/"+orderID, token, nil, http.StatusOK, &o)
	return o, orderTickets(t, base, token, orderID)
}

func orderTickets(t *testing.T, base, token, orderID string) int {
	t.Helper()
	var list struct {
		Tickets []struct {
			OrderID string `json:"order_id"`
		} `json:"tickets"`
	}
	call(t, "GET", base+"/v1/tickets", token, nil, http.StatusOK, &list)
	n := 0
	for _, tk := range list.Tickets {
		if tk.OrderID == orderID {
			n++
		}
	}
	return n
}

// TestAttendeeShop buys tickets on a phone as a person would: sign up,
// search by keyword, open the event, hold two tickets, check out, pay
// with the test card, see both tickets; then a declined card and a double
// click on pay, each checked against the server.
func TestAttendeeShop(t *testing.T) {
	srv := startServer(t, t.TempDir(), "", "127.0.0.1:0")
	e := setupEvent(t, srv.url, 0)

	// The CSP reaches every page of the app.
	for _, p := range []string{"/app/", "/app/event.html", "/app/checkout.html", "/app/signin.html", "/app/signup.html", "/app/checkout.js"} {
		res, err := httpClient.Get(srv.url + p)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if got := res.Header.Get("Content-Security-Policy"); res.StatusCode != http.StatusOK || got != attendeeapp.CSP {
			t.Errorf("GET %s: %d with CSP %q, want 200 with %q", p, res.StatusCode, got, attendeeapp.CSP)
		}
	}

	s := openShop(t, srv.url, "/app/signup.html?next="+url.QueryEscape("/app/"))
	s.title("Create an account")
	s.check("signup")
	s.do(`document.getElementById("name").value = "Phone Buyer"; document.getElementById("email").value = "phone@example.com"`)
	browsertest.Submit(t, s.ctx, "password", "signup", password)
	s.wait(`location.pathname === "/app/" && document.getElementById("nav-auth").textContent === "Sign out"`, "the search page, signed in")

	browsertest.Submit(t, s.ctx, "q", "search", "sync night")
	s.wait(`[...document.querySelectorAll("#results a")].some((a) => a.textContent === "Gate Sync Night")`, "the event in the results")
	s.check("search")
	s.do(`[...document.querySelectorAll("#results a")].find((a) => a.textContent === "Gate Sync Night").click()`)
	s.title("Gate Sync Night")
	s.wait(`document.getElementById("qty-`+e.typeID+`")`, "the ticket types")
	s.check("event")

	s.holdAndCheckout(e.id, e.typeID, 2)
	s.check("pay")
	paid := s.orderID()
	browsertest.Submit(t, s.ctx, "card", "pay-form", "4242 4242 4242 4242")
	s.title("You have your tickets")
	s.wait(`document.querySelectorAll("#tickets li").length === 2`, "two tickets")
	s.check("paid")
	if href := eval[string](s, `document.getElementById("my-tickets").getAttribute("href")`); href != "/app/tickets.html" {
		t.Errorf("the confirmation links to %q, want My tickets", href)
	}
	token := s.token()
	if o, n := orderState(t, srv.url, token, paid); o.Status != "paid" || n != 2 {
		t.Errorf("order %s: %+v with %d tickets, want paid with 2", paid, o, n)
	}
	// My tickets, from the confirmation's link, lists both.
	s.do(`document.getElementById("my-tickets").click()`)
	s.wait(`location.pathname === "/app/tickets.html" && document.querySelectorAll("#tickets a[data-ticket]").length === 2`, "the two tickets in My tickets")
	s.check("my tickets")
	browsertest.Shot(t, s.ctx, filepath.Join(browsertest.ArtifactsDir(t, "attendee"), "my-tickets-390x844.png"))

	t.Run("declined card", func(t *testing.T) {
		s.t = t
		id := s.buyOne(e.id, e.typeID, "4000000000000002")
		s.title("Your card was declined")
		s.wait(`document.querySelector("[role=alert] h1")`, "the decline announced")
		s.check("declined")
		if o, n := orderState(t, srv.url, token, id); o.Status != "pending_payment" || o.PaidAt != "" || n != 0 {
			t.Errorf("declined order %s: %+v with %d tickets, want pending_payment, unpaid, none", id, o, n)
		}
		// Another card pays the same order.
		s.do(`document.getElementById("retry").click()`)
		s.wait(`document.getElementById("card")`, "the card form again")
		browsertest.Submit(t, s.ctx, "card", "pay-form", "4242424242424242")
		s.title("You have your tickets")
		if o, n := orderState(t, srv.url, token, id); o.Status != "paid" || n != 1 {
			t.Errorf("order %s after another card: %+v with %d tickets, want paid with 1", id, o, n)
		}
	})

	t.Run("authentication required", func(t *testing.T) {
		s.t = t
		id := s.buyOne(e.id, e.typeID, "4000002500003155")
		s.title("Your bank asks you to confirm this payment")
		s.check("authentication-required")
		if o, n := orderState(t, srv.url, token, id); o.Status != "pending_payment" || n != 0 {
			t.Errorf("order %s waiting for authentication: %+v with %d tickets, want pending_payment and none", id, o, n)
		}
		s.do(`document.getElementById("confirm").click()`)
		s.title("You have your tickets")
		if n := orderTickets(t, srv.url, token, id); n != 1 {
			t.Errorf("order %s after authentication: %d tickets, want 1", id, n)
		}
	})

	t.Run("double click on pay", func(t *testing.T) {
		s.t = t
		s.holdAndCheckout(e.id, e.typeID, 1)
		id := s.orderID()
		s.do(`document.getElementById("card").value = "4242424242424242"`)
		// Two clicks and two submits in one task: the second of each
		// arrives while the first payment is in flight.
		s.do(`const b = document.getElementById("pay"), f = document.getElementById("pay-form");
			b.click(); b.click();
			f.dispatchEvent(new Event("submit", {cancelable: true})); f.dispatchEvent(new Event("submit", {cancelable: true}))`)
		s.title("You have your tickets")
		s.wait(`document.querySelectorAll("#tickets li").length === 1`, "one ticket")
		o, n := orderState(t, srv.url, token, id)
		if o.Status != "paid" || o.PaymentIntentID == "" || n != 1 {
			t.Errorf("order %s after a double click: %+v with %d tickets, want paid once with 1", id, o, n)
		}
		// The pay route gives back the one payment the order has.
		var again struct {
			Order   shopOrder `json:"order"`
			Tickets []json.RawMessage
		}
		call(t, "POST", srv.url+"/v1/orders/"+id+"/pay", token, map[string]any{}, http.StatusOK, &again)
		if again.Order.PaymentIntentID != o.PaymentIntentID || len(again.Tickets) != 1 {
			t.Errorf("order %s paid again: intent %s with %d tickets, want %s with 1", id, again.Order.PaymentIntentID, len(again.Tickets), o.PaymentIntentID)
		}
	})

	t.Run("sold out", func(t *testing.T) {
		s.t = t
		// A type of one ticket that another buyer bought.
		var tt struct {
			ID string `json:"id"`
		}
		call(t, "POST", srv.url+"/v1/events/"+e.id+"/ticket-types", e.organizer, map[string]any{"name": "Front row", "kind": "admission",
			"price": map[string]any{"amount": 9000, "currency": "EUR"}, "capacity": 1, "per_order_max": 1}, http.StatusCreated, &tt)
		e.typeID, e.orders = tt.ID, nil
		e.buy(t, 1)
		s.goTo("/app/event.html?id=" + e.id)
		s.wait(fmt.Sprintf(`document.getElementById("qty-%s")`, tt.ID), "the new ticket type")
		s.do(fmt.Sprintf(`const q = document.getElementById("qty-%s"); q.value = "1"; q.dispatchEvent(new Event("change"))`, tt.ID))
		s.do(`document.getElementById("hold").click()`)
		s.title("Sold out")
		s.check("sold-out")
	})

	t.Run("sign out", func(t *testing.T) {
		s.t = t
		s.goTo("/app/")
		s.wait(`location.pathname === "/app/" && document.getElementById("results-count").textContent !== "Searching…" && document.getElementById("nav-auth").textContent === "Sign out"`, "the sign-out link")
		s.do(`document.getElementById("nav-auth").click()`)
		s.wait(`document.getElementById("nav-auth").textContent === "Sign in" && !localStorage.getItem("admitone.token")`, "signed out")
		// The session ended at the server, not only in the browser.
		if status, _, err := send("GET", srv.url+"/v1/tickets", token, nil); err != nil || status != http.StatusUnauthorized {
			t.Errorf("the signed-out token reads tickets: %d %v, want 401", status, err)
		}
	})
}

// totpCode is the code an authenticator app shows for secret at an
// instant (RFC 6238 defaults: SHA-1, six digits, 30 seconds).
func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	if c, err := totp.GenerateCode(secret, at); err == nil {
		return c
	} else {
		t.Fatalf("TOTP code: %v", err)
	}
	return ""
}

// TestAttendeeShopHoldExpires signs in with two-factor authentication,
// then waits out a hold on the checkout page: the countdown reaches zero
// and the page says the hold expired; the server refuses to check it out.
func TestAttendeeShopHoldExpires(t *testing.T) {
	srv := startServer(t, t.TempDir(), "", "127.0.0.1:0", "--hold-ttl", "4s")
	e := setupEvent(t, srv.url, 0)
	var enrol struct {
		Secret string `json:"secret"`
	}
	call(t, "POST", srv.url+"/v1/auth/totp/enroll", e.buyer, map[string]any{"password": password}, http.StatusOK, &enrol)
	call(t, "POST", srv.url+"/v1/auth/totp/confirm", e.buyer, map[string]any{"code": totpCode(t, enrol.Secret, time.Now())}, http.StatusOK, nil)

	s := openShop(t, srv.url, "/app/signin.html")
	s.title("Sign in")
	s.check("signin")
	s.do(`document.getElementById("email").value = "buyer@example.com"`)
	browsertest.Submit(t, s.ctx, "password", "signin", password)
	s.wait(`!document.getElementById("totp-field").hidden && document.getElementById("alert").textContent !== ""`, "the two-factor step")
	s.check("signin-totp")
	// The next period's code: the one just used to confirm is spent.
	browsertest.Submit(t, s.ctx, "totp", "signin", totpCode(t, enrol.Secret, time.Now().Add(30*time.Second)))
	s.wait(`location.pathname === "/app/" && document.getElementById("nav-auth").textContent === "Sign out"`, "signed in")

	s.goTo("/app/event.html?id=" + e.id)
	s.wait(fmt.Sprintf(`document.getElementById("qty-%s")`, e.typeID), "the ticket types")
	s.do(fmt.Sprintf(`const q = document.getElementById("qty-%s"); q.value = "1"; q.dispatchEvent(new Event("change"))`, e.typeID))
	s.do(`document.getElementById("hold").click()`)
	s.title("Your tickets are held")
	holdID := eval[string](s, `new URLSearchParams(location.search).get("hold")`)
	s.title("Your hold has expired")
	s.check("hold-expired")
	status, body, err := send("POST", srv.url+"/v1/orders", s.token(), map[string]any{"hold_id": holdID})
	if err != nil || status != http.StatusGone {
		t.Errorf("checkout of the expired hold %s: %d %s %v, want 410", holdID, status, body, err)
	}
}

// TestAttendeeShopWaitingRoom: with a waiting room on the event's
// on-sale, the app's hold is refused for want of an admission; the page
// takes a place in the queue, says the position and the wait in words,
// and once the buyer is admitted holds the tickets with the admission
// token, on to checkout, without the buyer doing anything more.
func TestAttendeeShopWaitingRoom(t *testing.T) {
	srv := startServer(t, t.TempDir(), "", "127.0.0.1:0")
	e := setupEvent(t, srv.url, 0)
	// Twelve a minute: one admission every five seconds.
	call(t, "PUT", srv.url+"/v1/events/"+e.id+"/waiting-room", e.organizer, map[string]any{"enabled": true, "admit_per_minute": 12},
		http.StatusOK, nil)
	// Someone joined before the buyer.
	early := account(t, srv.url, "early@example.com")
	call(t, "POST", srv.url+"/v1/events/"+e.id+"/queue", early, nil, http.StatusOK, nil)

	s := openShop(t, srv.url, "/app/signin.html")
	s.title("Sign in")
	s.do(`document.getElementById("email").value = "buyer@example.com"`)
	browsertest.Submit(t, s.ctx, "password", "signin", password)
	s.wait(`location.pathname === "/app/" && document.getElementById("nav-auth").textContent === "Sign out"`, "signed in")
	s.goTo("/app/event.html?id=" + e.id)
	s.wait(fmt.Sprintf(`document.getElementById("qty-%s")`, e.typeID), "the ticket types")
	s.do(fmt.Sprintf(`const q = document.getElementById("qty-%s"); q.value = "2"; q.dispatchEvent(new Event("change"))`, e.typeID))
	s.do(`document.getElementById("hold").click()`)
	s.wait(`/You are number \d+ in the queue, \d+ (person|people) ahead of you; about .* to wait\./.test(document.getElementById("queue-text").textContent)`,
		"the place in the queue in words")
	s.check("event-waiting-room")
	s.title("Your tickets are held")
	holdID := eval[string](s, `new URLSearchParams(location.search).get("hold")`)
	if holdID == "" {
		t.Fatal("the checkout page names no hold")
	}
	// The hold is the buyer's, made with the admission.
	var q struct {
		Status string `json:"status"`
		Number int64  `json:"number"`
	}
	call(t, "GET", srv.url+"/v1/events/"+e.id+"/queue", s.token(), nil, http.StatusOK, &q)
	if q.Status != "admitted" || q.Number != 2 {
		t.Errorf("the buyer's place: %+v, want admitted, number 2 (after the early one)", q)
	}
}
