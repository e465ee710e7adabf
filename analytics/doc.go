// Package analytics computes an organizer's figures for one event from
// the stores: tickets sold per ticket type, revenue per currency,
// capacity left, who checked in, who is inside now, entries per gate,
// conflicts and, once the event has ended, no-shows.
//
// Every figure is read from what the stores keep (tickets, orders, the
// server's record of each ticket lineage's entry state, check-ins and
// conflicts), by one call of the store (Store.EventCounts) that reads
// them in one consistent view; nothing is counted beside the stores, so
// a restart changes no figure. Capacity left is the ticket types'
// capacity minus what the inventory counters hold taken (sold plus held),
// the same counters Reserve decides against.
package analytics
