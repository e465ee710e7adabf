package notify

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

const (
	goodP256dh = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"
	goodAuth   = "BTBZMqHH6r4Tts7J_aSIgg"
)

func subJSON(endpoint, p256dh, auth string) []byte {
	b, _ := json.Marshal(map[string]any{"endpoint": endpoint, "expirationTime": nil, "keys": map[string]string{"p256dh": p256dh, "auth": auth}})
	return b
}

func TestParseSubscription(t *testing.T) {
	tests := []struct {
		name      string
		data      []byte
		allowHTTP bool
		ok        bool
	}{
		{"https", subJSON("https://fcm.googleapis.com/fcm/send/abc", goodP256dh, goodAuth), false, true},
		{"padded base64", subJSON("https://push.example/x", goodP256dh+"=", goodAuth+"=="), false, true},
		{"http refused", subJSON("http://127.0.0.1:9/push", goodP256dh, goodAuth), false, false},
		{"http loopback allowed", subJSON("http://127.0.0.1:9/push", goodP256dh, goodAuth), true, true},
		{"http ipv6 loopback allowed", subJSON("http://[::1]:9/push", goodP256dh, goodAuth), true, true},
		{"http elsewhere never", subJSON("http://push.example/push", goodP256dh, goodAuth), true, false},
		{"http localhost name never", subJSON("http://localhost:9/push", goodP256dh, goodAuth), true, false},
		{"other scheme", subJSON("ftp://push.example/x", goodP256dh, goodAuth), false, false},
		{"no host", subJSON("https:///x", goodP256dh, goodAuth), false, false},
		{"user info", subJSON("https://u:p@push.example/x", goodP256dh, goodAuth), false, false},
		{"relative", subJSON("/push", goodP256dh, goodAuth), false, false},
		{"long endpoint", subJSON("https://push.example/"+strings.Repeat("a", MaxEndpoint), goodP256dh, goodAuth), false, false},
		{"short key", subJSON("https://push.example/x", goodP256dh[:40], goodAuth), false, false},
		{"compressed key", subJSON("https://push.example/x", "A"+goodP256dh[1:], goodAuth), false, false},
		{"short auth", subJSON("https://push.example/x", goodP256dh, "BTBZ"), false, false},
		{"not base64", subJSON("https://push.example/x", goodP256dh, "!!!!!!!!!!!!!!!!!!!!!!"), false, false},
		{"no keys", []byte(`{"endpoint":"https://push.example/x"}`), false, false},
		{"two objects", append(subJSON("https://push.example/x", goodP256dh, goodAuth), []byte(`{}`)...), false, false},
		{"not json", []byte(`endpoint=https://push.example`), false, false},
		{"too big", append(subJSON("https://push.example/x", goodP256dh, goodAuth), bytes.Repeat([]byte(" "), MaxSubscriptionJSON)...), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub, err := ParseSubscription(tt.data, tt.allowHTTP)
			if tt.ok {
				if err != nil {
					t.Fatalf("ParseSubscription: %v", err)
				}
				if len(sub.P256dh) != 65 || len(sub.Auth) != 16 || sub.Endpoint == "" {
					t.Errorf("ParseSubscription = %+v", sub)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("ParseSubscription = %+v, %v; want ErrInvalid", sub, err)
			}
		})
	}
}

func FuzzParseSubscription(f *testing.F) {
	f.Add(subJSON("https://push.example/x", goodP256dh, goodAuth), false)
	f.Add(subJSON("http://127.0.0.1:1/x", goodP256dh, goodAuth), true)
	f.Add([]byte(`{"keys":{}}`), false)
	f.Fuzz(func(t *testing.T, data []byte, allowHTTP bool) {
		sub, err := ParseSubscription(data, allowHTTP)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		// What parses is what a store accepts, and parses again from
		// its own JSON form.
		sub.ID, sub.UserID = "ps_1", "usr_1"
		if err := CheckSubscription(sub); err != nil {
			t.Fatalf("parsed subscription refused by the stores: %v", err)
		}
		again, err := ParseSubscription(subJSON(sub.Endpoint, b64url(sub.P256dh), b64url(sub.Auth)), allowHTTP)
		if err != nil || again.Endpoint != sub.Endpoint || !bytes.Equal(again.P256dh, sub.P256dh) || !bytes.Equal(again.Auth, sub.Auth) {
			t.Fatalf("round trip: %+v, %v", again, err)
		}
	})
}

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
