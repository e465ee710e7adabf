// Package desk answers the organizer's desk lists that no single store
// call gives: an event's orders with search (by order id, buyer email or
// name, status), an event's attendees (who holds a valid ticket, of which
// type, checked in or not) and the gates across an organization's events.
// It reads through small interfaces the purchase, account, catalog and
// sync stores satisfy, so it runs on either backend as they do, and it
// decides nothing about who may ask: the HTTP edge checks the caller
// against the organization first.
//
// Lists page by keyset like the rest of the desk: a page holds at most
// Limit items and a NextCursor when more may follow; a cursor is the
// position of the last item looked at.
//
// # Caveats
//
//   - Order search is a bounded scan, not an index: a page reads the
//     event's orders in id order from the cursor, at most MaxScan of them,
//     and keeps those that match. A search that matches rarely can answer
//     a page with fewer than Limit orders (even none) and a NextCursor:
//     the client goes on from there. An order id is looked up directly,
//     and an email resolves to the one account first, but matching a
//     name reads each buyer's account once per page.
//   - Attendees are listed order by order (paid orders, in id order; each
//     order's valid tickets in id order), so the cursor names an order
//     and a ticket. Reading whether a ticket was checked in is one store
//     call per ticket.
//   - Gates across an organization read every event of it and each
//     event's gates, then sort by gate id: fine for the events and gates
//     one organization has, not for thousands of events.
package desk
