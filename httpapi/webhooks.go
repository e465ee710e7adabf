package httpapi

import (
	"context"
	"net/http"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/webhook"
)

// Organizers' webhooks (package webhook): an organization's organizers
// register, list and remove endpoints and see each one's recent
// deliveries. To anyone outside the organization it does not exist
// (404); its staff are refused (403).

type webhookRequest struct {
	URL   string         `json:"url"`
	Kinds []webhook.Kind `json:"kinds"`
}

// webhookCreated is a new endpoint with its signing secret, which no
// other answer shows.
type webhookCreated struct {
	webhook.Endpoint
	Secret string `json:"secret"`
}

type webhookList struct {
	Webhooks []webhook.Endpoint `json:"webhooks"`
}

type deliveryList struct {
	Deliveries []webhook.Delivery `json:"deliveries"`
}

// defaultDeliveries is how many deliveries a list shows without ?limit=.
const defaultDeliveries = 20

// webhookOrg checks that p may manage the {org} in the path's webhooks
// and returns the service and the organization's id.
func (s *Server) webhookOrg(ctx context.Context, r *http.Request, p *account.Principal) (*webhook.Service, string, error) {
	org, err := s.Catalog.Org(ctx, r.PathValue("org"))
	if err != nil {
		return nil, "", err
	}
	switch {
	case !p.CanStaff(org.ID):
		return nil, "", catalog.ErrNotFound
	case !p.CanManageOrg(org.ID):
		return nil, "", account.ErrForbidden
	}
	if err := checkOrg2FA(org, p); err != nil {
		return nil, "", err
	}
	if s.OrgWebhooks == nil {
		return nil, "", &apiError{status: http.StatusServiceUnavailable, code: "unavailable", msg: "webhooks are not available on this server"}
	}
	return s.OrgWebhooks, org.ID, nil
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	svc, orgID, err := s.webhookOrg(r.Context(), r, p)
	if err != nil {
		return err
	}
	var req webhookRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.URL == "" {
		return fieldError("url", "url (https, where deliveries go) is required")
	}
	e, secret, err := svc.Create(r.Context(), orgID, req.URL, req.Kinds)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, webhookCreated{Endpoint: e, Secret: secret})
	return nil
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	svc, orgID, err := s.webhookOrg(r.Context(), r, p)
	if err != nil {
		return err
	}
	eps, err := svc.Endpoints(r.Context(), orgID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, webhookList{Webhooks: eps})
	return nil
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	svc, orgID, err := s.webhookOrg(r.Context(), r, p)
	if err != nil {
		return err
	}
	if err := svc.Delete(r.Context(), orgID, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listWebhookDeliveries(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	svc, orgID, err := s.webhookOrg(r.Context(), r, p)
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit", defaultDeliveries, 1, webhook.MaxDeliveries)
	if err != nil {
		return err
	}
	ds, err := svc.Deliveries(r.Context(), orgID, r.PathValue("id"), int(limit))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, deliveryList{Deliveries: ds})
	return nil
}

// alertPaymentWebhook tells the operator of a payment provider webhook
// request that failed: "verify" for a refusal of the request itself
// (an answer under 500), "apply" for a verified event the server could
// not process.
func (s *Server) alertPaymentWebhook(ctx context.Context, err error) {
	if s.Alerts == nil {
		return
	}
	ae, _ := toAPIError(err)
	reason := "apply"
	if ae.status < 500 {
		reason = "verify"
	}
	s.Alerts.PaymentWebhookFailed(ctx, reason, ae.code)
}
