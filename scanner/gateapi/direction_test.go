package gateapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/admitone/admitone/bundle"
	"github.com/admitone/admitone/scanner"
)

// TestScanDirection: a gate for both ways records what each scan says
// (query or body), an entry when it says nothing; a one-way gate answers
// 422 to the other direction and records nothing; the answer carries the
// ticket type's name and the holder's.
func TestScanDirection(t *testing.T) {
	post := postScan
	scanBody := func(code, dir string) string {
		b, _ := json.Marshal(map[string]string{"code": code, "direction": dir})
		if dir == "" {
			b, _ = json.Marshal(map[string]string{"code": code})
		}
		return string(b)
	}

	t.Run("both", func(t *testing.T) {
		store, engine, codes := openTestGateWith(t, 2, scanner.StoreOptions{}, func(p *bundle.Payload) {
			p.Profiles[0].Direction = bundle.Both
			p.TicketTypes = []bundle.TicketType{{Number: 1, Name: "Standing"}}
			p.Tickets[0].Holder = "Ada Lovelace"
		})
		srv := httptest.NewServer((&Server{Engine: engine, Store: store}).Handler())
		defer srv.Close()
		for i, c := range []struct {
			query, dir     string
			verdict, rec   string
			typeName, hold string
		}{
			{"", "", "accepted", "entry", "Standing", "Ada Lovelace"},
			{"?direction=exit", "", "accepted", "exit", "Standing", "Ada Lovelace"},
			{"?direction=entry", "entry", "already_used", "entry", "Standing", "Ada Lovelace"}, // no re-entry
		} {
			code, m := post(t, srv, c.query, scanBody(codes[0], c.dir))
			if code != 200 || m["verdict"] != c.verdict || m["direction"] != c.rec || m["ticket_type_name"] != c.typeName || m["holder"] != c.hold {
				t.Fatalf("scan %d (%s %q): %d %v", i, c.query, c.dir, code, m)
			}
		}
		if code, m := post(t, srv, "?direction=exit", scanBody(codes[0], "entry")); code != 400 {
			t.Fatalf("query and body disagree: %d %v", code, m)
		}
		if code, m := post(t, srv, "?direction=sideways", scanBody(codes[0], "")); code != 422 || errCode(m) != "direction_not_allowed" {
			t.Fatalf("unknown direction: %d %v", code, m)
		}
		_, m := post(t, srv, "", scanBody(codes[1], ""))
		if _, named := m["holder"]; named || m["ticket_type_name"] != "Standing" {
			t.Fatalf("ticket without a holder: %v", m)
		}
	})

	t.Run("one way", func(t *testing.T) {
		store, engine, codes := openTestGate(t, 1, scanner.StoreOptions{})
		srv := httptest.NewServer((&Server{Engine: engine, Store: store}).Handler())
		defer srv.Close()
		if code, m := post(t, srv, "?direction=exit", scanBody(codes[0], "")); code != 422 || errCode(m) != "direction_not_allowed" {
			t.Fatalf("exit at an entry gate: %d %v", code, m)
		}
		if code, m := post(t, srv, "", scanBody(codes[0], "exit")); code != 422 {
			t.Fatalf("exit in the body at an entry gate: %d %v", code, m)
		}
		resp, err := srv.Client().Post(srv.URL+"/v1/frames?direction=exit", "image/jpeg", bytes.NewReader([]byte("not a jpeg")))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("frame with exit at an entry gate: %d", resp.StatusCode)
		}
		if st, _ := store.Status(); st.Checkins != 0 {
			t.Fatalf("refused directions recorded %d check-ins", st.Checkins)
		}
		if code, m := post(t, srv, "?direction=entry", scanBody(codes[0], "")); code != 200 || m["verdict"] != "accepted" {
			t.Fatalf("entry at an entry gate: %d %v", code, m)
		}
	})
}

// postScan posts body to srv's /v1/scan with query and returns the
// status and the JSON answer.
func postScan(t *testing.T, srv *httptest.Server, query, body string) (int, map[string]any) {
	t.Helper()
	resp, err := srv.Client().Post(srv.URL+"/v1/scan"+query, "application/json", bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

func errCode(m map[string]any) string {
	e, _ := m["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}
