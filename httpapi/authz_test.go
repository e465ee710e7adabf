package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/internal/id"
	"github.com/admitone/admitone/notify"
	"github.com/admitone/admitone/payment"
	"github.com/admitone/admitone/purchase"
	ticketsync "github.com/admitone/admitone/sync"
	"github.com/admitone/admitone/voucher"
	"github.com/admitone/admitone/waitroom"
)

// The callers of the authorization walk, in the matrix's column order.
const (
	anon       = iota // no Authorization header
	attendee          // signed in, no membership
	staff             // staff of org A
	organizer         // organizer of org A
	otherOrg          // organizer of org B only
	admin             // admin with 2FA enrolled
	adminNo2FA        // admin who has not enrolled 2FA yet
	nCallers
)

var callerNames = [nCallers]string{"anon", "attendee", "staff", "organizer", "other-org", "admin", "admin-no-2fa"}

// row is the expected status per caller, in callerNames order.
type row [nCallers]int

// walkFixture is what the walk's requests refer to. Everything in it is
// shared by the read-only cases; mutating cases make their own.
type walkFixture struct {
	h            *harness
	orgA, orgB   catalog.Organization
	venueA       catalog.Venue
	published    catalog.Event // published event of org A
	draft        catalog.Event // draft event of org A, with a ticket type
	callers      [nCallers]*user
	memberTarget *user              // an account organizers add to org A
	loginTarget  *user              // an account whose credentials the login case sends
	standing     catalog.TicketType // the published event's ticket type
	buyer        *user              // owns the holds, orders and tickets that are not the caller's
	merch        catalog.TicketType // the published event's merchandise, made by merchOrder
	queued       catalog.Event      // a published event of org A with its waiting room on, made by queueEvent
	roomRate     int                // the waiting-room case's requests so far
}

// queueEvent returns a published event of org A whose waiting room is
// on, made at its first call: the published event has none, so holds of
// it need no admission.
func (f *walkFixture) queueEvent(t *testing.T) catalog.Event {
	t.Helper()
	if f.queued.ID != "" {
		return f.queued
	}
	org := f.callers[organizer]
	ev := f.h.createEvent(t, org, f.orgA.ID, eventBody(f.venueA.ID, "Queued Show", "music", f.h.clock.Now().Add(45*24*time.Hour)))
	f.h.createTicketType(t, org, ev.ID, ticketTypeBody("Standing", 2500, "EUR"))
	f.queued = f.h.publish(t, org, ev.ID)
	if _, err := f.h.api.Waitroom.Configure(t.Context(), ev.ID, waitroom.Settings{Enabled: true, AdmitPerMinute: 60}); err != nil {
		t.Fatal(err)
	}
	return f.queued
}

func newWalkFixture(t *testing.T, h *harness) *walkFixture {
	t.Helper()
	f := &walkFixture{h: h}
	// The walk makes many holds for a few accounts at a frozen clock:
	// the hoarding caps are TestHoldHoarding's to test, not in its way.
	h.purchase.MaxHeldPerBuyer, h.purchase.HoldsPerMinute = -1, -1
	f.callers[organizer] = h.newUser(t, "organizer")
	f.callers[staff] = h.newUser(t, "staff")
	f.callers[attendee] = h.newUser(t, "attendee")
	f.callers[otherOrg] = h.newUser(t, "other")
	f.callers[admin] = h.admin(t)
	f.callers[adminNo2FA] = h.pendingAdmin(t)
	f.memberTarget = h.signUp(t, h.email("member"))
	f.loginTarget = f.callers[attendee]

	org := f.callers[organizer]
	f.orgA = h.createOrg(t, org, "Org A", false)
	f.orgB = h.createOrg(t, f.callers[otherOrg], "Org B", false)
	h.addMember(t, org, f.orgA.ID, f.callers[staff].Email, account.RoleStaff)
	f.venueA = h.createVenue(t, org, f.orgA.ID, venueBody("Hall A", "Berlin", "DE", 52.52, 13.40))
	f.published = h.createEvent(t, org, f.orgA.ID, eventBody(f.venueA.ID, "Published Show", "music", h.clock.Now().Add(40*24*time.Hour)))
	f.standing = h.createTicketType(t, org, f.published.ID, ticketTypeBody("Standing", 2500, "EUR"))
	f.published = h.publish(t, org, f.published.ID)
	f.buyer = h.newUser(t, "buyer")
	f.draft = h.draftWithTicketType(t, f.orgA.ID, f.venueA.ID, "Draft Show")
	h.enableTickets(t)
	// Webhooks verify against a Stripe webhook secret; the walk's
	// requests are unsigned.
	st, err := payment.NewStripe(payment.StripeConfig{SecretKey: "sk_test_walk", WebhookSecret: "whsec_walk"})
	if err != nil {
		t.Fatal(err)
	}
	h.api.Webhooks = st
	return f
}

// freshCaller makes a new account in caller role c, for a request that
// changes its caller (logging out, turning 2FA on).
func (f *walkFixture) freshCaller(t *testing.T, c int) *user {
	t.Helper()
	h := f.h
	put := func(u *user, orgID string, r account.Role) {
		t.Helper()
		if err := h.acctStore.PutMembership(t.Context(), account.Membership{UserID: u.ID, OrgID: orgID, Role: r}); err != nil {
			t.Fatal(err)
		}
	}
	switch c {
	case anon:
		return nil
	case attendee:
		return h.newUser(t, "attendee")
	case staff:
		u := h.newUser(t, "staff")
		put(u, f.orgA.ID, account.RoleStaff)
		return u
	case organizer:
		u := h.newUser(t, "organizer")
		put(u, f.orgA.ID, account.RoleOrganizer)
		return u
	case otherOrg:
		u := h.newUser(t, "other")
		put(u, f.orgB.ID, account.RoleOrganizer)
		return u
	case admin:
		return h.admin(t)
	case adminNo2FA:
		return h.pendingAdmin(t)
	}
	t.Fatalf("no caller %d", c)
	return nil
}

// hold makes an active hold of one standing ticket for u, or for the
// fixture's buyer when u is nil (the anonymous caller has no holds).
func (f *walkFixture) hold(t *testing.T, u *user) purchase.Hold {
	t.Helper()
	if u == nil {
		u = f.buyer
	}
	h, err := f.h.purchase.CreateHold(t.Context(), u.ID, f.published.ID,
		[]purchase.Line{{TicketTypeID: f.standing.ID, Quantity: 1}})
	if err != nil {
		t.Fatalf("CreateHold: %v", err)
	}
	return h
}

// order checks out a fresh hold of u (or of the fixture's buyer).
func (f *walkFixture) order(t *testing.T, u *user) purchase.Order {
	t.Helper()
	h := f.hold(t, u)
	o, err := f.h.purchase.Checkout(t.Context(), h.ID, h.BuyerID)
	if err != nil {
		t.Fatalf("Checkout: %v", err)
	}
	return o
}

// ticket issues a paid standing ticket to u (or to the fixture's buyer).
func (f *walkFixture) ticket(t *testing.T, u *user) purchase.Ticket {
	t.Helper()
	if u == nil {
		u = f.buyer
	}
	_, tickets := f.h.buyTickets(t, u, f.published.ID, purchase.Line{TicketTypeID: f.standing.ID, Quantity: 1})
	return tickets[0]
}

// link makes a new link to a new ticket of the fixture's buyer.
func (f *walkFixture) link(t *testing.T) string {
	t.Helper()
	token, _, err := f.h.purchase.CreateLink(t.Context(), f.ticket(t, f.buyer).ID, f.buyer.ID)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// gateWithCode creates a gate of the published event and returns it with
// its enrolment code.
func (f *walkFixture) gateWithCode(t *testing.T) (ticketsync.Gate, string) {
	t.Helper()
	g, code, err := f.h.api.Enroller.CreateGate(t.Context(), f.published.ID, ticketsync.GateSpec{Name: "Walk gate", Direction: "entry"}, f.callers[organizer].ID)
	if err != nil {
		t.Fatal(err)
	}
	return g, code
}

func (f *walkFixture) gate(t *testing.T) ticketsync.Gate {
	g, _ := f.gateWithCode(t)
	return g
}

// paidOrder checks out a fresh hold of u (or of the fixture's buyer) and
// pays it through the test provider.
func (f *walkFixture) paidOrder(t *testing.T, u *user) purchase.Order {
	t.Helper()
	o := f.order(t, u)
	ctx := t.Context()
	in, err := f.h.payments.CreateIntent(ctx, o.ID, o.Total.Amount, o.Total.Currency, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.h.payments.Confirm(ctx, in.ID, payment.TestCardSucceeds); err != nil {
		t.Fatal(err)
	}
	paid, err := f.h.purStore.Order(ctx, o.ID)
	if err != nil || paid.Status != purchase.StatusPaid {
		t.Fatalf("order %s after payment: %+v, %v", o.ID, paid, err)
	}
	return paid
}

// tokenAlive checks after a request that the bearer secret was revoked
// if the request answered okStatus and works otherwise.
func (f *walkFixture) tokenAlive(secret string, okStatus int) func(t *testing.T, status int) {
	return func(t *testing.T, status int) {
		_, err := f.h.accounts.Authenticate(t.Context(), secret)
		if alive := err == nil; alive == (status == okStatus) {
			t.Errorf("status %d, yet the token is alive = %v (%v)", status, alive, err)
		}
	}
}

// orderStatusIs checks after a request that an order has status want.
func (f *walkFixture) orderStatusIs(orderID string, want purchase.Status) func(t *testing.T, status int) {
	return func(t *testing.T, status int) {
		got, err := f.h.purStore.Order(t.Context(), orderID)
		if err != nil || got.Status != want {
			t.Errorf("status %d left order %s %s (%v), want %s", status, orderID, got.Status, err, want)
		}
	}
}

// holdStatusAfter checks, given a request's status, that the hold is in
// status ifOK after a success and still active otherwise.
func (f *walkFixture) holdStatusAfter(holdID string, okStatus int, ifOK purchase.HoldStatus) func(t *testing.T, status int) {
	return func(t *testing.T, status int) {
		got, err := f.h.purStore.Hold(t.Context(), holdID)
		if err != nil {
			t.Fatal(err)
		}
		want := purchase.HoldActive
		if status == okStatus {
			want = ifOK
		}
		if got.Status != want {
			t.Errorf("status %d left hold %s %s, want %s", status, holdID, got.Status, want)
		}
	}
}

// walkRequest is one valid request of a case.
type walkRequest struct {
	path string
	body any
	// after, if set, checks the effect of the request given its status.
	after func(t *testing.T, status int)
}

// authzCase is one row of the matrix: a route, a valid request for it and
// the status each caller must get.
type authzCase struct {
	route string // "METHOD pattern", as in routes()
	name  string // the variant, when a route has several rows
	// code is the error code of a refusal that is not about the caller
	// (a 400, or a 409 other than "exists"), if the case has one.
	code string
	// fresh gives each caller a new account: the request changes it.
	fresh bool
	// contentType is a success's, when not JSON.
	contentType string
	// public marks a case of an organization's or event's route that
	// serves people outside it (a published event's page), exempt from
	// TestOutsidersGet404.
	public bool
	want   row
	req    func(t *testing.T, f *walkFixture, u *user) walkRequest
}

// authzCases is the expected authorization matrix. Besides 2xx, 401 and
// 403, two answers are not about the role: a caller who already has 2FA
// gets 409 from the enrolment routes, and a draft is 404 to whoever may not
// see it, so drafts cannot be found by id.
var authzCases = []authzCase{
	{
		route: "POST /v1/auth/signup",
		//    anon attendee staff organizer other admin no-2fa
		want: row{201, 201, 201, 201, 201, 201, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			email := f.h.email("signup")
			return walkRequest{path: "/v1/auth/signup", body: map[string]any{"email": email, "password": testPassword},
				after: func(t *testing.T, status int) {
					_, err := f.h.acctStore.UserByEmail(t.Context(), email)
					if stored := err == nil; stored != (status == 201) {
						t.Errorf("status %d but account stored = %v (%v)", status, stored, err)
					}
				}}
		},
	},
	{
		route: "POST /v1/auth/login",
		want:  row{200, 200, 200, 200, 200, 200, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			return walkRequest{path: "/v1/auth/login", body: map[string]any{"email": f.loginTarget.Email, "password": testPassword}}
		},
	},
	{
		route: "POST /v1/auth/logout",
		fresh: true,
		want:  row{401, 204, 204, 204, 204, 204, 204},
		req: func(t *testing.T, f *walkFixture, u *user) walkRequest {
			return walkRequest{path: "/v1/auth/logout", after: func(t *testing.T, status int) {
				if status != 204 {
					return
				}
				// The session is over.
				f.h.do(t, "POST", "/v1/auth/logout", u.Token, nil).want(t, 401)
			}}
		},
	},
	{
		route: "POST /v1/auth/totp/enroll",
		want:  row{401, 200, 200, 200, 200, 409, 200},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			return walkRequest{path: "/v1/auth/totp/enroll", body: passwordBody()}
		},
	},
	{
		route: "POST /v1/auth/totp/confirm",
		fresh: true,
		want:  row{401, 200, 200, 200, 200, 409, 200},
		req: func(t *testing.T, f *walkFixture, u *user) walkRequest {
			code := "123456"
			switch {
			case u == nil:
			case u.TOTPSecret != "":
				code = totpCode(t, u.TOTPSecret, f.h.clock.Now())
			default:
				e := decodeAs[enrollJSON](t, f.h.do(t, "POST", "/v1/auth/totp/enroll", u.Token, passwordBody()), 200)
				code = totpCode(t, e.Secret, f.h.clock.Now())
			}
			return walkRequest{path: "/v1/auth/totp/confirm", body: map[string]any{"code": code}}
		},
	},
	{
		// Turning 2FA off takes the password and a current code; each
		// caller turns on 2FA first (the admin without it cannot).
		route: "DELETE /v1/auth/totp",
		fresh: true,
		want:  row{401, 204, 204, 204, 204, 204, 403},
		req: func(t *testing.T, f *walkFixture, u *user) walkRequest {
			if u == nil {
				return walkRequest{path: "/v1/auth/totp", body: map[string]any{"password": testPassword, "code": "123456"}}
			}
			if u.TOTPSecret == "" && !f.h.principal(t, u.Token).MustEnroll2FA {
				f.h.enrollTOTP(t, u)
			}
			code := "123456"
			if u.TOTPSecret != "" {
				f.h.nextTOTPStep()
				code = totpCode(t, u.TOTPSecret, f.h.clock.Now())
			}
			return walkRequest{path: "/v1/auth/totp", body: map[string]any{"password": testPassword, "code": code},
				after: func(t *testing.T, status int) {
					got, err := f.h.acctStore.UserByID(t.Context(), u.ID)
					if err != nil {
						t.Fatal(err)
					}
					if on := got.TOTPSecret != ""; on != (status != http.StatusNoContent && u.TOTPSecret != "") {
						t.Errorf("status %d left 2FA on = %v", status, on)
					}
				}}
		},
	},
	{
		route: "POST /v1/auth/password",
		fresh: true,
		want:  row{401, 204, 204, 204, 204, 204, 403},
		req: func(t *testing.T, f *walkFixture, u *user) walkRequest {
			const next = "a brand new passphrase"
			return walkRequest{path: "/v1/auth/password", body: map[string]any{"current_password": testPassword, "new_password": next},
				after: func(t *testing.T, status int) {
					if u == nil {
						return
					}
					got, err := f.h.acctStore.UserByID(t.Context(), u.ID)
					if err != nil {
						t.Fatal(err)
					}
					ok, err := account.VerifyPassword(got.PasswordHash, next)
					if err != nil || ok != (status == http.StatusNoContent) {
						t.Errorf("status %d: new password set = %v (%v)", status, ok, err)
					}
				}}
		},
	},
	{
		route: "GET /v1/auth/sessions",
		want:  row{401, 200, 200, 200, 200, 200, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			return walkRequest{path: "/v1/auth/sessions"}
		},
	},
	{
		route: "DELETE /v1/auth/sessions/{id}",
		name:  "own",
		fresh: true,
		want:  row{401, 204, 204, 204, 204, 204, 403},
		req: func(t *testing.T, f *walkFixture, u *user) walkRequest {
			if u == nil {
				return walkRequest{path: "/v1/auth/sessions/" + strings.Repeat("0", 64)}
			}
			other := &user{Email: u.Email, TOTPSecret: u.TOTPSecret}
			f.h.login(t, other)
			return walkRequest{path: "/v1/auth/sessions/" + account.HashSecret(other.Token), after: f.tokenAlive(other.Token, http.StatusNoContent)}
		},
	},
	{
		// Admins may end anyone's session; to others it does not exist.
		route: "DELETE /v1/auth/sessions/{id}",
		name:  "another user's",
		want:  row{401, 404, 404, 404, 404, 204, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			other := &user{Email: f.buyer.Email}
			f.h.login(t, other)
			return walkRequest{path: "/v1/auth/sessions/" + account.HashSecret(other.Token), after: f.tokenAlive(other.Token, http.StatusNoContent)}
		},
	},
	{
		route: "GET /v1/auth/tokens",
		want:  row{401, 200, 200, 200, 200, 200, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			return walkRequest{path: "/v1/auth/tokens"}
		},
	},
	{
		route: "DELETE /v1/auth/tokens/{id}",
		name:  "own",
		want:  row{401, 204, 204, 204, 204, 204, 403},
		req: func(t *testing.T, f *walkFixture, u *user) walkRequest {
			if u == nil {
				return walkRequest{path: "/v1/auth/tokens/" + strings.Repeat("0", 64)}
			}
			p, err := f.h.accounts.Authenticate(t.Context(), u.Token)
			if err != nil {
				t.Fatal(err)
			}
			if p.MustEnroll2FA {
				// It cannot make API tokens; any id will do.
				return walkRequest{path: "/v1/auth/tokens/" + strings.Repeat("0", 64)}
			}
			secret, _, err := f.h.accounts.CreateAPIToken(t.Context(), p, "walk", time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			return walkRequest{path: "/v1/auth/tokens/" + account.HashSecret(secret), after: f.tokenAlive(secret, http.StatusNoContent)}
		},
	},
	{
		route: "DELETE /v1/auth/tokens/{id}",
		name:  "another user's",
		want:  row{401, 404, 404, 404, 404, 204, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			p, err := f.h.accounts.Authenticate(t.Context(), f.buyer.Token)
			if err != nil {
				t.Fatal(err)
			}
			secret, _, err := f.h.accounts.CreateAPIToken(t.Context(), p, "walk", time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			return walkRequest{path: "/v1/auth/tokens/" + account.HashSecret(secret), after: f.tokenAlive(secret, http.StatusNoContent)}
		},
	},
	{
		route: "POST /v1/orgs",
		want:  row{401, 201, 201, 201, 201, 201, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			return walkRequest{path: "/v1/orgs", body: map[string]any{"name": "Walk Org"}}
		},
	},
	{
		route: "POST /v1/orgs/{org}/members",
		want:  row{401, 404, 403, 201, 404, 201, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			return walkRequest{path: "/v1/orgs/" + f.orgA.ID + "/members",
				body: map[string]any{"email": f.memberTarget.Email, "role": "staff"}}
		},
	},
	{
		route: "POST /v1/orgs/{org}/venues",
		want:  row{401, 404, 403, 201, 404, 201, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			return walkRequest{path: "/v1/orgs/" + f.orgA.ID + "/venues", body: venueBody("Walk Hall", "Berlin", "DE", 52.5, 13.4)}
		},
	},
	{
		route: "POST /v1/orgs/{org}/events",
		want:  row{401, 404, 403, 201, 404, 201, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			return walkRequest{path: "/v1/orgs/" + f.orgA.ID + "/events",
				body: eventBody(f.venueA.ID, "Walk Event", "comedy", f.h.clock.Now().Add(50*24*time.Hour))}
		},
	},
	{
		route: "PATCH /v1/events/{id}",
		want:  row{401, 404, 403, 200, 404, 200, 403},
		req: func(t *testing.T, f *walkFixture, u *user) walkRequest {
			before, err := f.h.catStore.Event(t.Context(), f.draft.ID)
			if err != nil {
				t.Fatal(err)
			}
			title := "Renamed " + strconv.Itoa(int(before.Version))
			return walkRequest{path: "/v1/events/" + f.draft.ID, body: map[string]any{"title": title},
				after: func(t *testing.T, status int) {
					after, err := f.h.catStore.Event(t.Context(), f.draft.ID)
					if err != nil {
						t.Fatal(err)
					}
					if changed := after.Title == title; changed != (status == 200) {
						t.Errorf("status %d but title %q (was %q)", status, after.Title, before.Title)
					}
				}}
		},
	},
	{
		route: "POST /v1/events/{id}/publish",
		want:  row{401, 404, 403, 200, 404, 200, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			e := f.h.draftWithTicketType(t, f.orgA.ID, f.venueA.ID, "To Publish")
			return walkRequest{path: "/v1/events/" + e.ID + "/publish", after: func(t *testing.T, status int) {
				got, err := f.h.catStore.Event(t.Context(), e.ID)
				if err != nil {
					t.Fatal(err)
				}
				want := catalog.StatusDraft
				if status == 200 {
					want = catalog.StatusPublished
				}
				if got.Status != want {
					t.Errorf("status %d left the event %s, want %s", status, got.Status, want)
				}
			}}
		},
	},
	{
		// Each organizer cancels an event of their own: the request is
		// made on a fresh event, which a refusal leaves published.
		route: "POST /v1/events/{id}/cancel",
		want:  row{401, 404, 403, 200, 404, 200, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			ev := f.h.createEvent(t, f.callers[organizer], f.orgA.ID, eventBody(f.venueA.ID, "Doomed Show", "music", f.h.clock.Now().Add(50*24*time.Hour)))
			return walkRequest{path: "/v1/events/" + ev.ID + "/cancel", after: func(t *testing.T, status int) {
				got, err := f.h.catalog.Event(t.Context(), ev.ID)
				if err != nil || (got.Status == catalog.StatusCancelled) != (status == http.StatusOK) {
					t.Errorf("status %d left event %s %s (%v)", status, ev.ID, got.Status, err)
				}
			}}
		},
	},
	{
		route: "POST /v1/events/{id}/codes",
		want:  row{401, 404, 403, 201, 404, 201, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			return walkRequest{path: "/v1/events/" + f.published.ID + "/codes",
				body: map[string]any{"code": "walk-" + id.New("x")[2:14], "kind": "discount", "percent_off": 10, "max_uses": 3}}
		},
	},
	{
		route: "GET /v1/events/{id}/codes",
		want:  row{401, 404, 403, 200, 404, 200, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			return walkRequest{path: "/v1/events/" + f.published.ID + "/codes"}
		},
	},
	{
		route: "POST /v1/events/{id}/codes/{code}/disable",
		want:  row{401, 404, 403, 200, 404, 200, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			c, err := f.h.api.Vouchers.Create(t.Context(), voucher.Code{EventID: f.published.ID, Code: "walk-" + id.New("x")[2:14],
				Kind: voucher.KindDiscount, AmountOff: 100})
			if err != nil {
				t.Fatal(err)
			}
			return walkRequest{path: "/v1/events/" + f.published.ID + "/codes/" + c.ID + "/disable", after: func(t *testing.T, status int) {
				got, err := f.h.purStore.(voucher.Store).Code(t.Context(), c.ID)
				if err != nil || got.DisabledAt.IsZero() != (status != http.StatusOK) {
					t.Errorf("status %d left code %s disabled at %v (%v)", status, c.ID, got.DisabledAt, err)
				}
			}}
		},
	},
	{
		route: "PUT /v1/events/{id}/waiting-room",
		want:  row{401, 404, 403, 200, 404, 200, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			// The draft's room, off: holds of the published event stay
			// free of admission. Each request sets another rate.
			f.roomRate++
			rate := 100 + f.roomRate
			return walkRequest{path: "/v1/events/" + f.draft.ID + "/waiting-room",
				body: map[string]any{"enabled": false, "admit_per_minute": rate},
				after: func(t *testing.T, status int) {
					r, err := f.h.purStore.(waitroom.Store).Room(t.Context(), f.draft.ID)
					if stored := err == nil && r.AdmitPerMinute == rate; stored != (status == http.StatusOK) {
						t.Errorf("status %d, yet the room's rate is set = %v (%+v, %v)", status, stored, r, err)
					}
				}}
		},
	},
	{
		route: "GET /v1/events/{id}/waiting-room",
		want:  row{401, 404, 403, 200, 404, 200, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			return walkRequest{path: "/v1/events/" + f.queueEvent(t).ID + "/waiting-room"}
		},
	},
	{
		// Any signed-in buyer queues for a published event.
		route:  "POST /v1/events/{id}/queue",
		public: true,
		want:   row{401, 200, 200, 200, 200, 200, 403},
		req: func(t *testing.T, f *walkFixture, u *user) walkRequest {
			ev := f.queueEvent(t)
			return walkRequest{path: "/v1/events/" + ev.ID + "/queue", after: func(t *testing.T, status int) {
				if u == nil {
					return
				}
				_, err := f.h.purStore.(waitroom.Store).Place(t.Context(), ev.ID, u.ID)
				if placed := err == nil; placed != (status == http.StatusOK) {
					t.Errorf("status %d, yet the caller has a place = %v (%v)", status, placed, err)
				}
			}}
		},
	},
	{
		// A draft's queue does not exist to anyone outside its org.
		route: "POST /v1/events/{id}/queue",
		name:  "draft",
		want:  row{401, 404, 404, 404, 404, 404, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			return walkRequest{path: "/v1/events/" + f.draft.ID + "/queue"}
		},
	},
	{
		route:  "GET /v1/events/{id}/queue",
		public: true,
		want:   row{401, 200, 200, 200, 200, 200, 403},
		req: func(t *testing.T, f *walkFixture, u *user) walkRequest {
			ev := f.queueEvent(t)
			if u != nil {
				if _, err := f.h.api.Waitroom.Join(t.Context(), ev.ID, u.ID); err != nil {
					t.Fatal(err)
				}
			}
			return walkRequest{path: "/v1/events/" + ev.ID + "/queue"}
		},
	},
	{
		route: "POST /v1/events/{id}/ticket-types",
		want:  row{401, 404, 403, 201, 404, 201, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			before, err := f.h.catStore.TicketTypes(t.Context(), f.draft.ID)
			if err != nil {
				t.Fatal(err)
			}
			return walkRequest{path: "/v1/events/" + f.draft.ID + "/ticket-types", body: ticketTypeBody("Seated", 4000, "EUR"),
				after: func(t *testing.T, status int) {
					after, err := f.h.catStore.TicketTypes(t.Context(), f.draft.ID)
					if err != nil {
						t.Fatal(err)
					}
					want := len(before)
					if status == 201 {
						want++
					}
					if len(after) != want {
						t.Errorf("status %d: %d ticket types, want %d", status, len(after), want)
					}
				}}
		},
	},
	{
		route: "GET /v1/config",
		want:  row{200, 200, 200, 200, 200, 200, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			return walkRequest{path: "/v1/config"}
		},
	},
	{
		route: "GET /v1/events",
		want:  row{200, 200, 200, 200, 200, 200, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			return walkRequest{path: "/v1/events?q=published"}
		},
	},
	{
		route:  "GET /v1/events/{id}",
		name:   "published",
		public: true,
		want:   row{200, 200, 200, 200, 200, 200, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			return walkRequest{path: "/v1/events/" + f.published.ID}
		},
	},
	{
		route: "GET /v1/events/{id}",
		name:  "draft",
		want:  row{404, 404, 200, 200, 404, 200, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			return walkRequest{path: "/v1/events/" + f.draft.ID}
		},
	},
	{
		route: "POST /v1/holds",
		want:  row{401, 201, 201, 201, 201, 201, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			_, heldBefore, err := f.h.purStore.Counts(t.Context(), f.standing.ID)
			if err != nil {
				t.Fatal(err)
			}
			return walkRequest{path: "/v1/holds", body: map[string]any{"event_id": f.published.ID,
				"lines": []map[string]any{{"ticket_type_id": f.standing.ID, "quantity": 1}}},
				after: func(t *testing.T, status int) {
					_, held, err := f.h.purStore.Counts(t.Context(), f.standing.ID)
					if err != nil {
						t.Fatal(err)
					}
					want := heldBefore
					if status == 201 {
						want++
					}
					if held != want {
						t.Errorf("status %d: %d held, want %d", status, held, want)
					}
				}}
		},
	},
	{
		route: "DELETE /v1/holds/{id}",
		name:  "own",
		want:  row{401, 204, 204, 204, 204, 204, 403},
		req: func(t *testing.T, f *walkFixture, u *user) walkRequest {
			h := f.hold(t, u)
			return walkRequest{path: "/v1/holds/" + h.ID, after: f.holdStatusAfter(h.ID, 204, purchase.HoldReleased)}
		},
	},
	{
		route: "DELETE /v1/holds/{id}",
		name:  "another buyer's",
		want:  row{401, 404, 404, 404, 404, 404, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			h := f.hold(t, f.buyer)
			return walkRequest{path: "/v1/holds/" + h.ID, after: f.holdStatusAfter(h.ID, 204, purchase.HoldReleased)}
		},
	},
	{
		route: "POST /v1/orders",
		name:  "own hold",
		want:  row{401, 201, 201, 201, 201, 201, 403},
		req: func(t *testing.T, f *walkFixture, u *user) walkRequest {
			h := f.hold(t, u)
			return walkRequest{path: "/v1/orders", body: map[string]any{"hold_id": h.ID},
				after: f.holdStatusAfter(h.ID, 201, purchase.HoldOrdered)}
		},
	},
	{
		route: "POST /v1/orders",
		name:  "another buyer's hold",
		want:  row{401, 404, 404, 404, 404, 404, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			h := f.hold(t, f.buyer)
			return walkRequest{path: "/v1/orders", body: map[string]any{"hold_id": h.ID},
				after: f.holdStatusAfter(h.ID, 201, purchase.HoldOrdered)}
		},
	},
	{
		route: "GET /v1/orders/{id}",
		name:  "own",
		want:  row{401, 200, 200, 200, 200, 200, 403},
		req: func(t *testing.T, f *walkFixture, u *user) walkRequest {
			return walkRequest{path: "/v1/orders/" + f.order(t, u).ID}
		},
	},
	{
		route: "GET /v1/orders/{id}",
		name:  "another buyer's",
		want:  row{401, 404, 404, 404, 404, 404, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			return walkRequest{path: "/v1/orders/" + f.order(t, f.buyer).ID}
		},
	},
	{
		route: "POST /v1/orders/{id}/pay",
		name:  "own",
		want:  row{401, 200, 200, 200, 200, 200, 403},
		req: func(t *testing.T, f *walkFixture, u *user) walkRequest {
			return walkRequest{path: "/v1/orders/" + f.order(t, u).ID + "/pay", body: map[string]any{"test_card": payment.TestCardSucceeds}}
		},
	},
	{
		route: "POST /v1/orders/{id}/pay",
		name:  "another buyer's",
		want:  row{401, 404, 404, 404, 404, 404, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			o := f.order(t, f.buyer)
			return walkRequest{path: "/v1/orders/" + o.ID + "/pay", body: map[string]any{"test_card": payment.TestCardSucceeds},
				after: f.orderStatusIs(o.ID, purchase.StatusPendingPayment)}
		},
	},
	{
		route: "POST /v1/orders/{id}/refund",
		name:  "own",
		want:  row{401, 200, 200, 200, 200, 200, 403},
		req: func(t *testing.T, f *walkFixture, u *user) walkRequest {
			return walkRequest{path: "/v1/orders/" + f.paidOrder(t, u).ID + "/refund", body: map[string]any{}}
		},
	},
	{
		// Organizers of the event's org (and admins) refund any order of
		// it; to others another buyer's order does not exist.
		route: "POST /v1/orders/{id}/refund",
		name:  "another buyer's",
		want:  row{401, 404, 404, 200, 404, 200, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			o := f.paidOrder(t, f.buyer)
			return walkRequest{path: "/v1/orders/" + o.ID + "/refund", body: map[string]any{},
				after: func(t *testing.T, status int) {
					want := purchase.StatusPaid
					if status == http.StatusOK {
						want = purchase.StatusRefunded
					}
					f.orderStatusIs(o.ID, want)(t, status)
				}}
		},
	},
	{
		// Stripe signs its webhooks; nobody signs in. An unsigned request
		// is refused whoever sends it.
		route: "POST /v1/webhooks/stripe",
		code:  "bad_signature",
		want:  row{400, 400, 400, 400, 400, 400, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			return walkRequest{path: "/v1/webhooks/stripe", body: map[string]any{"id": "evt_1", "type": "payment_intent.succeeded"}}
		},
	},
	{
		route: "POST /v1/tickets/{id}/transfer",
		name:  "own",
		want:  row{401, 201, 201, 201, 201, 201, 403},
		req: func(t *testing.T, f *walkFixture, u *user) walkRequest {
			return walkRequest{path: "/v1/tickets/" + f.ticket(t, u).ID + "/transfer", body: map[string]any{"to": f.buyer.Email}}
		},
	},
	{
		route: "POST /v1/tickets/{id}/transfer",
		name:  "another holder's",
		want:  row{401, 404, 404, 404, 404, 404, 403},
		req: func(t *testing.T, f *walkFixture, u *user) walkRequest {
			tk := f.ticket(t, f.buyer)
			return walkRequest{path: "/v1/tickets/" + tk.ID + "/transfer", body: map[string]any{"to": f.callers[attendee].Email},
				after: func(t *testing.T, _ int) {
					if got, err := f.h.purStore.Ticket(t.Context(), tk.ID); err != nil || got.Status != purchase.TicketValid {
						t.Errorf("ticket %s after a refused transfer: %+v, %v", tk.ID, got, err)
					}
				}}
		},
	},
	{
		// Only organizers of the event's org (and admins) set up gates: a
		// gate gets the event's rotation key and reads its check-in log,
		// which staff may not (GET /v1/events/{id}/checkins).
		route: "POST /v1/events/{id}/gates",
		want:  row{401, 404, 403, 201, 404, 201, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			before, err := f.h.api.Sync.Store.GatesOfEvent(t.Context(), f.published.ID)
			if err != nil {
				t.Fatal(err)
			}
			return walkRequest{path: "/v1/events/" + f.published.ID + "/gates", body: map[string]any{"name": "North door", "direction": "entry"},
				after: func(t *testing.T, status int) {
					after, err := f.h.api.Sync.Store.GatesOfEvent(t.Context(), f.published.ID)
					if err != nil {
						t.Fatal(err)
					}
					want := len(before)
					if status == http.StatusCreated {
						want++
					}
					if len(after) != want {
						t.Errorf("status %d: %d gates, want %d", status, len(after), want)
					}
				}}
		},
	},
	{
		// Everyone signed in sees themself, an admin who must enrol 2FA
		// too (to learn that it must).
		route: "GET /v1/me",
		want:  row{401, 200, 200, 200, 200, 200, 200},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			return walkRequest{path: "/v1/me"}
		},
	},
	{
		// Each caller's own organizations; an attendee's list is empty.
		route: "GET /v1/orgs",
		want:  row{401, 200, 200, 200, 200, 200, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			return walkRequest{path: "/v1/orgs"}
		},
	},
	{
		// Drafts are listed to the org's people only; to anyone else the
		// organization does not exist.
		route: "GET /v1/orgs/{org}/events",
		want:  row{401, 404, 200, 200, 404, 200, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			return walkRequest{path: "/v1/orgs/" + f.orgA.ID + "/events"}
		},
	},
	{
		// Staff see which gates their org's events have.
		route: "GET /v1/events/{id}/gates",
		want:  row{401, 404, 200, 200, 404, 200, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			return walkRequest{path: "/v1/events/" + f.published.ID + "/gates"}
		},
	},
	{
		// Only organizers revoke a device; to outsiders the gate does not
		// exist.
		route: "DELETE /v1/gates/{id}",
		want:  row{401, 404, 403, 200, 404, 200, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			g := f.gate(t)
			return walkRequest{path: "/v1/gates/" + g.ID, after: func(t *testing.T, status int) {
				got, err := f.h.api.Sync.Store.Gate(t.Context(), g.ID)
				if err != nil || got.RevokedAt.IsZero() != (status != http.StatusOK) {
					t.Errorf("status %d left gate %s revoked at %v (%v)", status, g.ID, got.RevokedAt, err)
				}
			}}
		},
	},
	{
		// The enrolment code is the secret; nobody signs in.
		route: "POST /v1/gates/enroll",
		want:  row{200, 200, 200, 200, 200, 200, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			_, code := f.gateWithCode(t)
			return walkRequest{path: "/v1/gates/enroll", body: map[string]any{"code": code}}
		},
	},
	{
		route: "GET /v1/events/{id}/conflicts",
		want:  row{401, 404, 403, 200, 404, 200, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			return walkRequest{path: "/v1/events/" + f.published.ID + "/conflicts"}
		},
	},
	{
		route: "GET /v1/events/{id}/quarantine",
		want:  row{401, 404, 403, 200, 404, 200, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			return walkRequest{path: "/v1/events/" + f.published.ID + "/quarantine"}
		},
	},
	{
		// An event's figures: its org's organizers and staff.
		route: "GET /v1/events/{id}/stats",
		want:  row{401, 404, 200, 200, 404, 200, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			return walkRequest{path: "/v1/events/" + f.published.ID + "/stats"}
		},
	},
	{
		// An organization's insights: its organizers, not its staff.
		route: "GET /v1/orgs/{org}/insights",
		want:  row{401, 404, 403, 200, 404, 200, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			return walkRequest{path: "/v1/orgs/" + f.published.OrgID + "/insights"}
		},
	},
	{
		route:       "GET /v1/events/{id}/exports/orders.csv",
		want:        row{401, 404, 403, 200, 404, 200, 403},
		contentType: "text/csv",
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			return walkRequest{path: "/v1/events/" + f.published.ID + "/exports/orders.csv"}
		},
	},
	{
		route:       "GET /v1/events/{id}/exports/tickets.csv",
		want:        row{401, 404, 403, 200, 404, 200, 403},
		contentType: "text/csv",
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			return walkRequest{path: "/v1/events/" + f.published.ID + "/exports/tickets.csv"}
		},
	},
	{
		route:       "GET /v1/events/{id}/exports/checkins.csv",
		want:        row{401, 404, 403, 200, 404, 200, 403},
		contentType: "text/csv",
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			return walkRequest{path: "/v1/events/" + f.published.ID + "/exports/checkins.csv"}
		},
	},
	{
		route: "GET /v1/events/{id}/checkins",
		want:  row{401, 404, 403, 200, 404, 200, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			return walkRequest{path: "/v1/events/" + f.published.ID + "/checkins"}
		},
	},
	{
		// Gates sign in with their device credential, never a user's.
		route: "GET /v1/sync",
		want:  row{401, 401, 401, 401, 401, 401, 401},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			return walkRequest{path: "/v1/sync"}
		},
	},
	{
		route: "GET /v1/tickets",
		want:  row{401, 200, 200, 200, 200, 200, 403},
		req: func(t *testing.T, f *walkFixture, u *user) walkRequest {
			return walkRequest{path: "/v1/tickets"}
		},
	},
	{
		route: "GET /v1/tickets/{id}",
		name:  "own",
		want:  row{401, 200, 200, 200, 200, 200, 403},
		req: func(t *testing.T, f *walkFixture, u *user) walkRequest {
			return walkRequest{path: "/v1/tickets/" + f.ticket(t, u).ID + ""}
		},
	},
	{
		route: "GET /v1/tickets/{id}",
		name:  "another holder's",
		want:  row{401, 404, 404, 404, 404, 404, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			return walkRequest{path: "/v1/tickets/" + f.ticket(t, f.buyer).ID + ""}
		},
	},
	{
		route:       "GET /v1/tickets/{id}/qr.png",
		name:        "own",
		contentType: "image/png",
		want:        row{401, 200, 200, 200, 200, 200, 403},
		req: func(t *testing.T, f *walkFixture, u *user) walkRequest {
			return walkRequest{path: "/v1/tickets/" + f.ticket(t, u).ID + "/qr.png"}
		},
	},
	{
		route: "GET /v1/tickets/{id}/qr.png",
		name:  "another holder's",
		want:  row{401, 404, 404, 404, 404, 404, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			return walkRequest{path: "/v1/tickets/" + f.ticket(t, f.buyer).ID + "/qr.png"}
		},
	},
	{
		route:       "GET /v1/tickets/{id}/pass.pkpass",
		name:        "own",
		contentType: "application/vnd.apple.pkpass",
		want:        row{401, 200, 200, 200, 200, 200, 403},
		req: func(t *testing.T, f *walkFixture, u *user) walkRequest {
			return walkRequest{path: "/v1/tickets/" + f.ticket(t, u).ID + "/pass.pkpass"}
		},
	},
	{
		route: "GET /v1/tickets/{id}/pass.pkpass",
		name:  "another holder's",
		want:  row{401, 404, 404, 404, 404, 404, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			return walkRequest{path: "/v1/tickets/" + f.ticket(t, f.buyer).ID + "/pass.pkpass"}
		},
	},
	{
		route: "GET /v1/tickets/{id}/google-wallet",
		name:  "own",
		want:  row{401, 200, 200, 200, 200, 200, 403},
		req: func(t *testing.T, f *walkFixture, u *user) walkRequest {
			return walkRequest{path: "/v1/tickets/" + f.ticket(t, u).ID + "/google-wallet"}
		},
	},
	{
		route: "GET /v1/tickets/{id}/google-wallet",
		name:  "another holder's",
		want:  row{401, 404, 404, 404, 404, 404, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			return walkRequest{path: "/v1/tickets/" + f.ticket(t, f.buyer).ID + "/google-wallet"}
		},
	},
	{
		route: "GET /v1/push/key",
		want:  row{401, 200, 200, 200, 200, 200, 403},
		req:   func(*testing.T, *walkFixture, *user) walkRequest { return walkRequest{path: "/v1/push/key"} },
	},
	{
		route: "POST /v1/push/subscriptions",
		want:  row{401, 201, 201, 201, 201, 201, 403},
		req: func(t *testing.T, f *walkFixture, u *user) walkRequest {
			return walkRequest{path: "/v1/push/subscriptions", body: pushSubscriptionBody("https://push.example/" + f.h.email("walk"))}
		},
	},
	{
		route: "GET /v1/push/subscriptions",
		want:  row{401, 200, 200, 200, 200, 200, 403},
		req:   func(*testing.T, *walkFixture, *user) walkRequest { return walkRequest{path: "/v1/push/subscriptions"} },
	},
	{
		route: "DELETE /v1/push/subscriptions/{id}",
		name:  "own",
		want:  row{401, 204, 204, 204, 204, 204, 403},
		req: func(t *testing.T, f *walkFixture, u *user) walkRequest {
			if u == nil {
				u = f.buyer
			}
			return walkRequest{path: "/v1/push/subscriptions/" + f.pushSubscription(t, u).ID}
		},
	},
	{
		route: "DELETE /v1/push/subscriptions/{id}",
		name:  "another account's",
		want:  row{401, 404, 404, 404, 404, 404, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			sub := f.pushSubscription(t, f.buyer)
			return walkRequest{path: "/v1/push/subscriptions/" + sub.ID, after: func(t *testing.T, _ int) {
				if _, err := f.h.outbox.Subscription(t.Context(), sub.ID); err != nil {
					t.Errorf("another account's subscription after the DELETE: %v", err)
				}
			}}
		},
	},
	{
		route: "POST /v1/auth/password-reset",
		want:  row{202, 202, 202, 202, 202, 202, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			f.h.clock.Advance(account.LinkEvery) // one link a minute per account
			return walkRequest{path: "/v1/auth/password-reset", body: map[string]any{"email": f.buyer.Email}}
		},
	},
	{
		route: "POST /v1/auth/password-reset/confirm",
		code:  "bad_link",
		want:  row{400, 400, 400, 400, 400, 400, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			return walkRequest{path: "/v1/auth/password-reset/confirm", body: map[string]any{"token": "aor_unknown", "password": "a brand new passphrase"}}
		},
	},
	{
		route: "POST /v1/auth/email/verify",
		want:  row{401, 202, 202, 202, 202, 202, 403},
		req: func(*testing.T, *walkFixture, *user) walkRequest {
			return walkRequest{path: "/v1/auth/email/verify"}
		},
	},
	{
		route: "POST /v1/auth/email/confirm",
		code:  "bad_link",
		want:  row{400, 400, 400, 400, 400, 400, 403},
		req: func(*testing.T, *walkFixture, *user) walkRequest {
			return walkRequest{path: "/v1/auth/email/confirm", body: map[string]any{"token": "aov_unknown"}}
		},
	},
	{
		route: "POST /v1/events/{id}/messages",
		want:  row{401, 404, 403, 202, 404, 202, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			return walkRequest{path: "/v1/events/" + f.published.ID + "/messages", body: map[string]any{"subject": "Parking", "body": "Use the north car park."}}
		},
	},
	{
		route:       "GET /v1/mail/unsubscribe",
		contentType: "text/html; charset=utf-8",
		want:        row{200, 200, 200, 200, 200, 200, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			return walkRequest{path: "/v1/mail/unsubscribe?t=" + url.QueryEscape(f.h.api.Notify.UnsubscribeToken(f.buyer.ID))}
		},
	},
	{
		route:       "POST /v1/mail/unsubscribe",
		contentType: "text/html; charset=utf-8",
		want:        row{200, 200, 200, 200, 200, 200, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			return walkRequest{path: "/v1/mail/unsubscribe?t=" + url.QueryEscape(f.h.api.Notify.UnsubscribeToken(f.buyer.ID))}
		},
	},
	{
		// Each caller accepts an invitation mailed to their own address.
		route: "POST /v1/invitations/accept",
		want:  row{401, 201, 201, 201, 201, 201, 403},
		req: func(t *testing.T, f *walkFixture, u *user) walkRequest {
			email := f.buyer.Email
			if u != nil {
				email = u.Email
			}
			org := f.h.createOrg(t, f.buyer, "Invited Org", false) // a membership there changes no other case
			token, err := f.h.api.Notify.InviteToken(t.Context(), notify.Invite{Email: email, OrgID: org.ID, Role: "staff",
				ExpiresAt: f.h.clock.Now().Add(time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			return walkRequest{path: "/v1/invitations/accept", body: map[string]any{"token": token}}
		},
	},
	{
		route: "GET /v1/tickets/{id}/rotation",
		name:  "own static ticket",
		code:  "not_rotating",
		want:  row{401, 409, 409, 409, 409, 409, 403},
		req: func(t *testing.T, f *walkFixture, u *user) walkRequest {
			return walkRequest{path: "/v1/tickets/" + f.ticket(t, u).ID + "/rotation"}
		},
	},
	{
		route: "GET /v1/tickets/{id}/rotation",
		name:  "another holder's",
		want:  row{401, 404, 404, 404, 404, 404, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			return walkRequest{path: "/v1/tickets/" + f.ticket(t, f.buyer).ID + "/rotation"}
		},
	},
	{
		route: "POST /v1/tickets/{id}/links",
		name:  "own",
		want:  row{401, 201, 201, 201, 201, 201, 403},
		req: func(t *testing.T, f *walkFixture, u *user) walkRequest {
			return walkRequest{path: "/v1/tickets/" + f.ticket(t, u).ID + "/links"}
		},
	},
	{
		route: "POST /v1/tickets/{id}/links",
		name:  "another holder's",
		want:  row{401, 404, 404, 404, 404, 404, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			return walkRequest{path: "/v1/tickets/" + f.ticket(t, f.buyer).ID + "/links"}
		},
	},
	{
		route: "DELETE /v1/tickets/{id}/links",
		name:  "own",
		want:  row{401, 200, 200, 200, 200, 200, 403},
		req: func(t *testing.T, f *walkFixture, u *user) walkRequest {
			return walkRequest{path: "/v1/tickets/" + f.ticket(t, u).ID + "/links"}
		},
	},
	{
		route: "DELETE /v1/tickets/{id}/links",
		name:  "another holder's",
		want:  row{401, 404, 404, 404, 404, 404, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			return walkRequest{path: "/v1/tickets/" + f.ticket(t, f.buyer).ID + "/links"}
		},
	},
	// A link is its own credential: whoever has it opens it, signed in
	// or not (each caller gets a new link: one opens on one device).
	{
		route: "GET /v1/links/{token}",
		want:  row{200, 200, 200, 200, 200, 200, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			return walkRequest{path: "/v1/links/" + f.link(t)}
		},
	},
	{
		route:       "GET /v1/links/{token}/qr.png",
		contentType: "image/png",
		want:        row{200, 200, 200, 200, 200, 200, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			return walkRequest{path: "/v1/links/" + f.link(t) + "/qr.png"}
		},
	},
	{
		route:       "GET /v1/links/{token}/pass.pkpass",
		contentType: "application/vnd.apple.pkpass",
		want:        row{200, 200, 200, 200, 200, 200, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			return walkRequest{path: "/v1/links/" + f.link(t) + "/pass.pkpass"}
		},
	},
}

// pushSubscriptionBody is a browser's PushSubscription JSON for endpoint.
func pushSubscriptionBody(endpoint string) map[string]any {
	return map[string]any{"endpoint": endpoint, "expirationTime": nil, "keys": map[string]string{
		"p256dh": "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
		"auth":   "BTBZMqHH6r4Tts7J_aSIgg",
	}}
}

// pushSubscription subscribes a new device of u, through the service.
func (f *walkFixture) pushSubscription(t *testing.T, u *user) notify.Subscription {
	t.Helper()
	body, _ := json.Marshal(pushSubscriptionBody("https://push.example/" + f.h.email("device")))
	sub, err := f.h.api.Notify.Subscribe(t.Context(), u.ID, body)
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	return sub
}

// TestAuthorizationWalk sends a valid request to every route as every
// caller and checks the answer against authzCases. A route without a case
// fails the test, so a new route cannot be left out.
func TestAuthorizationWalk(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		h := newHarnessWith(t, backend, enableMail)
		f := newWalkFixture(t, h)

		var matrix []string
		header := fmt.Sprintf("%-42s", "route")
		for _, n := range callerNames {
			header += fmt.Sprintf(" %12s", n)
		}
		matrix = append(matrix, header)

		covered := map[string]bool{}
		for _, rt := range routes() {
			key := rt.method + " " + rt.pattern
			var cases []authzCase
			for _, c := range authzCases {
				if c.route == key {
					cases = append(cases, c)
				}
			}
			if len(cases) == 0 {
				t.Errorf("route %s has no case in authzCases", key)
				continue
			}
			covered[key] = true
			for _, c := range cases {
				name := key
				if c.name != "" {
					name += " (" + c.name + ")"
				}
				line := fmt.Sprintf("%-42s", name)
				for who := range nCallers {
					got := walkOne(t, f, rt.method, name, c, who)
					cell := strconv.Itoa(got)
					if got != c.want[who] {
						cell += "!"
					}
					line += fmt.Sprintf(" %12s", cell)
				}
				matrix = append(matrix, line)
			}
		}
		for _, c := range authzCases {
			if !covered[c.route] {
				t.Errorf("authzCases has a case for %s, which is not in routes()", c.route)
			}
		}
		t.Logf("authorization matrix (%s; ! marks a status other than expected):\n%s", backend, strings.Join(matrix, "\n"))
	})
}

// walkOne sends case c's request as caller who and checks the answer. It
// returns the status.
func walkOne(t *testing.T, f *walkFixture, method, name string, c authzCase, who int) int {
	var got int
	t.Run(strings.NewReplacer(" ", "_", "/", "_").Replace(name)+"/"+callerNames[who], func(t *testing.T) {
		u := f.callers[who]
		if c.fresh {
			u = f.freshCaller(t, who)
		}
		req := c.req(t, f, u)
		var token string
		if u != nil {
			token = u.Token
		}
		mark := f.h.spy.mark()
		res := f.h.do(t, method, req.path, token, req.body)
		got = res.status
		want := c.want[who]
		if got != want {
			t.Errorf("%s %s as %s: status %d, want %d; body: %s", method, req.path, callerNames[who], got, want, res.short())
		}
		switch {
		case got >= 400:
			e := res.apiErr(t)
			wantCode := map[int]string{401: "unauthorized", 403: "forbidden", 404: "not_found", 409: "exists"}[got]
			if got == 403 && who == adminNo2FA {
				wantCode = "enroll_2fa"
			} else if got == 400 || (got == 409 && c.code != "") {
				wantCode = c.code
			}
			if e.Code != wantCode {
				t.Errorf("error code %q, want %q (%s)", e.Code, wantCode, e.Message)
			}
			if got == 401 && res.header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			// A refused request changes nothing.
			if w := f.h.spy.since(mark); len(w) > 0 {
				t.Errorf("status %d, yet the store was written: %v", got, w)
			}
		case got != http.StatusNoContent:
			wantCT := c.contentType
			if wantCT == "" {
				wantCT = "application/json"
			}
			if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, wantCT) {
				t.Errorf("status %d with Content-Type %q, want %s", got, ct, wantCT)
			}
		}
		if req.after != nil {
			req.after(t, got)
		}
	})
	return got
}

// orgScoped reports whether a route pattern names an organization, an
// event or a thing of one: everything the 404 policy covers (see
// orgAccess).
func orgScoped(pattern string) bool {
	for _, prefix := range []string{"/v1/orgs/{org}", "/v1/events/{id}", "/v1/gates/{id}", "/v1/venues/{id}", "/v1/ticket-types/{id}"} {
		if strings.HasPrefix(pattern, prefix) {
			return true
		}
	}
	return false
}

// TestOutsidersGet404 holds the authorization walk to the 404 policy:
// on every route that names an organization, an event or a thing of
// one, a signed-in caller outside the organization (an attendee, another
// organization's organizer) is expected to get 404, never 403, so that
// nothing of another organization can be told apart from what does not
// exist. The walk checks that each route answers as expected; a route a
// future change adds under these paths gets the same rule unless its case
// is marked public.
func TestOutsidersGet404(t *testing.T) {
	n := 0
	for _, rt := range routes() {
		if !orgScoped(rt.pattern) {
			continue
		}
		key := rt.method + " " + rt.pattern
		for _, c := range authzCases {
			if c.route != key || c.public {
				continue
			}
			n++
			for _, who := range []int{attendee, otherOrg} {
				if c.want[who] != http.StatusNotFound {
					t.Errorf("%s (%s) as %s: the walk expects %d, want 404 (the organization's things do not exist to outsiders)",
						key, c.name, callerNames[who], c.want[who])
				}
			}
		}
	}
	if n < 28 {
		t.Errorf("only %d cases of org- and event-scoped routes; the prefixes in orgScoped no longer match the route table", n)
	}
	t.Logf("%d cases of org- and event-scoped routes expect 404 for outsiders", n)
}

// TestOrgRequires2FA checks that an organization with require_2fa refuses
// its members until they enrol 2FA.
func TestOrgRequires2FA(t *testing.T) {
	h := newHarness(t, "bolt")
	org := h.newUser(t, "organizer")
	o := h.createOrg(t, org, "Strict Org", true)
	if !o.Require2FA {
		t.Fatal("the organization was created without require_2fa")
	}
	venue := venueBody("Strict Hall", "Hamburg", "DE", 53.55, 9.99)

	t.Run("organizer without 2FA is refused", func(t *testing.T) {
		mark := h.spy.mark()
		for _, r := range []struct {
			path string
			body any
		}{
			{"/v1/orgs/" + o.ID + "/venues", venue},
			{"/v1/orgs/" + o.ID + "/members", map[string]any{"email": org.Email, "role": "staff"}},
		} {
			res := h.do(t, "POST", r.path, org.Token, r.body)
			if res.status != http.StatusForbidden {
				t.Fatalf("POST %s: status %d, want 403; body %s", r.path, res.status, res.short())
			}
			if e := res.apiErr(t); e.Code != "enroll_2fa" {
				t.Errorf("POST %s: code %q, want enroll_2fa", r.path, e.Code)
			}
		}
		if w := h.spy.since(mark); len(w) > 0 {
			t.Errorf("refused requests wrote %v", w)
		}
	})

	h.enrollTOTP(t, org)
	var draft catalog.Event
	t.Run("organizer with 2FA is allowed", func(t *testing.T) {
		v := h.createVenue(t, org, o.ID, venue)
		draft = h.createEvent(t, org, o.ID, eventBody(v.ID, "Strict Draft", "theatre", h.clock.Now().Add(20*24*time.Hour)))
	})
	if draft.ID == "" {
		t.Fatal("no draft to go on with")
	}

	t.Run("staff without 2FA does not see drafts", func(t *testing.T) {
		st := h.newUser(t, "staff")
		h.addMember(t, org, o.ID, st.Email, account.RoleStaff)
		res := h.do(t, "GET", "/v1/events/"+draft.ID, st.Token, nil)
		if res.status == http.StatusOK {
			t.Errorf("staff without 2FA read a draft of an organization that requires 2FA (status 200); want 403 enroll_2fa or 404")
		}
		h.enrollTOTP(t, st)
		h.do(t, "GET", "/v1/events/"+draft.ID, st.Token, nil).want(t, http.StatusOK)
	})
}

// TestGateCredentialOnlySyncs sends a valid request to every route with
// an enrolled gate's device credential as the bearer: only GET /v1/sync
// takes it, every other route answers 401 and stores nothing. With the
// matrix's row for gate creation, it is the rule for what a gate
// credential may read (see the route table).
func TestGateCredentialOnlySyncs(t *testing.T) {
	h := newHarness(t, "bolt")
	f := newWalkFixture(t, h)
	_, code := f.gateWithCode(t)
	enr, err := h.api.Enroller.Enroll(t.Context(), code, ticketsync.EnrollOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enr.Credential, ticketsync.CredentialPrefix) {
		t.Fatalf("credential %q lacks prefix %q", enr.Credential, ticketsync.CredentialPrefix)
	}
	done := map[string]bool{}
	for _, c := range authzCases {
		if done[c.route] {
			continue
		}
		done[c.route] = true
		method, _, _ := strings.Cut(c.route, " ")
		t.Run(strings.NewReplacer(" ", "_", "/", "_").Replace(c.route), func(t *testing.T) {
			req := c.req(t, f, nil)
			mark := h.spy.mark()
			res := h.do(t, method, req.path, enr.Credential, req.body)
			if c.route == "GET /v1/sync" {
				// The credential is taken; without an upgrade the
				// websocket handshake is what fails.
				if res.status == http.StatusUnauthorized || res.status == http.StatusForbidden {
					t.Errorf("GET /v1/sync refused the gate's credential: %d %s", res.status, res.short())
				}
				return
			}
			if c.route == "POST /v1/gate/pickups" {
				// The credential is taken; this gate is a door, not a
				// merch desk.
				if res.status != http.StatusForbidden || res.apiErr(t).Code != "not_pickup_desk" {
					t.Errorf("POST /v1/gate/pickups with a door's credential: %d %s, want 403 not_pickup_desk", res.status, res.short())
				}
				return
			}
			if res.status != http.StatusUnauthorized {
				t.Errorf("%s %s with a gate credential: status %d, want 401; body %s", method, req.path, res.status, res.short())
			}
			if w := h.spy.since(mark); len(w) > 0 {
				t.Errorf("status %d, yet the store was written: %v", res.status, w)
			}
		})
	}
}
