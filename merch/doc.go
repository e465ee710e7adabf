// Package merch hands out merchandise: ticket types of kind
// catalog.KindMerchandise, bought alone or beside tickets in one order,
// picked up at a merch desk.
//
// # The order's code
//
// Merchandise gets no ticket (purchase.Ticket: a gate never admits a
// T-shirt), so what the buyer shows at the desk is the order's code: an
// order token (ticketcrypto.SignOrder, "AO1:", layout in crypto/doc.go)
// naming the event and the order, signed by the server's active issuer
// key, which the event's keyring trusts as it trusts ticket tokens. The
// buyer gets it with GET /v1/orders/{id}/pickup (Service.Code), with the
// order's merchandise; only a paid order with merchandise has one. It
// cannot be forged without the event's issuer key, and a copy of it is
// worth exactly what the order holds: each item is handed out once.
//
// # The desk
//
// A merch desk is a scannerd gate created with purpose "merch_pickup"
// (sync.PurposeMerchPickup), carried to the gate in its Enrollment. The
// desk scans an order's code and sends it, with the gate's device
// credential, to POST /v1/gate/pickups (Service.Pickup); the server
// checks the signature with the event's keys, that the gate is a merch
// desk of the order's event and that the order is paid, and claims every
// merchandise line of the order not yet handed out, in one transaction
// of the Store keyed by (order, ticket type). The answer lists what this
// scan hands out and, for each line handed out before, the desk and time
// it went. The desk's screen shows both.
//
// Why online, at the server: a pickup must be exactly once across desks,
// and merchandise has no offline promise. Gates admit offline because a
// door must keep moving and a double entry is detected later as a
// conflict; a T-shirt handed out twice cannot be taken back, so there is
// nothing to reconcile later. One atomic claim at the one place every
// desk reaches is the simplest thing that is exactly once. A request
// over HTTP rather than a frame on the sync websocket: the desk waits
// for one answer to one scan, with a timeout and a status, which is what
// HTTP is; the websocket is an ordered stream of log entries and acks
// that the desk need not hold open, and its frames stay as they are. A
// desk that cannot reach the server shows "offline: pickup needs the
// server" and hands out nothing.
//
// # Caveats
//
//   - A line is handed out whole (all of its quantity at once); there
//     are no partial pickups.
//   - A refunded or cancelled order hands out nothing; merchandise
//     handed out before a refund stays on record.
//   - The desk does not verify the code itself (it forwards it): the
//     server does, with the same keys, so a desk without the event's
//     keyring still refuses nothing the server accepts.
package merch
