package main

import (
	"net/http"
	"strings"
	"testing"
)

// --cors-origins (or ADMITONE_CORS_ORIGINS) is checked before anything is
// created, and with --hsts reaches the API's answers.
func TestCORSAndHSTSFlags(t *testing.T) {
	t.Run("bad origin refused at start", func(t *testing.T) {
		for _, tc := range []struct{ flag, env string }{{flag: "https://ok.example,*"}, {env: "https://ok.example,*"}} {
			t.Setenv("ADMITONE_CORS_ORIGINS", tc.env)
			args := []string{"serve", "--data-dir", t.TempDir(), "--listen", "127.0.0.1:0"}
			if tc.flag != "" {
				args = append(args, "--cors-origins", tc.flag)
			}
			out, err := runSyncserver(t, args...)
			if err == nil || !strings.Contains(err.Error(), `"*"`) || !strings.Contains(err.Error(), "--cors-origins") {
				t.Fatalf("serve with CORS origins %+v = %v; want an error naming the entry\n%s", tc, err, out)
			}
		}
	})

	r := startApp(t, serverConfig{DataDir: t.TempDir(), Listen: "127.0.0.1:0", CORSOrigins: []string{"https://shop.example.com"}, HSTS: true})
	req, err := http.NewRequestWithContext(t.Context(), "GET", r.base+"/v1/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Origin", "https://shop.example.com")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if got := res.Header.Get("Access-Control-Allow-Origin"); got != "https://shop.example.com" {
		t.Errorf("Access-Control-Allow-Origin %q, want the listed origin", got)
	}
	if got := res.Header.Get("Strict-Transport-Security"); got == "" {
		t.Error("--hsts: no Strict-Transport-Security on /v1/events")
	}
}
