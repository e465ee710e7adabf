// Package gateapi is the gate's local HTTP API, served by `scannerd run
// --listen`: scans by code (POST /v1/scan) and by camera frame (POST
// /v1/frames), the store's status, Prometheus metrics, and liveness and
// readiness probes. Scans go through a scanner.Engine, so a scan over HTTP
// gets the same verdict, and the same durable check-in, as one from a
// camera lane.
//
// The files follow the request: server.go holds the Server and its
// routes, guard.go what every request must pass (Host, Origin, content
// type, bearer token), scan.go and status.go the handlers, and
// respond.go the JSON bodies and error answers they share. A new route
// (a page of a web UI) is one more line in routes and sits behind the
// same guard.
//
// # Caveats
//
//   - A scan answers 200 with any verdict, including refusals; 500
//     store_failed means the check-in could not be recorded and the
//     holder must not be admitted, and /readyz answers 503 until a write
//     succeeds again.
//   - The guard does not authenticate: off loopback, scannerd refuses to
//     listen without --api-token.
//   - Frames posted under at most 16 camera names form lanes, each
//     suppressing repeats of the code it just scanned; a seventeenth name
//     is refused with 429.
package gateapi
