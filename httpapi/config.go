package httpapi

import (
	"net/http"

	"github.com/admitone/admitone/account"
)

// clientConfigView is what a client needs to know before it pays: which
// payment provider the server uses ("test", "stripe" or "none") and, for
// Stripe, the publishable key its Payment Element needs. Nothing in it
// is secret.
type clientConfigView struct {
	Payments             string `json:"payments"`
	StripePublishableKey string `json:"stripe_publishable_key,omitempty"`
}

func (s *Server) clientConfig(w http.ResponseWriter, _ *http.Request, _ *account.Principal) error {
	v := clientConfigView{Payments: "none"}
	if s.Purchase != nil && s.Purchase.Payments != nil {
		v.Payments = s.Purchase.Payments.Name()
	}
	if v.Payments == "stripe" {
		v.StripePublishableKey = s.StripePublishableKey
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}
