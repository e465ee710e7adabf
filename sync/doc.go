// Package sync is the protocol between gates (scannerd) and the server
// (syncserver): enrolment, the server's hub and the gate's client.
// Elsewhere it is imported as ticketsync; inside it the standard
// library's sync is gosync.
//
// # The log
//
// The server keeps, per event, one ordered change log (changelog.Change,
// read through ChangeReader) with sequence numbers 1, 2, 3, ... in commit
// order: tickets issued and revoked (purchase) and check-ins
// (changelog.Checkin) uploaded by the event's gates (Store). The package
// imports neither purchase nor catalog, so the gate program links none of
// the server: what the hub needs of a ticket is an IssuedTicket, which
// internal/services.HubTickets reads from the purchase store.
// A gate holds a copy of the part it needs and the Seq of the last entry
// it applied (its cursor); after any disconnect it resumes from there
// and receives only what it missed.
//
// # Enrolment
//
// An organizer of the event's org or an admin creates a gate (POST
// /v1/events/{id}/gates: name, direction, re-entry, admitted ticket
// types) and gets a one-time enrolment code, also as a QR code. Staff
// cannot: the gate gets the event's rotation key and check-ins, which
// are the organizers' to hand out. The device credential is good for
// the websocket only. `scannerd
// enroll --server URL --code CODE` posts the code to /v1/gates/enroll and
// gets an Enrolment: the device credential (shown once; the server keeps
// its SHA-256), a gate bundle replayed from the log (profile, the event's
// issuer public keys, its rotation key, the ticket list and revocations)
// signed by the server's active issuer key and sealed under the
// enrolment code, the check-ins so far, and the cursor all of it is as
// of. Sealing under the code keeps the rotation key secret in transit
// and proves the bundle came from whoever issued the code. Organizers
// revoke a device with DELETE /v1/gates/{id}: its connections close with
// code 4003 (at once on the server process that revoked it, within a ping
// interval on the others, whose keepers read their gates each interval)
// and its credential is refused (HTTP 403) from then on.
//
// # The websocket
//
// GET /v1/sync, upgraded to a websocket (RFC 6455), authenticated with
// "Authorization: Bearer <device credential>" (401 unknown, 403 revoked,
// before the upgrade). Every message is one text frame holding one JSON
// object (Frame) whose "type" says which fields it uses:
//
//	hello    gate -> server, first and once.
//	         {"type":"hello","version":1,"since":SEQ,"client_time":T}
//	         since is the gate's cursor; version is ProtocolVersion (1),
//	         which every server speaks.
//	         Answer: welcome.
//	welcome  server -> gate.
//	         {"type":"welcome","version":2,"server_time":T,"gate_id":G,
//	          "event_id":E,"head":SEQ}
//	         version is the highest the server speaks: 2
//	         (StatusVersion) takes status frames, 1 does not.
//	         server_time lets the gate report its clock skew; head is the
//	         log's last Seq. Then the server sends every entry after since
//	         (changes frames) and goes on pushing new ones.
//	upload   gate -> server: check-ins from the gate's durable outbox,
//	         oldest first, at most MaxBatch.
//	         {"type":"upload","checkins":[{"id":"ci_...","ticket_id":"tk_...",
//	          "ticket_type":N,"direction":"entry"|"exit","at":T,
//	          "offline":true?,"event_id":E?,"gate_id":G?}]}
//	         The ids are made at the gate (time then random bits), so a
//	         resend after a lost ack is recognised and stored once.
//	         Answer: ack, once the check-ins are committed.
//	ack      server -> gate: {"type":"ack","ids":["ci_..."]}
//	         The gate deletes these from its outbox, and only these.
//	changes  server -> gate: {"type":"changes","changes":[{"seq":N,
//	          "kind":"issue"|"revoke"|"checkin"|"validity","ticket_id":...,...}]}
//	         In Seq order, at most MaxChangesPerFrame per frame; pending
//	         entries are coalesced into one frame per write, so a busy
//	         event costs each gate one write per burst, not one per entry.
//	         The gate applies them in one transaction with its cursor:
//	         issues join its ticket list (an issue with "replaces" links
//	         the new ticket to the old one's entry state), revokes its
//	         revocations, other gates' check-ins its tickets' state (so a
//	         ticket used at gate A is already_used at gate B), a validity
//	         entry the event's new end. Its own check-ins come back too and
//	         change nothing.
//
//	status   gate -> server, only to a server whose welcome said 2 or
//	         more: the gate's health (GateReport).
//	         {"type":"status","client_time":T,"status":{"boot":B,
//	          "version":"scannerd ...","outbox":N,"scans":N,"admits":N,
//	          "refusals":{"already_used":N,"invalid_signature":N,...}}}
//	         Sent on connect, within about a second of a change and at
//	         least every DefaultStatusInterval (10 s). No answer.
//
// Versions: a hello always says 1, so a new gate works with an old
// server; the welcome's version says what the server takes beyond it.
// An old server's welcome says 1 and it closes a connection on a frame
// type it does not know (1003), so a gate sends status frames only
// after a welcome of StatusVersion or more. An old gate reads no version
// from the welcome and never sends status; the server shows its
// connection (online, last seen, last sync, clock skew from its hello)
// without counts. Frames are parsed strictly on both sides (unknown
// fields are refused), so a new field in a frame an old peer reads
// needs a new version the same way.
//
// Keepalive: the server pings every Hub.PingInterval; either side drops
// a connection that shows no frame or ping/pong for Hub.PongWait (the
// Client waits DefaultPongWait). A gate
// reconnects with jittered exponential backoff (Client).
//
// Limits and refusals, each ending the connection with a close code and
// a reason naming the problem, storing nothing and leaving the server
// serving other gates: a frame over MaxFrameBytes (1009), malformed JSON
// or a bad field (1007), an unknown type or a binary frame (1003), a
// frame out of order (1002), more than RatePerSecond frames a second
// after a burst of RateBurst (1008), a check-in for another event or
// gate (1008), a protocol version not spoken (4004), no hello within
// Hub.HelloTimeout (4008).
//
// # Conflicts
//
// A gate admits offline. When two gates cut off from each other admit
// one ticket, both check-ins reach the server later; the server stores
// both (nothing is dropped) and records a Conflict naming both gates and
// times, which organizers list with GET /v1/events/{id}/conflicts. The
// rule: an entry check-in that arrives while the server's record has the
// ticket inside (an entry with no exit after it) is a conflict; both
// stores apply it through ApplyCheckin. A ticket
// and the tickets a transfer issued in its place share one record (their
// lineage, purchase.Ticket.Root): the issue entry of a transfer names the
// ticket it replaces (changelog.Change.Replaces), gates carry the old ticket's
// state over to the new one, and the old ticket admitted by a gate cut
// off, uploaded after its replacement went in elsewhere, is a conflict
// whose sides name both tickets.
//
// # Quarantine
//
// An upload is checked against the server's tickets before it is
// recorded (CheckUpload, with the hub's TicketLookup): the ticket must be
// one the server issued for the gate's event, of the type the check-in
// names, scanned between its issue and the end of its validity and not
// ahead of the server's clock, each within MaxClockSkew. A check-in that
// does not fit is acknowledged (the gate's outbox empties) and kept in
// the quarantine (Store.QuarantineCheckins), which organizers list with
// GET /v1/events/{id}/quarantine; it enters neither the log nor any
// ticket's record. The hub coalesces the uploads' ticket lookups
// (ticketlookup.go): at most one runs at a time, and the uploads of any
// gate that arrive meanwhile share the next, so 500 busy gates cost one
// read per round, not one per upload (on PostgreSQL, BenchmarkFanout's
// max run took 3,329-3,738 check-ins a second with it, 2,253-2,699
// without).
// One gate credential holds at most MaxConnsPerGate
// websockets; another is refused with HTTP 429 before the upgrade.
//
// # Gate health
//
// The hub keeps per gate (HealthStore, implemented by both stores; the
// Hub takes its Store when it implements it) a GateHealth: last seen
// (the last frame or pong), the last disconnect a server saw, last sync
// (an upload acknowledged or log entries sent; both saved for all of a
// hub's connections in one transaction every ping interval by the hub's
// keeper, keeper.go, with the status frames and at the disconnect, so
// the panel may be a ping interval behind),
// clock skew (the gate's clock minus the server's, from hello and status
// frames), and the last status report. A gate is online while a server
// heard from it within Hub.OfflineAfter (default 3 ping intervals plus
// 15 s: 45 s) and saw no disconnect since: a server process that dies
// holds no flag that keeps its gates online. A status report's counters
// run from the gate process's start (its boot id): the hub adds to the
// gate's totals and to the current minute's counts (GateMinute, the
// server's clock) only what a report adds over the highest counts the
// same boot reported before, so a resend, a reconnect or two
// connections' reports in any order count once, a new boot counts from
// zero, and a late report of the boot before (kept as
// GateHealth.Previous) counts once too. Counts land in the minute the server learned of them: a
// gate cut off for an hour reports that hour's scans in the minute it
// reconnects. The hub saves at most one status frame per connection
// every MinStatusGap, queued and saved with the other gates' every
// ReportFlush in one transaction (health_hub.go): a scanning gate sends
// one a second, and 500 gates' one transaction each held up the
// connections' uploads; a status frame with a bad field (a boot id of other
// characters, admits over scans, refusals over the difference, more than
// MaxReasons reasons) ends the connection like any bad frame (1007).
//
// Hub.GateStates is the gate panel (GET /v1/events/{id}/gates): online,
// last seen and sync, clock skew, outbox, version, scans per minute over
// RateWindow, totals and refusals by verdict, and Quiet: during the
// event's doors-open window (Hub.Doors: doors time to end) a gate that is
// offline, or online with no scan for Hub.QuietAfter (default 10
// minutes; the window's start counts as a scan), is quiet.
// Hub.CheckQuiet returns an event's quiet gates and calls
// Hub.OnGateQuiet for each that became quiet since the previous check:
// the seam for operator alerts, whose loop calls it for the events whose
// doors are open. HealthStore.RefusalsByReason and GateMinutes give the
// same counts to analytics.

// # Merch desks
//
// A gate created with Purpose PurposeMerchPickup is a merchandise pickup
// desk; the purpose reaches scannerd in the Enrollment's Gate. A desk
// does not use the websocket for pickups: it claims an order's
// merchandise with one request, POST /v1/gate/pickups, authenticated
// with the same device credential, and shows the answer (PickupClient,
// PickupResult). Pickups must happen once across desks and have no
// offline promise, so they are decided at the server, in one transaction
// (package merch says why); the frames above are unchanged.
//
// # Several servers
//
// Several syncserver processes can serve one event against one
// PostgreSQL. Every transaction that appends to the log also runs
// pg_notify('admitone_changes', event id), delivered at commit; each
// process LISTENs (Notifier) and pokes its own hub. After a poke one
// connection of the event reads the new entries from the database and
// encodes them once into the event's in-memory tail, and the event's
// other connections copy from it (a gate catching up from further back
// reads the database itself).
package sync
