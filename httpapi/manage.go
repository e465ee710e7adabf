package httpapi

import (
	"net/http"
	"time"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/internal/id"
)

// The organizer's desk: an organization's venues, and editing and
// removing venues, ticket types and draft events. The rules are the
// catalog's (catalog/manage.go); the roles are orgAccess's.

type venueList struct {
	Venues     []catalog.Venue `json:"venues"`
	NextCursor string          `json:"next_cursor,omitempty"`
}

// listOrgVenues pages through an organization's venues, for its
// organizers and staff.
func (s *Server) listOrgVenues(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	orgID := r.PathValue("org")
	if err := s.requireOrgStaff(r.Context(), p, orgID); err != nil {
		return err
	}
	pr, err := parsePage(r, func(s string) bool { return id.Valid(s, "ven") })
	if err != nil {
		return err
	}
	venues, err := s.Catalog.OrgVenues(r.Context(), orgID, pr.after, pr.limit+1)
	if err != nil {
		return err
	}
	venues, next := cut(venues, pr.limit, func(v catalog.Venue) string { return v.ID })
	writeJSON(w, http.StatusOK, venueList{Venues: venues, NextCursor: next})
	return nil
}

// requireVenueOrg checks that p manages the {id} venue's organization
// and returns the venue id.
func (s *Server) requireVenueOrg(r *http.Request, p *account.Principal) (string, error) {
	venueID := r.PathValue("id")
	orgID, err := s.Catalog.VenueOrg(r.Context(), venueID)
	if err != nil {
		return "", hideMissing(err, hiddenErr("venue", venueID))
	}
	return venueID, s.orgAccess(r.Context(), p, orgID, true, hiddenErr("venue", venueID))
}

type venuePatchRequest struct {
	Name    *string  `json:"name"`
	Address *string  `json:"address"`
	City    *string  `json:"city"`
	Country *string  `json:"country"`
	Lat     *float64 `json:"lat"`
	Lon     *float64 `json:"lon"`
}

func (s *Server) updateVenue(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	venueID, err := s.requireVenueOrg(r, p)
	if err != nil {
		return err
	}
	var req venuePatchRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	v, err := s.Catalog.UpdateVenue(r.Context(), venueID, catalog.VenuePatch{Name: req.Name, Address: req.Address,
		City: req.City, Country: req.Country, Lat: req.Lat, Lon: req.Lon})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// deleteVenue removes a venue no event is at (409 in_use otherwise).
func (s *Server) deleteVenue(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	venueID, err := s.requireVenueOrg(r, p)
	if err != nil {
		return err
	}
	if err := s.Catalog.DeleteVenue(r.Context(), venueID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// ticketTypePatchRequest: absent fields stay; sale_starts or sale_ends
// "" removes that bound.
type ticketTypePatchRequest struct {
	Name            *string        `json:"name"`
	Price           *catalog.Money `json:"price"`
	Capacity        *int           `json:"capacity"`
	SaleStarts      *string        `json:"sale_starts"`
	SaleEnds        *string        `json:"sale_ends"`
	PerOrderMax     *int           `json:"per_order_max"`
	PerBuyerMax     *int           `json:"per_buyer_max"`
	MaxHeldPerBuyer *int           `json:"max_held_per_buyer"`
	RotatingCode    *bool          `json:"rotating_code"`
}

func (s *Server) updateTicketType(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	eventID, err := s.requireEventOrg(r, p)
	if err != nil {
		return err
	}
	var req ticketTypePatchRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	patch := catalog.TicketTypePatch{Name: req.Name, Price: req.Price, Capacity: req.Capacity, PerOrderMax: req.PerOrderMax,
		PerBuyerMax: req.PerBuyerMax, MaxHeldPerBuyer: req.MaxHeldPerBuyer, RotatingCode: req.RotatingCode}
	for _, f := range []struct {
		name string
		src  *string
		dst  **time.Time
	}{{"sale_starts", req.SaleStarts, &patch.SaleStarts}, {"sale_ends", req.SaleEnds, &patch.SaleEnds}} {
		if f.src == nil {
			continue
		}
		t, err := parseTime(f.name, *f.src, false)
		if err != nil {
			return err
		}
		*f.dst = &t
	}
	t, err := s.Catalog.UpdateTicketType(r.Context(), eventID, r.PathValue("tt"), patch)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

// closeTicketType ends a ticket type's sale now; its tickets stay valid.
func (s *Server) closeTicketType(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	eventID, err := s.requireEventOrg(r, p)
	if err != nil {
		return err
	}
	t, err := s.Catalog.CloseTicketType(r.Context(), eventID, r.PathValue("tt"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

// deleteTicketType removes a ticket type nothing was sold or held of (409
// in_use otherwise: close it).
func (s *Server) deleteTicketType(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	eventID, err := s.requireEventOrg(r, p)
	if err != nil {
		return err
	}
	if err := s.Catalog.DeleteTicketType(r.Context(), eventID, r.PathValue("tt")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// unpublishEvent takes a published event back to draft while nothing is
// sold or held (409 in_use otherwise: cancel it, which refunds).
func (s *Server) unpublishEvent(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	eventID, err := s.requireEventOrg(r, p)
	if err != nil {
		return err
	}
	e, err := s.Catalog.Unpublish(r.Context(), eventID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

// deleteEvent removes a draft with its ticket types (409 wrong_state for
// any other status, in_use when it has gates).
func (s *Server) deleteEvent(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	eventID, err := s.requireEventOrg(r, p)
	if err != nil {
		return err
	}
	if err := s.Catalog.DeleteDraft(r.Context(), eventID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
