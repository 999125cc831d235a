package browser

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

// Chromium is a headless Chromium driving the pages of a running
// server, as a user would: the binary is Debian's chromium, which the
// test command installs when missing.
type Chromium struct {
	ctx  context.Context
	base string

	mu       sync.Mutex
	problems []string // what the page's console reported: CSP violations, script errors
}

// ChromiumPath finds the browser; CHROMIUM overrides it. Without one the
// test is skipped, unless ACD_REQUIRE_BROWSERS says every browser must
// be there (make test sets it, having installed them). Under -short it
// is skipped whatever is installed.
func ChromiumPath(t testing.TB) string {
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

// NewChromium starts a browser of its own on the server at base
// (http://HOST:PORT), stopped (by chromedp, which started it) when the
// test ends.
func NewChromium(t testing.TB, base string) *Chromium {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(ChromiumPath(t)),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoSandbox,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.WindowSize(1280, 720),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	b := &Chromium{ctx: ctx, base: base}
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

func (b *Chromium) report(p string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.problems = append(b.problems, p)
}

// main is the page's main element, for failure messages.
func (b *Chromium) main() string {
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("main")))
	return lastLines(html, 60)
}

// Run performs actions, failing the test with what it was doing.
func (b *Chromium) Run(t testing.TB, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v\npage main:\n%s", what, err, b.main())
	}
}

// Get runs one action that reads a value.
func Get[T any](t testing.TB, b *Chromium, what string, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v\npage main:\n%s", what, err, b.main())
	}
	return v
}

// Open goes to a path and waits for its main element.
func (b *Chromium) Open(t testing.TB, path string) {
	t.Helper()
	b.Run(t, "opening "+path, chromedp.Navigate(b.base+path), chromedp.WaitReady(chromedp.CSS("main")))
}

// SignIn fills the sign-in form and waits for the console it leads to.
func (b *Chromium) SignIn(t testing.TB, user, password string) {
	t.Helper()
	b.SignInTo(t, user, password, "")
}

// SignInTo signs in from a link to a page (/login?next=PATH), which the
// sign-in leads to.
func (b *Chromium) SignInTo(t testing.TB, user, password, next string) {
	t.Helper()
	if next == "" {
		b.Open(t, "/login")
	} else {
		b.Open(t, "/login?next="+url.QueryEscape(next))
	}
	b.Run(t, "signing in as "+user,
		SendKeys("#user", user), SendKeys("#password", password),
		ClickOn(`form[action="/login"] button[type=submit]`),
		chromedp.WaitVisible(chromedp.CSS("form.who")),
	)
}

// Path is where the browser is now.
func (b *Chromium) Path(t testing.TB) string {
	t.Helper()
	return strings.TrimPrefix(Get(t, b, "reading the location", chromedp.Location()), b.base)
}

// Text is the text of the first element matching sel, as the user sees
// it. It is read in one evaluation, so that a live update replacing the
// element meanwhile cannot make the read fail.
func (b *Chromium) Text(t testing.TB, sel string) string {
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

// WaitText waits until the element matching sel holds want, as a live
// update puts it there; within is the time the page may take.
func (b *Chromium) WaitText(t testing.TB, sel, want string, within time.Duration) {
	t.Helper()
	js := fmt.Sprintf(`(function(){var e=document.querySelector(%q);return !!e && e.textContent.includes(%q)})()`, sel, want)
	b.WaitJS(t, fmt.Sprintf("%s to show %q", sel, want), js, within)
}

// WaitGone waits until no element matching sel holds text.
func (b *Chromium) WaitGone(t testing.TB, sel, text string, within time.Duration) {
	t.Helper()
	js := fmt.Sprintf(`(function(){return !Array.from(document.querySelectorAll(%q)).some(function(e){return e.textContent.includes(%q)})})()`, sel, text)
	b.WaitJS(t, fmt.Sprintf("%s to lose %q", sel, text), js, within)
}

// WaitJS waits until js is true in the page. A click that submits a form
// replaces the page while we look: evaluating then fails, and is tried
// again on the next page.
func (b *Chromium) WaitJS(t testing.TB, what, js string, within time.Duration) {
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

// Click presses the button or link matching sel and waits for the page
// it leads to.
func (b *Chromium) Click(t testing.TB, sel string) {
	t.Helper()
	b.Run(t, "clicking "+sel, ClickOn(sel), chromedp.WaitReady(chromedp.CSS("main")))
}

// Forget drops what the page reported so far: for a test that stops the
// server on purpose, whose page then reports the dropped connection.
func (b *Chromium) Forget() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.problems = nil
}

// Clean fails the test if the page reported a script error or a
// Content-Security-Policy violation.
func (b *Chromium) Clean(t testing.TB) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.problems) > 0 {
		t.Fatalf("the page reported:\n%s", strings.Join(b.problems, "\n"))
	}
}

// SendKeys types keys into the first element matching sel.
func SendKeys(sel, keys string) chromedp.Action[chromedp.Void] {
	return chromedp.SendKeys(chromedp.CSS(sel), keys)
}

// ClickOn clicks the first element matching sel, without waiting for
// what it leads to (Click does).
func ClickOn(sel string) chromedp.Action[chromedp.Void] { return chromedp.Click(chromedp.CSS(sel)) }

// ClearCookies signs the browser out by forgetting its session.
func ClearCookies() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, network.ClearBrowserCookies, cdp.Empty{})
		return err
	})
}

// HTTPStatus is the status the server answers GET path with, sent with
// the browser's cookies (a browser does not show it to scripts);
// redirects are not followed.
func (b *Chromium) HTTPStatus(t testing.TB, path string) int {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	r, err := client.Do(b.Request(t, path))
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	r.Body.Close()
	return r.StatusCode
}

// Request is a GET of path carrying the browser's cookies.
func (b *Chromium) Request(t testing.TB, path string) *http.Request {
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

// Attr reads an attribute of the first element matching sel.
func Attr(sel, name string) chromedp.Action[string] {
	return chromedp.Evaluate[string](fmt.Sprintf(`(function(){var e=document.querySelector(%q);return e ? e.getAttribute(%q) : ""})()`, sel, name))
}

// Fetch gets a path of the server with the browser's cookies, as a
// download link would; the body is closed when the test ends.
func (b *Chromium) Fetch(t testing.TB, path string) *http.Response {
	t.Helper()
	r, err := http.DefaultClient.Do(b.Request(t, path))
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	t.Cleanup(func() { r.Body.Close() })
	return r
}

// Value is what the form field matching sel holds.
// The value is read in one evaluation rather than by node id: htmx may
// swap the form's nodes between finding one and reading it.
func (b *Chromium) Value(t testing.TB, sel string) string {
	t.Helper()
	js := fmt.Sprintf(`(function(){var e=document.querySelector(%q);return e ? [true, e.value] : [false, ""]})()`, sel)
	got := Get(t, b, "reading the value of "+sel, chromedp.Evaluate[[]any](js))
	if len(got) != 2 || got[0] != true {
		t.Fatalf("no element %s on the page", sel)
	}
	v, _ := got[1].(string)
	return v
}

// Is evaluates a JavaScript condition on the page now.
func (b *Chromium) Is(t testing.TB, what, js string) bool {
	t.Helper()
	return Get(t, b, what, chromedp.Evaluate[bool](js))
}
