package sync

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	gosync "sync"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/admitone/admitone/changelog"
)

// TestSharedFrame: the gates at one cursor get one changes frame, built
// once however many ask at once; it carries exactly the page's entries
// on the wire; and the tail keeps a bounded number of frames.
func TestSharedFrame(t *testing.T) {
	var log []changelog.Change
	for i := range 5 {
		log = append(log, changelog.Change{Seq: int64(11 + i), Kind: changelog.KindIssue, TicketID: "tkt_" + strings.Repeat("a", i+1)})
	}
	page, err := encodeChanges(log)
	if err != nil {
		t.Fatal(err)
	}
	var tl tail
	msgs := make([]*websocket.PreparedMessage, 50)
	var wg gosync.WaitGroup
	for i := range msgs {
		wg.Go(func() {
			m, err := tl.frame(10, page)
			if err != nil {
				t.Error(err)
			}
			msgs[i] = m
		})
	}
	wg.Wait()
	for i, m := range msgs {
		if m == nil || m != msgs[0] {
			t.Fatalf("gate %d at the same cursor got frame %p, gate 0 %p: want one shared frame", i, m, msgs[0])
		}
	}
	if other, _ := tl.frame(12, page[2:]); other == msgs[0] {
		t.Fatal("a gate at another cursor got the same frame")
	}

	// What a gate reads is the changes frame of the page.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		ws.WritePreparedMessage(msgs[0])
	}))
	defer srv.Close()
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	typ, raw, err := ws.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	var f Frame
	if err := json.Unmarshal(raw, &f); err != nil || typ != websocket.TextMessage {
		t.Fatalf("the gate read message type %d, %q: %v", typ, raw, err)
	}
	if f.Type != TypeChanges || len(f.Changes) != len(log) {
		t.Fatalf("the gate read %+v, want the %d changes", f, len(log))
	}
	for i, c := range f.Changes {
		if c.Seq != log[i].Seq || c.TicketID != log[i].TicketID {
			t.Errorf("change %d is %+v, want %+v", i, c, log[i])
		}
	}

	for after := range int64(3 * maxFrames) {
		if _, err := tl.frame(after, page); err != nil {
			t.Fatal(err)
		}
		if n := len(tl.frames); n > maxFrames {
			t.Fatalf("the tail keeps %d frames, more than %d", n, maxFrames)
		}
	}
}
