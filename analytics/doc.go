// Package analytics computes an organizer's figures from the stores: per
// event (Service.EventStats, GET /v1/events/{id}/stats) tickets sold and
// revoked per ticket type, revenue per currency, sales over time in
// hourly or daily buckets, capacity left, who checked in, who is inside
// now, entries per gate and per gate and minute, refusals by gate and
// reason, conflicts and those with an offline side and, once the event
// has ended, no-shows; across an organization's events
// (Service.OrgInsights, GET /v1/orgs/{org}/insights) repeat buyers,
// purchase lead time, the ticket-type mix, buyers by city and the refund
// rate; and an event's orders, tickets and check-ins as CSV
// (Service.WriteExport, GET /v1/events/{id}/exports/*.csv).
//
// Every figure is read from what the stores keep (tickets, orders, the
// server's record of each ticket lineage's entry state, check-ins and
// conflicts), by one call of the store (Store.EventCounts) that reads
// them in one consistent view. Both stores keep each event's figures as
// they change, written in the same transaction as the records they
// count (bbolt in its write transactions, PostgreSQL by triggers), so a
// read costs a few hundred keys or rows however many tickets the event
// has, and the figures cannot drift from the records: nothing is
// counted beside the stores, and a restart changes no figure. Their
// tests compare the figures with counting the records after every
// store test. Capacity left is the ticket types'
// capacity minus what the inventory counters hold taken (sold plus held),
// the same counters Reserve decides against. Sales and lead times go by
// when an order was paid; check-ins by when the gate scanned.
//
// Refusals are counted by the gates, which report them to the server;
// the Service reads them through RefusalCounter, and answers an empty
// list while none is set.
//
// Buyers by city uses the city a buyer may give at checkout
// (purchase.CheckCity); orders without one count under "".
//
// # Caveats
//
// OrgInsights reads every paid order of every event of the organization
// on each request: its cost grows with the organization's history, not
// with one event. The exports read tickets order by order.
//
// A CSV cell that begins with =, +, -, @, a tab or a carriage return
// gets a leading apostrophe (SafeCell), so a spreadsheet shows it as
// text rather than run it as a formula; a program reading the export
// sees the apostrophe.
package analytics
