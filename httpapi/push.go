package httpapi

import (
	"net/http"
	"time"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/notify"
)

// pushKeyJSON is GET /v1/push/key: the VAPID public key browsers
// subscribe with (applicationServerKey).
type pushKeyJSON struct {
	PublicKey string `json:"public_key"`
}

// pushSubscriptionJSON is what an account sees of a device's
// subscription: never its keys.
type pushSubscriptionJSON struct {
	ID        string    `json:"id"`
	Endpoint  string    `json:"endpoint"`
	CreatedAt time.Time `json:"created_at"`
}

func (s *Server) notifier() (*notify.Service, error) {
	if s.Notify == nil {
		return nil, &apiError{status: http.StatusServiceUnavailable, code: "not_configured", msg: "push notifications are not configured on this server"}
	}
	return s.Notify, nil
}

func (s *Server) pushKey(w http.ResponseWriter, r *http.Request, _ *account.Principal) error {
	n, err := s.notifier()
	if err != nil {
		return err
	}
	k, err := n.Keys(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pushKeyJSON{PublicKey: k.PublicKey()})
	return nil
}

func (s *Server) subscribePush(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	n, err := s.notifier()
	if err != nil {
		return err
	}
	body, err := readBody(w, r, notify.MaxSubscriptionJSON)
	if err != nil {
		return err
	}
	sub, err := n.Subscribe(r.Context(), p.User.ID, body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, pushSubscriptionJSON{ID: sub.ID, Endpoint: sub.Endpoint, CreatedAt: sub.CreatedAt})
	return nil
}

func (s *Server) listPushSubscriptions(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	n, err := s.notifier()
	if err != nil {
		return err
	}
	subs, err := n.Subscriptions(r.Context(), p.User.ID)
	if err != nil {
		return err
	}
	out := make([]pushSubscriptionJSON, 0, len(subs))
	for _, sub := range subs {
		out = append(out, pushSubscriptionJSON{ID: sub.ID, Endpoint: sub.Endpoint, CreatedAt: sub.CreatedAt})
	}
	writeJSON(w, http.StatusOK, map[string]any{"subscriptions": out})
	return nil
}

func (s *Server) deletePushSubscription(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	n, err := s.notifier()
	if err != nil {
		return err
	}
	if err := n.Unsubscribe(r.Context(), p.User.ID, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
