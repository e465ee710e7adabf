package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/admitone/admitone/bundle"
	"github.com/admitone/admitone/internal/browsertest"
	"github.com/admitone/admitone/internal/testenv"
)

// TestGateScreenEntryExit: at a gate whose profile records both ways the
// page shows an Entry/Exit switch (and at a one-way gate none); a ticket
// typed in is admitted as an entry, with its type's and holder's names,
// and after switching to Exit the same ticket is scanned out, the verdict
// saying so.
func TestGateScreenEntryExit(t *testing.T) {
	testenv.LookPath(t, "chromium", "chromium") // before building anything
	bin := testenv.Program(t, "scannerd")
	art := artifactsDir(t)
	g := newTestGateWith(t, 1, func(p *bundle.Payload) {
		p.Profiles[0].Direction = bundle.Both
		p.TicketTypes = []bundle.TicketType{{Number: 1, Name: "Balcony"}}
		p.Tickets[0].Holder = "Ada Lovelace"
	})
	addr, _ := startScannerdProcess(t, bin, g.dir)
	blank := writeY4M(t, 640, 480, 10, "-", 0, 10) // a camera that sees no code
	ctx := openScreen(t, blank, "http://"+addr+"/", 390, 844)
	waitJS(t, ctx, `!document.getElementById("direction").hidden`, "the Entry/Exit switch to show")
	pressed := func() string {
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#direction [aria-pressed=true]").textContent`))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if p := pressed(); p != "Entry" {
		t.Fatalf("the switch starts on %q, want Entry", p)
	}
	code := g.tokens[0].Text()
	typeCode(t, ctx, code)
	in := waitVerdict(t, ctx, "accepted", 390, 844, filepath.Join(art, "both-entry-390x844.png"))
	for _, want := range []string{"Balcony", "Ada Lovelace", "Entry recorded"} {
		if !strings.Contains(in.Detail, want) {
			t.Errorf("entry verdict detail %q lacks %q", in.Detail, want)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("dir-exit"))); err != nil {
		t.Fatal(err)
	}
	if p := pressed(); p != "Exit" {
		t.Fatalf("after the click the switch is on %q", p)
	}
	typeCode(t, ctx, code)
	// The page's own record of what it showed: the verdict may have
	// gone back to ready by the time a loaded machine looks.
	waitJS(t, ctx, `admitoneGate.shown.length >= 2`, "the exit verdict")
	out, err := chromedp.Run(ctx, chromedp.Evaluate[struct{ Verdict, Title, Detail string }](`admitoneGate.shown[admitoneGate.shown.length - 1]`))
	if err != nil {
		t.Fatal(err)
	}
	browsertest.Shot(t, ctx, filepath.Join(art, "both-exit-390x844.png"))
	if out.Verdict != "accepted" || out.Title != "Exit" || !strings.Contains(out.Detail, "Exit recorded") || !strings.Contains(out.Detail, "Ada Lovelace") {
		t.Errorf("exit verdict %+v, want accepted, Exit, Exit recorded and the holder", out)
	}

	// A one-way gate shows no switch.
	one := newTestGate(t, 1)
	addr1, _ := startScannerdProcess(t, bin, one.dir)
	ctx1 := openScreen(t, blank, "http://"+addr1+"/", 1024, 768)
	waitJS(t, ctx1, `document.getElementById("gate-name").textContent.includes("north")`, "the gate's status")
	if hidden, err := chromedp.Run(ctx1, chromedp.Evaluate[bool](`document.getElementById("direction").hidden`)); err != nil || !hidden {
		t.Fatalf("a one-way gate shows the switch (hidden %v, %v)", hidden, err)
	}
}

// TestGateScreenSignIn: a gate with a staff PIN shows the PIN form; a
// wrong PIN is refused in words; the right one opens the scanning screen,
// where a typed code is admitted (the page sends its CSRF token: a POST
// without it is refused).
func TestGateScreenSignIn(t *testing.T) {
	testenv.LookPath(t, "chromium", "chromium") // before building anything
	bin := testenv.Program(t, "scannerd")
	art := artifactsDir(t)
	g := newTestGate(t, 1)
	runCLI(t, testPIN+"\n", "pin", "set", "--data-dir", g.dir, "--staff-pin-file", "-")
	addr, _ := startScannerdProcess(t, bin, g.dir)
	blank := writeY4M(t, 640, 480, 10, "-", 0, 10)
	ctx := openScreen(t, blank, "http://"+addr+"/", 390, 844)
	waitJS(t, ctx, `!document.getElementById("login").hidden`, "the PIN form")
	// Signed out, the status line says so rather than "no connection".
	waitJS(t, ctx, `document.getElementById("conn-text").textContent.startsWith("Signed out")`, "the signed-out status")
	browsertest.Shot(t, ctx, filepath.Join(art, "pin-form-390x844.png"))
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1024, 768)); err != nil {
		t.Fatal(err)
	}
	browsertest.Shot(t, ctx, filepath.Join(art, "pin-form-1024x768.png"))

	signIn(t, ctx, "111111")
	waitJS(t, ctx, `document.getElementById("login-error").textContent !== ""`, "the wrong PIN's message")
	msg, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("login-error").textContent`))
	loginHidden, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("login").hidden`))
	if !strings.Contains(msg, "Wrong PIN") || loginHidden {
		t.Fatalf("after a wrong PIN the page says %q (form hidden %v)", msg, loginHidden)
	}
	browsertest.Shot(t, ctx, filepath.Join(art, "pin-wrong-1024x768.png"))

	// Signed out, the camera sends no frame the gate would refuse, and
	// nothing clears a PIN being typed: type it, wait while the camera
	// runs, and it is still there.
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.ID("pin"), testPIN)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	typed, err := chromedp.Run(ctx, chromedp.Evaluate[struct {
		PIN    string
		Frames int
	}](`({PIN: document.getElementById("pin").value, Frames: admitoneGate.frames})`))
	if err != nil {
		t.Fatal(err)
	}
	if typed.PIN != testPIN || typed.Frames != 0 {
		t.Fatalf("signed out, 2 s after typing the PIN the field holds %q and the camera sent %d frames; want the PIN kept and no frames", typed.PIN, typed.Frames)
	}

	signIn(t, ctx, testPIN)
	// A PIN check is one argon2id hash (16 MiB); on a loaded CI machine
	// with several Chromiums it may take a while. On failure the page's
	// message and the session's state are shown.
	browsertest.WaitJSWithin(t, ctx, 60*time.Second, `document.getElementById("login").hidden`, "the scanning screen after the right PIN",
		`fetch("/v1/session", {credentials: "same-origin"}).then((r) => r.status + " " + document.getElementById("login-error").textContent)`)
	// Signed in, the camera's frames reach the gate again.
	waitJS(t, ctx, `admitoneGate.frames > 0`, "the camera's frames after signing in")
	typeCode(t, ctx, g.tokens[0].Text())
	waitVerdict(t, ctx, "accepted", 1024, 768, filepath.Join(art, "signed-in-accepted-1024x768.png"))

	// The same POST from the page without the token is refused: the
	// accepted scan above carried it.
	status, err := chromedp.Run(ctx, chromedp.Evaluate[int](`fetch("/v1/scan", {method: "POST", credentials: "same-origin",
		headers: {"Content-Type": "application/json"}, body: JSON.stringify({code: "x"})}).then((r) => r.status)`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if status != 403 {
		t.Fatalf("a POST without the CSRF token answered %d, want 403", status)
	}
}

// typeCode types a code into the manual entry field and submits it.
func typeCode(t *testing.T, ctx context.Context, code string) {
	t.Helper()
	browsertest.Submit(t, ctx, "code", "manual", code)
}

// signIn types a PIN into the sign-in form and submits it.
func signIn(t *testing.T, ctx context.Context, pin string) {
	t.Helper()
	browsertest.Submit(t, ctx, "pin", "login-form", pin)
}

// waitJS waits for a JavaScript condition in the gate's screen and, if
// it never holds, names what the screen shows.
func waitJS(t *testing.T, ctx context.Context, cond, what string) {
	t.Helper()
	browsertest.WaitJS(t, ctx, cond, what, `JSON.stringify({verdict: document.getElementById("verdict").dataset.verdict,
  title: document.getElementById("v-title").textContent, detail: document.getElementById("v-detail").textContent,
  shown: admitoneGate.shown})`)
}
