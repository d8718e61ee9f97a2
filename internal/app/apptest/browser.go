package apptest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browserPaths are where Debian puts Chromium; chromedp does not look for
// the headless shell's name by itself.
var browserPaths = []string{"/usr/bin/chromium-headless-shell", "/usr/bin/chromium", "/usr/bin/chromium-browser"}

// BrowserPath returns the Chromium to test with: $PARLEY_CHROME, or the
// first of Debian's that exists, or "".
func BrowserPath() string {
	if p := os.Getenv("PARLEY_CHROME"); p != "" {
		return p
	}
	for _, p := range browserPaths {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	return ""
}

// Browser returns a context for a new headless browser, closed when the
// test ends. Each call is a separate browser, with its own cookies and
// storage, like a second person on another computer. Without a browser the
// test is skipped, unless PARLEY_E2E=1 (CI) demands one.
func Browser(tb testing.TB) context.Context {
	tb.Helper()
	path := BrowserPath()
	if path == "" {
		if os.Getenv("PARLEY_E2E") == "1" {
			tb.Fatal("PARLEY_E2E=1 but no Chromium found: apt-get install chromium-headless-shell")
		}
		tb.Skip("no Chromium found (apt-get install chromium-headless-shell); skipping the browser test")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.WindowSize(1280, 900),
		chromedp.UserDataDir(tb.TempDir()),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	tb.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // start it now, so failures say so
		tb.Fatalf("start Chromium at %s: %v", path, err)
	}
	return ctx
}
