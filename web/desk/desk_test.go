package desk_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"html"
	imagepng "image/png"
	"io"
	"io/fs"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/httpapi"
	"github.com/admitone/admitone/internal/services"
	"github.com/admitone/admitone/payment"
	"github.com/admitone/admitone/qr"
	"github.com/admitone/admitone/search"
	"github.com/admitone/admitone/storage"
	"github.com/admitone/admitone/web/desk"
)

const password = "correct horse battery staple"

// rig is syncserver's HTTP handler, services wired as serve wires them,
// on bbolt in a temporary directory.
type rig struct {
	t   *testing.T
	url string
	svc *services.Services
}

func newRig(t *testing.T) *rig {
	t.Helper()
	b, err := storage.Open(t.Context(), "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	idx, err := search.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	var key ticketcrypto.SealKey
	rand.Read(key[:])
	svc := services.New(services.Config{
		Stores:  services.Stores{Accounts: b.Accounts, Catalog: b.Catalog, Purchases: b.Purchases, Secrets: b.Secrets, Sync: b.Sync, Notify: b.Notify},
		SealKey: &key, Index: idx, Payments: payment.NewTestProvider(payment.TestConfig{}),
	})
	t.Cleanup(svc.Hub.Shutdown)
	srv := httptest.NewServer(httpapi.New(svc).Handler())
	t.Cleanup(srv.Close)
	return &rig{t: t, url: srv.URL, svc: svc}
}

// api calls the JSON API and decodes the answer into out.
func (r *rig) api(method, path, token string, body any, want int, out any) {
	r.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, r.url+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		r.t.Fatalf("%s %s: %d %s, want %d", method, path, res.StatusCode, b, want)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			r.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

// account signs up email and returns an API session token.
func (r *rig) account(email string) string {
	r.t.Helper()
	r.api("POST", "/v1/auth/signup", "", map[string]any{"email": email, "password": password}, http.StatusCreated, nil)
	var login struct{ Token string }
	r.api("POST", "/v1/auth/login", "", map[string]any{"email": email, "password": password}, http.StatusOK, &login)
	return login.Token
}

type idOnly struct {
	ID string `json:"id"`
}

// org is an organization with an organizer, a published event with one
// ticket type and a gate, made through the API.
type org struct {
	id, venue, event, typeID, gate, gateCode, organizer string
}

func (r *rig) org(name, email string) org {
	r.t.Helper()
	o := org{organizer: r.account(email)}
	var og, venue, ev, tt idOnly
	r.api("POST", "/v1/orgs", o.organizer, map[string]any{"name": name}, http.StatusCreated, &og)
	r.api("POST", "/v1/orgs/"+og.ID+"/venues", o.organizer, map[string]any{"name": name + " Hall", "city": "Berlin", "country": "DE"}, http.StatusCreated, &venue)
	starts := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	r.api("POST", "/v1/orgs/"+og.ID+"/events", o.organizer, map[string]any{"venue_id": venue.ID, "title": name + " Night", "category": "music",
		"time_zone": "Europe/Berlin", "starts_at": starts.Format(time.RFC3339), "ends_at": starts.Add(3 * time.Hour).Format(time.RFC3339)}, http.StatusCreated, &ev)
	r.api("POST", "/v1/events/"+ev.ID+"/ticket-types", o.organizer, map[string]any{"name": "Standing", "kind": "admission",
		"price": map[string]any{"amount": 2500, "currency": "EUR"}, "capacity": 100, "per_order_max": 10}, http.StatusCreated, &tt)
	r.api("POST", "/v1/events/"+ev.ID+"/publish", o.organizer, nil, http.StatusOK, nil)
	var g struct {
		Gate idOnly
		Code string `json:"enrolment_code"`
	}
	r.api("POST", "/v1/events/"+ev.ID+"/gates", o.organizer, map[string]any{"name": "North", "direction": "entry"}, http.StatusCreated, &g)
	o.id, o.venue, o.event, o.typeID, o.gate, o.gateCode = og.ID, venue.ID, ev.ID, tt.ID, g.Gate.ID, g.Code
	return o
}

// buy has buyer buy q tickets of o's event and returns the order's id.
func (r *rig) buy(buyer string, o org, q int) string {
	r.t.Helper()
	var hold, ord idOnly
	r.api("POST", "/v1/holds", buyer, map[string]any{"event_id": o.event, "lines": []map[string]any{{"ticket_type_id": o.typeID, "quantity": q}}}, http.StatusCreated, &hold)
	r.api("POST", "/v1/orders", buyer, map[string]any{"hold_id": hold.ID}, http.StatusCreated, &ord)
	r.api("POST", "/v1/orders/"+ord.ID+"/pay", buyer, map[string]any{"test_card": "4242424242424242"}, http.StatusOK, nil)
	return ord.ID
}

// browser is a cookie-keeping client of the desk's pages.
type browser struct {
	r    *rig
	c    *http.Client
	csrf string
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (r *rig) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{r: r, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// do sends a request and returns the status and body.
func (b *browser) do(method, path string, form url.Values) (int, string, http.Header) {
	b.r.t.Helper()
	var rd io.Reader
	if form != nil {
		rd = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.r.url+path, rd)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.r.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body), res.Header
}

// login signs in through the form and keeps the session's CSRF token.
func (b *browser) login(email string) (int, string) {
	b.r.t.Helper()
	_, page, _ := b.do("GET", "/desk/login", nil)
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		b.r.t.Fatalf("login page without a CSRF field:\n%s", page)
	}
	status, body, _ := b.do("POST", "/desk/login", url.Values{"csrf": {m[1]}, "email": {email}, "password": {password}})
	if status == http.StatusSeeOther {
		_, home, _ := b.do("GET", "/desk/", nil)
		if m := csrfField.FindStringSubmatch(home); m != nil {
			b.csrf = m[1]
		}
	}
	return status, body
}

func TestSignInAndManage(t *testing.T) {
	r := newRig(t)
	a := r.org("Alpha", "alpha@example.com")
	b := r.browser()
	if status, _, h := b.do("GET", "/desk/events/"+a.event, nil); status != http.StatusSeeOther || h.Get("Location") != "/desk/login" {
		t.Fatalf("signed out: %d to %q, want 303 to the sign-in page", status, h.Get("Location"))
	}
	if status, body := b.login("alpha@example.com"); status != http.StatusSeeOther {
		t.Fatalf("sign-in: %d\n%s", status, body)
	}
	_, home, _ := b.do("GET", "/desk/", nil)
	if !strings.Contains(home, "/desk/orgs/"+a.id) {
		t.Fatalf("home does not list the organization:\n%s", home)
	}
	// A ticket type through the form, then the page lists it.
	status, body, _ := b.do("POST", "/desk/events/"+a.event+"/ticket-types", url.Values{"csrf": {b.csrf}, "name": {"Balcony"},
		"kind": {"admission"}, "price": {"39.90"}, "currency": {"eur"}, "capacity": {"50"}, "per_order_max": {"4"}})
	if status != http.StatusSeeOther {
		t.Fatalf("new ticket type: %d\n%s", status, body)
	}
	_, page, _ := b.do("GET", "/desk/events/"+a.event, nil)
	if !strings.Contains(page, "Balcony") || !strings.Contains(page, "39.90 EUR") || !strings.Contains(page, "0 of 150") {
		t.Errorf("event page lacks the new type at 39.90 EUR and 0 of 150 sold:\n%s", page)
	}
	// The event edited through its form: a new title and end; the
	// start, shown as it was, stays.
	_, page, _ = b.do("GET", "/desk/events/"+a.event, nil)
	startsShown := regexp.MustCompile(`name="starts_at" value="([^"]+)"`).FindStringSubmatch(page)
	if startsShown == nil {
		t.Fatal("the edit form does not show the start")
	}
	status, body, _ = b.do("POST", "/desk/events/"+a.event+"/edit", url.Values{"csrf": {b.csrf}, "title": {"Alpha Late Night"},
		"category": {"music"}, "starts_at": {startsShown[1]}, "ends_at": {"2030-01-01T06:00"}})
	if status != http.StatusSeeOther {
		t.Fatalf("edit: %d\n%s", status, body)
	}
	var ev struct {
		Event struct {
			Title  string    `json:"title"`
			EndsAt time.Time `json:"ends_at"`
		} `json:"event"`
	}
	r.api("GET", "/v1/events/"+a.event, "", nil, http.StatusOK, &ev)
	if ev.Event.Title != "Alpha Late Night" || ev.Event.EndsAt.Year() != 2030 {
		t.Errorf("after the edit: %+v", ev.Event)
	}
	// A refusal is said on the page, naming the field.
	status, body, _ = b.do("POST", "/desk/events/"+a.event+"/ticket-types", url.Values{"csrf": {b.csrf}, "name": {"Bad"}, "price": {"1.234"}, "capacity": {"5"}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "price") {
		t.Errorf("bad price: %d, want 422 naming the price", status)
	}
	// A gate: its code as text and as a QR image.
	status, body, _ = b.do("POST", "/desk/events/"+a.event+"/gates", url.Values{"csrf": {b.csrf}, "name": {"South"}, "direction": {"exit"}})
	code := regexp.MustCompile(`id="enrolment-code">([^<]{20,})<`).FindStringSubmatch(body)
	png := regexp.MustCompile(`src="data:image/png;base64,([^"]+)"`).FindStringSubmatch(body)
	if status != http.StatusCreated || code == nil || png == nil {
		t.Fatalf("new gate: %d without its code and QR\n%s", status, body)
	}
	raw, _ := base64.StdEncoding.DecodeString(html.UnescapeString(png[1]))
	img, err := imagepng.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("the enrolment QR is not a PNG: %v", err)
	}
	if res, err := qr.DecodeImage(img); err != nil || res.Text != code[1] {
		t.Errorf("the enrolment QR reads %+v, %v; want the code %q", res, err, code[1])
	}
	// A refund of the event's order; another event's order is not found.
	buyer := r.account("buyer@example.com")
	orderID := r.buy(buyer, a, 2)
	beta := r.org("Beta", "beta@example.com")
	betaOrder := r.buy(buyer, beta, 1)
	if status, body, _ := b.do("POST", "/desk/events/"+a.event+"/refund", url.Values{"csrf": {b.csrf}, "order_id": {betaOrder}}); status != http.StatusNotFound {
		t.Errorf("refund of another organization's order: %d, want 404\n%s", status, body)
	}
	status, body, _ = b.do("POST", "/desk/events/"+a.event+"/refund", url.Values{"csrf": {b.csrf}, "order_id": {orderID}})
	if status != http.StatusSeeOther {
		t.Fatalf("refund: %d\n%s", status, body)
	}
	var ord struct{ Status string }
	r.api("GET", "/v1/orders/"+orderID, buyer, nil, http.StatusOK, &ord)
	if ord.Status != "refunded" {
		t.Errorf("order after the desk's refund: %s, want refunded", ord.Status)
	}
	// Revoking a gate from the page; another event's gate is not found.
	if status, _, _ := b.do("POST", "/desk/events/"+a.event+"/gates/"+beta.gate+"/revoke", url.Values{"csrf": {b.csrf}}); status != http.StatusNotFound {
		t.Errorf("revoke of another event's gate: %d, want 404", status)
	}
	if status, _, _ := b.do("POST", "/desk/events/"+a.event+"/gates/"+a.gate+"/revoke", url.Values{"csrf": {b.csrf}}); status != http.StatusSeeOther {
		t.Errorf("revoke: %d, want 303", status)
	}
	if _, page, _ := b.do("GET", "/desk/events/"+a.event, nil); !strings.Contains(page, `<td class="state">revoked</td>`) {
		t.Errorf("the gate panel does not say the gate is revoked")
	}
	// Without the session's token a change is refused.
	if status, _, _ := b.do("POST", "/desk/events/"+a.event+"/cancel", url.Values{"confirm": {"yes"}}); status != http.StatusForbidden {
		t.Errorf("cancel without a CSRF token: %d, want 403", status)
	}
	other := r.browser()
	r.account("other@example.com")
	other.login("other@example.com")
	if status, _, _ := b.do("POST", "/desk/events/"+a.event+"/cancel", url.Values{"confirm": {"yes"}, "csrf": {other.csrf}}); status != http.StatusForbidden {
		t.Errorf("cancel with another session's CSRF token: %d, want 403", status)
	}
	// Sign out ends the session: its cookie no longer opens a page.
	if status, _, _ := b.do("POST", "/desk/logout", url.Values{"csrf": {b.csrf}}); status != http.StatusSeeOther {
		t.Fatalf("sign out: %d", status)
	}
	if status, _, _ := b.do("GET", "/desk/events/"+a.event, nil); status != http.StatusSeeOther {
		t.Errorf("after sign-out: %d, want a redirect to sign in", status)
	}
}

// TestOtherOrganizationGets404 is acceptance 7 for the desk: another
// organization's organizer gets 404 on every desk route of this one, with
// a valid session and CSRF token, and learns nothing of it; staff of the
// organization see its pages but may not change anything.
func TestOtherOrganizationGets404(t *testing.T) {
	r := newRig(t)
	a := r.org("Alpha", "alpha@example.com")
	r.org("Beta", "beta@example.com")
	outsider := r.browser()
	outsider.login("beta@example.com")
	if outsider.csrf == "" {
		t.Fatal("outsider has no CSRF token")
	}
	ids := strings.NewReplacer("{org}", a.id, "{id}", a.event, "{gate}", a.gate, "{name}", "orders.csv",
		"{tt}", a.typeID, "{venue}", a.venue)
	for _, rt := range desk.Routes() {
		path := ids.Replace(rt[1])
		var form url.Values
		if rt[0] == "POST" {
			form = url.Values{"csrf": {outsider.csrf}, "name": {"X"}, "confirm": {"yes"}, "direction": {"entry"}}
		}
		status, body, _ := outsider.do(rt[0], path, form)
		if status != http.StatusNotFound {
			t.Errorf("%s %s by another organization's organizer: %d, want 404", rt[0], path, status)
		}
		if strings.Contains(body, "Alpha") {
			t.Errorf("%s %s: the 404 page names the organization", rt[0], path)
		}
	}

	r.account("staff@example.com")
	organizer := r.browser()
	organizer.login("alpha@example.com")
	if status, _, _ := organizer.do("POST", "/desk/orgs/"+a.id+"/members", url.Values{"csrf": {organizer.csrf}, "email": {"nobody@example.com"}, "role": {"staff"}}); status != http.StatusUnprocessableEntity {
		t.Errorf("adding an email without an account: %d, want 422", status)
	}
	if status, body, _ := organizer.do("POST", "/desk/orgs/"+a.id+"/members", url.Values{"csrf": {organizer.csrf}, "email": {"staff@example.com"}, "role": {"staff"}}); status != http.StatusSeeOther {
		t.Fatalf("adding a staff member: %d\n%s", status, body)
	}
	staff := r.browser()
	staff.login("staff@example.com")
	for _, rt := range desk.Routes() {
		path := ids.Replace(rt[1])
		if rt[0] == "GET" {
			if strings.HasSuffix(path, "/live") {
				continue // a stream; TestLiveFigures reads one
			}
			want := http.StatusOK
			if strings.Contains(path, "/exports/") {
				want = http.StatusForbidden // buyers' records are the organizers'
			}
			if status, _, _ := staff.do("GET", path, nil); status != want {
				t.Errorf("GET %s by staff: %d, want %d", path, status, want)
			}
			continue
		}
		form := url.Values{"csrf": {staff.csrf}, "name": {"X"}, "confirm": {"yes"}, "direction": {"entry"}}
		if status, _, _ := staff.do("POST", path, form); status != http.StatusForbidden {
			t.Errorf("POST %s by staff: %d, want 403", path, status)
		}
	}
}

// TestPagesCarryCSP checks every desk answer's Content-Security-Policy
// and that no page or template has inline script, style elements, style
// attributes or event handler attributes, which the policy would refuse.
func TestPagesCarryCSP(t *testing.T) {
	if strings.Contains(desk.CSP, "unsafe") || !strings.Contains(desk.CSP, "script-src 'self'") || !strings.Contains(desk.CSP, "style-src 'self'") {
		t.Fatalf("CSP %q allows inline code", desk.CSP)
	}
	r := newRig(t)
	a := r.org("Alpha", "alpha@example.com")
	b := r.browser()
	b.login("alpha@example.com")
	pages := []struct {
		method, path string
		form         url.Values
	}{
		{"GET", "/desk/login", nil}, {"GET", "/desk/", nil}, {"GET", "/desk/orgs/" + a.id, nil}, {"GET", "/desk/events/" + a.event, nil},
		{"GET", "/desk/nowhere", nil}, {"GET", "/desk/static/desk.js", nil}, {"GET", "/desk/static/uPlot-1.6.30.iife.min.js", nil},
		{"POST", "/desk/events/" + a.event + "/gates", url.Values{"csrf": {b.csrf}, "name": {"East"}, "direction": {"entry"}}},
	}
	for _, p := range pages {
		status, body, h := b.do(p.method, p.path, p.form)
		if status >= 500 {
			t.Errorf("%s %s: %d", p.method, p.path, status)
		}
		if got := h.Get("Content-Security-Policy"); got != desk.CSP {
			t.Errorf("%s %s: CSP %q, want %q", p.method, p.path, got, desk.CSP)
		}
		if h.Get("X-Frame-Options") != "DENY" || h.Get("Cache-Control") != "no-store" {
			t.Errorf("%s %s: X-Frame-Options %q, Cache-Control %q", p.method, p.path, h.Get("X-Frame-Options"), h.Get("Cache-Control"))
		}
		if strings.HasSuffix(p.path, ".js") {
			continue
		}
		if bad := inlineCode(body); bad != "" {
			t.Errorf("%s %s: %s", p.method, p.path, bad)
		}
	}
	tmpl, err := fs.Glob(os.DirFS("templates"), "*.html")
	if err != nil || len(tmpl) == 0 {
		t.Fatalf("templates: %v", err)
	}
	for _, name := range tmpl {
		b, _ := os.ReadFile("templates/" + name)
		if bad := inlineCode(string(b)); bad != "" {
			t.Errorf("templates/%s: %s", name, bad)
		}
	}
}

var (
	scriptTag = regexp.MustCompile(`(?is)<script([^>]*)>`)
	styleAttr = regexp.MustCompile(`(?i)<[^>]+\s(style|on[a-z]+)\s*=`)
)

// inlineCode names the first inline script, style element or attribute
// in page, "" if there is none.
func inlineCode(page string) string {
	for _, m := range scriptTag.FindAllStringSubmatch(page, -1) {
		if !strings.Contains(m[1], "src=") {
			return "inline script " + m[0]
		}
	}
	if strings.Contains(strings.ToLower(page), "<style") {
		return "a style element"
	}
	if m := styleAttr.FindString(page); m != "" {
		return "an inline attribute in " + m
	}
	return ""
}

// TestLiveFigures reads the live feed: figures at once, and fresh ones
// soon after a sale, pushed by the purchase's poke rather than the
// periodic recomputation (minutes away here).
func TestLiveFigures(t *testing.T) {
	r := newRig(t)
	a := r.org("Alpha", "alpha@example.com")
	b := r.browser()
	b.login("alpha@example.com")
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", r.url+"/desk/events/"+a.event+"/live", nil)
	res, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("live: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	next := figuresReader(res.Body)
	f := next(t)
	if f.Sold != 0 || f.Capacity != 100 || len(f.Gates) != 1 || f.Gates[0].State != "not enrolled" {
		t.Fatalf("first figures: %+v", f)
	}
	r.buy(r.account("buyer@example.com"), a, 3)
	// The periodic recomputation may send the hold's figures first.
	for range 3 {
		if f = next(t); f.Sold == 3 {
			break
		}
	}
	if f.Sold != 3 || f.Remaining != 97 {
		t.Fatalf("figures after a sale of 3: %+v", f)
	}
	if !strings.Contains(f.Summary, "3 of 100 sold") {
		t.Errorf("summary %q does not say the sale in words", f.Summary)
	}
	// A session holds at most DefaultMaxStreams streams; this one is
	// the first.
	for i := 2; i <= desk.DefaultMaxStreams+1; i++ {
		req, _ := http.NewRequestWithContext(ctx, "GET", r.url+"/desk/events/"+a.event+"/live", nil)
		res, err := b.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		want := http.StatusOK
		if i > desk.DefaultMaxStreams {
			want = http.StatusTooManyRequests
		}
		if res.StatusCode != want {
			t.Errorf("live stream %d of one session: %d, want %d", i, res.StatusCode, want)
		}
	}
}

// figuresReader reads "figures" events from a stream.
func figuresReader(body io.Reader) func(t *testing.T) desk.Figures {
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	return func(t *testing.T) desk.Figures {
		t.Helper()
		event := ""
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: ") && event == "figures":
				var f desk.Figures
				if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &f); err != nil {
					t.Fatal(err)
				}
				return f
			}
		}
		t.Fatalf("stream ended: %v", sc.Err())
		return desk.Figures{}
	}
}

func TestLoginLimits(t *testing.T) {
	r := newRig(t)
	r.account("alpha@example.com")
	b := r.browser()
	var status int
	for range 8 {
		_, page, _ := b.do("GET", "/desk/login", nil)
		m := csrfField.FindStringSubmatch(page)
		status, _, _ = b.do("POST", "/desk/login", url.Values{"csrf": {m[1]}, "email": {"alpha@example.com"}, "password": {"wrong password!"}})
		if status == http.StatusTooManyRequests {
			break
		}
		if status != http.StatusUnauthorized {
			t.Fatalf("wrong password: %d, want 401", status)
		}
	}
	if status != http.StatusTooManyRequests {
		t.Errorf("8 wrong passwords: last %d, want 429 as the API's login limits", status)
	}
	// The login form's own token is checked too.
	if status, _, _ := b.do("POST", "/desk/login", url.Values{"csrf": {"forged"}, "email": {"alpha@example.com"}, "password": {password}}); status != http.StatusForbidden {
		t.Errorf("login with a forged form token: %d, want 403", status)
	}
}

// TestSignInWithTOTP: an account with two-factor authentication signs in
// with its code; without one, or with a wrong one, the form says so.
func TestSignInWithTOTP(t *testing.T) {
	r := newRig(t)
	token := r.account("alpha@example.com")
	var enrol struct{ Secret string }
	r.api("POST", "/v1/auth/totp/enroll", token, map[string]any{"password": password}, http.StatusOK, &enrol)
	code, err := totp.GenerateCode(enrol.Secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	r.api("POST", "/v1/auth/totp/confirm", token, map[string]any{"code": code}, http.StatusOK, nil)

	b := r.browser()
	try := func(code string) (int, string) {
		_, page, _ := b.do("GET", "/desk/login", nil)
		m := csrfField.FindStringSubmatch(page)
		status, body, _ := b.do("POST", "/desk/login", url.Values{"csrf": {m[1]}, "email": {"alpha@example.com"}, "password": {password}, "totp": {code}})
		return status, body
	}
	if status, body := try(""); status != http.StatusUnauthorized || !strings.Contains(body, "authenticator app") {
		t.Errorf("no code: %d, want 401 asking for the code", status)
	}
	if status, body := try("000000"); status != http.StatusUnauthorized || !strings.Contains(body, "code is wrong") {
		t.Errorf("wrong code: %d, want 401 saying the code is wrong", status)
	}
	// The code confirmed above was used; the next period's is fresh.
	next, _ := totp.GenerateCode(enrol.Secret, time.Now().Add(30*time.Second))
	if status, body := try(next); status != http.StatusSeeOther {
		t.Errorf("right code: %d, want 303\n%s", status, body)
	}
}

// TestQuietGateAndSignOut: with the doors open, an enrolled gate that is
// not connected is flagged in words; a stream ends with a "signed-out"
// message at its next heartbeat once its session has ended.
func TestQuietGateAndSignOut(t *testing.T) {
	r := newRig(t)
	a := r.org("Alpha", "alpha@example.com")
	now := time.Now().UTC().Truncate(time.Second)
	r.api("PATCH", "/v1/events/"+a.event, a.organizer, map[string]any{"doors_at": now.Add(-time.Hour).Format(time.RFC3339),
		"starts_at": now.Add(time.Hour).Format(time.RFC3339), "ends_at": now.Add(4 * time.Hour).Format(time.RFC3339)}, http.StatusOK, nil)
	r.api("POST", "/v1/gates/enroll", "", map[string]any{"code": a.gateCode}, http.StatusOK, nil)

	// A desk over the same services with a fast heartbeat.
	d := &desk.Desk{Accounts: r.svc.Accounts, Catalog: r.svc.Catalog, Purchase: r.svc.Purchase, Hub: r.svc.Hub, Enroller: r.svc.Enroller,
		Analytics: r.svc.Analytics, Heartbeat: 50 * time.Millisecond}
	srv := httptest.NewServer(d.Handler())
	t.Cleanup(srv.Close)
	fast := &rig{t: t, url: srv.URL, svc: r.svc}
	b := fast.browser()
	b.login("alpha@example.com")
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/desk/events/"+a.event+"/live", nil)
	res, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	f := figuresReader(res.Body)(t)
	if !f.DoorsOpen || len(f.Gates) != 1 || !f.Gates[0].Quiet || f.Gates[0].State != "offline, quiet during doors-open" {
		t.Fatalf("an enrolled, unconnected gate with the doors open: %+v", f)
	}
	if status, _, _ := b.do("POST", "/desk/logout", url.Values{"csrf": {b.csrf}}); status != http.StatusSeeOther {
		t.Fatalf("sign out: %d", status)
	}
	rest, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("stream after sign-out: %v", err)
	}
	if !strings.Contains(string(rest), "event: signed-out") {
		t.Errorf("the stream ended without saying the session ended:\n%s", rest)
	}
}
