package httpapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/admitone/admitone/internal/services"
	"github.com/admitone/admitone/vault"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/catalog"
	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/internal/testclock"
	"github.com/admitone/admitone/internal/testenv"
	"github.com/admitone/admitone/notify"
	"github.com/admitone/admitone/payment"
	"github.com/admitone/admitone/purchase"
	"github.com/admitone/admitone/search"
	"github.com/admitone/admitone/storage"
	"github.com/admitone/admitone/storage/postgres/pgtest"
)

// The harness runs the real Server over real storage (bbolt in a temporary
// directory, or PostgreSQL in a fresh schema), the real account and catalog
// services with an injected clock, and an in-memory search index, served
// by httptest. Tests talk to it over HTTP only, except where a fixture
// would cost an HTTP round trip of no interest to the test.

// testPassword is every test user's password.
const testPassword = "correct horse battery"

// t0 is the harness clock's start: 5 s into a TOTP step, so that small
// advances stay within the step.
var t0 = time.Date(2030, 5, 1, 12, 0, 5, 0, time.UTC)

// forEachBackend runs f as a subtest per storage backend: "bolt" always,
// "postgres" when ADMITONE_TEST_POSTGRES is set (required when CI=true).
func forEachBackend(t *testing.T, f func(t *testing.T, backend string)) {
	t.Helper()
	t.Run("bolt", func(t *testing.T) { f(t, "bolt") })
	t.Run("postgres", func(t *testing.T) {
		pgtest.DSN(t)
		f(t, "postgres")
	})
}

// harness is a running API over fresh storage.
type harness struct {
	srv      *httptest.Server
	api      *Server
	accounts *account.Service
	catalog  *catalog.Service
	index    *search.Index
	purchase *purchase.Service
	vault    *vault.Vault
	payments *payment.TestProvider
	clock    *testclock.Clock
	// acctStore and catStore are the stores the services use; writes
	// through them are counted in spy.
	acctStore account.Store
	catStore  catalog.Store
	purStore  purchase.Store
	outbox    notify.Store
	spy       *storeSpy
	// logs is the server's log (warnings and errors).
	logs *testenv.LockedBuffer
	// dsn and dir are where the storage lives, for a test that opens it
	// again (a restart); dsn is empty on bbolt.
	dsn, dir string
	backend  *storage.Backend
	// key is the services' seal key, which a second server shares.
	key ticketcrypto.SealKey

	emails    atomic.Int64
	adminMu   sync.Mutex
	rootAdmin *user // the first admin, who creates the others
}

// newHarness starts the API over backend ("bolt" or "postgres").
func newHarness(t *testing.T, backend string) *harness {
	t.Helper()
	return newHarnessWith(t, backend, nil)
}

// newHarnessWith is newHarness that lets configure, if not nil, change the
// services and the Server (their limits, trusted proxies) before the
// first request.
func newHarnessWith(t *testing.T, backend string, configure func(*harness)) *harness {
	t.Helper()
	var dsn string
	if backend == "postgres" {
		dsn = pgtest.FreshSchema(t)
	}
	var key ticketcrypto.SealKey
	rand.Read(key[:])
	return startHarness(t, backend, dsn, key, testclock.New(t0), configure)
}

// secondServer starts another server over h's PostgreSQL database with
// h's seal key and clock, as a second syncserver process sharing the
// store would run.
func (h *harness) secondServer(t *testing.T) *harness {
	t.Helper()
	if h.dsn == "" {
		t.Fatal("a second server needs PostgreSQL: bbolt is one process's")
	}
	return startHarness(t, "postgres", h.dsn, h.key, h.clock, nil)
}

// startHarness starts the API over backend, on the PostgreSQL database
// dsn for postgres.
func startHarness(t *testing.T, backend, dsn string, key ticketcrypto.SealKey, clock *testclock.Clock, configure func(*harness)) *harness {
	t.Helper()
	logs := &testenv.LockedBuffer{}
	t.Cleanup(func() {
		if t.Failed() && logs.Len() > 0 {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))

	dir := t.TempDir()
	b, err := storage.Open(t.Context(), dsn, dir)
	if err != nil {
		t.Fatalf("open %s storage: %v", backend, err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("close storage: %v", err)
		}
	})
	idx, err := search.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })

	h := &harness{clock: clock, index: idx, spy: &storeSpy{}, logs: logs, dsn: dsn, dir: dir, backend: b, key: key}
	h.acctStore = &spyAccounts{Store: b.Accounts, spy: h.spy}
	h.catStore = &spyCatalog{Store: b.Catalog, spy: h.spy}
	h.purStore = b.Purchases
	// Tickets are paid through the built-in test provider; the services
	// are wired as syncserver wires them (services.New).
	h.payments = payment.NewTestProvider(payment.TestConfig{Now: h.clock.Now})
	svc := services.New(services.Config{
		Stores: services.Stores{Accounts: h.acctStore, Catalog: h.catStore, Purchases: b.Purchases, Secrets: b.Secrets, Sync: b.Sync,
			Notify: b.Notify},
		SealKey: &key, Index: idx, Now: h.clock.Now, Log: log, Issuer: "AdmitOne Test",
		// Every request comes from 127.0.0.1: the per-address limits
		// would stop the walk, and tests here count failures of their own.
		AccountLimits: account.RateLimits{AddrAttempts: 1 << 20, SignUpAttempts: 1 << 20, FreeFailures: 1000, AccountFailures: 1000},
		Payments:      h.payments,
	})
	h.accounts, h.catalog, h.purchase, h.vault, h.outbox = svc.Accounts, svc.Catalog, svc.Purchase, svc.Vault, b.Notify
	h.api = New(svc)
	h.api.Ready = b.Ping
	t.Cleanup(svc.Hub.Shutdown)
	if configure != nil {
		configure(h)
	}
	// The server's answers are checked against openapi.json when t ends.
	h.srv = recordingServer(t, h.api.Handler())
	return h
}

// --- store spy

// storeSpy counts the writes that reached storage and succeeded, so a test
// can assert that a refused request stored nothing.
type storeSpy struct {
	mu     sync.Mutex
	writes []string
}

func (s *storeSpy) record(err error, what string) {
	if err != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes = append(s.writes, what)
}

// mark returns a position in the write log.
func (s *storeSpy) mark() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.writes)
}

// since returns the writes after mark m.
func (s *storeSpy) since(m int) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.writes[m:]...)
}

type spyAccounts struct {
	account.Store
	spy *storeSpy
}

func (s *spyAccounts) CreateUser(ctx context.Context, u account.User) error {
	err := s.Store.CreateUser(ctx, u)
	s.spy.record(err, "CreateUser "+u.Email)
	return err
}

func (s *spyAccounts) UpdateUser(ctx context.Context, id string, fn func(*account.User) error) (account.User, error) {
	u, err := s.Store.UpdateUser(ctx, id, fn)
	s.spy.record(err, "UpdateUser "+id)
	return u, err
}

func (s *spyAccounts) PutMembership(ctx context.Context, m account.Membership) error {
	err := s.Store.PutMembership(ctx, m)
	s.spy.record(err, "PutMembership "+m.UserID+" "+m.OrgID)
	return err
}

func (s *spyAccounts) CreateToken(ctx context.Context, t account.Token) error {
	err := s.Store.CreateToken(ctx, t)
	s.spy.record(err, "CreateToken "+t.UserID)
	return err
}

func (s *spyAccounts) DeleteToken(ctx context.Context, hash string) error {
	err := s.Store.DeleteToken(ctx, hash)
	s.spy.record(err, "DeleteToken")
	return err
}

func (s *spyAccounts) DeleteUserTokens(ctx context.Context, userID, except string) error {
	err := s.Store.DeleteUserTokens(ctx, userID, except)
	s.spy.record(err, "DeleteUserTokens "+userID)
	return err
}

type spyCatalog struct {
	catalog.Store
	spy *storeSpy
}

func (s *spyCatalog) CreateOrg(ctx context.Context, o catalog.Organization) error {
	err := s.Store.CreateOrg(ctx, o)
	s.spy.record(err, "CreateOrg "+o.ID)
	return err
}

func (s *spyCatalog) CreateVenue(ctx context.Context, v catalog.Venue) error {
	err := s.Store.CreateVenue(ctx, v)
	s.spy.record(err, "CreateVenue "+v.ID)
	return err
}

func (s *spyCatalog) CreateEvent(ctx context.Context, e catalog.Event) error {
	err := s.Store.CreateEvent(ctx, e)
	s.spy.record(err, "CreateEvent "+e.ID)
	return err
}

func (s *spyCatalog) UpdateEvent(ctx context.Context, id string, fn func(*catalog.Event) error) (catalog.Event, error) {
	e, err := s.Store.UpdateEvent(ctx, id, fn)
	s.spy.record(err, "UpdateEvent "+id)
	return e, err
}

func (s *spyCatalog) CreateTicketType(ctx context.Context, t catalog.TicketType) (catalog.TicketType, error) {
	tt, err := s.Store.CreateTicketType(ctx, t)
	s.spy.record(err, "CreateTicketType "+t.EventID)
	return tt, err
}

func (s *spyCatalog) UpdateVenue(ctx context.Context, id string, fn func(*catalog.Venue) error) (catalog.Venue, error) {
	v, err := s.Store.UpdateVenue(ctx, id, fn)
	s.spy.record(err, "UpdateVenue "+id)
	return v, err
}

func (s *spyCatalog) DeleteVenue(ctx context.Context, id string) error {
	err := s.Store.DeleteVenue(ctx, id)
	s.spy.record(err, "DeleteVenue "+id)
	return err
}

func (s *spyCatalog) UpdateTicketType(ctx context.Context, eventID, id string, fn func(*catalog.TicketType) error) (catalog.TicketType, error) {
	t, err := s.Store.UpdateTicketType(ctx, eventID, id, fn)
	s.spy.record(err, "UpdateTicketType "+id)
	return t, err
}

func (s *spyCatalog) DeleteTicketType(ctx context.Context, eventID, id string) error {
	err := s.Store.DeleteTicketType(ctx, eventID, id)
	s.spy.record(err, "DeleteTicketType "+id)
	return err
}

func (s *spyCatalog) DeleteEvent(ctx context.Context, id string, check func(catalog.Event) error) error {
	err := s.Store.DeleteEvent(ctx, id, check)
	s.spy.record(err, "DeleteEvent "+id)
	return err
}

// --- HTTP

// response is an answer from the API.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request. body is nil (none), a string or []byte (sent as
// is), or anything else (sent as JSON). token, if set, is the bearer.
func (h *harness) do(t *testing.T, method, path, token string, body any) response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, h.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return h.send(t, req)
}

// send sends a request to the API and reads the whole answer.
func (h *harness) send(t *testing.T, req *http.Request) response {
	t.Helper()
	res, err := h.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, req.URL.Path, err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// want fails the test unless the response has status.
func (r response) want(t *testing.T, status int) response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body: %s", r.status, status, r.short())
	}
	return r
}

// short is the body cut to a length that reads well in a message.
func (r response) short() string {
	const n = 300
	if len(r.body) <= n {
		return string(r.body)
	}
	return string(r.body[:n]) + "..."
}

// decode unmarshals the JSON body into v.
func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// apiErr parses the body as the API's error shape, {"error":{"code",
// "message","field"}}, failing the test if it is anything else: not JSON,
// another content type, unknown keys, or no code or message.
func (r response) apiErr(t *testing.T) errorDetail {
	t.Helper()
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("error response has Content-Type %q, want application/json; body: %s", ct, r.body)
	}
	var e struct {
		Error *errorDetail `json:"error"`
	}
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil || e.Error == nil {
		t.Fatalf("error body %s is not {\"error\":{...}}: %v", r.body, err)
	}
	if e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("error body %s lacks a code or a message", r.body)
	}
	return *e.Error
}

// decodeAs unmarshals a response of status into a T.
func decodeAs[T any](t *testing.T, r response, status int) T {
	t.Helper()
	r.want(t, status)
	var v T
	r.decode(t, &v)
	return v
}

// --- accounts

// user is a test account as a client knows it.
type user struct {
	ID, Email, Token string
	// TOTPSecret and RecoveryCodes are set once 2FA is on.
	TOTPSecret    string
	RecoveryCodes []string
}

type loginJSON struct {
	Token string `json:"token"`
	User  struct {
		ID        string `json:"id"`
		Email     string `json:"email"`
		Admin     bool   `json:"admin"`
		TwoFactor bool   `json:"two_factor"`
	} `json:"user"`
}

// email returns an address no other account of this harness has.
func (h *harness) email(prefix string) string {
	return prefix + "-" + strconv.FormatInt(h.emails.Add(1), 10) + "@example.com"
}

// signUp creates an account over the API.
func (h *harness) signUp(t *testing.T, email string) *user {
	t.Helper()
	var u struct {
		ID    string `json:"id"`
		Email string `json:"email"`
	}
	h.do(t, "POST", "/v1/auth/signup", "", map[string]any{"email": email, "password": testPassword, "name": "Test User"}).
		want(t, http.StatusCreated).decode(t, &u)
	if u.ID == "" || u.Email != email {
		t.Fatalf("sign-up returned id %q email %q, want an id and %q", u.ID, u.Email, email)
	}
	return &user{ID: u.ID, Email: email}
}

// login logs in over the API with extra fields (totp, recovery_code)
// and returns the raw response.
func (h *harness) loginResponse(t *testing.T, email string, extra map[string]any) response {
	t.Helper()
	body := map[string]any{"email": email, "password": testPassword}
	for k, v := range extra {
		body[k] = v
	}
	return h.do(t, "POST", "/v1/auth/login", "", body)
}

// login logs u in (with a TOTP code of the current step if u has 2FA)
// and sets u.Token.
func (h *harness) login(t *testing.T, u *user) {
	t.Helper()
	var extra map[string]any
	if u.TOTPSecret != "" {
		// The step of the last accepted code cannot be used again.
		h.nextTOTPStep()
		extra = map[string]any{"totp": totpCode(t, u.TOTPSecret, h.clock.Now())}
	}
	l := decodeAs[loginJSON](t, h.loginResponse(t, u.Email, extra), http.StatusOK)
	if !strings.HasPrefix(l.Token, account.SessionPrefix) {
		t.Fatalf("login token %q lacks prefix %q", l.Token, account.SessionPrefix)
	}
	u.ID, u.Token = l.User.ID, l.Token
}

// newUser signs up a fresh account and logs it in.
func (h *harness) newUser(t *testing.T, prefix string) *user {
	t.Helper()
	u := h.signUp(t, h.email(prefix))
	h.login(t, u)
	return u
}

// nextTOTPStep moves the clock 5 s into the next TOTP step.
func (h *harness) nextTOTPStep() {
	now := h.clock.Now()
	period := int64(account.TOTPPeriod / time.Second)
	next := time.Unix((now.Unix()/period+1)*period+5, 0)
	h.clock.Advance(next.Sub(now))
}

// totpCode is the code an authenticator app shows for secret at time at.
func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enrollJSON is the answer of POST /v1/auth/totp/enroll.
type enrollJSON struct {
	Secret     string `json:"secret"`
	OTPAuthURL string `json:"otpauth_url"`
	QRPNG      []byte `json:"qr_png"`
}

// passwordBody is the body that confirms a change to how an account signs
// in: its current password.
func passwordBody() map[string]any { return map[string]any{"password": testPassword} }

// enrollTOTP turns 2FA on for u over the API (enrol, then confirm with the
// current code) and keeps the secret and recovery codes in u.
func (h *harness) enrollTOTP(t *testing.T, u *user) {
	t.Helper()
	e := decodeAs[enrollJSON](t, h.do(t, "POST", "/v1/auth/totp/enroll", u.Token, passwordBody()), http.StatusOK)
	if e.Secret == "" {
		t.Fatal("enrolment returned no secret")
	}
	var c struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}
	h.do(t, "POST", "/v1/auth/totp/confirm", u.Token, map[string]any{"code": totpCode(t, e.Secret, h.clock.Now())}).
		want(t, http.StatusOK).decode(t, &c)
	if len(c.RecoveryCodes) != account.RecoveryCodeCount {
		t.Fatalf("confirm returned %d recovery codes, want %d", len(c.RecoveryCodes), account.RecoveryCodeCount)
	}
	u.TOTPSecret, u.RecoveryCodes = e.Secret, c.RecoveryCodes
}

// principal resolves a bearer as the API does.
func (h *harness) principal(t *testing.T, token string) account.Principal {
	t.Helper()
	p, err := h.accounts.Authenticate(t.Context(), token)
	if err != nil {
		t.Fatalf("authenticate: %v", err)
	}
	return p
}

// pendingAdmin creates an admin who has not enrolled 2FA yet and logs them
// in. The first admin of a harness is created with a nil actor (the
// bootstrap) and enrols 2FA at once; it creates the later ones, as
// CreateAdmin requires.
func (h *harness) pendingAdmin(t *testing.T) *user {
	t.Helper()
	h.adminMu.Lock()
	defer h.adminMu.Unlock()
	if h.rootAdmin == nil {
		root := h.createAdmin(t, nil)
		h.enrollTOTP(t, root)
		h.rootAdmin = root
	}
	p := h.principal(t, h.rootAdmin.Token)
	return h.createAdmin(t, &p)
}

// createAdmin creates an admin as actor and logs them in.
func (h *harness) createAdmin(t *testing.T, actor *account.Principal) *user {
	t.Helper()
	email := h.email("admin")
	if _, err := h.accounts.CreateAdmin(t.Context(), actor, email, testPassword); err != nil {
		t.Fatalf("CreateAdmin: %v", err)
	}
	u := &user{Email: email}
	h.login(t, u)
	return u
}

// admin returns a new admin with 2FA enrolled, as admins must have.
func (h *harness) admin(t *testing.T) *user {
	t.Helper()
	u := h.pendingAdmin(t)
	h.enrollTOTP(t, u)
	return u
}

// --- catalog

// createOrg creates an organization over the API; u becomes its organizer.
func (h *harness) createOrg(t *testing.T, u *user, name string, require2FA bool) catalog.Organization {
	t.Helper()
	return decodeAs[catalog.Organization](t,
		h.do(t, "POST", "/v1/orgs", u.Token, map[string]any{"name": name, "require_2fa": require2FA}), http.StatusCreated)
}

// addMember gives the account with email role in org, over the API.
func (h *harness) addMember(t *testing.T, by *user, orgID, email string, role account.Role) {
	t.Helper()
	h.do(t, "POST", "/v1/orgs/"+orgID+"/members", by.Token, map[string]any{"email": email, "role": role}).want(t, http.StatusCreated)
}

// venueBody is a valid venue.
func venueBody(name, city, country string, lat, lon float64) map[string]any {
	return map[string]any{"name": name, "address": "Hauptstrasse 1", "city": city, "country": country, "lat": lat, "lon": lon}
}

func (h *harness) createVenue(t *testing.T, u *user, orgID string, body map[string]any) catalog.Venue {
	t.Helper()
	return decodeAs[catalog.Venue](t, h.do(t, "POST", "/v1/orgs/"+orgID+"/venues", u.Token, body), http.StatusCreated)
}

// eventBody is a valid event of three hours starting at starts.
func eventBody(venueID, title, category string, starts time.Time) map[string]any {
	return map[string]any{
		"venue_id": venueID, "title": title, "description": "An evening of " + category + ".", "category": category,
		"tags": []string{category}, "time_zone": "Europe/Berlin",
		"starts_at": starts.Format(time.RFC3339), "ends_at": starts.Add(3 * time.Hour).Format(time.RFC3339),
	}
}

func (h *harness) createEvent(t *testing.T, u *user, orgID string, body map[string]any) catalog.Event {
	t.Helper()
	return decodeAs[catalog.Event](t, h.do(t, "POST", "/v1/orgs/"+orgID+"/events", u.Token, body), http.StatusCreated)
}

// ticketTypeBody is a valid admission ticket type.
func ticketTypeBody(name string, amount int64, currency string) map[string]any {
	return map[string]any{"name": name, "kind": "admission", "price": map[string]any{"amount": amount, "currency": currency},
		"capacity": 500, "per_order_max": 10}
}

func (h *harness) createTicketType(t *testing.T, u *user, eventID string, body map[string]any) catalog.TicketType {
	t.Helper()
	return decodeAs[catalog.TicketType](t, h.do(t, "POST", "/v1/events/"+eventID+"/ticket-types", u.Token, body), http.StatusCreated)
}

func (h *harness) publish(t *testing.T, u *user, eventID string) catalog.Event {
	t.Helper()
	e := decodeAs[catalog.Event](t, h.do(t, "POST", "/v1/events/"+eventID+"/publish", u.Token, nil), http.StatusOK)
	if e.Status != catalog.StatusPublished {
		t.Fatalf("publish answered status %q", e.Status)
	}
	return e
}

// draftWithTicketType makes a draft event of org at venue with one ticket
// type, through the catalog service: a fixture, not what a test checks.
func (h *harness) draftWithTicketType(t *testing.T, orgID, venueID, title string) catalog.Event {
	t.Helper()
	starts := h.clock.Now().Add(30 * 24 * time.Hour).Truncate(time.Second)
	e, err := h.catalog.CreateEvent(t.Context(), catalog.Event{OrgID: orgID, VenueID: venueID, Title: title, Category: "music",
		TimeZone: "Europe/Berlin", StartsAt: starts, EndsAt: starts.Add(3 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.catalog.CreateTicketType(t.Context(), catalog.TicketType{EventID: e.ID, Name: "Standing",
		Price: catalog.Money{Amount: 2500, Currency: "EUR"}, Capacity: 100, PerOrderMax: 4}); err != nil {
		t.Fatal(err)
	}
	return e
}

// searchJSON is the answer of GET /v1/events.
type searchJSON struct {
	Total   int `json:"total"`
	Page    int `json:"page"`
	PerPage int `json:"per_page"`
	Events  []struct {
		catalog.EventPage
		Score      float64 `json:"score"`
		DistanceKm float64 `json:"distance_km"`
	} `json:"events"`
	Facets search.Facets `json:"facets"`
}

func (s searchJSON) ids() []string {
	var ids []string
	for _, e := range s.Events {
		ids = append(ids, e.Event.ID)
	}
	return ids
}

// search runs GET /v1/events?query and wants 200.
func (h *harness) search(t *testing.T, query string) searchJSON {
	t.Helper()
	return decodeAs[searchJSON](t, h.do(t, "GET", "/v1/events?"+query, "", nil), http.StatusOK)
}
