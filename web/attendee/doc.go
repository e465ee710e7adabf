// Package attendee is the attendee's phone app that syncserver serves at
// /app/: a mobile web shop (search, event pages, holds, checkout and
// payment) and a ticket wallet that shows tickets offline, rotating codes
// included. It is static files embedded in the binary (plain JavaScript
// and CSS, no build step, nothing loaded from elsewhere except Stripe.js
// when the server takes payments through Stripe) that talk only to the
// server's public /v1 API, the same API a third-party app would use.
//
// Every answer carries a Content-Security-Policy without inline script or
// style (CSP); the pages share common.js (the API client: bearer token,
// Idempotency-Key, errors) and app.css.
package attendee
