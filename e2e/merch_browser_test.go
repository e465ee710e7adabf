package e2e

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/admitone/admitone/internal/browsertest"
	"github.com/admitone/admitone/internal/testenv"
)

// shown is what a gate screen last painted (admitoneGate.shown).
type shown struct{ Verdict, Title, Reason, Detail string }

// TestMerchDeskScreen drives two merch desks' screens (scannerd's gate
// page in Chromium) against a real syncserver: the order's code typed
// at desk 1 shows the items to hand out, the same code at desk 2 shows
// where and when they went, and with the server stopped desk 2 says a
// pickup needs it. Screenshots are kept.
func TestMerchDeskScreen(t *testing.T) {
	testenv.LookPath(t, "chromium", "chromium")
	needBinaries(t)
	t.Parallel()
	art := browsertest.ArtifactsDir(t, "merch-desk")
	srv := startServer(t, t.TempDir(), "", "127.0.0.1:0")
	ev := setupEvent(t, srv.url, 1)
	bag, shirt := ev.merchType(t, "Tote bag"), ev.merchType(t, "T-shirt")
	orderID, _ := ev.buyLines(t, map[string]any{"ticket_type_id": bag, "quantity": 2}, map[string]any{"ticket_type_id": shirt, "quantity": 1})
	code := ev.pickupCode(t, orderID)
	d1, d2 := ev.merchDesk(t, "Desk 1"), ev.merchDesk(t, "Desk 2")

	scan := func(ctx context.Context, n int, shot string) shown {
		t.Helper()
		browsertest.Submit(t, ctx, "code", "manual", code)
		browsertest.WaitJS(t, ctx, "admitoneGate.shown.length >= "+strconv.Itoa(n), "the desk's answer", "")
		browsertest.Shot(t, ctx, filepath.Join(art, shot))
		s, err := chromedp.Run(ctx, chromedp.Evaluate[shown](`admitoneGate.shown[admitoneGate.shown.length - 1]`))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	open := func(g *gate) context.Context {
		ctx := browsertest.Open(t, g.api+"/", 1024, 768)
		browsertest.WaitJS(t, ctx, `document.getElementById("gate-name").textContent.includes("Merch desk `+g.name+`")`, "the desk's name", "")
		return ctx
	}

	s := scan(open(d1), 1, "desk1-handed-out-1024x768.png")
	if s.Title != "Hand out" || !strings.Contains(s.Reason, "2 \u00D7 Tote bag") || !strings.Contains(s.Reason, "1 \u00D7 T-shirt") {
		t.Errorf("desk 1 shows %+v, want Hand out, 2 × Tote bag and 1 × T-shirt", s)
	}
	ctx2 := open(d2)
	s = scan(ctx2, 1, "desk2-already-1024x768.png")
	if s.Title != "Already picked up" || !strings.Contains(s.Reason, "2 \u00D7 Tote bag: already picked up at Desk 1 at ") {
		t.Errorf("desk 2 shows %+v, want Already picked up naming Desk 1", s)
	}
	srv.stop(t)
	s = scan(ctx2, 2, "desk2-offline-1024x768.png")
	if s.Title != "offline: pickup needs the server" {
		t.Errorf("desk 2 without the server shows %+v, want offline: pickup needs the server", s)
	}
	t.Logf("screenshots in %s", art)
}
