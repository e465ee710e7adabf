package services

import (
	"context"

	"github.com/admitone/admitone/purchase"
	ticketsync "github.com/admitone/admitone/sync"
)

// HubTickets answers the sync hub's ticket lookups (ticketsync.TicketLookup)
// from a purchase store's tickets, so that package sync, which the gate
// program links, need not know purchase.Ticket.
type HubTickets struct {
	Store purchase.TicketStore
}

var _ ticketsync.TicketLookup = HubTickets{}

// IssuedTickets implements ticketsync.TicketLookup.
func (h HubTickets) IssuedTickets(ctx context.Context, ids []string) (map[string]ticketsync.IssuedTicket, error) {
	tickets, err := h.Store.TicketsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string]ticketsync.IssuedTicket, len(tickets))
	for id, t := range tickets {
		out[id] = ticketsync.IssuedTicket{EventID: t.EventID, TypeNumber: t.TypeNumber, IssuedAt: t.IssuedAt, ValidUntil: t.ValidUntil}
	}
	return out, nil
}
