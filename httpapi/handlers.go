package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/search"
)

// --- auth

type signUpRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Name     string `json:"name"`
}

func (s *Server) signUp(w http.ResponseWriter, r *http.Request, _ *account.Principal) error {
	var req signUpRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	u, err := s.Accounts.SignUp(r.Context(), account.SignUpRequest{Email: req.Email, Password: req.Password, Name: req.Name, RemoteAddr: clientAddr(r, s.TrustedProxies)})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, userView(u))
	return nil
}

type loginRequest struct {
	Email        string `json:"email"`
	Password     string `json:"password"`
	TOTP         string `json:"totp"`
	RecoveryCode string `json:"recovery_code"`
}

type loginResponse struct {
	Token string   `json:"token"`
	User  userJSON `json:"user"`
}

func (s *Server) login(w http.ResponseWriter, r *http.Request, _ *account.Principal) error {
	var req loginRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	secret, u, err := s.Accounts.Login(r.Context(), account.LoginRequest{Email: req.Email, Password: req.Password,
		TOTP: req.TOTP, RecoveryCode: req.RecoveryCode, RemoteAddr: clientAddr(r, s.TrustedProxies)})
	if err != nil {
		return err
	}
	// The returned user has its TOTP material cleared; the principal
	// says whether two-factor authentication is on.
	p, err := s.Accounts.Authenticate(r.Context(), secret)
	if err != nil {
		return err
	}
	view := userView(u)
	view.TwoFactor = p.TwoFactor
	writeJSON(w, http.StatusOK, loginResponse{Token: secret, User: view})
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, _ *account.Principal) error {
	bearer, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if err := s.Accounts.Logout(r.Context(), strings.TrimSpace(bearer)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type enrollResponse struct {
	Secret     string `json:"secret"`
	OTPAuthURL string `json:"otpauth_url"`
	QRPNG      []byte `json:"qr_png"` // base64 in JSON
}

// passwordRequest confirms a change to how the account signs in with the
// account's current password.
type passwordRequest struct {
	Password string `json:"password"`
}

func (s *Server) enrollTOTP(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	var req passwordRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.Password == "" {
		return fieldError("password", "password (the account's current password) is required to enrol two-factor authentication")
	}
	e, err := s.Accounts.EnrollTOTP(r.Context(), *p, req.Password)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, enrollResponse{Secret: e.Secret, OTPAuthURL: e.URL, QRPNG: e.QRPNG})
	return nil
}

type confirmRequest struct {
	Code string `json:"code"`
}

func (s *Server) confirmTOTP(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	var req confirmRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.Code == "" {
		return fieldError("code", "code is required")
	}
	codes, err := s.Accounts.ConfirmTOTP(r.Context(), *p, req.Code)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"recovery_codes": codes})
	return nil
}

type userJSON struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name,omitempty"`
	Admin     bool      `json:"admin"`
	TwoFactor bool      `json:"two_factor"`
	CreatedAt time.Time `json:"created_at"`
	// EmailVerified: the owner opened a verification link mailed there.
	EmailVerified bool `json:"email_verified,omitempty"`
}

// userView is what the API shows of a user: never a hash or a secret.
func userView(u account.User) userJSON {
	return userJSON{ID: u.ID, Email: u.Email, Name: u.Name, Admin: u.Admin, TwoFactor: u.TOTPSecret != "", CreatedAt: u.CreatedAt, EmailVerified: u.EmailVerified}
}

// --- organizations

type orgRequest struct {
	Name       string `json:"name"`
	Require2FA bool   `json:"require_2fa"`
}

func (s *Server) createOrg(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	var req orgRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	// The creator runs the new organization.
	o, err := s.Catalog.CreateOrgFor(r.Context(), catalog.Organization{Name: req.Name, Require2FA: req.Require2FA}, p.User.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, o)
	return nil
}

type memberRequest struct {
	Email string       `json:"email"`
	Role  account.Role `json:"role"`
}

func (s *Server) addMember(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	orgID := r.PathValue("org")
	if err := s.requireOrg(r.Context(), p, orgID); err != nil {
		return err
	}
	var req memberRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.Role != account.RoleOrganizer && req.Role != account.RoleStaff {
		return fieldError("role", `role must be "organizer" or "staff"`)
	}
	m, err := s.Accounts.AddMember(r.Context(), *p, orgID, req.Email, req.Role)
	if errors.Is(err, account.ErrNotFound) && s.Notify != nil && s.Notify.Mails() {
		return s.inviteMember(w, r, orgID, req.Email, req.Role) // mail.go
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, m)
	return nil
}

// --- venues and events

type venueRequest struct {
	Name    string  `json:"name"`
	Address string  `json:"address"`
	City    string  `json:"city"`
	Country string  `json:"country"`
	Lat     float64 `json:"lat"`
	Lon     float64 `json:"lon"`
}

func (s *Server) createVenue(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	orgID := r.PathValue("org")
	if err := s.requireOrg(r.Context(), p, orgID); err != nil {
		return err
	}
	var req venueRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	v, err := s.Catalog.CreateVenue(r.Context(), catalog.Venue{OrgID: orgID, Name: req.Name, Address: req.Address,
		City: req.City, Country: req.Country, Lat: req.Lat, Lon: req.Lon})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, v)
	return nil
}

// eventRequest carries times as strings so a bad date is reported with
// its field name.
type eventRequest struct {
	VenueID     string   `json:"venue_id"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Category    string   `json:"category"`
	Tags        []string `json:"tags"`
	Images      []string `json:"images"`
	TimeZone    string   `json:"time_zone"`
	StartsAt    string   `json:"starts_at"`
	EndsAt      string   `json:"ends_at"`
	DoorsAt     string   `json:"doors_at"`

	LockTicketsAtDoors bool `json:"lock_tickets_at_doors"`
}

func (s *Server) createEvent(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	orgID := r.PathValue("org")
	if err := s.requireOrg(r.Context(), p, orgID); err != nil {
		return err
	}
	var req eventRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	e := catalog.Event{OrgID: orgID, VenueID: req.VenueID, Title: req.Title, Description: req.Description,
		Category: req.Category, Tags: req.Tags, Images: req.Images, TimeZone: req.TimeZone, LockTicketsAtDoors: req.LockTicketsAtDoors}
	var err error
	for _, f := range []struct {
		name, value string
		dst         *time.Time
		required    bool
	}{{"starts_at", req.StartsAt, &e.StartsAt, true}, {"ends_at", req.EndsAt, &e.EndsAt, true}, {"doors_at", req.DoorsAt, &e.DoorsAt, false}} {
		if *f.dst, err = parseTime(f.name, f.value, f.required); err != nil {
			return err
		}
	}
	created, err := s.Catalog.CreateEvent(r.Context(), e)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, created)
	return nil
}

type eventPatchRequest struct {
	VenueID     *string   `json:"venue_id"`
	Title       *string   `json:"title"`
	Description *string   `json:"description"`
	Category    *string   `json:"category"`
	Tags        *[]string `json:"tags"`
	Images      *[]string `json:"images"`
	TimeZone    *string   `json:"time_zone"`
	StartsAt    *string   `json:"starts_at"`
	EndsAt      *string   `json:"ends_at"`
	DoorsAt     *string   `json:"doors_at"`

	LockTicketsAtDoors *bool `json:"lock_tickets_at_doors"`
}

func (s *Server) updateEvent(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	id, err := s.requireEventOrg(r, p)
	if err != nil {
		return err
	}
	var req eventPatchRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	patch := catalog.EventPatch{VenueID: req.VenueID, Title: req.Title, Description: req.Description,
		Category: req.Category, Tags: req.Tags, Images: req.Images, TimeZone: req.TimeZone, LockTicketsAtDoors: req.LockTicketsAtDoors}
	for _, f := range []struct {
		name string
		src  *string
		dst  **time.Time
	}{{"starts_at", req.StartsAt, &patch.StartsAt}, {"ends_at", req.EndsAt, &patch.EndsAt}, {"doors_at", req.DoorsAt, &patch.DoorsAt}} {
		if f.src == nil {
			continue
		}
		t, err := parseTime(f.name, *f.src, true)
		if err != nil {
			return err
		}
		*f.dst = &t
	}
	e, err := s.Catalog.UpdateEvent(r.Context(), id, patch)
	if err != nil {
		return err
	}
	if (patch.StartsAt != nil || patch.EndsAt != nil) && s.Purchase != nil {
		// Tickets sold admit until the new end, at the gates too. Run on
		// every date patch, so a retry finishes what a failure left.
		if _, err := s.Purchase.EventMoved(r.Context(), e.ID); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

func (s *Server) publishEvent(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	id, err := s.requireEventOrg(r, p)
	if err != nil {
		return err
	}
	e, err := s.Catalog.Publish(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

type ticketTypeRequest struct {
	Name        string        `json:"name"`
	Kind        catalog.Kind  `json:"kind"`
	Price       catalog.Money `json:"price"`
	Capacity    int           `json:"capacity"`
	SaleStarts  string        `json:"sale_starts"`
	SaleEnds    string        `json:"sale_ends"`
	PerOrderMax int           `json:"per_order_max"`
	// RotatingCode, PerBuyerMax and MaxHeldPerBuyer: see
	// catalog.TicketType.
	RotatingCode    bool `json:"rotating_code"`
	PerBuyerMax     int  `json:"per_buyer_max"`
	MaxHeldPerBuyer int  `json:"max_held_per_buyer"`
	// Hidden: sold only with an access code (see vouchers.go).
	Hidden bool `json:"hidden"`
}

func (s *Server) createTicketType(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	id, err := s.requireEventOrg(r, p)
	if err != nil {
		return err
	}
	var req ticketTypeRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	t := catalog.TicketType{EventID: id, Name: req.Name, Kind: req.Kind, Price: req.Price, Capacity: req.Capacity, PerOrderMax: req.PerOrderMax, RotatingCode: req.RotatingCode, PerBuyerMax: req.PerBuyerMax,
		MaxHeldPerBuyer: req.MaxHeldPerBuyer, Hidden: req.Hidden}
	if t.SaleStarts, err = parseTime("sale_starts", req.SaleStarts, false); err != nil {
		return err
	}
	if t.SaleEnds, err = parseTime("sale_ends", req.SaleEnds, false); err != nil {
		return err
	}
	created, err := s.Catalog.CreateTicketType(r.Context(), t)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, created)
	return nil
}

// getEvent shows a published, cancelled or ended event to anyone (ticket
// holders must be able to see a cancellation), and a draft only to its
// organization's staff and admins: others get 404, so drafts cannot be
// discovered by id. Hidden ticket types show to those staff and admins,
// and to a caller giving an access code that unlocks them (?code=).
func (s *Server) getEvent(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	page, err := s.Catalog.EventPage(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if page.Event.Status == catalog.StatusDraft {
		if p == nil || !p.CanStaff(page.Event.OrgID) {
			return fmt.Errorf("%w: no event %s", catalog.ErrNotFound, r.PathValue("id"))
		}
		if err := s.require2FA(r.Context(), p, page.Event.OrgID); err != nil {
			return err
		}
	}
	for name, vals := range r.URL.Query() {
		if name != "code" || len(vals) > 1 {
			return fieldError(name, `the event page takes one query parameter, "code" (an access code), once`)
		}
	}
	code := r.URL.Query().Get("code")
	if page, err = s.publicPage(r, p, page, code); err != nil {
		return err
	}
	// Anonymous callers without a code all get the same page: a proxy
	// may share it. Staff and code holders may see hidden types.
	writeCacheable(w, r, page, r.Header.Get("Authorization") == "" && code == "" && page.Event.Status != catalog.StatusDraft)
	return nil
}

// --- search

type searchResponse struct {
	Total   int           `json:"total"`
	Page    int           `json:"page"`
	PerPage int           `json:"per_page"`
	Events  []searchHit   `json:"events"`
	Facets  search.Facets `json:"facets"`
}

type searchHit struct {
	catalog.EventPage
	Score      float64 `json:"score,omitempty"`
	DistanceKm float64 `json:"distance_km,omitempty"`
}

var searchParams = map[string]bool{"q": true, "category": true, "city": true, "near": true, "radius_km": true,
	"from": true, "to": true, "price_min": true, "price_max": true, "currency": true, "sort": true, "page": true, "per_page": true}

func (s *Server) searchEvents(w http.ResponseWriter, r *http.Request, _ *account.Principal) error {
	q, err := parseSearch(r.URL.Query())
	if err != nil {
		return err
	}
	res, err := s.Search.Search(r.Context(), q)
	if err != nil {
		return err
	}
	out := searchResponse{Total: res.Total, Page: max(q.Page, 1), PerPage: q.PerPage, Events: []searchHit{}, Facets: res.Facets}
	if out.PerPage == 0 {
		out.PerPage = search.DefaultPerPage
	}
	for _, h := range res.Hits {
		page, err := s.Catalog.EventPage(r.Context(), h.EventID)
		if errors.Is(err, catalog.ErrNotFound) {
			continue // removed since the index answered
		}
		if err != nil {
			return err
		}
		// Search never shows hidden types, whoever asks.
		out.Events = append(out.Events, searchHit{EventPage: page.Public(nil), Score: h.Score, DistanceKm: h.DistanceKm})
	}
	writeCacheable(w, r, out, true) // the same answer whoever asks
	return nil
}

func parseSearch(v url.Values) (search.Query, error) {
	var q search.Query
	for name, vals := range v {
		if !searchParams[name] {
			return q, fieldError(name, fmt.Sprintf("unknown query parameter %q", name))
		}
		if len(vals) > 1 {
			return q, fieldError(name, fmt.Sprintf("query parameter %q is given %d times", name, len(vals)))
		}
	}
	q.Q, q.Category, q.City, q.Currency, q.Sort = v.Get("q"), v.Get("category"), v.Get("city"), v.Get("currency"), v.Get("sort")
	var err error
	if s := v.Get("near"); s != "" {
		lat, lon, ok := strings.Cut(s, ",")
		la, err1 := strconv.ParseFloat(strings.TrimSpace(lat), 64)
		lo, err2 := strconv.ParseFloat(strings.TrimSpace(lon), 64)
		if !ok || err1 != nil || err2 != nil || la < -90 || la > 90 || lo < -180 || lo > 180 {
			return q, fieldError("near", `near must be "lat,lon" in degrees, e.g. near=52.52,13.40`)
		}
		q.Near = &search.LatLon{Lat: la, Lon: lo}
	}
	if s := v.Get("radius_km"); s != "" {
		if q.RadiusKm, err = strconv.ParseFloat(s, 64); err != nil {
			return q, fieldError("radius_km", "radius_km must be a number of kilometres")
		}
	}
	if q.From, err = parseTime("from", v.Get("from"), false); err != nil {
		return q, err
	}
	if q.To, err = parseTime("to", v.Get("to"), false); err != nil {
		return q, err
	}
	for _, p := range []struct {
		name string
		dst  **int64
	}{{"price_min", &q.PriceMin}, {"price_max", &q.PriceMax}} {
		if s := v.Get(p.name); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return q, fieldError(p.name, p.name+" must be an integer amount in minor units (cents)")
			}
			*p.dst = &n
		}
	}
	for _, p := range []struct {
		name string
		dst  *int
	}{{"page", &q.Page}, {"per_page", &q.PerPage}} {
		if s := v.Get(p.name); s != "" {
			if *p.dst, err = strconv.Atoi(s); err != nil {
				return q, fieldError(p.name, p.name+" must be an integer")
			}
		}
	}
	return q, nil
}

// --- helpers

func fieldError(field, msg string) error {
	return &catalog.FieldError{Field: field, Message: msg}
}

// parseTime reads an RFC 3339 time; an empty string is the zero time
// unless the field is required.
func parseTime(field, s string, required bool) (time.Time, error) {
	if s == "" {
		if required {
			return time.Time{}, fieldError(field, field+" is required (RFC 3339, e.g. 2026-07-01T19:30:00+02:00)")
		}
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fieldError(field, fmt.Sprintf("%s %q is not an RFC 3339 time (e.g. 2026-07-01T19:30:00+02:00)", field, s))
	}
	return t.UTC(), nil
}
