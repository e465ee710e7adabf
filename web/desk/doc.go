// Package desk is the organizer's desk that syncserver serves at /desk/:
// server-rendered pages (html/template, parsed once at start from
// embedded files) where an organization's organizers and staff sign in,
// see their organizations and events, and watch an event's dashboard
// live; organizers also add members, create venues, events, ticket
// types and gates (each gate's one-time enrolment code shown as text and
// as a QR code the server renders with package qr), edit an event, its
// ticket types (catalog.UpdateTicketType's rules; end a sale, delete an
// unsold type) and the organization's venues, publish, cancel and revoke
// a gate. Each event has an orders page (the
// search of package desk's lists: order id, a buyer's email or part of a
// name or email, status; organizers refund a paid order from it), an
// attendees page (valid tickets, their holders, whether and where they
// were checked in) and, for organizers, its CSV exports
// (analytics.WriteExport).
//
// The handlers call the domain services (account, catalog, purchase,
// sync, analytics) as package httpapi does, with the same rules: an
// organization's organizers manage, its staff see but do not manage
// (403), and anyone else, another organization's organizer included,
// gets 404 on every page and action of it, so nothing of it is
// confirmed. Business rules stay in the services.
//
// Sign-in takes an email and password, and a TOTP or recovery code when
// the account has two-factor authentication, through account.Service's
// Login and so its rate limits. The session is the account service's
// session secret in an HttpOnly, SameSite=Strict cookie (Secure over TLS
// or with HSTS) scoped to /desk/. Every form carries a CSRF token bound to
// the session (an HMAC of a label under the session secret, compared in
// constant time); the sign-in form carries one from a cookie of its own.
//
// The event page's figures (sold of capacity, left, checked in, inside
// now, conflicts, net revenue, the gate panel and a summary sentence, so
// no figure is told by colour alone) come from analytics.Service and the
// sync hub. GET /desk/events/{id}/live streams them as server-sent events:
// a "figures" message at once, a fresh one soon after the hub is poked
// for the event (sync.Hub.Watch: tickets issued or revoked by purchasing,
// check-ins uploaded by a gate to this process, or, on PostgreSQL, to any
// process, through LISTEN/NOTIFY), a recomputation every Refresh as a
// fallback (sent only if a figure changed), and a heartbeat comment.
// Streams of one event share each computation of its figures: a poke
// that wakes ten dashboards reads the store once. A stream recomputes at
// most every 100 ms, so a burst of check-ins is one message. A session
// holds at most MaxStreams streams. static/desk.js applies each
// message to the page and draws sold, checked in and inside now over time
// with the vendored uPlot 1.6.30 (static/uPlot-*, MIT, its licence in
// static/uPlot-LICENSE.txt).
//
// Every answer carries CSP (no inline script or style, no style
// attributes, nothing from another origin), X-Frame-Options DENY and
// Cache-Control no-store.
//
// # Caveats
//
//   - The chart's past is tickets paid by the hour and entries by the
//     minute (analytics), added up; from the page's opening on it is
//     sold, checked in and inside now. Refunds and re-entries make the
//     two differ a little where they meet; inside now has no past.
//   - The gate panel shows the hub's gate health (sync.Hub.GateStates):
//     what any server process of the same store heard from each gate, so
//     a gate connected to another process shows online here too. Last
//     sync, clock skew, scans per minute and outbox length are "not
//     reported" until a gate first connects.
//   - The event form offers the organization's first 200 venues.
//   - Amounts are said and read with two decimals whatever the currency
//     (the catalog keeps minor units and knows no currency's exponent).
//   - Handler registers a hub watcher for the life of the hub.
package desk
