package httpapi

import (
	"net/http"
	gosync "sync"
	"testing"
	"time"

	"github.com/admitone/admitone/catalog"
	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/merch"
	"github.com/admitone/admitone/purchase"
	ticketsync "github.com/admitone/admitone/sync"
)

// merchDesk creates a gate of purpose through the API as organizer u and
// enrols it through the API; it returns the gate and its credential.
func (h *harness) merchDesk(t *testing.T, u *user, eventID, name, purpose string) (ticketsync.Gate, string) {
	t.Helper()
	created := decodeAs[struct {
		Gate ticketsync.Gate `json:"gate"`
		Code string          `json:"enrolment_code"`
	}](t, h.do(t, "POST", "/v1/events/"+eventID+"/gates", u.Token, map[string]any{"name": name, "purpose": purpose}), http.StatusCreated)
	if created.Gate.Purpose != purpose && purpose != "admission" {
		t.Fatalf("gate created with purpose %q, want %q", created.Gate.Purpose, purpose)
	}
	enr := decodeAs[ticketsync.Enrollment](t, h.do(t, "POST", "/v1/gates/enroll", "", map[string]any{"code": created.Code}), http.StatusOK)
	if enr.Gate.Purpose != created.Gate.Purpose {
		t.Fatalf("enrolment carries purpose %q, want %q", enr.Gate.Purpose, created.Gate.Purpose)
	}
	return enr.Gate, enr.Credential
}

// buy holds, checks out and pays lines for u through the API.
func (h *harness) buy(t *testing.T, u *user, eventID string, lines ...purchase.Line) orderViewJSON {
	t.Helper()
	hj := decodeAs[holdJSON](t, h.do(t, "POST", "/v1/holds", u.Token, map[string]any{"event_id": eventID, "lines": lines}), http.StatusCreated)
	o := decodeAs[orderJSON](t, h.do(t, "POST", "/v1/orders", u.Token, map[string]any{"hold_id": hj.ID}), http.StatusCreated)
	return h.pay(t, u, o.ID, map[string]any{"test_card": "4242424242424242"}, http.StatusOK)
}

// TestMerchPickup is acceptance point 6's second half, on both backends,
// through the API a desk and a buyer use: merchandise is bought alone
// and beside tickets (no ticket for it), the buyer gets the order's
// signed code, and two merch desks enrolled through the API scan it: the
// first hands out every item, the second is refused item by item with
// the first desk's name and time; a door, a forged code, another event's
// code, a refunded order and another buyer are refused; desks racing
// for one order hand each item out once.
func TestMerchPickup(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		h := newHarness(t, backend)
		f := h.shopFixture(t, h.clock.Now().Add(30*24*time.Hour))
		cap := h.createTicketType(t, f.org, f.event.ID, map[string]any{"name": "Cap", "kind": "merchandise",
			"price": map[string]any{"amount": 900, "currency": "EUR"}, "capacity": 50, "per_order_max": 5})
		bag := f.merch

		alone := h.buy(t, f.buyer, f.event.ID, purchase.Line{TicketTypeID: bag.ID, Quantity: 2}, purchase.Line{TicketTypeID: cap.ID, Quantity: 1})
		if len(alone.Tickets) != 0 || alone.Order.Total.Amount != 2*1500+900 {
			t.Fatalf("merchandise alone: %d tickets, total %d; want none and %d", len(alone.Tickets), alone.Order.Total.Amount, 2*1500+900)
		}
		both := h.buy(t, f.buyer, f.event.ID, purchase.Line{TicketTypeID: f.admission.ID, Quantity: 1}, purchase.Line{TicketTypeID: bag.ID, Quantity: 1})
		if len(both.Tickets) != 1 || both.Order.Total.Amount != 2500+1500 {
			t.Fatalf("merchandise with a ticket: %d tickets, total %d; want 1 and %d", len(both.Tickets), both.Order.Total.Amount, 2500+1500)
		}
		ticketOnly := h.buy(t, f.buyer, f.event.ID, purchase.Line{TicketTypeID: f.admission.ID, Quantity: 1})

		codeOf := func(orderID string) pickupCode {
			t.Helper()
			return decodeAs[pickupCode](t, h.do(t, "GET", "/v1/orders/"+orderID+"/pickup", f.buyer.Token, nil), http.StatusOK)
		}
		pc := codeOf(alone.Order.ID)
		c := pc.Code
		if len(c.Code) != 135 || len(pc.CodeQR) == 0 || len(c.Items) != 2 || c.Items[0] != (merch.Item{TicketTypeID: bag.ID, Name: bag.Name, Quantity: 2}) {
			t.Fatalf("pickup code: %+v", c)
		}
		if e := h.do(t, "GET", "/v1/orders/"+ticketOnly.Order.ID+"/pickup", f.buyer.Token, nil).want(t, http.StatusNotFound).apiErr(t); e.Code != "no_merchandise" {
			t.Errorf("code of an order without merchandise: %+v", e)
		}
		stranger := h.newUser(t, "stranger")
		h.do(t, "GET", "/v1/orders/"+alone.Order.ID+"/pickup", stranger.Token, nil).want(t, http.StatusNotFound)

		desk1, cred1 := h.merchDesk(t, f.org, f.event.ID, "Merch desk 1", ticketsync.PurposeMerchPickup)
		_, cred2 := h.merchDesk(t, f.org, f.event.ID, "Merch desk 2", ticketsync.PurposeMerchPickup)
		_, door := h.merchDesk(t, f.org, f.event.ID, "Door", "admission")
		pickup := func(cred, code string, status int) merch.Result {
			t.Helper()
			return decodeAs[merch.Result](t, h.do(t, "POST", "/v1/gate/pickups", cred, map[string]any{"code": code}), status)
		}

		first := pickup(cred1, c.Code, http.StatusOK)
		if len(first.HandedOut) != 2 || len(first.Earlier) != 0 || first.HandedOut[0].Name != bag.Name || first.HandedOut[0].Quantity != 2 ||
			first.HandedOut[1].Name != cap.Name {
			t.Fatalf("first pickup at desk 1: %+v", first)
		}
		h.clock.Advance(time.Minute)
		for _, cred := range []string{cred2, cred1} {
			again := pickup(cred, c.Code, http.StatusOK)
			if len(again.HandedOut) != 0 || len(again.Earlier) != 2 {
				t.Fatalf("second pickup of the same merchandise: %+v", again)
			}
			for _, it := range again.Earlier {
				if it.GateID != desk1.ID || it.GateName != "Merch desk 1" || it.At.IsZero() || !it.At.Before(h.clock.Now()) {
					t.Errorf("refused item %+v does not name desk 1 and the time it went", it)
				}
			}
		}
		if got := pickup(cred2, codeOf(both.Order.ID).Code.Code, http.StatusOK); len(got.HandedOut) != 1 || got.HandedOut[0].TicketTypeID != bag.ID {
			t.Errorf("the other order at desk 2: %+v", got)
		}

		refusals := map[string]struct {
			cred, code string
			status     int
			errCode    string
		}{
			"a door":                 {door, c.Code, http.StatusForbidden, "not_pickup_desk"},
			"a user's token":         {f.org.Token, c.Code, http.StatusUnauthorized, "unauthorized"},
			"no code":                {cred1, "", http.StatusUnprocessableEntity, "bad_code"},
			"a ticket's code":        {cred1, both.Tickets[0].Token, http.StatusUnprocessableEntity, "bad_code"},
			"a forged code":          {cred1, forgeOrderCode(t, c.Code), http.StatusUnprocessableEntity, "bad_code"},
			"another event's order":  {cred1, h.otherEventCode(t), http.StatusUnprocessableEntity, "bad_code"},
			"the code of a refunded": {cred1, h.refundedCode(t, f, bag), http.StatusConflict, "order_not_paid"},
		}
		for name, r := range refusals {
			res := h.do(t, "POST", "/v1/gate/pickups", r.cred, map[string]any{"code": r.code})
			if res.status != r.status {
				t.Errorf("%s: status %d, want %d; %s", name, res.status, r.status, res.short())
				continue
			}
			if e := res.apiErr(t); e.Code != r.errCode {
				t.Errorf("%s: %+v, want code %s", name, e, r.errCode)
			}
		}

		// Both desks scan one order at once, several times: each item
		// goes once.
		raced := codeOf(h.buy(t, f.buyer, f.event.ID, purchase.Line{TicketTypeID: bag.ID, Quantity: 3}, purchase.Line{TicketTypeID: cap.ID, Quantity: 2}).Order.ID).Code.Code
		var wg gosync.WaitGroup
		var mu gosync.Mutex
		handed := map[string]int{}
		for i := range 6 {
			wg.Go(func() {
				cred := cred1
				if i%2 == 1 {
					cred = cred2
				}
				res := h.do(t, "POST", "/v1/gate/pickups", cred, map[string]any{"code": raced})
				if res.status != http.StatusOK {
					t.Errorf("raced pickup: %d %s", res.status, res.short())
					return
				}
				var r merch.Result
				res.decode(t, &r)
				mu.Lock()
				defer mu.Unlock()
				for _, it := range r.HandedOut {
					handed[it.Name] += it.Quantity
				}
			})
		}
		wg.Wait()
		if want := map[string]int{bag.Name: 3, cap.Name: 2}; len(handed) != 2 || handed[bag.Name] != 3 || handed[cap.Name] != 2 {
			t.Errorf("handed out by racing desks: %v, want %v", handed, want)
		}

		// A revoked desk is refused before anything is looked at.
		h.do(t, "DELETE", "/v1/gates/"+desk1.ID, f.org.Token, nil).want(t, http.StatusOK)
		if e := h.do(t, "POST", "/v1/gate/pickups", cred1, map[string]any{"code": c.Code}).want(t, http.StatusForbidden).apiErr(t); e.Code != "gate_revoked" {
			t.Errorf("a revoked desk: %+v", e)
		}
	})
}

// forgeOrderCode changes one bit of the order id inside a code: the
// text still parses, the signature no longer verifies.
func forgeOrderCode(t *testing.T, code string) string {
	t.Helper()
	raw, err := ticketcrypto.Base45Decode(code[len(ticketcrypto.OrderTokenPrefix):])
	if err != nil {
		t.Fatal(err)
	}
	raw[20] ^= 1
	return ticketcrypto.OrderTokenPrefix + ticketcrypto.Base45Encode(raw)
}

// otherEventCode is the valid code of a paid merchandise order of
// another event.
func (h *harness) otherEventCode(t *testing.T) string {
	t.Helper()
	g := h.shopFixture(t, h.clock.Now().Add(20*24*time.Hour))
	o := h.buy(t, g.buyer, g.event.ID, purchase.Line{TicketTypeID: g.merch.ID, Quantity: 1})
	return decodeAs[pickupCode](t, h.do(t, "GET", "/v1/orders/"+o.Order.ID+"/pickup", g.buyer.Token, nil), http.StatusOK).Code.Code
}

// refundedCode is the code of an order of bag, taken before the order
// was refunded.
func (h *harness) refundedCode(t *testing.T, f shopFixture, bag catalog.TicketType) string {
	t.Helper()
	o := h.buy(t, f.buyer, f.event.ID, purchase.Line{TicketTypeID: bag.ID, Quantity: 1})
	code := decodeAs[pickupCode](t, h.do(t, "GET", "/v1/orders/"+o.Order.ID+"/pickup", f.buyer.Token, nil), http.StatusOK).Code.Code
	h.do(t, "POST", "/v1/orders/"+o.Order.ID+"/refund", f.buyer.Token, map[string]any{}).want(t, http.StatusOK)
	return code
}

// merchOrder is a paid order of one bag of the published event's
// merchandise type (made once per fixture) for u, or for the fixture's
// buyer.
func (f *walkFixture) merchOrder(t *testing.T, u *user) purchase.Order {
	t.Helper()
	if u == nil {
		u = f.buyer
	}
	if f.merch.ID == "" {
		tt, err := f.h.catalog.CreateTicketType(t.Context(), catalog.TicketType{EventID: f.published.ID, Name: "Walk tote", Kind: catalog.KindMerchandise,
			Price: catalog.Money{Amount: 1000, Currency: "EUR"}, Capacity: 1000, PerOrderMax: 5})
		if err != nil {
			t.Fatal(err)
		}
		f.merch = tt
	}
	ctx := t.Context()
	hold, err := f.h.purchase.CreateHold(ctx, u.ID, f.published.ID, []purchase.Line{{TicketTypeID: f.merch.ID, Quantity: 1}})
	if err != nil {
		t.Fatalf("CreateHold: %v", err)
	}
	o, err := f.h.purchase.Checkout(ctx, hold.ID, u.ID)
	if err != nil {
		t.Fatalf("Checkout: %v", err)
	}
	if o, err = f.h.purchase.MarkPaid(ctx, o.ID, "pi_"+o.ID); err != nil {
		t.Fatalf("MarkPaid: %v", err)
	}
	return o
}

func init() {
	authzCases = append(authzCases,
		authzCase{
			route: "GET /v1/orders/{id}/pickup",
			name:  "own",
			want:  row{401, 200, 200, 200, 200, 200, 403},
			req: func(t *testing.T, f *walkFixture, u *user) walkRequest {
				return walkRequest{path: "/v1/orders/" + f.merchOrder(t, u).ID + "/pickup"}
			},
		},
		authzCase{
			route: "GET /v1/orders/{id}/pickup",
			name:  "another buyer's",
			want:  row{401, 404, 404, 404, 404, 404, 403},
			req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
				return walkRequest{path: "/v1/orders/" + f.merchOrder(t, nil).ID + "/pickup"}
			},
		},
		authzCase{
			// Merch desks sign in with their device credential, never a
			// user's.
			route: "POST /v1/gate/pickups",
			want:  row{401, 401, 401, 401, 401, 401, 401},
			req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
				return walkRequest{path: "/v1/gate/pickups", body: map[string]any{"code": "AO1:"}}
			},
		},
	)
}
