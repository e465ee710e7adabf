package webhook_test

import (
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/admitone/admitone/webhook"
)

// A receiver verifies each delivery before it processes it, and refuses
// replays: the signature must match the body under the endpoint's
// secret, its time must be within five minutes, and its delivery id
// must be new. A delivery it fails to process is forgotten, so that the
// retry (same id, new signature) is accepted.
func ExampleReceiver() {
	recv := &webhook.Receiver{Secret: []byte(os.Getenv("ADMITONE_WEBHOOK_SECRET"))}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "read", http.StatusBadRequest)
			return
		}
		if err := recv.Verify(r.Header, body); err != nil {
			http.Error(w, "refused", http.StatusBadRequest) // forged, stale or replayed
			return
		}
		if err := process(body); err != nil {
			recv.Forget(r.Header.Get(webhook.DeliveryHeader))
			http.Error(w, "try again", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	_ = handler // http.ListenAndServeTLS(":443", cert, key, handler)
	fmt.Println(webhook.SignatureHeader, webhook.DeliveryHeader)
	// Output: AdmitOne-Signature AdmitOne-Delivery
}

func process([]byte) error { return nil }
