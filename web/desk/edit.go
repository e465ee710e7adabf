package desk

import (
	"net/http"
	"strings"

	"github.com/admitone/admitone/catalog"
)

// editVenue changes a venue of the organization (catalog.UpdateVenue,
// which re-indexes its events); a venue of another organization is
// errNotFound, as it would be to the API.
func (d *Desk) editVenue(w http.ResponseWriter, r *http.Request, s *session) {
	o, ok := d.managedOrg(w, r, s)
	if !ok {
		return
	}
	venueID := r.PathValue("venue")
	if orgID, err := d.Catalog.VenueOrg(r.Context(), venueID); err != nil || orgID != o.ID {
		d.fail(w, r, s, errNotFound)
		return
	}
	f := r.PostForm
	name, address, city, country := f.Get("name"), f.Get("address"), f.Get("city"), strings.ToUpper(strings.TrimSpace(f.Get("country")))
	p := catalog.VenuePatch{Name: &name, Address: &address, City: &city, Country: &country}
	lat, err := formFloat(f, "lat")
	if err == nil {
		var lon float64
		if lon, err = formFloat(f, "lon"); err == nil {
			p.Lat, p.Lon = &lat, &lon
		}
	}
	if err == nil {
		_, err = d.Catalog.UpdateVenue(r.Context(), venueID, p)
	}
	if err != nil {
		d.refusedOrg(w, r, s, o, err)
		return
	}
	http.Redirect(w, r, "/desk/orgs/"+o.ID+"?venue="+venueID, http.StatusSeeOther)
}

// editTicketType changes a ticket type's name, capacity, price and
// per-order limit (catalog.UpdateTicketType: the capacity not below what
// is sold or held, the price only while nothing is).
func (d *Desk) editTicketType(w http.ResponseWriter, r *http.Request, s *session) {
	e, err := d.managed(r, s)
	if err != nil {
		d.fail(w, r, s, err)
		return
	}
	f := r.PostForm
	name := f.Get("name")
	p := catalog.TicketTypePatch{Name: &name}
	var price catalog.Money
	price.Currency = strings.ToUpper(strings.TrimSpace(f.Get("currency")))
	if price.Amount, err = parseAmount(f.Get("price")); err == nil {
		p.Price = &price
		var capacity, perOrder int
		if capacity, err = formInt(f, "capacity"); err == nil {
			p.Capacity = &capacity
			if perOrder, err = formInt(f, "per_order_max"); err == nil {
				p.PerOrderMax = &perOrder
			}
		}
	}
	if err == nil {
		if old, ok := d.ticketType(r, e.ID); ok && old.Price == price {
			p.Price = nil // unchanged: allowed while tickets are sold
		}
		_, err = d.Catalog.UpdateTicketType(r.Context(), e.ID, r.PathValue("tt"), p)
	}
	d.changed(w, r, s, e.ID, err)
}

// closeTicketType ends a ticket type's sale now; its tickets stay valid.
func (d *Desk) closeTicketType(w http.ResponseWriter, r *http.Request, s *session) {
	e, err := d.managed(r, s)
	if err == nil {
		_, err = d.Catalog.CloseTicketType(r.Context(), e.ID, r.PathValue("tt"))
	}
	d.changed(w, r, s, e.ID, err)
}

// deleteTicketType removes a ticket type nothing was sold or held of.
func (d *Desk) deleteTicketType(w http.ResponseWriter, r *http.Request, s *session) {
	e, err := d.managed(r, s)
	if err == nil {
		err = d.Catalog.DeleteTicketType(r.Context(), e.ID, r.PathValue("tt"))
	}
	d.changed(w, r, s, e.ID, err)
}

// ticketType is the {tt} ticket type of event eventID, if it is one.
func (d *Desk) ticketType(r *http.Request, eventID string) (catalog.TicketType, bool) {
	types, err := d.Catalog.TicketTypes(r.Context(), eventID)
	if err != nil {
		return catalog.TicketType{}, false
	}
	for _, t := range types {
		if t.ID == r.PathValue("tt") {
			return t, true
		}
	}
	return catalog.TicketType{}, false
}
