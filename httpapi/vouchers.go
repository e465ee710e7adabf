package httpapi

import (
	"net/http"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/voucher"
)

// An event's access and discount codes (package voucher). Organizers of
// the event's organization make, list and disable them; a buyer gives a
// code with a hold ("code" in POST /v1/holds) and, for an access code, to
// see the hidden types it unlocks (GET /v1/events/{id}?code=...).

func (s *Server) vouchers() (*voucher.Service, error) {
	if s.Vouchers == nil {
		return nil, &apiError{status: http.StatusServiceUnavailable, code: "unavailable", msg: "codes are not available on this server"}
	}
	return s.Vouchers, nil
}

// eventCodes returns the code service and the path's event, which the
// caller must manage.
func (s *Server) eventCodes(r *http.Request, p *account.Principal) (*voucher.Service, string, error) {
	svc, err := s.vouchers()
	if err != nil {
		return nil, "", err
	}
	eventID, err := s.requireEventOrg(r, p)
	return svc, eventID, err
}

type codeRequest struct {
	Code          string       `json:"code"`
	Kind          voucher.Kind `json:"kind"`
	TicketTypeIDs []string     `json:"ticket_type_ids"`
	PercentOff    int          `json:"percent_off"`
	AmountOff     int64        `json:"amount_off"`
	MaxUses       int          `json:"max_uses"`
	ValidFrom     string       `json:"valid_from"`
	ValidUntil    string       `json:"valid_until"`
}

func (s *Server) createCode(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	svc, eventID, err := s.eventCodes(r, p)
	if err != nil {
		return err
	}
	var req codeRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	c := voucher.Code{EventID: eventID, Code: req.Code, Kind: req.Kind, TicketTypeIDs: req.TicketTypeIDs,
		PercentOff: req.PercentOff, AmountOff: req.AmountOff, MaxUses: req.MaxUses}
	if c.ValidFrom, err = parseTime("valid_from", req.ValidFrom, false); err != nil {
		return err
	}
	if c.ValidUntil, err = parseTime("valid_until", req.ValidUntil, false); err != nil {
		return err
	}
	created, err := svc.Create(r.Context(), c)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, created)
	return nil
}

type codeList struct {
	Codes []voucher.Listed `json:"codes"`
}

func (s *Server) listCodes(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	svc, eventID, err := s.eventCodes(r, p)
	if err != nil {
		return err
	}
	codes, err := svc.List(r.Context(), eventID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, codeList{Codes: codes})
	return nil
}

func (s *Server) disableCode(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	svc, eventID, err := s.eventCodes(r, p)
	if err != nil {
		return err
	}
	c, err := svc.Disable(r.Context(), eventID, r.PathValue("code"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

// publicPage is an event page as the caller may see it: all ticket types
// for the event's organization's staff and admins, else without hidden
// types except those the access code (if not "") unlocks. A code that
// is not valid is voucher.ErrCodeNotValid; checking codes is limited per
// caller (purchase.Service.UnlockCode).
func (s *Server) publicPage(r *http.Request, p *account.Principal, page catalog.EventPage, code string) (catalog.EventPage, error) {
	if p != nil && p.CanStaff(page.Event.OrgID) && s.require2FA(r.Context(), p, page.Event.OrgID) == nil {
		return page, nil
	}
	if code == "" {
		return page.Public(nil), nil
	}
	svc, err := s.purchases()
	if err != nil {
		return catalog.EventPage{}, err
	}
	caller := "addr:" + clientAddr(r, s.TrustedProxies)
	if p != nil {
		caller = p.User.ID
	}
	c, err := svc.UnlockCode(r.Context(), caller, page.Event.ID, code)
	if err != nil {
		return catalog.EventPage{}, err
	}
	return page.Public(func(t catalog.TicketType) bool { return c.Unlocks(t.ID) }), nil
}
