// Package sync will hold the gate<->server protocol: the websocket
// messages, the gate's client (outbox upload, resume from the last
// sequence number) and the server's hub (per-event ordered log, fan-out).
// It is not built yet; see ../shared/DESIGN.md ("Sync") and the open
// sync issue. Gates already keep what it will send: the durable outbox of
// check-ins in scanner.Store, each with a gate-made unique id.
//
// Inside this package the standard library's sync is imported as gosync;
// elsewhere this package is imported as ticketsync.
package sync
