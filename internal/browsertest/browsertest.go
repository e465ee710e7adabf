// Package browsertest drives the projects' web pages in Debian's headless
// Chromium through chromedp, for tests: open a page at a viewport, wait
// for a condition in the page, submit a form as a person would, keep
// screenshots. Chromium missing skips the test on a laptop and fails it
// under CI (internal/testenv).
package browsertest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/admitone/admitone/internal/testenv"
)

// Open starts a headless Chromium at a w by h viewport, with extra flags
// (e.g. a fake camera), opens url and returns the tab's context; the
// browser ends with the test.
func Open(t testing.TB, url string, w, h int, flags ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	chrome := testenv.LookPath(t, "chromium", "chromium")
	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]),
		chromedp.ExecPath(chrome),
		chromedp.NoSandbox, // a container has no user namespaces for the sandbox
		chromedp.Flag("headless", "new"),
		chromedp.Flag("lang", "en-US"),
		chromedp.WindowSize(w, h),
	)
	opts = append(opts, flags...)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(w), int64(h)), chromedp.Navigate(url)); err != nil {
		t.Fatalf("open %s in chromium: %v", url, err)
	}
	return ctx
}

// WaitJS waits up to 20 seconds for the JavaScript condition cond to hold
// in the page. If it never does, the test fails naming what, with the
// value of the JavaScript expression state (a description of the page;
// "" for the page's visible text; a promise is awaited).
func WaitJS(t testing.TB, ctx context.Context, cond, what, state string) {
	t.Helper()
	WaitJSWithin(t, ctx, 20*time.Second, cond, what, state)
}

// WaitJSWithin is WaitJS with a deadline of d instead of 20 seconds.
func WaitJSWithin(t testing.TB, ctx context.Context, d time.Duration, cond, what, state string) {
	t.Helper()
	js := fmt.Sprintf(`new Promise((resolve) => {
  const deadline = performance.now() + %d;
  const look = () => {
    if (%s) { resolve(true); return; }
    if (performance.now() > deadline) { resolve(false); return; }
    setTimeout(look, 20);
  };
  look();
})`, d.Milliseconds(), cond)
	ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
	if !ok {
		if state == "" {
			state = `document.body.innerText.slice(0, 2000)`
		}
		got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](state, chromedp.EvalAwaitPromise))
		t.Fatalf("the page never showed %s; it shows %s", what, got)
	}
}

// Submit sets the input field's value and submits form as a person
// pressing Enter does (requestSubmit runs the page's submit handler).
func Submit(t testing.TB, ctx context.Context, field, form, value string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.ID(field), value)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`document.getElementById(%q).requestSubmit(), true`, form))); err != nil {
		t.Fatal(err)
	}
}

// Shot saves a screenshot of the page to path.
func Shot(t testing.TB, ctx context.Context, path string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// ArtifactsDir is where a browser test keeps its screenshots:
// $ADMITONE_ARTIFACTS/name when set (CI keeps it), else a temporary
// directory that is left in place; either way it is named in the log.
func ArtifactsDir(t testing.TB, name string) string {
	t.Helper()
	var dir string
	if root := os.Getenv("ADMITONE_ARTIFACTS"); root != "" {
		dir = filepath.Join(root, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	} else {
		d, err := os.MkdirTemp("", "admitone-"+name+"-")
		if err != nil {
			t.Fatal(err)
		}
		dir = d
	}
	t.Logf("screenshots go to %s", dir)
	return dir
}
