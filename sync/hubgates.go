package sync

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/admitone/admitone/bundle"
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

// GatePatch is a change to a gate: nil fields stay as they are.
type GatePatch struct {
	Name         *string
	Direction    *bundle.Direction
	AllowReentry *bool
	Types        *[]uint16
}

// UpdateGate changes a gate. Its name may change at any time (only the
// desk shows it); its direction, re-entry and types only until its
// device enrols and receives them in its profile (ErrEnrolled after:
// revoke it and create another), and nothing of a revoked gate
// (ErrRevokedGate).
func (s *Hub) UpdateGate(ctx context.Context, id string, p GatePatch) (Gate, error) {
	g, err := s.Store.UpdateGate(ctx, id, func(g *Gate) error {
		if !g.RevokedAt.IsZero() {
			return fmt.Errorf("gate %s: %w", g.ID, ErrRevokedGate)
		}
		profile := p.Direction != nil || p.AllowReentry != nil || p.Types != nil
		if profile && !g.EnrolledAt.IsZero() {
			return fmt.Errorf("gate %s enrolled at %s with its direction and types; revoke it and create another: %w",
				g.ID, g.EnrolledAt.UTC().Format(time.RFC3339), ErrEnrolled)
		}
		spec := GateSpec{Name: g.Name, Direction: g.Direction, AllowReentry: g.AllowReentry, Types: g.Types}
		if p.Name != nil {
			spec.Name = strings.TrimSpace(*p.Name)
		}
		if p.Direction != nil {
			spec.Direction = *p.Direction
		}
		if p.AllowReentry != nil {
			spec.AllowReentry = *p.AllowReentry
		}
		if p.Types != nil {
			spec.Types = slices.Clone(*p.Types)
		}
		if len(spec.Types) == 0 {
			spec.Types = nil // every type, as stored
		}
		if err := spec.Validate(); err != nil {
			return err
		}
		g.Name, g.Direction, g.AllowReentry, g.Types = spec.Name, spec.Direction, spec.AllowReentry, spec.Types
		return nil
	})
	if err != nil {
		return Gate{}, fmt.Errorf("update gate %s: %w", id, err)
	}
	return g, nil
}
