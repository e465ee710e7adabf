package services

import (
	"context"

	"github.com/admitone/admitone/bundle"
	"github.com/admitone/admitone/catalog"
)

// GateTypeNames is the sync Enroller's TypeNames: an event's ticket type
// names from the catalog, as a gate's bundle carries them.
func GateTypeNames(cat catalog.Store) func(ctx context.Context, eventID string) ([]bundle.TicketType, error) {
	return func(ctx context.Context, eventID string) ([]bundle.TicketType, error) {
		tts, err := cat.TicketTypes(ctx, eventID)
		if err != nil {
			return nil, err
		}
		out := make([]bundle.TicketType, 0, len(tts))
		for _, tt := range tts {
			out = append(out, bundle.TicketType{Number: tt.Number, Name: bundle.ClipName(tt.Name)})
		}
		return out, nil
	}
}
