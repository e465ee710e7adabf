package desk

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/bundle"
	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/internal/errkind"
	"github.com/admitone/admitone/purchase"
	"github.com/admitone/admitone/qr"
	ticketsync "github.com/admitone/admitone/sync"
)

// maxListed bounds the events an organization's page lists.
const maxListed = 200

// orgView is an organization as a signed-in member sees it.
type orgView struct {
	catalog.Organization
	Role   account.Role
	Manage bool
}

// org resolves the organization orgID for s: anyone who is not its
// organizer or staff (or an admin) gets errNotFound, whatever it holds;
// its own two-factor requirement applies as in the API.
func (d *Desk) org(ctx context.Context, s *session, orgID string) (orgView, error) {
	o, err := d.Catalog.Org(ctx, orgID)
	if errors.Is(err, catalog.ErrNotFound) || (err == nil && !s.P.CanStaff(o.ID)) {
		return orgView{}, errNotFound
	}
	if err != nil {
		return orgView{}, err
	}
	if o.Require2FA && !s.P.IsAdmin() && !s.P.TwoFactor {
		return orgView{}, errkind.New(errkind.Forbidden, "enroll_2fa", "organization "+o.Name+" requires two-factor authentication: enrol it first")
	}
	v := orgView{Organization: o, Role: account.RoleAdmin, Manage: s.P.CanManageOrg(o.ID)}
	for _, m := range s.P.Memberships {
		if m.OrgID == o.ID {
			v.Role = m.Role
		}
	}
	return v, nil
}

// event resolves the {id} event and its organization for s (org's rules).
func (d *Desk) event(r *http.Request, s *session) (catalog.Event, orgView, error) {
	id := r.PathValue("id")
	orgID, err := d.Catalog.EventOrg(r.Context(), id)
	if errors.Is(err, catalog.ErrNotFound) {
		return catalog.Event{}, orgView{}, errNotFound
	}
	if err != nil {
		return catalog.Event{}, orgView{}, err
	}
	o, err := d.org(r.Context(), s, orgID)
	if err != nil {
		return catalog.Event{}, orgView{}, err
	}
	e, err := d.Catalog.Event(r.Context(), id)
	return e, o, err
}

// managed is event for a change: staff are refused.
func (d *Desk) managed(r *http.Request, s *session) (catalog.Event, error) {
	e, o, err := d.event(r, s)
	if err == nil && !o.Manage {
		err = errStaff
	}
	return e, err
}

// home lists the signed-in account's organizations.
func (d *Desk) home(w http.ResponseWriter, r *http.Request) {
	s := d.session(r)
	if s == nil {
		http.Redirect(w, r, "/desk/login", http.StatusSeeOther)
		return
	}
	var orgs []orgView
	for _, m := range s.P.Memberships {
		o, err := d.org(r.Context(), s, m.OrgID)
		if err != nil {
			continue // gone, or closed to this account until 2FA
		}
		orgs = append(orgs, o)
	}
	d.render(w, r, http.StatusOK, "home", s, map[string]any{"Orgs": orgs})
}

// orgPage lists an organization's events, drafts too, with forms to add
// a venue and an event for its organizers.
func (d *Desk) orgPage(w http.ResponseWriter, r *http.Request, s *session) {
	o, err := d.org(r.Context(), s, r.PathValue("org"))
	if err != nil {
		d.fail(w, r, s, err)
		return
	}
	d.showOrg(w, r, s, o, http.StatusOK, "")
}

func (d *Desk) showOrg(w http.ResponseWriter, r *http.Request, s *session, o orgView, status int, msg string) {
	ctx := r.Context()
	events, err := d.Catalog.OrgEvents(ctx, o.ID, "", maxListed)
	if err != nil {
		d.fail(w, r, s, err)
		return
	}
	venues, err := d.Catalog.OrgVenues(ctx, o.ID, "", maxListed)
	if err != nil {
		d.fail(w, r, s, err)
		return
	}
	d.render(w, r, status, "org", s, map[string]any{"Org": o, "Events": events, "Venues": venues, "Message": msg})
}

// refused shows the organization's page again with a refusal of a form
// on it, or the error page for anything else.
func (d *Desk) refusedOrg(w http.ResponseWriter, r *http.Request, s *session, o orgView, err error) {
	for _, k := range []errkind.Kind{errkind.Invalid, errkind.Conflict, errkind.Exists} {
		if errors.Is(err, k) {
			d.showOrg(w, r, s, o, http.StatusUnprocessableEntity, err.Error())
			return
		}
	}
	d.fail(w, r, s, err)
}

func (d *Desk) managedOrg(w http.ResponseWriter, r *http.Request, s *session) (orgView, bool) {
	o, err := d.org(r.Context(), s, r.PathValue("org"))
	if err == nil && !o.Manage {
		err = errStaff
	}
	if err != nil {
		d.fail(w, r, s, err)
		return orgView{}, false
	}
	return o, true
}

func (d *Desk) createVenue(w http.ResponseWriter, r *http.Request, s *session) {
	o, ok := d.managedOrg(w, r, s)
	if !ok {
		return
	}
	f := r.PostForm
	v := catalog.Venue{OrgID: o.ID, Name: f.Get("name"), Address: f.Get("address"), City: f.Get("city"), Country: f.Get("country")}
	var err error
	if v.Lat, err = formFloat(f, "lat"); err == nil {
		v.Lon, err = formFloat(f, "lon")
	}
	if err == nil {
		v, err = d.Catalog.CreateVenue(r.Context(), v)
	}
	if err != nil {
		d.refusedOrg(w, r, s, o, err)
		return
	}
	http.Redirect(w, r, "/desk/orgs/"+o.ID+"?venue="+url.QueryEscape(v.ID), http.StatusSeeOther)
}

// addMember makes an account with the email given an organizer or a
// staff member of the organization (account.Service.AddMember, which
// checks the caller's role too).
func (d *Desk) addMember(w http.ResponseWriter, r *http.Request, s *session) {
	o, ok := d.managedOrg(w, r, s)
	if !ok {
		return
	}
	role := account.Role(r.PostForm.Get("role"))
	var err error
	if role != account.RoleOrganizer && role != account.RoleStaff {
		err = invalid("role", `must be "organizer" or "staff"`)
	}
	if err == nil {
		_, err = d.Accounts.AddMember(r.Context(), s.P, o.ID, r.PostForm.Get("email"), role)
	}
	if errors.Is(err, account.ErrNotFound) {
		err = invalid("email", "no account has this email: ask the person to sign up first")
	}
	if err != nil {
		d.refusedOrg(w, r, s, o, err)
		return
	}
	http.Redirect(w, r, "/desk/orgs/"+o.ID, http.StatusSeeOther)
}

func (d *Desk) createEvent(w http.ResponseWriter, r *http.Request, s *session) {
	o, ok := d.managedOrg(w, r, s)
	if !ok {
		return
	}
	f := r.PostForm
	e := catalog.Event{OrgID: o.ID, VenueID: f.Get("venue_id"), Title: f.Get("title"), Description: f.Get("description"),
		Category: f.Get("category"), TimeZone: f.Get("time_zone")}
	err := localTimes(f, e.TimeZone, map[string]*time.Time{"starts_at": &e.StartsAt, "ends_at": &e.EndsAt, "doors_at": &e.DoorsAt})
	if err == nil {
		e, err = d.Catalog.CreateEvent(r.Context(), e)
	}
	if err != nil {
		d.refusedOrg(w, r, s, o, err)
		return
	}
	http.Redirect(w, r, "/desk/events/"+e.ID, http.StatusSeeOther)
}

// eventPage is the event's dashboard: its figures and gates, live, and
// for organizers the forms that change it.
func (d *Desk) eventPage(w http.ResponseWriter, r *http.Request, s *session) {
	e, o, err := d.event(r, s)
	if err != nil {
		d.fail(w, r, s, err)
		return
	}
	d.showEvent(w, r, s, e, o, http.StatusOK, "")
}

// done is the sentence saying what a change redirected here did.
func done(q url.Values) string {
	if id := q.Get("refunded"); id != "" && len(id) <= 64 {
		return "Order " + id + " refunded; its tickets are revoked at the gates."
	}
	return ""
}

func (d *Desk) showEvent(w http.ResponseWriter, r *http.Request, s *session, e catalog.Event, o orgView, status int, msg string) {
	ctx := r.Context()
	types, err := d.Catalog.TicketTypes(ctx, e.ID)
	if err != nil {
		d.fail(w, r, s, err)
		return
	}
	fig, err := d.figures(ctx, e)
	if err != nil {
		d.fail(w, r, s, err)
		return
	}
	var conflicts []ticketsync.Conflict
	if o.Manage && d.Hub != nil {
		if conflicts, err = d.Hub.Conflicts(ctx, e.ID, maxListed); err != nil {
			d.fail(w, r, s, err)
			return
		}
	}
	d.render(w, r, status, "event", s, map[string]any{"Org": o, "Event": e, "Types": types, "Figures": fig, "Done": done(r.URL.Query()),
		"Conflicts": conflicts, "Message": msg, "Draft": e.Status == catalog.StatusDraft, "Cancelled": e.Status == catalog.StatusCancelled})
}

// changed ends a change of the event: its page again, or the refusal
// (refusedEvent).
func (d *Desk) changed(w http.ResponseWriter, r *http.Request, s *session, eventID string, err error) {
	if err != nil {
		d.refusedEvent(w, r, s, err)
		return
	}
	http.Redirect(w, r, "/desk/events/"+eventID, http.StatusSeeOther)
}

// refusedEvent shows the event's page again with a form's refusal, or
// the error page for anything else.
func (d *Desk) refusedEvent(w http.ResponseWriter, r *http.Request, s *session, err error) {
	for _, k := range []errkind.Kind{errkind.Invalid, errkind.Conflict, errkind.Exists} {
		if errors.Is(err, k) {
			if e, o, err2 := d.event(r, s); err2 == nil {
				d.showEvent(w, r, s, e, o, http.StatusUnprocessableEntity, err.Error())
				return
			}
		}
	}
	d.fail(w, r, s, err)
}

func (d *Desk) createTicketType(w http.ResponseWriter, r *http.Request, s *session) {
	e, err := d.managed(r, s)
	if err != nil {
		d.fail(w, r, s, err)
		return
	}
	f := r.PostForm
	t := catalog.TicketType{EventID: e.ID, Name: f.Get("name"), Kind: catalog.Kind(f.Get("kind"))}
	t.Price.Currency = strings.ToUpper(strings.TrimSpace(f.Get("currency")))
	if t.Price.Amount, err = parseAmount(f.Get("price")); err == nil {
		if t.Capacity, err = formInt(f, "capacity"); err == nil {
			t.PerOrderMax, err = formInt(f, "per_order_max")
		}
	}
	if err == nil {
		_, err = d.Catalog.CreateTicketType(r.Context(), t)
	}
	d.changed(w, r, s, e.ID, err)
}

func (d *Desk) publish(w http.ResponseWriter, r *http.Request, s *session) {
	e, err := d.managed(r, s)
	if err == nil {
		_, err = d.Catalog.Publish(r.Context(), e.ID)
	}
	d.changed(w, r, s, e.ID, err)
}

// cancel cancels the event as POST /v1/events/{id}/cancel does: out of
// sale, then every paid order refunded and every unpaid one cancelled;
// again finishes what a failure interrupted.
func (d *Desk) cancel(w http.ResponseWriter, r *http.Request, s *session) {
	e, err := d.managed(r, s)
	if err == nil && r.PostForm.Get("confirm") != "yes" {
		err = errkind.New(errkind.Invalid, "confirm", "tick the box to confirm: cancelling refunds every order")
	}
	if err == nil && e.Status != catalog.StatusCancelled {
		_, err = d.Catalog.Cancel(r.Context(), e.ID)
	}
	if err == nil && d.Purchase != nil {
		var res purchase.EventCancellation
		if res, err = d.Purchase.CancelEvent(r.Context(), e.ID); err == nil {
			d.log().Info("event cancelled", "event", e.ID, "by", s.P.User.ID, "refunded", res.Refunded, "cancelled", res.Cancelled)
		}
	}
	d.changed(w, r, s, e.ID, err)
}

// editEvent changes an event's title, description, category and times,
// as PATCH /v1/events/{id} does: when a time changed, the tickets sold
// admit until the new end, at the gates too (purchase EventMoved). A
// time left as the form showed it is not sent.
func (d *Desk) editEvent(w http.ResponseWriter, r *http.Request, s *session) {
	e, err := d.managed(r, s)
	if err != nil {
		d.fail(w, r, s, err)
		return
	}
	f := r.PostForm
	title, desc, cat := f.Get("title"), f.Get("description"), f.Get("category")
	patch := catalog.EventPatch{Title: &title, Description: &desc, Category: &cat}
	var starts, ends, doors time.Time
	err = localTimes(f, e.TimeZone, map[string]*time.Time{"starts_at": &starts, "ends_at": &ends, "doors_at": &doors})
	moved := false
	for _, c := range []struct {
		form, was time.Time
		dst       **time.Time
	}{{starts, e.StartsAt, &patch.StartsAt}, {ends, e.EndsAt, &patch.EndsAt}, {doors, e.DoorsAt, &patch.DoorsAt}} {
		if !c.form.IsZero() && formatInput(c.form, e.TimeZone) != formatInput(c.was, e.TimeZone) {
			*c.dst, moved = &c.form, true
		}
	}
	if err == nil {
		e, err = d.Catalog.UpdateEvent(r.Context(), e.ID, patch)
	}
	if err == nil && moved && d.Purchase != nil {
		_, err = d.Purchase.EventMoved(r.Context(), e.ID)
	}
	d.changed(w, r, s, e.ID, err)
}

// refund refunds a paid order of the event, as an organizer refunds it
// through POST /v1/orders/{id}/refund (any time, the money back through
// the payment provider first). An order of another event is not found.
func (d *Desk) refund(w http.ResponseWriter, r *http.Request, s *session) {
	e, err := d.managed(r, s)
	if err == nil && d.Purchase == nil {
		err = errkind.New(errkind.NotConfigured, "unavailable", "purchasing is not available on this server")
	}
	orderID := strings.TrimSpace(r.PostForm.Get("order_id"))
	if err == nil && (orderID == "" || len(orderID) > 64) {
		err = invalid("order_id", "give the id of a paid order of this event (ord_...)")
	}
	if err == nil {
		_, err = d.Purchase.RefundOrder(r.Context(), orderID, s.P.User.ID, func(_ context.Context, eventID string) bool { return eventID == e.ID })
	}
	if err != nil {
		d.refusedEvent(w, r, s, err)
		return
	}
	back := "/desk/events/" + e.ID
	if r.PostForm.Get("back") == "orders" {
		back += "/orders"
	}
	http.Redirect(w, r, back+"?refunded="+url.QueryEscape(orderID), http.StatusSeeOther)
}

// createGate creates a gate and shows its one-time enrolment code, as
// text and as a QR code the gate's camera reads; the code is shown on
// this answer only (it is not stored in the clear).
func (d *Desk) createGate(w http.ResponseWriter, r *http.Request, s *session) {
	e, err := d.managed(r, s)
	if err == nil && d.Enroller == nil {
		err = errkind.New(errkind.NotConfigured, "unavailable", "gate sync is not available on this server")
	}
	if err != nil {
		d.fail(w, r, s, err)
		return
	}
	f := r.PostForm
	spec := ticketsync.GateSpec{Name: f.Get("name"), Direction: bundle.Direction(f.Get("direction")), AllowReentry: f.Get("allow_reentry") == "yes"}
	g, code, err := d.Enroller.CreateGate(r.Context(), e.ID, spec, s.P.User.ID)
	if err != nil {
		d.refusedEvent(w, r, s, err)
		return
	}
	var png bytes.Buffer
	if err := qr.PNG(code, 6, &png); err != nil {
		d.fail(w, r, s, fmt.Errorf("gate %s: enrolment QR: %w", g.ID, err))
		return
	}
	scheme := "http"
	if d.secure(r) {
		scheme = "https"
	}
	d.render(w, r, http.StatusCreated, "gate", s, map[string]any{"Event": e, "Gate": g, "Code": code, "Server": scheme + "://" + r.Host,
		"QR": template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png.Bytes()))})
}

// revokeGate revokes a gate of the event: its connections close and its
// credential is refused from now on. A gate of another event is not
// found.
func (d *Desk) revokeGate(w http.ResponseWriter, r *http.Request, s *session) {
	e, err := d.managed(r, s)
	if err == nil && d.Hub == nil {
		err = errkind.New(errkind.NotConfigured, "unavailable", "gate sync is not available on this server")
	}
	var g ticketsync.Gate
	if err == nil {
		g, err = d.Hub.Gate(r.Context(), r.PathValue("gate"))
		if err == nil && g.EventID != e.ID {
			err = errNotFound
		}
	}
	if err == nil {
		g, err = d.Hub.RevokeGate(r.Context(), g.ID, d.now().UTC())
	}
	if err != nil {
		d.fail(w, r, s, err)
		return
	}
	d.log().Info("gate revoked", "gate", g.ID, "event", g.EventID, "by", s.P.User.ID)
	http.Redirect(w, r, "/desk/events/"+e.ID, http.StatusSeeOther)
}

// --- form fields

func invalid(field, msg string) error {
	return errkind.New(errkind.Invalid, "invalid", field+": "+msg)
}

func formInt(f url.Values, field string) (int, error) {
	v := strings.TrimSpace(f.Get(field))
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 1_000_000_000 {
		return 0, invalid(field, "must be a whole number")
	}
	return n, nil
}

func formFloat(f url.Values, field string) (float64, error) {
	v := strings.TrimSpace(f.Get(field))
	if v == "" {
		return 0, nil
	}
	x, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, invalid(field, "must be a number such as 52.52")
	}
	return x, nil
}

// parseAmount reads a price with at most two decimals ("25", "25.5",
// "25.50") into minor units.
func parseAmount(v string) (int64, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, nil
	}
	whole, frac, _ := strings.Cut(v, ".")
	if len(frac) > 2 || whole == "" || len(whole) > 9 {
		return 0, invalid("price", "must be an amount such as 25 or 25.50")
	}
	frac += strings.Repeat("0", 2-len(frac))
	w, err1 := strconv.ParseUint(whole, 10, 32)
	c, err2 := strconv.ParseUint(frac, 10, 8)
	if err1 != nil || err2 != nil {
		return 0, invalid("price", "must be an amount such as 25 or 25.50")
	}
	return int64(w)*100 + int64(c), nil
}

// localTimes reads datetime-local fields ("2026-12-24T19:30") as times
// in the event's time zone; an empty field stays zero.
func localTimes(f url.Values, tz string, dst map[string]*time.Time) error {
	loc, err := time.LoadLocation(tz)
	if err != nil || tz == "" || len(tz) > 64 {
		return invalid("time_zone", "must be an IANA time zone such as Europe/Berlin")
	}
	for field, t := range dst {
		v := strings.TrimSpace(f.Get(field))
		if v == "" {
			continue
		}
		if *t, err = time.ParseInLocation("2006-01-02T15:04", v, loc); err != nil {
			return invalid(field, "must be a date and time such as 2026-12-24T19:30")
		}
	}
	return nil
}
