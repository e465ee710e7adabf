package webhook_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/admitone/admitone/webhook"
)

// The signature of a known body, secret and time, pinned: HMAC-SHA256
// under "whsec_test" of "1700000000." + body.
func TestSignKnownAnswer(t *testing.T) {
	got := webhook.Sign([]byte("whsec_test"), time.Unix(1700000000, 0), []byte(`{"id":"wh/x"}`))
	want := "t=1700000000,v1=" + knownMAC
	if got != want {
		t.Errorf("Sign = %s\nwant  %s", got, want)
	}
}

// knownMAC is HMAC-SHA256("whsec_test", `1700000000.{"id":"wh/x"}`), as
// printf '%s' '1700000000.{"id":"wh/x"}' | openssl dgst -sha256 -hmac whsec_test
// prints it.
const knownMAC = "d600a0b24ead19e3f772fe2bc87799c64d5dc17ca8db67d8a857539bbd2ed9b4"

func TestVerify(t *testing.T) {
	secret, body, at := []byte("whsec_k"), []byte(`{"kind":"order.paid"}`), time.Unix(1800000000, 0)
	h := webhook.Sign(secret, at, body)
	good := h[strings.Index(h, "v1="):]
	zeros := "v1=" + strings.Repeat("0", 64)
	for name, tc := range map[string]struct {
		header string
		body   []byte
		now    time.Time
		want   error
	}{
		"good":                 {h, body, at, nil},
		"good, 5 minutes late": {h, body, at.Add(webhook.DefaultTolerance), nil},
		"rolled secret":        {"t=1800000000," + zeros + "," + good, body, at, nil},
		"later scheme skipped": {h + ",v2=abc", body, at, nil},
		"stale":                {h, body, at.Add(webhook.DefaultTolerance + time.Second), webhook.ErrStale},
		"future":               {h, body, at.Add(-webhook.DefaultTolerance - time.Second), webhook.ErrStale},
		"other body":           {h, []byte(`{"kind":"order.refunded"}`), at, webhook.ErrSignature},
		"other time":           {"t=1800000001," + good, body, at, webhook.ErrSignature},
		"missing":              {"", body, at, webhook.ErrSignature},
		"no t":                 {good, body, at, webhook.ErrSignature},
		"two t":                {"t=1800000000,t=1800000000," + good, body, at, webhook.ErrSignature},
		"no v1":                {"t=1800000000", body, at, webhook.ErrSignature},
		"short v1":             {"t=1800000000,v1=abcd", body, at, webhook.ErrSignature},
		"signed t":             {"t=+1800000000," + good, body, at, webhook.ErrSignature},
		"spaces":               {"t=1800000000, " + good, body, at, webhook.ErrSignature},
		"five v1":              {"t=1800000000," + strings.Repeat(zeros+",", 4) + good, body, at, webhook.ErrSignature},
		"too long":             {h + "," + strings.Repeat("x=1,", 200), body, at, webhook.ErrSignature},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := webhook.Verify(secret, tc.header, tc.body, tc.now, 0)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Errorf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
}

// TestReceiver: an id is accepted once within the window; Forget lets
// a retry in; a delivery without an id is refused.
func TestReceiver(t *testing.T) {
	now := time.Unix(1800000000, 0)
	r := &webhook.Receiver{Secret: []byte("whsec_r"), Now: func() time.Time { return now }}
	body := []byte(`{}`)
	h := http.Header{}
	h.Set(webhook.SignatureHeader, webhook.Sign(r.Secret, now, body))
	h.Set(webhook.DeliveryHeader, "wh/whe_1/order.paid/ord_1")
	if err := r.Verify(h, body); err != nil {
		t.Fatal(err)
	}
	unset := &webhook.Receiver{Now: r.Now}
	if err := unset.Verify(http.Header{webhook.SignatureHeader: {webhook.Sign(nil, now, body)}, webhook.DeliveryHeader: {"x"}}, body); !errors.Is(err, webhook.ErrSignature) {
		t.Errorf("a Receiver without a secret: %v, want ErrSignature", err)
	}
	if err := r.Verify(h, body); !errors.Is(err, webhook.ErrReplay) {
		t.Errorf("second time: %v, want ErrReplay", err)
	}
	r.Forget("wh/whe_1/order.paid/ord_1")
	if err := r.Verify(h, body); err != nil {
		t.Errorf("after Forget: %v", err)
	}
	h.Del(webhook.DeliveryHeader)
	if err := r.Verify(h, body); !errors.Is(err, webhook.ErrSignature) {
		t.Errorf("no delivery id: %v, want ErrSignature", err)
	}
}

func FuzzParseSignature(f *testing.F) {
	f.Add(webhook.Sign([]byte("s"), time.Unix(1700000000, 0), []byte("body")))
	f.Add("t=1,v1=" + strings.Repeat("ab", 32) + ",v1=" + strings.Repeat("cd", 32))
	f.Add("t=,v1=")
	f.Add("v1=" + strings.Repeat("0", 64) + ",t=99999999999")
	f.Add("t=1,,v1=00")
	f.Fuzz(func(t *testing.T, header string) {
		unix, sigs, err := webhook.ParseSignature(header)
		if err != nil {
			if !errors.Is(err, webhook.ErrSignature) {
				t.Fatalf("error %v is not ErrSignature", err)
			}
			return
		}
		if len(sigs) == 0 || len(sigs) > 4 || unix < 0 {
			t.Fatalf("accepted %q: t=%d, %d signatures", header, unix, len(sigs))
		}
		for _, s := range sigs {
			if len(s) != 32 {
				t.Fatalf("accepted a %d-byte signature", len(s))
			}
		}
		// What parses re-signs to a header that parses to the same time.
		again := webhook.Sign([]byte("k"), time.Unix(unix, 0), nil)
		if u2, _, err := webhook.ParseSignature(again); err != nil || u2 != unix {
			t.Fatalf("t=%d signs as %q, which parses as %d, %v", unix, again, u2, err)
		}
	})
}
