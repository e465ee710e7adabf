package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/admitone/admitone/internal/browsertest"
	"github.com/admitone/admitone/internal/testenv"
)

// The desk's two sizes: a laptop and a tablet held upright.
const (
	laptopW, laptopH = 1280, 800
	tabletW, tabletH = 768, 1024
)

// desk is a Chromium tab on the organizer's desk of a server.
type desk struct {
	t   *testing.T
	ctx context.Context
	art string
}

// js runs JavaScript in the page and returns its value.
func deskJS[T any](d *desk, js string) T {
	d.t.Helper()
	v, err := chromedp.Run(d.ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		d.t.Fatalf("%s: %v", js, err)
	}
	return v
}

// fill sets a form's fields by name and submits it as a person would.
func (d *desk) fill(form string, fields map[string]string) {
	d.t.Helper()
	b, _ := json.Marshal(fields)
	deskJS[bool](d, fmt.Sprintf(`(() => { const f = document.getElementById(%q); const v = %s;
  for (const k in v) f.elements[k].value = v[k]; f.requestSubmit(); return true; })()`, form, b))
}

// wait polls the JavaScript condition cond from outside the page, so a
// navigation in between does not end the wait, for up to 30 seconds; it
// fails the test naming what, with state's value (a description).
func (d *desk) wait(cond, what, state string) {
	d.t.Helper()
	_, ok := testenv.Poll(30*time.Second, 50*time.Millisecond, func() bool {
		v, err := chromedp.Run(d.ctx, chromedp.Evaluate[bool](`document.readyState === "complete" && !!(`+cond+`)`))
		return err == nil && v
	})
	if !ok {
		if state == "" {
			state = `location.href + " " + document.body.innerText.slice(0, 1500)`
		}
		got, _ := chromedp.Run(d.ctx, chromedp.Evaluate[string](state))
		d.t.Fatalf("the page never showed %s; it shows %s", what, got)
	}
}

// waitPage waits until the page at path (exactly) has loaded.
func (d *desk) waitPage(path string) {
	d.t.Helper()
	d.wait(fmt.Sprintf(`location.pathname === %q`, path), "the page "+path, "")
}

// check runs the shop's pageChecks (labelled controls, heading order,
// no sideways scroll) on the page.
func (d *desk) check(what string) {
	d.t.Helper()
	if bad := deskJS[string](d, pageChecks); bad != "" {
		d.t.Errorf("%s: %s", what, bad)
	}
}

// TestDeskLiveDashboard is acceptance 1 of issue 13: an organizer signs
// in to the desk, creates a venue, an event, a ticket type and a gate
// through the pages, and keeps the event's dashboard open while a buyer
// pays through the API and a real gate (scannerd, enrolled with the code
// the page showed) admits a ticket: the sold and inside-now figures and
// the gate panel change without a reload. Screenshots at laptop and
// tablet size go to the artifacts.
func TestDeskLiveDashboard(t *testing.T) {
	srv := startServer(t, t.TempDir(), "", "127.0.0.1:0")
	organizer := account(t, srv.url, "organizer@example.com")
	var org struct {
		ID string `json:"id"`
	}
	call(t, "POST", srv.url+"/v1/orgs", organizer, map[string]any{"name": "Desk Events"}, http.StatusCreated, &org)

	d := &desk{t: t, ctx: browsertest.Open(t, srv.url+"/desk/login", laptopW, laptopH), art: browsertest.ArtifactsDir(t, "desk")}
	d.waitPage("/desk/login")
	browsertest.Shot(t, d.ctx, filepath.Join(d.art, "login-laptop.png"))
	d.fill("login", map[string]string{"email": "organizer@example.com", "password": password})
	d.waitPage("/desk/")
	d.wait(`document.body.innerText.includes("Desk Events")`, "the organization on the home page", "")
	deskJS[bool](d, `(location.href = document.querySelector('a[href^="/desk/orgs/"]').href, true)`)
	d.waitPage("/desk/orgs/" + org.ID)
	d.check("the organization's page")
	browsertest.Shot(t, d.ctx, filepath.Join(d.art, "org-laptop.png"))
	d.fill("new-venue", map[string]string{"name": "Gate Hall", "city": "Berlin", "country": "DE"})
	d.wait(`document.readyState === "complete" && location.search.includes("venue=") && !!document.getElementById("new-event")`,
		"the event form after the venue", "")
	now := time.Now().UTC()
	local := func(t time.Time) string { return t.Format("2006-01-02T15:04") }
	d.fill("new-event", map[string]string{"title": "Live Desk Night", "time_zone": "UTC", "doors_at": local(now.Add(-30 * time.Minute)),
		"starts_at": local(now.Add(time.Hour)), "ends_at": local(now.Add(4 * time.Hour))})
	d.wait(`location.pathname.startsWith("/desk/events/")`, "the event's page", "")
	eventID := deskJS[string](d, `location.pathname.split("/").pop()`)
	d.fill("new-type", map[string]string{"name": "Standing", "price": "25", "currency": "EUR", "capacity": "100", "per_order_max": "10"})
	d.wait(`document.readyState === "complete" && document.body.innerText.includes("25.00 EUR")`, "the ticket type", "")
	d.fill("publish", nil)
	d.wait(`document.readyState === "complete" && document.getElementById("event-status").textContent === "published"`, "the event published", "")
	d.fill("new-gate", map[string]string{"name": "North", "direction": "entry"})
	d.wait(`document.readyState === "complete" && !!document.getElementById("enrolment-code")`, "the enrolment code", "")
	code := strings.TrimSpace(deskJS[string](d, `document.getElementById("enrolment-code").textContent`))
	if w := deskJS[int](d, `document.getElementById("enrolment-qr").naturalWidth`); w < 100 {
		t.Errorf("the enrolment QR image is %d px wide: not shown", w)
	}
	browsertest.Shot(t, d.ctx, filepath.Join(d.art, "gate-code-laptop.png"))

	// The dashboard, live; a marker in the page tells a reload.
	deskJS[bool](d, `(document.getElementById("back").click(), true)`)
	d.waitPage("/desk/events/" + eventID)
	d.wait(`document.getElementById("live-state").textContent.startsWith("live")`, "the live feed", "")
	deskJS[bool](d, `(window.deskMarker = 1, true)`)
	figure := func(id string) string { return `document.getElementById(` + fmt.Sprintf("%q", id) + `).textContent` }
	if s, in := deskJS[string](d, figure("fig-sold")), deskJS[string](d, figure("fig-inside")); s != "0" || in != "0" {
		t.Fatalf("a new event's dashboard: sold %s, inside %s; want 0 and 0", s, in)
	}
	if st := deskJS[string](d, `document.querySelector("#gate-rows td.state").textContent`); st != "not enrolled" {
		t.Errorf("gate panel before enrolment: %q, want not enrolled", st)
	}
	d.check("the dashboard at laptop size")

	// A purchase through the API.
	var page struct {
		TicketTypes []struct {
			ID string `json:"id"`
		} `json:"ticket_types"`
	}
	call(t, "GET", srv.url+"/v1/events/"+eventID, organizer, nil, http.StatusOK, &page)
	e := &event{base: srv.url, organizer: organizer, buyer: account(t, srv.url, "buyer@example.com"), id: eventID, typeID: page.TicketTypes[0].ID}
	o := e.buy(t, 2)
	d.wait(figure("fig-sold")+` === "2" && window.deskMarker === 1`, "2 sold without a reload", "")

	// A real gate, enrolled with the code the page showed, admits one.
	var gates struct {
		Gates []struct {
			ID string `json:"id"`
		} `json:"gates"`
	}
	call(t, "GET", srv.url+"/v1/events/"+eventID+"/gates", organizer, nil, http.StatusOK, &gates)
	g := enroll(t, "north", gates.Gates[0].ID, srv.url, code)
	g.start(t)
	g.waitConnected(t, 1, 30*time.Second)
	g.admit(t, o.Tickets[0])
	d.wait(figure("fig-inside")+` === "1" && `+figure("fig-checked-in")+` === "1" && window.deskMarker === 1`,
		"1 inside without a reload", "")
	d.wait(`(() => { const r = document.querySelector("#gate-rows tr"); return r.cells[2].textContent === "online" && r.cells[3].textContent === "1"; })()`,
		"the gate online with 1 entry in the panel", `document.getElementById("gates").innerText`)
	if s := deskJS[string](d, `document.getElementById("summary").textContent`); !strings.Contains(s, "2 of 100 sold, 1 checked in, 1 inside now") || !strings.Contains(s, "1 of 1 gates online") {
		t.Errorf("summary in words: %q", s)
	}
	// The chart has drawn the points it was sent.
	if n := deskJS[int](d, `document.querySelectorAll("#chart canvas").length`); n == 0 {
		t.Error("no chart drawn")
	}
	// Nothing came from another origin.
	if other := deskJS[string](d, `performance.getEntriesByType("resource").map(e => e.name).filter(u => !u.startsWith(location.origin)).join(" ")`); other != "" {
		t.Errorf("the dashboard loaded from elsewhere: %s", other)
	}
	browsertest.Shot(t, d.ctx, filepath.Join(d.art, "dashboard-laptop.png"))

	if err := chromedp.Do(d.ctx, chromedp.EmulateViewport(tabletW, tabletH)); err != nil {
		t.Fatal(err)
	}
	d.wait(`window.innerWidth === 768 && document.querySelector("#chart .uplot").offsetWidth <= document.getElementById("chart").clientWidth`,
		"the tablet width, the chart fitted to it", "")
	d.check("the dashboard at tablet size")
	browsertest.Shot(t, d.ctx, filepath.Join(d.art, "dashboard-tablet.png"))

	// The lists: the buyer's order found by email, with a refund button;
	// the ticket the gate admitted, checked in at North.
	deskJS[bool](d, `(document.getElementById("orders-link").click(), true)`)
	d.waitPage("/desk/events/" + eventID + "/orders")
	d.fill("order-search", map[string]string{"q": "buyer@example.com"})
	d.wait(`location.search.includes("q=") && document.querySelectorAll("#orders tbody tr").length === 1 &&
  document.querySelector("#orders td.order-status").textContent === "paid" && !!document.querySelector("form.refund-order")`,
		"the buyer's paid order found by email, with a refund button", "")
	d.check("the order list at tablet size")
	browsertest.Shot(t, d.ctx, filepath.Join(d.art, "orders-tablet.png"))
	if err := chromedp.Do(d.ctx, chromedp.EmulateViewport(laptopW, laptopH)); err != nil {
		t.Fatal(err)
	}
	d.check("the order list at laptop size")
	browsertest.Shot(t, d.ctx, filepath.Join(d.art, "orders-laptop.png"))
	deskJS[bool](d, `(location.href = "/desk/events/`+eventID+`/attendees", true)`)
	d.waitPage("/desk/events/" + eventID + "/attendees")
	d.wait(`document.querySelectorAll("#attendees tbody tr").length === 2 &&
  [...document.querySelectorAll("#attendees td.checked-in")].filter((td) => td.textContent.includes("at North")).length === 1`,
		"two attendees, one checked in at North", "")
	d.check("the attendee list")
	browsertest.Shot(t, d.ctx, filepath.Join(d.art, "attendees-laptop.png"))
	t.Logf("screenshots in %s", d.art)
}
