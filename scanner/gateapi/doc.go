// Package gateapi is the gate's local HTTP API, served by `scannerd run
// --listen`: scans by code (POST /v1/scan) and by camera frame (POST
// /v1/frames), the store's status, Prometheus metrics, and liveness and
// readiness probes. Scans go through a scanner.Engine, so a scan over HTTP
// gets the same verdict, and the same durable check-in, as one from a
// camera lane.
//
// The files follow the request: server.go holds the Server and its
// routes, guard.go what every request must pass (Host, Origin, content
// type), session.go who may call /v1/ routes (the bearer token, or a
// staff session opened with the PIN), scan.go and status.go the
// handlers, and respond.go the JSON bodies and error answers they
// share. pickup.go is a merch desk's POST /v1/pickup: a code or a
// frame sent to the server (Server.Pickup), which hands out the order's
// merchandise once across desks; offline it answers 503 offline.
// A new route (a page of a web UI) is one more line in routes
// and sits behind the same guard; a route under /v1/ also needs a
// session or the token.
//
// # Caveats
//
//   - A scan answers 200 with any verdict, including refusals; 500
//     store_failed means the check-in could not be recorded and the
//     holder must not be admitted, and /readyz answers 503 until a write
//     succeeds again.
//   - With neither a token nor a staff PIN, /v1/ routes are open: off
//     loopback, scannerd refuses to listen so. With a PIN, a browser
//     signs in (POST /v1/session) and gets an HttpOnly, SameSite=Strict
//     cookie, Secure over HTTPS, and a CSRF token its POSTs and DELETEs
//     must carry in X-CSRF-Token; a request with the bearer token needs
//     neither. /, /livez, /readyz and /metrics stay open.
//   - A scan's direction (direction=entry|exit in the query, or the
//     scan's JSON field) counts only at a gate whose profile records
//     both; elsewhere the other direction is 422 direction_not_allowed.
//     Without one, a gate for both records an entry.
//   - Frames posted under at most 16 camera names form lanes, each
//     suppressing repeats of the code it just scanned; a seventeenth name
//     is refused with 429.
package gateapi
