package webhook_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/admitone/admitone/webhook"
)

func TestCheckURL(t *testing.T) {
	for _, raw := range []string{
		"https://127.0.0.1/hook", "https://[::1]/hook", "https://10.1.2.3/", "https://192.168.0.10/",
		"https://172.16.5.5/", "https://169.254.169.254/latest/meta-data", "https://[fe80::1]/", "https://[fd00::1]/",
		"https://100.64.0.1/", "https://0.0.0.0/", "https://[::ffff:127.0.0.1]/", "https://localhost/", "https://api.localhost./",
	} {
		if _, err := webhook.CheckURL(raw, false); !errors.Is(err, webhook.ErrAddress) {
			t.Errorf("CheckURL(%s) = %v, want ErrAddress", raw, err)
		}
		if _, err := webhook.CheckURL(raw, true); err != nil {
			t.Errorf("CheckURL(%s, insecure) = %v", raw, err)
		}
	}
	for _, raw := range []string{"http://hooks.example/", "ftp://hooks.example/", "hooks.example/x", "https:///x", "https://u:p@hooks.example/", "https://hooks.example/#frag", "https://%zz/"} {
		if _, err := webhook.CheckURL(raw, false); !errors.Is(err, webhook.ErrInvalid) {
			t.Errorf("CheckURL(%s) = %v, want ErrInvalid", raw, err)
		}
	}
	if _, err := webhook.CheckURL("http://hooks.example/", true); err != nil {
		t.Errorf("http with insecure: %v", err)
	}
	for _, raw := range []string{"https://hooks.example/in?x=1", "https://203.0.113.9:8443/", "https://[2001:db8::1]/"} {
		if _, err := webhook.CheckURL(raw, false); err != nil {
			t.Errorf("CheckURL(%s) = %v", raw, err)
		}
	}
}

func TestPublicAddr(t *testing.T) {
	for addr, want := range map[string]bool{
		"8.8.8.8": true, "2606:4700::1111": true, "127.0.0.2": false, "10.0.0.1": false, "172.31.255.255": false,
		"192.168.1.1": false, "169.254.169.254": false, "::1": false, "fe80::1": false, "fc00::1": false, "::": false,
		"224.0.0.1": false, "100.127.0.1": false, "198.18.0.1": false, "255.255.255.255": false, "::ffff:10.0.0.1": false,
		"64:ff9b::a00:1": false,
	} {
		if got := webhook.PublicAddr(netip.MustParseAddr(addr)); got != want {
			t.Errorf("PublicAddr(%s) = %v, want %v", addr, got, want)
		}
	}
}

// TestClientRefusesPrivateAtDial: the delivery client refuses the
// loopback receiver at dial time (whatever name led there), unless
// insecure; then it reaches it.
func TestClientRefusesPrivateAtDial(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { calls++ }))
	defer srv.Close()
	_, err := webhook.NewClient(false).Post(srv.URL, "application/json", nil)
	if !errors.Is(err, webhook.ErrAddress) {
		t.Errorf("safe client to %s: %v, want ErrAddress", srv.URL, err)
	}
	if calls != 0 {
		t.Fatalf("the receiver got %d requests through the safe client", calls)
	}
	resp, err := webhook.NewClient(true).Post(srv.URL, "application/json", nil)
	if err != nil {
		t.Fatalf("insecure client: %v", err)
	}
	resp.Body.Close()
	if calls != 1 {
		t.Errorf("the receiver got %d requests through the insecure client, want 1", calls)
	}
}

func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{"https://hooks.example/in", "https://127.0.0.1/", "http://[::1]:80/", "https://u@h/", "https://h/#f", "https://[fe80::1%25eth0]/", "https://0x7f.1/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := webhook.CheckURL(raw, false)
		if err != nil {
			if !errors.Is(err, webhook.ErrInvalid) && !errors.Is(err, webhook.ErrAddress) {
				t.Fatalf("CheckURL(%q): %v is neither ErrInvalid nor ErrAddress", raw, err)
			}
			return
		}
		if u.Scheme != "https" || u.Hostname() == "" || u.User != nil || len(raw) > webhook.MaxURL {
			t.Fatalf("CheckURL(%q) accepted %+v", raw, u)
		}
		if ip, err := netip.ParseAddr(u.Hostname()); err == nil && !webhook.PublicAddr(ip) {
			t.Fatalf("CheckURL(%q) accepted the non-public %s", raw, ip)
		}
	})
}
