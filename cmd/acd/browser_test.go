package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// browser is a headless Chromium driving the consoles of a running
// server, as a user would: the binary is Debian's chromium, which the
// test command installs when missing.
type browser struct {
	ctx  context.Context
	base string

	mu       sync.Mutex
	problems []string // what the page's console reported: CSP violations, script errors
}

// chromiumPath finds the browser; CHROMIUM overrides it. Without one the
// test is skipped, unless ACD_REQUIRE_BROWSERS says every browser must
// be there (make test sets it, having installed them).
func chromiumPath(t *testing.T) string {
	t.Helper()
	skipInShort(t, "Chromium")
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("ACD_REQUIRE_BROWSERS") != "" {
		t.Fatal("no chromium, and ACD_REQUIRE_BROWSERS is set: run make deps (it installs Debian's chromium), or set CHROMIUM")
	}
	t.Skip("no chromium: run make deps (it installs Debian's chromium), or set CHROMIUM; set ACD_REQUIRE_BROWSERS=1 to fail instead of skipping")
	return ""
}

// newBrowser starts a browser of its own, stopped (by chromedp, which
// started it) when the test ends.
func newBrowser(t *testing.T, s *server) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoSandbox,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.WindowSize(1280, 720),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	b := &browser{ctx: ctx, base: "http://" + s.http}
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		cancelAlloc()
		t.Fatalf("starting chromium: %v", err)
	}
	// The page's console: script errors and Content-Security-Policy
	// violations (the browser log's "security" entries) fail the test.
	watching := make(chan struct{})
	messages := chromedp.Console(ctx)
	go func() {
		defer close(watching)
		for m, err := range messages {
			if err != nil {
				return
			}
			// A page answered 4xx on purpose (a refusal shown to the
			// user) is logged by the browser as a failed load: not a fault.
			if m.Source == "network" && strings.Contains(m.Text, "the server responded with a status of 4") {
				continue
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException {
				b.report(fmt.Sprintf("%s %s: %s", m.Type, m.Source, m.Text))
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
		<-watching
	})
	return b
}

func (b *browser) report(p string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.problems = append(b.problems, p)
}

// main is the page's main element, for failure messages.
func (b *browser) main() string {
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("main")))
	return lastLines(html, 60)
}

// run performs actions, failing the test with what it was doing.
func (b *browser) run(t *testing.T, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v\npage main:\n%s", what, err, b.main())
	}
}

// get runs one action that reads a value.
func get[T any](t *testing.T, b *browser, what string, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v\npage main:\n%s", what, err, b.main())
	}
	return v
}

// open goes to a path and waits for its main element.
func (b *browser) open(t *testing.T, path string) {
	t.Helper()
	b.run(t, "opening "+path, chromedp.Navigate(b.base+path), chromedp.WaitReady(chromedp.CSS("main")))
}

// signIn fills the sign-in form and waits for the console it leads to.
func (b *browser) signIn(t *testing.T, user, password string) {
	t.Helper()
	b.signInTo(t, user, password, "")
}

// signInTo signs in from a link to a page (/login?next=PATH), which the
// sign-in leads to.
func (b *browser) signInTo(t *testing.T, user, password, next string) {
	t.Helper()
	if next == "" {
		b.open(t, "/login")
	} else {
		b.open(t, "/login?next="+url.QueryEscape(next))
	}
	b.run(t, "signing in as "+user,
		sendKeys("#user", user), sendKeys("#password", password),
		clickQ(`form[action="/login"] button[type=submit]`),
		chromedp.WaitVisible(chromedp.CSS("form.who")),
	)
}

// path is where the browser is now.
func (b *browser) path(t *testing.T) string {
	t.Helper()
	return strings.TrimPrefix(get(t, b, "reading the location", chromedp.Location()), b.base)
}

// text is the text of the first element matching sel, as the user sees
// it. It is read in one evaluation, so that a live update replacing the
// element meanwhile cannot make the read fail.
func (b *browser) text(t *testing.T, sel string) string {
	t.Helper()
	js := fmt.Sprintf(`(function(){var e=document.querySelector(%q);return e ? e.innerText : null})()`, sel)
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		v, err := chromedp.Run(ctx, chromedp.Evaluate[*string](js))
		cancel()
		if err == nil && v != nil {
			return *v
		}
		if time.Now().After(deadline) {
			t.Fatalf("reading %s: no such element (%v)\npage main:\n%s", sel, err, b.main())
		}
		select {
		case <-b.ctx.Done():
			t.Fatalf("reading %s: the browser is gone", sel)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// waitText waits until the element matching sel holds want, as a live
// update puts it there; within is the time the page may take.
func (b *browser) waitText(t *testing.T, sel, want string, within time.Duration) {
	t.Helper()
	js := fmt.Sprintf(`(function(){var e=document.querySelector(%q);return !!e && e.textContent.includes(%q)})()`, sel, want)
	b.waitJS(t, fmt.Sprintf("%s to show %q", sel, want), js, within)
}

// waitGone waits until no element matching sel holds text.
func (b *browser) waitGone(t *testing.T, sel, text string, within time.Duration) {
	t.Helper()
	js := fmt.Sprintf(`(function(){return !Array.from(document.querySelectorAll(%q)).some(function(e){return e.textContent.includes(%q)})})()`, sel, text)
	b.waitJS(t, fmt.Sprintf("%s to lose %q", sel, text), js, within)
}

// waitJS waits until js is true in the page. A click that submits a form
// replaces the page while we look: evaluating then fails, and is tried
// again on the next page.
func (b *browser) waitJS(t *testing.T, what, js string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	var last error
	for {
		ctx, cancel := context.WithTimeout(b.ctx, time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		cancel()
		if err == nil && ok {
			return
		}
		last = err
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s within %v (last error %v)\npage main:\n%s", what, within, last, b.main())
		}
		select {
		case <-b.ctx.Done():
			t.Fatalf("waiting for %s: the browser is gone", what)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// click presses the button or link matching sel and waits for the page
// it leads to.
func (b *browser) click(t *testing.T, sel string) {
	t.Helper()
	b.run(t, "clicking "+sel, clickQ(sel), chromedp.WaitReady(chromedp.CSS("main")))
}

// forget drops what the page reported so far: for a test that stops the
// server on purpose, whose page then reports the dropped connection.
func (b *browser) forget() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.problems = nil
}

// clean fails the test if the page reported a script error or a
// Content-Security-Policy violation.
func (b *browser) clean(t *testing.T) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.problems) > 0 {
		t.Fatalf("the page reported:\n%s", strings.Join(b.problems, "\n"))
	}
}

func sendKeys(sel, keys string) chromedp.Action[chromedp.Void] {
	return chromedp.SendKeys(chromedp.CSS(sel), keys)
}
func clickQ(sel string) chromedp.Action[chromedp.Void] { return chromedp.Click(chromedp.CSS(sel)) }

// clearCookies signs the browser out by forgetting its session.
func clearCookies() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, network.ClearBrowserCookies, cdp.Empty{})
		return err
	})
}

// httpStatus is the status the server answers GET path with, sent with
// the browser's cookies (a browser does not show it to scripts);
// redirects are not followed.
func httpStatus(t *testing.T, s *server, path string, b *browser) int {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	r, err := client.Do(cookieRequest(t, b, path))
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	r.Body.Close()
	return r.StatusCode
}

// cookieRequest is a GET of path carrying the browser's cookies.
func cookieRequest(t *testing.T, b *browser, path string) *http.Request {
	t.Helper()
	res, err := chromedp.Call(b.ctx, network.GetCookies, network.GetCookiesParams{})
	if err != nil {
		t.Fatalf("reading the browser's cookies: %v", err)
	}
	req, err := http.NewRequest("GET", b.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	return req
}

// chromedpAttr reads an attribute of the first element matching sel.
func chromedpAttr(sel, name string) chromedp.Action[string] {
	return chromedp.Evaluate[string](fmt.Sprintf(`(function(){var e=document.querySelector(%q);return e ? e.getAttribute(%q) : ""})()`, sel, name))
}

// browserGet fetches a path of the server with the browser's cookies,
// as a download link would.
func browserGet(t *testing.T, b *browser, path string) *http.Response {
	t.Helper()
	r, err := http.DefaultClient.Do(cookieRequest(t, b, path))
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	t.Cleanup(func() { r.Body.Close() })
	return r
}
