package sync

import (
	"context"
	"time"
)

// What the HTTP edge reads and changes of gates goes through the Hub, so
// that no handler reaches into its Store.

// Gate returns a gate, or ErrNotFound.
func (s *Hub) Gate(ctx context.Context, id string) (Gate, error) {
	return s.Store.Gate(ctx, id)
}

// GatesOfEvent lists an event's gates by creation time.
func (s *Hub) GatesOfEvent(ctx context.Context, eventID string) ([]Gate, error) {
	return s.Store.GatesOfEvent(ctx, eventID)
}

// RevokeGate marks a gate revoked at at (again: unchanged) and closes its
// connections to this hub; other server processes' hubs find out at
// their next keepalive.
func (s *Hub) RevokeGate(ctx context.Context, id string, at time.Time) (Gate, error) {
	g, err := s.Store.RevokeGate(ctx, id, at)
	if err != nil {
		return Gate{}, err
	}
	s.Disconnect(g.ID)
	return g, nil
}

// Conflicts lists an event's conflicts in the order detected, at most
// limit.
func (s *Hub) Conflicts(ctx context.Context, eventID string, limit int) ([]Conflict, error) {
	return s.Store.Conflicts(ctx, eventID, limit)
}

// Quarantine lists an event's quarantined check-ins in check-in id
// order, at most limit.
func (s *Hub) Quarantine(ctx context.Context, eventID string, limit int) ([]Quarantined, error) {
	return s.Store.Quarantine(ctx, eventID, limit)
}
