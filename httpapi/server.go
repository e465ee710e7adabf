package httpapi

import (
	"bufio"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/analytics"
	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/desk"

	"github.com/admitone/admitone/feedback"
	"github.com/admitone/admitone/internal/logging"
	"github.com/admitone/admitone/internal/services"
	"github.com/admitone/admitone/merch"
	"github.com/admitone/admitone/notify"
	"github.com/admitone/admitone/purchase"
	"github.com/admitone/admitone/search"
	ticketsync "github.com/admitone/admitone/sync"
	"github.com/admitone/admitone/voucher"
	"github.com/admitone/admitone/waitroom"
	"github.com/admitone/admitone/wallet"
	attendeeapp "github.com/admitone/admitone/web/attendee"
	deskapp "github.com/admitone/admitone/web/desk"
	"github.com/admitone/admitone/webhook"
)

// Server is syncserver's HTTP API under /v1/.
type Server struct {
	Accounts *account.Service
	Catalog  *catalog.Service
	Search   *search.Index
	// Purchase serves holds, orders and tickets; nil answers their routes with
	// 503.
	Purchase *purchase.Service
	// PassSigner makes Apple Wallet passes; nil answers the pass route
	// with 503.
	PassSigner *wallet.PassSigner
	// GoogleWallet signs "Add to Google Wallet" links; nil answers the
	// link route with 503.
	GoogleWallet *wallet.GoogleIssuer
	// Webhooks verifies Stripe's webhook requests (payment.Stripe); nil
	// answers the webhook route with 503. Payments are the purchase
	// Service's (purchase.Service.Payments).
	Webhooks purchase.WebhookVerifier
	// Sync is the gates' sync hub and Enroller makes and enrols gates;
	// nil answers their routes with 503.
	Sync     *ticketsync.Hub
	Enroller *ticketsync.Enroller
	// Now is the clock for rotating codes and webhook timestamps; nil
	// means time.Now.
	Now func() time.Time
	// Ready reports whether storage answers, for /readyz.
	Ready func(context.Context) error
	// TrustedProxies are the reverse proxies whose X-Forwarded-For or
	// Forwarded header names the client, for the login and sign-up
	// limits (see clientAddr); empty trusts none.
	TrustedProxies []netip.Prefix
	Log            *slog.Logger
	// Registry receives the syncserver_http_* metrics; MetricsHandler
	// serves it (not Handler: metrics go on their own address).
	Registry *prometheus.Registry
	// HSTS makes the attendee app's and the API's answers carry
	// Strict-Transport-Security: the server is reached over TLS.
	HSTS bool
	// Notify keeps Web Push subscriptions; nil answers the push routes
	// with 503.
	Notify *notify.Service
	// Analytics counts event figures; nil answers the stats route with
	// 503.
	Analytics *analytics.Service
	// Desk answers the organizer's lists of orders, attendees and an
	// organization's gates; nil answers them with 503.
	Desk *desk.Service

	// Vouchers keeps events' access and discount codes; nil answers
	// the code routes with 503 (and purchasing takes no codes).
	Vouchers *voucher.Service

	// Feedback takes attendees' ratings and Merch hands out merchandise
	// at pickup desks; nil answers their routes with 503.
	Feedback *feedback.Service
	Merch    *merch.Service
	// Waitroom queues buyers of high-demand on-sales; nil answers its
	// routes with 503 (and holds need no admission).
	Waitroom *waitroom.Service
	// StripePublishableKey (pk_...) is told to clients by GET /v1/config
	// for Stripe's Payment Element.
	StripePublishableKey string
	// OrgWebhooks keeps organizations' webhooks; nil answers their
	// routes with 503. Alerts tells the operator of payment webhook
	// failures; nil: no alerts.
	OrgWebhooks *webhook.Service
	Alerts      *webhook.Alerts
	// CORSOrigins are the origins (ParseCORSOrigins) whose pages may
	// call /v1/ from a browser; empty allows none but the server's own.
	CORSOrigins []string

	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// New returns the HTTP API of the services svc (services.New). The
// caller sets Ready, TrustedProxies and Registry.
func New(svc *services.Services) *Server {
	return &Server{Accounts: svc.Accounts, Catalog: svc.Catalog, Search: svc.Search, Purchase: svc.Purchase,
		PassSigner: svc.PassSigner, GoogleWallet: svc.GoogleWallet, Webhooks: svc.Webhooks,
		Sync: svc.Hub, Enroller: svc.Enroller, Now: svc.Now, Log: svc.Log, Notify: svc.Notify, Analytics: svc.Analytics,
		OrgWebhooks: svc.OrgWebhooks, Alerts: svc.Alerts, Desk: svc.Desk, Vouchers: svc.Vouchers,
		Feedback: svc.Feedback, Merch: svc.Merch, Waitroom: svc.Waitroom}
}

// policy says who may call a route. The handler gets the principal; org-
// and event-scoped checks need the path, so they run in the handler via
// requireOrg / requireEventOrg.
type policy int

const (
	anyone       policy = iota // no sign-in needed (a principal is attached when given)
	signedIn                   // any signed-in user
	enrolling                  // signed in, allowed before a required 2FA enrolment
	orgManager                 // admin or organizer of the {org} in the path
	eventManager               // admin or organizer of the org owning the {id} event
	// device is a gate's websocket: the handler authenticates the
	// device credential, and the connection outlives the request
	// timeout.
	device
	// gateRequest is a gate's plain request (a merch desk's pickup): the
	// handler authenticates the device credential (gateOfRequest); the
	// request timeout applies.
	gateRequest
)

// route is one entry of the API: the router, the OpenAPI test and the
// authorization test all read this table.
type route struct {
	method, pattern string
	policy          policy
	handle          func(*Server, http.ResponseWriter, *http.Request, *account.Principal) error
}

func routes() []route {
	return []route{
		{"POST", "/v1/auth/signup", anyone, (*Server).signUp},
		{"POST", "/v1/auth/login", anyone, (*Server).login},
		{"POST", "/v1/auth/logout", enrolling, (*Server).logout},
		// Changing how the account signs in (password, 2FA) takes the
		// current password again and ends the account's other sessions
		// and API tokens.
		{"POST", "/v1/auth/totp/enroll", enrolling, (*Server).enrollTOTP},
		{"POST", "/v1/auth/totp/confirm", enrolling, (*Server).confirmTOTP},
		{"DELETE", "/v1/auth/totp", signedIn, (*Server).disableTOTP},
		{"POST", "/v1/auth/password", signedIn, (*Server).changePassword},
		// A user's own sessions and API tokens (admins may revoke
		// anyone's by id); lists never show a secret.
		{"GET", "/v1/auth/sessions", signedIn, (*Server).listSessions},
		{"DELETE", "/v1/auth/sessions/{id}", signedIn, (*Server).revokeSession},
		{"GET", "/v1/auth/tokens", signedIn, (*Server).listAPITokens},
		{"DELETE", "/v1/auth/tokens/{id}", signedIn, (*Server).revokeAPIToken},
		{"POST", "/v1/orgs", signedIn, (*Server).createOrg},
		// The organizer's desk: who the caller is, their organizations
		// and each one's events, drafts too (desk.go).
		{"GET", "/v1/me", enrolling, (*Server).getMe},
		{"GET", "/v1/orgs", signedIn, (*Server).listOrgs},
		{"GET", "/v1/orgs/{org}/events", signedIn, (*Server).listOrgEvents},
		// The organizer's desk: list, edit and remove (manage.go).
		{"GET", "/v1/orgs/{org}/venues", signedIn, (*Server).listOrgVenues},
		{"PATCH", "/v1/venues/{id}", orgManager, (*Server).updateVenue},
		{"DELETE", "/v1/venues/{id}", orgManager, (*Server).deleteVenue},
		{"PATCH", "/v1/events/{id}/ticket-types/{tt}", eventManager, (*Server).updateTicketType},
		{"DELETE", "/v1/events/{id}/ticket-types/{tt}", eventManager, (*Server).deleteTicketType},
		{"POST", "/v1/events/{id}/ticket-types/{tt}/close", eventManager, (*Server).closeTicketType},
		{"POST", "/v1/events/{id}/unpublish", eventManager, (*Server).unpublishEvent},
		{"DELETE", "/v1/events/{id}", eventManager, (*Server).deleteEvent},
		{"GET", "/v1/orgs/{org}/members", signedIn, (*Server).listMembers},
		{"GET", "/v1/orgs/{org}/gates", signedIn, (*Server).listOrgGates},
		{"GET", "/v1/events/{id}/orders", signedIn, (*Server).listEventOrders},
		{"GET", "/v1/events/{id}/attendees", signedIn, (*Server).listAttendees},
		{"PATCH", "/v1/gates/{id}", signedIn, (*Server).updateGate},

		{"GET", "/v1/orgs/{org}/insights", orgManager, (*Server).orgInsights},
		{"POST", "/v1/orgs/{org}/members", orgManager, (*Server).addMember},
		{"POST", "/v1/orgs/{org}/venues", orgManager, (*Server).createVenue},
		{"POST", "/v1/orgs/{org}/events", orgManager, (*Server).createEvent},
		{"PATCH", "/v1/events/{id}", eventManager, (*Server).updateEvent},
		{"POST", "/v1/events/{id}/publish", eventManager, (*Server).publishEvent},
		{"POST", "/v1/events/{id}/cancel", eventManager, (*Server).cancelEvent},
		{"POST", "/v1/events/{id}/ticket-types", eventManager, (*Server).createTicketType},
		// Access and discount codes of an event (vouchers.go): its
		// organizers make, list and disable them; buyers give one with
		// a hold (POST /v1/holds "code") or to see the hidden types it
		// unlocks (GET /v1/events/{id}?code=).
		{"POST", "/v1/events/{id}/codes", eventManager, (*Server).createCode},
		{"GET", "/v1/events/{id}/codes", eventManager, (*Server).listCodes},
		{"POST", "/v1/events/{id}/codes/{code}/disable", eventManager, (*Server).disableCode},
		// Waiting rooms of high-demand on-sales (waitroom.go): the
		// event's organizers set the room; any signed-in buyer joins
		// the queue and polls it, and holds with the admission token.
		{"PUT", "/v1/events/{id}/waiting-room", eventManager, (*Server).putWaitingRoom},
		{"GET", "/v1/events/{id}/waiting-room", eventManager, (*Server).getWaitingRoom},
		{"POST", "/v1/events/{id}/queue", signedIn, (*Server).joinQueue},
		{"GET", "/v1/events/{id}/queue", signedIn, (*Server).getQueue},
		{"GET", "/v1/config", anyone, (*Server).clientConfig},
		{"GET", "/v1/events", anyone, (*Server).searchEvents},
		{"GET", "/v1/events/{id}", anyone, (*Server).getEvent},
		{"POST", "/v1/holds", signedIn, idempotent((*Server).createHold)},
		{"DELETE", "/v1/holds/{id}", signedIn, idempotent((*Server).releaseHold)},
		{"POST", "/v1/orders", signedIn, idempotent((*Server).checkout)},
		{"GET", "/v1/orders/{id}", signedIn, (*Server).getOrder},
		{"POST", "/v1/orders/{id}/pay", signedIn, idempotent((*Server).payOrder)},
		{"POST", "/v1/orders/{id}/refund", signedIn, idempotent((*Server).refundOrder)},
		{"POST", "/v1/webhooks/stripe", anyone, (*Server).stripeWebhook},
		{"POST", "/v1/tickets/{id}/transfer", signedIn, idempotent((*Server).transferTicket)},
		// Gates. A gate's enrolment hands over the event's rotation key
		// and the device credential reads the event's log (tickets,
		// revocations and every gate's check-ins, which the gate needs to
		// answer already_used offline), so only those who may read all of
		// that create a gate: admins and organizers of the event's org.
		// Staff list the gates of their org's events; organizers revoke.
		// A gate credential (aogc_) is good for GET /v1/sync only: it
		// reads its own event's log from its cursor and uploads its own
		// check-ins, and every other route refuses it (401).
		{"POST", "/v1/events/{id}/gates", eventManager, (*Server).createGate},
		{"GET", "/v1/events/{id}/gates", signedIn, (*Server).listGates},
		{"DELETE", "/v1/gates/{id}", signedIn, (*Server).revokeGate},
		{"POST", "/v1/gates/enroll", anyone, (*Server).enrollGate},
		{"GET", "/v1/events/{id}/conflicts", eventManager, (*Server).listConflicts},
		{"GET", "/v1/events/{id}/quarantine", eventManager, (*Server).listQuarantine},
		{"GET", "/v1/events/{id}/checkins", eventManager, (*Server).listCheckins},
		// An event's figures: organizers and staff of its org.
		{"GET", "/v1/events/{id}/stats", signedIn, (*Server).eventStats},
		// Its CSV exports: its org's organizers.
		{"GET", "/v1/events/{id}/exports/orders.csv", eventManager, (*Server).eventExport},
		{"GET", "/v1/events/{id}/exports/tickets.csv", eventManager, (*Server).eventExport},
		{"GET", "/v1/events/{id}/exports/checkins.csv", eventManager, (*Server).eventExport},

		{"POST", "/v1/events/{id}/feedback", signedIn, (*Server).giveFeedback},
		{"GET", "/v1/events/{id}/feedback", signedIn, (*Server).eventFeedback},
		{"GET", "/v1/orders/{id}/pickup", signedIn, (*Server).orderPickupCode},
		{"POST", "/v1/gate/pickups", gateRequest, (*Server).gatePickup},
		{"GET", "/v1/sync", device, (*Server).syncSocket},
		{"GET", "/v1/tickets", signedIn, (*Server).listTickets},
		{"GET", "/v1/tickets/{id}", signedIn, (*Server).getTicket},
		{"GET", "/v1/tickets/{id}/qr.png", signedIn, (*Server).ticketQR},
		{"GET", "/v1/tickets/{id}/rotation", signedIn, (*Server).ticketRotation},
		// Ticket links: the holder makes and revokes them; the link's
		// token is the credential of whoever opens it, on one device.
		{"POST", "/v1/tickets/{id}/links", signedIn, (*Server).createTicketLink},
		{"DELETE", "/v1/tickets/{id}/links", signedIn, (*Server).revokeTicketLinks},
		{"GET", "/v1/links/{token}", anyone, (*Server).getLink},
		{"GET", "/v1/links/{token}/qr.png", anyone, (*Server).linkQR},
		{"GET", "/v1/links/{token}/pass.pkpass", anyone, (*Server).linkPKPass},
		{"GET", "/v1/tickets/{id}/pass.pkpass", signedIn, (*Server).ticketPKPass},
		{"GET", "/v1/tickets/{id}/google-wallet", signedIn, (*Server).ticketGoogleWallet},
		// Web Push: each device's subscription is its account's alone.
		{"GET", "/v1/push/key", signedIn, (*Server).pushKey},
		{"POST", "/v1/push/subscriptions", signedIn, (*Server).subscribePush},
		{"GET", "/v1/push/subscriptions", signedIn, (*Server).listPushSubscriptions},
		{"DELETE", "/v1/push/subscriptions/{id}", signedIn, (*Server).deletePushSubscription},
		// Organizers' webhooks (webhooks.go): the org's organizers only;
		// to anyone outside it the org does not exist (404).
		{"POST", "/v1/orgs/{org}/webhooks", signedIn, (*Server).createWebhook},
		{"GET", "/v1/orgs/{org}/webhooks", signedIn, (*Server).listWebhooks},
		{"DELETE", "/v1/orgs/{org}/webhooks/{id}", signedIn, (*Server).deleteWebhook},
		{"GET", "/v1/orgs/{org}/webhooks/{id}/deliveries", signedIn, (*Server).listWebhookDeliveries},

		// Email (mail.go): links mailed to an account's address, an
		// organizer's message to an event's holders, and unsubscribing
		// by a signed link.
		{"POST", "/v1/auth/password-reset", anyone, (*Server).requestPasswordReset},
		{"POST", "/v1/auth/password-reset/confirm", anyone, (*Server).confirmPasswordReset},
		{"POST", "/v1/auth/email/verify", signedIn, (*Server).requestEmailVerification},
		{"POST", "/v1/auth/email/confirm", anyone, (*Server).confirmEmail},
		{"POST", "/v1/events/{id}/messages", eventManager, (*Server).messageHolders},
		{"GET", "/v1/mail/unsubscribe", anyone, (*Server).unsubscribePage},
		{"POST", "/v1/mail/unsubscribe", anyone, (*Server).unsubscribeMail},
		{"POST", "/v1/invitations/accept", signedIn, (*Server).acceptInvitation},
	}
}

//go:embed openapi.json
var openAPI []byte

// Handler returns the API with its middleware: panic recovery, metrics,
// request logging, a per-request timeout, and the headers every answer
// carries (see secureHeaders). It does not serve /metrics: see
// MetricsHandler.
func (s *Server) Handler() http.Handler {
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "syncserver_http_requests_total", Help: "HTTP requests by route and status class.",
	}, []string{"route", "code"})
	s.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "syncserver_http_request_seconds", Help: "HTTP request latency by route.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
	}, []string{"route"})
	s.registry().MustRegister(s.requests, s.latency)

	mux := http.NewServeMux()
	for _, rt := range routes() {
		mux.Handle(rt.method+" "+rt.pattern, s.wrap(rt))
	}
	mux.HandleFunc("GET /v1/openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(openAPI)
	})
	mux.HandleFunc("GET /livez", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if s.Ready != nil {
			if err := s.Ready(r.Context()); err != nil {
				writeAPIError(w, &apiError{status: http.StatusServiceUnavailable, code: "not_ready", msg: "storage is not answering"})
				return
			}
		}
		io.WriteString(w, "ready\n")
	})
	// The attendee app (package web/attendee) at /app/, built on this
	// API like any other client.
	mux.Handle("GET /app/", attendeeapp.Handler(attendeeapp.Options{Stripe: s.Webhooks != nil, HSTS: s.HSTS}))
	mux.Handle("GET /{$}", http.RedirectHandler("/app/", http.StatusFound))
	// The organizer's desk (package web/desk) at /desk/: pages calling
	// the same services with the same role checks, and their live feed.
	mux.Handle("/desk/", s.deskApp().Handler())
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeAPIError(w, &apiError{status: http.StatusNotFound, code: "not_found", msg: "no route " + r.Method + " " + r.URL.Path})
	})
	return s.secureHeaders(s.cors(mux))
}

// deskApp is the organizer's desk pages on the API's services.
func (s *Server) deskApp() *deskapp.Desk {
	return &deskapp.Desk{Accounts: s.Accounts, Catalog: s.Catalog, Purchase: s.Purchase, Hub: s.Sync, Enroller: s.Enroller,
		Analytics: s.Analytics, Lists: s.Desk, HSTS: s.HSTS, Log: s.Log, Now: s.Now,
		ClientAddr: func(r *http.Request) string { return clientAddr(r, s.TrustedProxies) }}
}

func (s *Server) registry() *prometheus.Registry {
	if s.Registry == nil {
		s.Registry = prometheus.NewRegistry()
	}
	return s.Registry
}

// MetricsHandler serves Registry's metrics in Prometheus's format at any
// path. syncserver serves it on its own address (--metrics-listen, by
// default loopback) and never on the API's listener, where the route
// labels and process figures would be anyone's to read.
func (s *Server) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(s.registry(), promhttp.HandlerOpts{})
}

// secureHeaders sets on every answer X-Content-Type-Options: nosniff, so
// no browser reads a JSON or PNG answer as something else, and on every
// answer under /v1/auth/ Cache-Control: no-store: those carry session
// tokens, TOTP secrets and recovery codes, which no cache may keep. With
// HSTS, every /v1/ answer carries Strict-Transport-Security (the app's
// own handler sets it on /app/).
func (s *Server) secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if strings.HasPrefix(r.URL.Path, "/v1/auth/") {
			w.Header().Set("Cache-Control", "no-store")
		}
		if s.HSTS && strings.HasPrefix(r.URL.Path, "/v1/") {
			w.Header().Set("Strict-Transport-Security", hstsValue)
		}
		next.ServeHTTP(w, r)
	})
}

// statusWriter records the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Hijack hands the connection to a websocket; the status is 101.
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("response writer cannot be hijacked")
	}
	if w.status == 0 {
		w.status = http.StatusSwitchingProtocols
	}
	return h.Hijack()
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// wrap applies authentication, the route's policy and error mapping.
func (s *Server) wrap(rt route) http.Handler {
	name := rt.method + " " + rt.pattern
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		start := time.Now()
		w := &statusWriter{ResponseWriter: rw}
		if rt.policy != device {
			ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
			defer cancel()
			r = r.WithContext(ctx)
		}
		defer func() {
			if v := recover(); v != nil {
				s.log().Error("panic", "route", name, "panic", v, "stack", string(debug.Stack()))
				if w.status == 0 {
					writeAPIError(w, &apiError{status: 500, code: "internal", msg: "internal error; it has been logged"})
				}
			}
			code := w.status
			s.requests.WithLabelValues(name, statusClass(code)).Inc()
			s.latency.WithLabelValues(name).Observe(time.Since(start).Seconds())
			s.log().Debug("request", "route", name, "status", code, "ms", time.Since(start).Milliseconds())
		}()
		p, err := s.authenticate(r, rt.policy)
		if err == nil {
			err = rt.handle(s, w, r, p)
		}
		if err != nil {
			ae, known := toAPIError(err)
			switch {
			case !known:
				s.log().Error("request failed", "route", name, "err", err)
			case ae.hidden:
				s.log().Warn("request failed", "route", name, "code", ae.code, "err", err)
			}
			writeAPIError(w, ae)
		}
	})
}

func statusClass(code int) string {
	if code == 0 {
		code = 200
	}
	return string(rune('0'+code/100)) + "xx"
}

func (s *Server) log() *slog.Logger { return logging.OrDiscard(s.Log) }

// authenticate resolves the bearer token and applies the route's policy
// as far as it can without the path's resources.
func (s *Server) authenticate(r *http.Request, pol policy) (*account.Principal, error) {
	if pol == device || pol == gateRequest {
		return nil, nil
	}
	bearer, hasAuth := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !hasAuth {
		if pol == anyone {
			return nil, nil
		}
		return nil, account.ErrUnauthorized
	}
	p, err := s.Accounts.Authenticate(r.Context(), strings.TrimSpace(bearer))
	if err != nil {
		if errors.Is(err, account.ErrUnauthorized) || errors.Is(err, account.ErrNotFound) {
			return nil, account.ErrUnauthorized
		}
		return nil, err
	}
	if p.MustEnroll2FA && pol != enrolling {
		return nil, &apiError{status: http.StatusForbidden, code: "enroll_2fa",
			msg: "this account must enrol two-factor authentication first (POST /v1/auth/totp/enroll)"}
	}
	return &p, nil
}

// The one rule for everything an organization owns (its venues, members,
// events and what hangs off them: ticket types, gates, orders,
// attendees, conflicts, check-ins, figures): to a signed-in caller who
// holds no role in the organization, it does not exist (404 not_found,
// as for an id nobody has), so another organization's organizer learns
// nothing, not even that an id is taken. A member whose role is not
// enough (staff on a route for organizers) gets 403. Then the
// organization's own two-factor requirement applies. Handlers call
// requireOrg, requireOrgStaff, requireEventOrg or requireEventStaff and
// never check roles themselves.

// orgAccess applies the rule: missing is the not-found error a caller
// outside the organization gets; organizerOnly refuses staff.
func (s *Server) orgAccess(ctx context.Context, p *account.Principal, orgID string, organizerOnly bool, missing error) error {
	org, err := s.Catalog.Org(ctx, orgID)
	if err != nil {
		return hideMissing(err, missing)
	}
	if p == nil || !p.HasOrgRole(org.ID) {
		return missing
	}
	if organizerOnly && !p.CanManageOrg(org.ID) {
		return account.ErrForbidden
	}
	return checkOrg2FA(org, p)
}

// hiddenErr is the answer about a thing of an organization the caller is
// not in, and about one that does not exist: the same 404 not_found, word
// for word, so the two cannot be told apart.
func hiddenErr(what, id string) error {
	return fmt.Errorf("%w: no %s %s", catalog.ErrNotFound, what, id)
}

// hideMissing answers a lookup that found nothing with hidden, the
// answer an outsider gets for what exists; other errors pass.
func hideMissing(err, hidden error) error {
	if errors.Is(err, catalog.ErrNotFound) || errors.Is(err, ticketsync.ErrNotFound) {
		return hidden
	}
	return err
}

// requireOrg checks that p may manage the organization: an admin or one
// of its organizers.
func (s *Server) requireOrg(ctx context.Context, p *account.Principal, orgID string) error {
	return s.orgAccess(ctx, p, orgID, true, hiddenErr("organization", orgID))
}

// requireOrgStaff checks that p may read the organization's lists: an
// admin, one of its organizers or its staff.
func (s *Server) requireOrgStaff(ctx context.Context, p *account.Principal, orgID string) error {
	return s.orgAccess(ctx, p, orgID, false, hiddenErr("organization", orgID))
}

// requireEventOrg checks that p manages the {id} event's organization
// and returns the event id.
func (s *Server) requireEventOrg(r *http.Request, p *account.Principal) (string, error) {
	return s.eventAccess(r, p, true)
}

// requireEventStaff checks that p works the gates of the {id} event's
// org (an admin, an organizer or a staff member) and returns the event
// id.
func (s *Server) requireEventStaff(r *http.Request, p *account.Principal) (string, error) {
	return s.eventAccess(r, p, false)
}

func (s *Server) eventAccess(r *http.Request, p *account.Principal, organizerOnly bool) (string, error) {
	id := r.PathValue("id")
	orgID, err := s.Catalog.EventOrg(r.Context(), id)
	if err != nil {
		return "", hideMissing(err, hiddenErr("event", id))
	}
	return id, s.orgAccess(r.Context(), p, orgID, organizerOnly, hiddenErr("event", id))
}

// require2FA applies an organization's two-factor requirement to its
// organizers and staff (admins always have it).
func (s *Server) require2FA(ctx context.Context, p *account.Principal, orgID string) error {
	if p.IsAdmin() || p.TwoFactor {
		return nil
	}
	org, err := s.Catalog.Org(ctx, orgID)
	if err != nil {
		return err
	}
	return checkOrg2FA(org, p)
}

func checkOrg2FA(org catalog.Organization, p *account.Principal) error {
	if org.Require2FA && !p.IsAdmin() && !p.TwoFactor {
		return &apiError{status: http.StatusForbidden, code: "enroll_2fa", msg: "organization " + org.ID + " requires two-factor authentication"}
	}
	return nil
}
