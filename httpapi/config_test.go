package httpapi

import (
	"encoding/json"
	"net/http"
	"testing"
)

func TestClientConfig(t *testing.T) {
	for _, tc := range []struct {
		name      string
		configure func(*harness)
		want      clientConfigView
	}{
		{"test provider", nil, clientConfigView{Payments: "test"}},
		{"no provider", func(h *harness) { h.api.Purchase.Payments = nil }, clientConfigView{Payments: "none"}},
		// A publishable key is told only with Stripe.
		{"key without stripe", func(h *harness) { h.api.StripePublishableKey = "pk_test_x" }, clientConfigView{Payments: "test"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarnessWith(t, "bolt", tc.configure)
			res := h.do(t, "GET", "/v1/config", "", nil).want(t, http.StatusOK)
			var got clientConfigView
			if err := json.Unmarshal(res.body, &got); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}
