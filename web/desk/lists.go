package desk

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/admitone/admitone/analytics"
	lists "github.com/admitone/admitone/desk"
	"github.com/admitone/admitone/internal/errkind"
	"github.com/admitone/admitone/internal/id"
	"github.com/admitone/admitone/purchase"
)

// pageSize is how many orders or attendees a list page shows.
const pageSize = 50

// errNoLists answers the list pages on a server without them.
var errNoLists = errkind.New(errkind.NotConfigured, "unavailable", "the organizer's lists are not available on this server")

// orderStatuses are the statuses the order search offers, in words.
var orderStatuses = []struct{ Value, Label string }{
	{"", "any status"}, {string(purchase.StatusPaid), "paid"}, {string(purchase.StatusPendingPayment), "waiting for payment"},
	{string(purchase.StatusRefunded), "refunded"}, {string(purchase.StatusCancelled), "cancelled"},
}

// ordersPage searches an event's orders (by order id, a buyer's email,
// or part of a buyer's name or email; by status) a page at a time;
// organizers get a refund button on each paid order. Staff read it too.
func (d *Desk) ordersPage(w http.ResponseWriter, r *http.Request, s *session) {
	e, o, err := d.event(r, s)
	if err == nil && d.Lists == nil {
		err = errNoLists
	}
	if err != nil {
		d.fail(w, r, s, err)
		return
	}
	q := r.URL.Query()
	text := strings.TrimSpace(q.Get("q"))
	status := purchase.Status(q.Get("status"))
	after := q.Get("cursor")
	switch {
	case len(text) > 200:
		err = invalid("q", "search for at most 200 characters")
	case !validStatus(status):
		err = invalid("status", "pick a status from the list")
	case after != "" && !id.Valid(after, "ord"):
		err = invalid("cursor", "the page link is broken; search again")
	}
	if err != nil {
		d.fail(w, r, s, err)
		return
	}
	page, err := d.Lists.SearchOrders(r.Context(), e.ID, lists.OrderQuery{Q: text, Status: status, After: after, Limit: pageSize})
	if err != nil {
		d.fail(w, r, s, err)
		return
	}
	next := ""
	if page.NextCursor != "" {
		v := url.Values{"cursor": {page.NextCursor}}
		if text != "" {
			v.Set("q", text)
		}
		if status != "" {
			v.Set("status", string(status))
		}
		next = "/desk/events/" + e.ID + "/orders?" + v.Encode()
	}
	d.render(w, r, http.StatusOK, "orders", s, map[string]any{"Org": o, "Event": e, "Orders": page.Orders, "Q": text,
		"Status": string(status), "Statuses": orderStatuses, "Next": next, "Done": done(q), "Searched": text != "" || status != "" || after != ""})
}

func validStatus(s purchase.Status) bool {
	for _, st := range orderStatuses {
		if string(s) == st.Value {
			return true
		}
	}
	return false
}

// attendeesPage lists who holds a valid ticket of the event, of which
// type, and whether and where it was checked in. Staff read it too.
func (d *Desk) attendeesPage(w http.ResponseWriter, r *http.Request, s *session) {
	e, o, err := d.event(r, s)
	if err == nil && d.Lists == nil {
		err = errNoLists
	}
	var after lists.AttendeeCursor
	if c := r.URL.Query().Get("cursor"); err == nil && c != "" {
		if after, err = lists.ParseAttendeeCursor(c); err != nil {
			err = invalid("cursor", "the page link is broken; open the list again")
		}
	}
	if err != nil {
		d.fail(w, r, s, err)
		return
	}
	types, err := d.Catalog.TicketTypes(r.Context(), e.ID)
	if err != nil {
		d.fail(w, r, s, err)
		return
	}
	names := make(map[string]string, len(types))
	for _, t := range types {
		names[t.ID] = t.Name
	}
	page, err := d.Lists.Attendees(r.Context(), e.ID, after, pageSize, names)
	if err != nil {
		d.fail(w, r, s, err)
		return
	}
	gates := map[string]string{}
	if d.Hub != nil {
		gs, err := d.Hub.GatesOfEvent(r.Context(), e.ID)
		if err != nil {
			d.fail(w, r, s, err)
			return
		}
		for _, g := range gs {
			gates[g.ID] = g.Name
		}
	}
	next := ""
	if page.NextCursor != "" {
		next = "/desk/events/" + e.ID + "/attendees?" + url.Values{"cursor": {page.NextCursor}}.Encode()
	}
	d.render(w, r, http.StatusOK, "attendees", s, map[string]any{"Org": o, "Event": e, "Attendees": page.Attendees,
		"Gates": gates, "Next": next})
}

// export streams one of the event's CSV exports (analytics.WriteExport)
// to its organizers, as GET /v1/events/{id}/exports/{name} does.
func (d *Desk) export(w http.ResponseWriter, r *http.Request, s *session) {
	e, err := d.managed(r, s)
	if err == nil && d.Analytics == nil {
		err = errkind.New(errkind.NotConfigured, "unavailable", "exports are not available on this server")
	}
	name := analytics.Export(r.PathValue("name"))
	if err == nil && name != analytics.ExportOrders && name != analytics.ExportTickets && name != analytics.ExportCheckins {
		err = analytics.ErrExport
	}
	if err != nil {
		d.fail(w, r, s, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+e.ID+"-"+string(name)+`"`)
	out := &firstWrite{ResponseWriter: w}
	if err := d.Analytics.WriteExport(r.Context(), out, e.ID, name); err != nil {
		if !out.wrote {
			w.Header().Del("Content-Disposition")
			d.fail(w, r, s, err)
			return
		}
		// The status went with the first row: the cut-off file is all
		// the client gets, and the log says why.
		d.log().Error("desk: export cut off", "event", e.ID, "export", name, "err", err)
	}
}

// firstWrite notes whether anything was written, so an export that
// fails before its first row still gets an error page.
type firstWrite struct {
	http.ResponseWriter
	wrote bool
}

func (w *firstWrite) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}
