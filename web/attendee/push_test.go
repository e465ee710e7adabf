package attendee

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestPushScriptsServed: the "Notify me" toggle and the service worker's
// push handlers are served under the app's CSP, and the handler drops a
// message id it has shown (the server's at-least-once window).
func TestPushScriptsServed(t *testing.T) {
	h := Handler(Options{})
	for path, want := range map[string][]string{
		"/app/push.js":    {"/v1/push/key", "/v1/push/subscriptions", "applicationServerKey", "Notify me"},
		"/app/sw-push.js": {`addEventListener("push"`, "firstTime(msg.id)", "tag: msg.id", "notificationclick"},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		body, _ := io.ReadAll(rec.Body)
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Security-Policy") != CSP {
			t.Fatalf("%s: %d, CSP %q", path, rec.Code, rec.Header().Get("Content-Security-Policy"))
		}
		for _, w := range want {
			if !strings.Contains(string(body), w) {
				t.Errorf("%s does not contain %q", path, w)
			}
		}
	}
}
