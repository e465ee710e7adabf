package attendee

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/internal/browsertest"
)

// totpVector is one rotating code: the secret (base64url, as the rotation
// route hands it over), the time, the period and digits, and the code.
type totpVector struct {
	Secret string `json:"secret"`
	Unix   int64  `json:"unix"`
	Period int    `json:"period"`
	Digits int    `json:"digits"`
	Want   string `json:"want"`
}

// TestTOTPInBrowserMatchesGo runs totp.js in Chromium and compares its
// codes with crypto.TOTP, the function the gates verify with: RFC 6238's
// SHA-1 vectors (appendix B) and per-ticket secrets derived as the server
// derives them, at times around period boundaries and far in the future.
func TestTOTPInBrowserMatchesGo(t *testing.T) {
	rfc := []byte("12345678901234567890")
	var vs []totpVector
	for _, v := range []struct {
		unix int64
		want string
	}{
		{59, "94287082"}, {1111111109, "07081804"}, {1111111111, "14050471"},
		{1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"},
	} {
		if got := ticketcrypto.TOTP(rfc, time.Unix(v.unix, 0), 30*time.Second, 8); got != v.want {
			t.Fatalf("crypto.TOTP(RFC 6238, %d) = %s, want %s", v.unix, got, v.want)
		}
		vs = append(vs, totpVector{base64.RawURLEncoding.EncodeToString(rfc), v.unix, 30, 8, v.want})
	}
	key, err := ticketcrypto.GenerateRotationKey()
	if err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		secret := key.TicketSecret(ticketcrypto.NewEventID(), ticketcrypto.NewTicketID())
		for _, at := range []int64{1767225599, 1767225600, 1767225629, 1767225630 + int64(i)*7919, 1 << 40} {
			vs = append(vs, totpVector{base64.RawURLEncoding.EncodeToString(secret), at, 30, ticketcrypto.RotatingCodeDigits,
				ticketcrypto.TOTP(secret, time.Unix(at, 0), ticketcrypto.RotatingStep, ticketcrypto.RotatingCodeDigits)})
		}
	}

	srv := httptest.NewServer(Handler(Options{}))
	t.Cleanup(srv.Close)
	ctx := browsertest.Open(t, srv.URL+"/app/ticket.html", 390, 844)
	browsertest.WaitJS(t, ctx, `typeof AdmitOneTOTP === "object"`, "totp.js loaded", "")
	in, _ := json.Marshal(vs)
	js := fmt.Sprintf(`(async () => {
  const out = [];
  for (const v of %s) out.push(await AdmitOneTOTP.code(AdmitOneTOTP.fromBase64URL(v.secret), v.unix, v.period, v.digits));
  return out;
})()`, in)
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(vs) {
		t.Fatalf("totp.js gave %d codes for %d vectors", len(got), len(vs))
	}
	for i, v := range vs {
		if got[i] != v.Want {
			t.Errorf("vector %d (t=%d, %d digits): totp.js %q, crypto.TOTP %q", i, v.Unix, v.Digits, got[i], v.Want)
		}
	}

	// A malformed secret is refused, not read as some other key.
	for _, bad := range []string{"a", "ab+c", "ab/c", "abc=", "x y"} {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`(() => { try { AdmitOneTOTP.fromBase64URL(%q); return true; } catch (e) { return false; } })()`, bad)))
		if err != nil || ok {
			t.Errorf("fromBase64URL(%q) accepted (err %v)", bad, err)
		}
	}
}
