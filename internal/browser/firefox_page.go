package browser

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The pages in Firefox, as the Chromium driver drives them: the same
// steps, over WebDriver BiDi.

// firefoxStep is how long one step (a load, a click, a read) may take.
const firefoxStep = 20 * time.Second

func (f *Firefox) step() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), firefoxStep)
}

// main is the page's main element, for failure messages.
func (f *Firefox) main() string {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var html string
	_ = f.evaluate(ctx, &html, `() => { const m = document.querySelector("main"); return m ? m.outerHTML : "" }`)
	return lastLines(html, 60)
}

// Open goes to a path and waits for its main element.
func (f *Firefox) Open(t testing.TB, path string) {
	t.Helper()
	ctx, cancel := f.step()
	defer cancel()
	if err := f.navigate(ctx, f.base+path); err != nil {
		t.Fatalf("opening %s: %v", path, err)
	}
	f.WaitJS(t, path+"'s main element", `!!document.querySelector("main")`, firefoxStep)
}

// SignInTo fills the sign-in form, reached from a link to a page
// (/login?next=PATH) or, with next empty, directly, and waits for the
// console it leads to.
func (f *Firefox) SignInTo(t testing.TB, user, password, next string) {
	t.Helper()
	if next == "" {
		f.Open(t, "/login")
	} else {
		f.Open(t, "/login?next="+url.QueryEscape(next))
	}
	f.TypeInto(t, "#user", user)
	f.TypeInto(t, "#password", password)
	f.Click(t, `form[action="/login"] button[type=submit]`)
	f.WaitJS(t, user+"'s console", `!!document.querySelector("form.who")`, firefoxStep)
}

// Path is where the browser is now.
func (f *Firefox) Path(t testing.TB) string {
	t.Helper()
	var p string
	f.eval(t, "reading the location", &p, `() => location.pathname + location.search`)
	return p
}

// eval runs fn in the page once, failing the test if it cannot.
func (f *Firefox) eval(t testing.TB, what string, out any, fn string, args ...string) {
	t.Helper()
	ctx, cancel := f.step()
	defer cancel()
	if err := f.evaluate(ctx, out, fn, args...); err != nil {
		t.Fatalf("%s: %v\npage main:\n%s", what, err, f.main())
	}
}

// Is evaluates a JavaScript condition on the page now.
func (f *Firefox) Is(t testing.TB, what, js string) bool {
	t.Helper()
	var ok bool
	f.eval(t, what, &ok, `() => !!(`+js+`)`)
	return ok
}

// Text is the text of the first element matching sel, as the user sees
// it, read in one evaluation (a live update may replace the element).
func (f *Firefox) Text(t testing.TB, sel string) string {
	t.Helper()
	var got *string
	f.poll(t, "reading "+sel, firefoxStep, func(ctx context.Context) (bool, error) {
		err := f.evaluate(ctx, &got, `(sel) => { const e = document.querySelector(sel); return e ? e.innerText : null }`, sel)
		return got != nil, err
	})
	return *got
}

// Value is what the form field matching sel holds.
func (f *Firefox) Value(t testing.TB, sel string) string {
	t.Helper()
	var got *string
	f.eval(t, "reading the value of "+sel, &got, `(sel) => { const e = document.querySelector(sel); return e ? e.value : null }`, sel)
	if got == nil {
		t.Fatalf("no element %s on the page\npage main:\n%s", sel, f.main())
	}
	return *got
}

// WaitText waits until the element matching sel holds want, as a live
// update puts it there.
func (f *Firefox) WaitText(t testing.TB, sel, want string, within time.Duration) {
	t.Helper()
	js := fmt.Sprintf(`(function(){var e=document.querySelector(%q);return !!e && e.textContent.includes(%q)})()`, sel, want)
	f.WaitJS(t, fmt.Sprintf("%s to show %q", sel, want), js, within)
}

// WaitGone waits until no element matching sel holds text.
func (f *Firefox) WaitGone(t testing.TB, sel, text string, within time.Duration) {
	t.Helper()
	js := fmt.Sprintf(`!Array.from(document.querySelectorAll(%q)).some(function(e){return e.textContent.includes(%q)})`, sel, text)
	f.WaitJS(t, fmt.Sprintf("%s to lose %q", sel, text), js, within)
}

// WaitJS waits until js, an expression, is true in the page. A click
// that submits a form replaces the page while we look: evaluating then
// fails, and is tried again on the next page.
func (f *Firefox) WaitJS(t testing.TB, what, js string, within time.Duration) {
	t.Helper()
	f.poll(t, "waiting for "+what, within, func(ctx context.Context) (bool, error) {
		var ok bool
		err := f.evaluate(ctx, &ok, `() => !!(`+js+`)`)
		return ok, err
	})
}

// poll tries try until it is done or within has passed; its last error
// Is in the failure.
func (f *Firefox) poll(t testing.TB, what string, within time.Duration, try func(context.Context) (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(within)
	var last error
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		done, err := try(ctx)
		cancel()
		if err == nil && done {
			return
		}
		if err != nil {
			last = err
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s within %v (last error %v)\npage main:\n%s", what, within, last, f.main())
		}
		select {
		case <-f.exited:
			t.Fatalf("%s: firefox exited; it said:\n%s", what, f.output.last())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Click presses the mouse on the first visible element matching sel,
// once there is one.
func (f *Firefox) Click(t testing.TB, sel string) {
	t.Helper()
	var id string
	f.poll(t, "finding "+sel+" to click", firefoxStep, func(ctx context.Context) (bool, error) {
		var ok bool
		var err error
		id, ok, err = f.element(ctx, sel)
		return ok, err
	})
	ctx, cancel := f.step()
	defer cancel()
	if err := f.pointerClick(ctx, id); err != nil {
		t.Fatalf("clicking %s: %v\npage main:\n%s", sel, err, f.main())
	}
}

// TypeInto clicks into the field matching sel and types text, key by key.
func (f *Firefox) TypeInto(t testing.TB, sel, text string) {
	t.Helper()
	f.Click(t, sel)
	ctx, cancel := f.step()
	defer cancel()
	if err := f.keys(ctx, text); err != nil {
		t.Fatalf("typing into %s: %v\npage main:\n%s", sel, err, f.main())
	}
}

// HTTPStatus is the status the server answers GET path with, sent with
// the browser's cookies; redirects are not followed.
func (f *Firefox) HTTPStatus(t testing.TB, path string) int {
	t.Helper()
	ctx, cancel := f.step()
	defer cancel()
	cookies, err := f.cookies(ctx)
	if err != nil {
		t.Fatalf("reading firefox's cookies: %v", err)
	}
	req, err := http.NewRequestWithContext(ctx, "GET", f.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, value := range cookies {
		req.AddCookie(&http.Cookie{Name: name, Value: value})
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	r, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	r.Body.Close()
	return r.StatusCode
}

// Forget drops what the pages reported so far: for a test that stops
// the server on purpose, whose page then reports the dropped stream.
func (f *Firefox) Forget() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.problems = nil
}

// Clean fails the test if a page reported a script error or a
// Content-Security-Policy violation.
func (f *Firefox) Clean(t testing.TB) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.problems) > 0 {
		t.Fatalf("firefox's pages reported:\n%s", strings.Join(f.problems, "\n"))
	}
}

// WaitProblem waits until a page has reported a problem holding want.
func (f *Firefox) WaitProblem(t testing.TB, want string, within time.Duration) {
	t.Helper()
	timeout := time.After(within)
	for {
		f.mu.Lock()
		got := strings.Join(f.problems, "\n")
		f.mu.Unlock()
		if strings.Contains(got, want) {
			return
		}
		select {
		case <-f.reported:
		case <-timeout:
			t.Fatalf("firefox's pages reported %q within %v; want a report with %q", got, within, want)
		}
	}
}
