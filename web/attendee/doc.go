// Package attendee is the attendee's phone app that syncserver serves at
// /app/: a mobile web shop (search, event pages, holds, checkout and
// payment) and a ticket wallet that shows tickets offline, rotating codes
// included. It is static files embedded in the binary (plain JavaScript
// and CSS, no build step, nothing loaded from elsewhere except Stripe.js
// when the server takes payments through Stripe) that talk only to the
// server's public /v1 API, the same API a third-party app would use.
//
// An event with a waiting room (package waitroom) refuses holds without an
// admission: event.js then takes a place in the queue, says the position
// and the estimated wait, polls, and holds with the admission token once
// the buyer is admitted (kept in sessionStorage while it lasts).
//
// Every answer carries a Content-Security-Policy without inline script or
// style (CSP); the pages share common.js (the API client: bearer token,
// Idempotency-Key, errors) and app.css.
//
// The wallet: tickets.html (My tickets) and ticket.html (one ticket, its
// QR code drawn on the device by the vendored qrcode-generator) keep the
// holder's tickets in IndexedDB (store.js), with the rotation secret of a
// rotating ticket, and compute its code every period (totp.js, RFC 6238
// as crypto.TOTP). sw.js, the service worker, keeps every file that
// AppShell lists (served as /app/shell.json) and serves them cache first,
// so the ticket page opens in flight mode; manifest.webmanifest makes the
// app installable. docs/attendee-security.md says what the device holds.
//
// # Caveats
//
//   - The embedded files have no modification time, so the server sends
//     no validators: the service worker refreshes its copy of each file
//     in the background on every online visit instead.
//   - API answers are never cached by the service worker (they carry
//     tokens and are no-store); offline data lives only in IndexedDB.
//   - Tickets in IndexedDB are not cleared at sign-out by these pages; the
//     next online visit of another account replaces them.
package attendee
