package catalog

import (
	"context"
	"fmt"
)

// Orgs lists organizations with id greater than after, in id order, at
// most limit: every organization, for an admin's list.
func (s *Service) Orgs(ctx context.Context, after string, limit int) ([]Organization, error) {
	orgs, err := s.Store.Orgs(ctx, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list organizations: %w", err)
	}
	return orgs, nil
}

// OrgEvents lists the events of organization orgID in every status,
// drafts too, with id greater than after, in id order, at most limit.
// The caller checks that whoever asks may see the organization's drafts.
func (s *Service) OrgEvents(ctx context.Context, orgID, after string, limit int) ([]Event, error) {
	events, err := s.Store.OrgEvents(ctx, orgID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list events of %s: %w", orgID, err)
	}
	return events, nil
}
