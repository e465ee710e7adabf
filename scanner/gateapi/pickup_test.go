package gateapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/admitone/admitone/scanner"
	ticketsync "github.com/admitone/admitone/sync"
)

// pickupFunc is a Pickuper at the handler's edge.
type pickupFunc func(ctx context.Context, code string) (ticketsync.PickupResult, error)

func (f pickupFunc) Pickup(ctx context.Context, code string) (ticketsync.PickupResult, error) {
	return f(ctx, code)
}

// TestPickup: a merch desk's POST /v1/pickup passes the code to the
// server's claim and answers what it hands out; the server's refusal is
// 422 with its code and words; the server out of reach is 503 offline,
// saying a pickup needs it; a door has no such route (404), and its
// status names no purpose while a desk's does.
func TestPickup(t *testing.T) {
	store, engine, _ := openTestGate(t, 1, scanner.StoreOptions{})
	var got []string
	desk := &Server{Engine: engine, Store: store, Pickup: pickupFunc(func(_ context.Context, code string) (ticketsync.PickupResult, error) {
		got = append(got, code)
		switch code {
		case "AO1:GOOD":
			return ticketsync.PickupResult{OrderID: "ord_1", HandedOut: []ticketsync.PickupItem{{Name: "Tote bag", Quantity: 2}}, Earlier: []ticketsync.PickupItem{}}, nil
		case "AO1:FORGED":
			return ticketsync.PickupResult{}, &ticketsync.PickupRefusal{Status: 422, Code: "bad_code", Message: "invalid ticket signature"}
		}
		return ticketsync.PickupResult{}, fmt.Errorf("%w (dial tcp: connection refused)", ticketsync.ErrPickupOffline)
	})}
	srv := httptest.NewServer(desk.Handler())
	defer srv.Close()
	post := func(s *httptest.Server, body string) (int, map[string]any) {
		t.Helper()
		return postTo(t, s, "/v1/pickup", body)
	}

	code, m := post(srv, `{"code":"AO1:GOOD"}`)
	if items, _ := m["handed_out"].([]any); code != 200 || len(items) != 1 || m["order_id"] != "ord_1" || m["at"] == nil {
		t.Errorf("good code: %d %v", code, m)
	}
	if code, m := post(srv, `{"code":"AO1:FORGED"}`); code != 422 || errCode(m) != "bad_code" {
		t.Errorf("refused code: %d %v", code, m)
	}
	code, m = post(srv, `{"code":"AO1:ANY"}`)
	e, _ := m["error"].(map[string]any)
	if code != 503 || errCode(m) != "offline" || e["message"] != "offline: pickup needs the server" {
		t.Errorf("server out of reach: %d %v", code, m)
	}
	if code, m := post(srv, `{}`); code != 400 {
		t.Errorf("no code: %d %v", code, m)
	}
	if strings.Join(got, " ") != "AO1:GOOD AO1:FORGED AO1:ANY" {
		t.Errorf("the server was asked for %q", got)
	}

	door := httptest.NewServer((&Server{Engine: engine, Store: store}).Handler())
	defer door.Close()
	if code, m := post(door, `{"code":"AO1:GOOD"}`); code != 404 || errCode(m) != "not_pickup_desk" {
		t.Errorf("a door: %d %v", code, m)
	}
	for _, c := range []struct {
		srv  *httptest.Server
		want string
	}{{srv, "merch_pickup"}, {door, ""}} {
		st, err := c.srv.Client().Get(c.srv.URL + "/v1/status")
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		json.NewDecoder(st.Body).Decode(&m)
		st.Body.Close()
		if p, _ := m["purpose"].(string); p != c.want {
			t.Errorf("status purpose %q, want %q", p, c.want)
		}
	}
}

// postTo posts a JSON body to path and decodes the JSON answer.
func postTo(t *testing.T, srv *httptest.Server, path, body string) (int, map[string]any) {
	t.Helper()
	resp, err := srv.Client().Post(srv.URL+path, "application/json", bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}
