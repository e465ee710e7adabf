package desk

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/analytics"
	"github.com/admitone/admitone/catalog"
	lists "github.com/admitone/admitone/desk"
	"github.com/admitone/admitone/internal/errkind"
	"github.com/admitone/admitone/internal/logging"
	"github.com/admitone/admitone/internal/pageheader"
	"github.com/admitone/admitone/purchase"
	ticketsync "github.com/admitone/admitone/sync"
)

//go:embed templates static
var files embed.FS

// CSP is the Content-Security-Policy of every answer under /desk/: the
// desk's own files only, no inline script or style (nor style=
// attributes), images from itself or data: (the enrolment QR code), the
// live feed from its own origin, forms posting to itself, no framing.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'; object-src 'none'"

// Defaults of a Desk's zero fields.
const (
	DefaultRefresh    = 5 * time.Second
	DefaultHeartbeat  = 15 * time.Second
	DefaultMaxStreams = 4
)

// Desk is the organizer's desk: the pages under /desk/ and their live
// feed. Its services are syncserver's (internal/services), called as
// package httpapi calls them.
type Desk struct {
	Accounts  *account.Service
	Catalog   *catalog.Service
	Purchase  *purchase.Service
	Hub       *ticketsync.Hub
	Enroller  *ticketsync.Enroller
	Analytics *analytics.Service
	// Lists searches an event's orders and lists its attendees; nil
	// answers those pages with 503.
	Lists *lists.Service
	// ClientAddr names the client of a request for the sign-in limits
	// (httpapi's, which knows the trusted proxies); nil uses RemoteAddr.
	ClientAddr func(*http.Request) string
	// HSTS: the server is reached over TLS, so cookies are Secure and
	// answers carry Strict-Transport-Security.
	HSTS bool
	Log  *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Refresh is how often an open dashboard's figures are recomputed
	// when nothing told of a change (DefaultRefresh); Heartbeat how often
	// an idle stream gets a comment (DefaultHeartbeat); MaxStreams bounds
	// a session's open live streams (DefaultMaxStreams).
	Refresh, Heartbeat time.Duration
	MaxStreams         int

	once    sync.Once
	pages   map[string]*template.Template
	feed    feed
	streams streamCount
}

func (d *Desk) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *Desk) log() *slog.Logger { return logging.OrDiscard(d.Log) }

// views are the page templates, each parsed with layout.html.
var views = []string{"login", "home", "org", "event", "gate", "orders", "attendees", "error"}

// parse parses every page once, so a broken template fails at start.
func parse() map[string]*template.Template {
	funcs := template.FuncMap{"money": formatMoney, "amount": formatAmount, "history": historyJSON, "when": formatTime, "local": formatLocal, "input": formatInput}
	out := make(map[string]*template.Template, len(views))
	for _, v := range views {
		out[v] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/"+v+".html"))
	}
	return out
}

// Handler serves the desk under /desk/ (mount it at "/desk/"). It
// watches the hub for changes from its first call on.
func (d *Desk) Handler() http.Handler {
	d.once.Do(func() {
		d.pages = parse()
		if d.Hub != nil {
			d.Hub.Watch(d.feed.changed)
		}
	})
	static, err := fs.Sub(files, "static")
	if err != nil {
		panic(err) // embedded
	}
	mux := http.NewServeMux()
	mux.Handle("GET /desk/static/", http.StripPrefix("/desk/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /desk/{$}", d.home)
	mux.HandleFunc("GET /desk/login", d.loginPage)
	mux.HandleFunc("POST /desk/login", d.login)
	for _, rt := range d.routes() {
		mux.HandleFunc(rt.method+" "+rt.pattern, d.signedIn(rt.handle))
	}
	mux.HandleFunc("/desk/", func(w http.ResponseWriter, r *http.Request) {
		d.fail(w, r, nil, errNotFound)
	})
	return d.headers(mux)
}

// route is a desk route for signed-in members of an organization.
type route struct {
	method, pattern string
	handle          func(http.ResponseWriter, *http.Request, *session)
}

// routes are the desk's routes behind sign-in; Handler serves them and
// Routes lists them from this one table.
func (d *Desk) routes() []route {
	return []route{
		{"POST", "/desk/logout", d.logout},
		{"GET", "/desk/orgs/{org}", d.orgPage},
		{"POST", "/desk/orgs/{org}/venues", d.createVenue},
		{"POST", "/desk/orgs/{org}/venues/{venue}/edit", d.editVenue},
		{"POST", "/desk/orgs/{org}/events", d.createEvent},
		{"POST", "/desk/orgs/{org}/members", d.addMember},
		{"GET", "/desk/events/{id}", d.eventPage},
		{"GET", "/desk/events/{id}/live", d.live},
		{"POST", "/desk/events/{id}/edit", d.editEvent},
		{"POST", "/desk/events/{id}/ticket-types", d.createTicketType},
		{"POST", "/desk/events/{id}/ticket-types/{tt}/edit", d.editTicketType},
		{"POST", "/desk/events/{id}/ticket-types/{tt}/close", d.closeTicketType},
		{"POST", "/desk/events/{id}/ticket-types/{tt}/delete", d.deleteTicketType},
		{"POST", "/desk/events/{id}/publish", d.publish},
		{"POST", "/desk/events/{id}/cancel", d.cancel},
		{"POST", "/desk/events/{id}/gates", d.createGate},
		{"POST", "/desk/events/{id}/refund", d.refund},
		{"GET", "/desk/events/{id}/orders", d.ordersPage},
		{"GET", "/desk/events/{id}/attendees", d.attendeesPage},
		{"GET", "/desk/events/{id}/exports/{name}", d.export},
		{"POST", "/desk/events/{id}/gates/{gate}/revoke", d.revokeGate},
	}
}

// Routes lists every route of the desk behind sign-in that names an
// organization or an event, as method and pattern, for tests that walk
// them all (acceptance: another organization's organizer gets 404 on
// each).
func Routes() [][2]string {
	var out [][2]string
	for _, rt := range (&Desk{}).routes() {
		if strings.Contains(rt.pattern, "{") {
			out = append(out, [2]string{rt.method, rt.pattern})
		}
	}
	return out
}

// headers sets what every desk answer carries.
func (d *Desk) headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pageheader.Policy{CSP: CSP, Permissions: pageheader.NoFeatures, Cache: "no-store", Isolate: true, HSTS: d.HSTS}.Set(w.Header())
		next.ServeHTTP(w, r)
	})
}

// errNotFound is what anyone outside an organization is told of its
// desk: nothing there.
var errNotFound = errkind.New(errkind.NotFound, "not_found", "nothing here: it does not exist or is not yours to see")

// errStaff refuses a change to staff, who see the desk but do not manage.
var errStaff = errkind.New(errkind.Forbidden, "forbidden", "staff see this event but do not manage it: ask an organizer of the organization")

// statuses maps error kinds to the status of the page that says so.
var statuses = []struct {
	kind   errkind.Kind
	status int
}{
	{errkind.RateLimited, http.StatusTooManyRequests},
	{errkind.Busy, http.StatusServiceUnavailable},
	{errkind.Invalid, http.StatusUnprocessableEntity},
	{errkind.NotFound, http.StatusNotFound},
	{errkind.Unauthorized, http.StatusUnauthorized},
	{errkind.Forbidden, http.StatusForbidden},
	{errkind.Exists, http.StatusConflict},
	{errkind.Conflict, http.StatusConflict},
	{errkind.Expired, http.StatusGone},
	{errkind.NotConfigured, http.StatusServiceUnavailable},
	{errkind.Declined, http.StatusPaymentRequired},
}

// fail answers with a page saying what went wrong: the error's own words
// for a domain refusal, a plain sentence (and a log line) for anything
// else. Not-found never says more than errNotFound, so nothing of another
// organization is confirmed.
func (d *Desk) fail(w http.ResponseWriter, r *http.Request, s *session, err error) {
	status, msg := http.StatusInternalServerError, "something went wrong on the server; it has been logged"
	for _, k := range statuses {
		if e, ok := errkind.Of(err, k.kind); ok {
			status, msg = k.status, err.Error()
			if e.Public() != "" {
				msg = e.Public()
			}
			break
		}
	}
	var re *account.RetryError
	if errors.As(err, &re) {
		w.Header().Set("Retry-After", fmt.Sprint(int(re.Wait.Seconds())))
	}
	switch status {
	case http.StatusNotFound:
		msg = errNotFound.Error()
	case http.StatusInternalServerError:
		d.log().Error("desk: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	d.render(w, r, status, "error", s, map[string]any{"Status": status, "StatusText": http.StatusText(status), "Message": msg})
}

// render writes page view with data under the layout.
func (d *Desk) render(w http.ResponseWriter, r *http.Request, status int, view string, s *session, data map[string]any) {
	if data == nil {
		data = map[string]any{}
	}
	data["Session"] = s
	if s != nil {
		data["CSRF"] = s.csrf
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := d.pages[view].Execute(w, data); err != nil {
		d.log().Error("desk: render", "view", view, "err", err)
	}
}

// formatMoney says an amount in minor units with two decimals and its
// currency.
func formatMoney(amount int64, currency string) string {
	sign := ""
	if amount < 0 {
		sign, amount = "-", -amount
	}
	return fmt.Sprintf("%s%d.%02d %s", sign, amount/100, amount%100, currency)
}

// historyJSON is the chart's past as the page carries it (a data
// attribute desk.js reads: no inline script under the CSP).
func historyJSON(h []HistoryPoint) string {
	if h == nil {
		h = []HistoryPoint{}
	}
	b, _ := json.Marshal(h)
	return string(b)
}

// formatAmount is an amount in minor units as the price field reads it
// back (parseAmount): "25.00".
func formatAmount(amount int64) string {
	m := formatMoney(amount, "")
	return strings.TrimSuffix(m, " ")
}

// formatTime says a time in UTC to the minute, "" for zero.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// formatLocal says a time to the minute in the time zone tz (an event's),
// with the zone's abbreviation; UTC when tz does not load.
func formatLocal(t time.Time, tz string) string {
	loc, err := time.LoadLocation(tz)
	if err != nil || t.IsZero() {
		return formatTime(t)
	}
	return t.In(loc).Format("2006-01-02 15:04 MST")
}

// formatInput is a time as a datetime-local input shows it in the time
// zone tz (an event's), "" for zero.
func formatInput(t time.Time, tz string) string {
	loc, err := time.LoadLocation(tz)
	if err != nil || t.IsZero() {
		return ""
	}
	return t.In(loc).Format("2006-01-02T15:04")
}
