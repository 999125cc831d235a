package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/store"
)

// The consoles in Firefox, as the console tests drive them in Chromium:
// the same pages, the same assertions, over WebDriver BiDi.

// firefoxStep is how long one step (a load, a click, a read) may take.
const firefoxStep = 20 * time.Second

func (f *firefox) step() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), firefoxStep)
}

// main is the page's main element, for failure messages.
func (f *firefox) main() string {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var html string
	_ = f.evaluate(ctx, &html, `() => { const m = document.querySelector("main"); return m ? m.outerHTML : "" }`)
	return lastLines(html, 60)
}

// open goes to a path and waits for its main element.
func (f *firefox) open(t *testing.T, path string) {
	t.Helper()
	ctx, cancel := f.step()
	defer cancel()
	if err := f.navigate(ctx, f.base+path); err != nil {
		t.Fatalf("opening %s: %v", path, err)
	}
	f.waitJS(t, path+"'s main element", `!!document.querySelector("main")`, firefoxStep)
}

// signInTo fills the sign-in form, reached from a link to a page
// (/login?next=PATH) or, with next empty, directly, and waits for the
// console it leads to.
func (f *firefox) signInTo(t *testing.T, user, password, next string) {
	t.Helper()
	if next == "" {
		f.open(t, "/login")
	} else {
		f.open(t, "/login?next="+url.QueryEscape(next))
	}
	f.typeInto(t, "#user", user)
	f.typeInto(t, "#password", password)
	f.click(t, `form[action="/login"] button[type=submit]`)
	f.waitJS(t, user+"'s console", `!!document.querySelector("form.who")`, firefoxStep)
}

// path is where the browser is now.
func (f *firefox) path(t *testing.T) string {
	t.Helper()
	var p string
	f.eval(t, "reading the location", &p, `() => location.pathname + location.search`)
	return p
}

// eval runs fn in the page once, failing the test if it cannot.
func (f *firefox) eval(t *testing.T, what string, out any, fn string, args ...string) {
	t.Helper()
	ctx, cancel := f.step()
	defer cancel()
	if err := f.evaluate(ctx, out, fn, args...); err != nil {
		t.Fatalf("%s: %v\npage main:\n%s", what, err, f.main())
	}
}

// is evaluates a JavaScript condition on the page now.
func (f *firefox) is(t *testing.T, what, js string) bool {
	t.Helper()
	var ok bool
	f.eval(t, what, &ok, `() => !!(`+js+`)`)
	return ok
}

// text is the text of the first element matching sel, as the user sees
// it, read in one evaluation (a live update may replace the element).
func (f *firefox) text(t *testing.T, sel string) string {
	t.Helper()
	var got *string
	f.poll(t, "reading "+sel, firefoxStep, func(ctx context.Context) (bool, error) {
		err := f.evaluate(ctx, &got, `(sel) => { const e = document.querySelector(sel); return e ? e.innerText : null }`, sel)
		return got != nil, err
	})
	return *got
}

// value is what the form field matching sel holds.
func (f *firefox) value(t *testing.T, sel string) string {
	t.Helper()
	var got *string
	f.eval(t, "reading the value of "+sel, &got, `(sel) => { const e = document.querySelector(sel); return e ? e.value : null }`, sel)
	if got == nil {
		t.Fatalf("no element %s on the page\npage main:\n%s", sel, f.main())
	}
	return *got
}

// waitText waits until the element matching sel holds want, as a live
// update puts it there.
func (f *firefox) waitText(t *testing.T, sel, want string, within time.Duration) {
	t.Helper()
	js := fmt.Sprintf(`(function(){var e=document.querySelector(%q);return !!e && e.textContent.includes(%q)})()`, sel, want)
	f.waitJS(t, fmt.Sprintf("%s to show %q", sel, want), js, within)
}

// waitGone waits until no element matching sel holds text.
func (f *firefox) waitGone(t *testing.T, sel, text string, within time.Duration) {
	t.Helper()
	js := fmt.Sprintf(`!Array.from(document.querySelectorAll(%q)).some(function(e){return e.textContent.includes(%q)})`, sel, text)
	f.waitJS(t, fmt.Sprintf("%s to lose %q", sel, text), js, within)
}

// waitJS waits until js, an expression, is true in the page. A click
// that submits a form replaces the page while we look: evaluating then
// fails, and is tried again on the next page.
func (f *firefox) waitJS(t *testing.T, what, js string, within time.Duration) {
	t.Helper()
	f.poll(t, "waiting for "+what, within, func(ctx context.Context) (bool, error) {
		var ok bool
		err := f.evaluate(ctx, &ok, `() => !!(`+js+`)`)
		return ok, err
	})
}

// poll tries try until it is done or within has passed; its last error
// is in the failure.
func (f *firefox) poll(t *testing.T, what string, within time.Duration, try func(context.Context) (bool, error)) {
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

// click presses the mouse on the first visible element matching sel,
// once there is one.
func (f *firefox) click(t *testing.T, sel string) {
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

// typeInto clicks into the field matching sel and types text, key by key.
func (f *firefox) typeInto(t *testing.T, sel, text string) {
	t.Helper()
	f.click(t, sel)
	ctx, cancel := f.step()
	defer cancel()
	if err := f.keys(ctx, text); err != nil {
		t.Fatalf("typing into %s: %v\npage main:\n%s", sel, err, f.main())
	}
}

// httpStatus is the status the server answers GET path with, sent with
// the browser's cookies; redirects are not followed.
func (f *firefox) httpStatus(t *testing.T, path string) int {
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

// forget drops what the pages reported so far: for a test that stops
// the server on purpose, whose page then reports the dropped stream.
func (f *firefox) forget() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.problems = nil
}

// clean fails the test if a page reported a script error or a
// Content-Security-Policy violation.
func (f *firefox) clean(t *testing.T) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.problems) > 0 {
		t.Fatalf("firefox's pages reported:\n%s", strings.Join(f.problems, "\n"))
	}
}

// waitProblem waits until a page has reported a problem holding want.
func (f *firefox) waitProblem(t *testing.T, want string, within time.Duration) {
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

// TestFirefoxReportsPageProblems: the harness itself sees what a page
// reports in Firefox (an inline script the page's CSP blocks, a script
// error, console.error), so that the consoles' tests, finding nothing,
// mean nothing was reported.
func TestFirefoxReportsPageProblems(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self'")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><title>t</title><main>page</main><script>document.title = "ran"</script><script src="/bad.js"></script>`)
	})
	mux.HandleFunc("/bad.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		fmt.Fprint(w, `console.error("logged on purpose"); window.setTimeout(function(){ undefinedFunction(); }, 0);`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	f := startFirefox(t, srv.URL)
	f.open(t, "/")
	for _, want := range []string{"Content-Security-Policy", "undefinedFunction", "logged on purpose"} {
		f.waitProblem(t, want, 10*time.Second)
	}
	if f.is(t, "reading the title", `document.title === "ran"`) {
		t.Error("the inline script ran despite the page's CSP")
	}
}

// TestFirefoxAgentSignsInAndPauses: in Firefox, a page without a session
// leads to the sign-in page and a wrong password is refused; the agent
// signs in to /agent, logs in and pauses with a reason by clicking, and
// the page shows the reason, as the API does; a change made elsewhere
// then reaches the open page over its live stream, without a reload.
func TestFirefoxAgentSignsInAndPauses(t *testing.T) {
	t.Parallel()
	firefoxPath(t) // skips, or fails, before the server starts
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	as := users(t, s, setupAdmin(t, s))
	f := newFirefox(t, s)

	f.open(t, "/agent")
	if p := f.path(t); !strings.HasPrefix(p, "/login?next=") {
		t.Fatalf("/agent without a session went to %s; want the sign-in page", p)
	}
	f.typeInto(t, "#user", "1001")
	f.typeInto(t, "#password", "wrong")
	f.click(t, `form[action="/login"] button`)
	f.waitText(t, "main", "Wrong user or password", 5*time.Second)

	f.signInTo(t, "1001", testPassword, "/agent")
	if p := f.path(t); p != "/agent" {
		t.Fatalf("the agent signed in to %s; want /agent", p)
	}
	if nav := f.text(t, "header nav"); !strings.Contains(nav, "My status") || strings.Contains(nav, "Administration") {
		t.Errorf("the agent's menu reads %q; want My status and no Administration", nav)
	}
	for _, path := range []string{"/supervisor", "/admin"} {
		if status := f.httpStatus(t, path); status != 403 {
			t.Errorf("the agent opening %s: %d; want 403", path, status)
		}
	}

	f.waitText(t, "[data-testid=agent-state]", "Logged out", time.Second)
	f.click(t, `button[value="login"]`)
	f.waitText(t, "[data-testid=agent-state]", "Ready", 2*time.Second)
	if q := f.text(t, `tr[data-queue="support"]`); !strings.Contains(q, "yes") {
		t.Errorf("the support row reads %q after logging in; want logged in", q)
	}
	f.click(t, `button[name="pause-reason"][value="Lunch"]`)
	f.waitText(t, "[data-testid=agent-state]", "Paused: Lunch", 2*time.Second)
	if st := agentState(t, as["agent"], "1001"); st.State != "paused" || st.Reason != "Lunch" {
		t.Fatalf("the API says %+v after pausing from the page; want paused, Lunch", st)
	}
	if got := f.text(t, "[data-testid=agent-reason]"); got != "Lunch" {
		t.Errorf("the page's reason reads %q; want Lunch", got)
	}

	// htmx's server-sent events in Firefox: the page swaps in the new
	// state by itself.
	f.waitJS(t, "the live stream to open", `document.body.dataset.live === "open"`, 5*time.Second)
	f.waitJS(t, "marking the page", `(window.acdMark = 1) === 1`, time.Second)
	as["sup"].expect(t, "PUT", "/agents/1001/state", map[string]string{"action": "pause", "reason": "Training"}, 200, nil)
	f.waitText(t, "[data-testid=agent-state]", "Paused: Training", 2*time.Second)
	f.waitJS(t, "the same page, not a reload", `window.acdMark === 1`, time.Second)
	f.clean(t)
}

// TestFirefoxSupervisorWaitingList: a supervisor's queue page, open in
// Firefox, shows a SIP caller in the waiting list within a second of
// being queued and loses it when an agent answers, the agent on the call
// with the caller's number, all over the live stream without a reload;
// the wallboard counts the call and its end, live.
func TestFirefoxSupervisorWaitingList(t *testing.T) {
	t.Parallel()
	firefoxPath(t) // skips, or fails, before the server starts
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	as := users(t, s, setupAdmin(t, s))
	f := newFirefox(t, s)
	f.signInTo(t, "sup", testPassword, "")
	if p := f.path(t); p != "/supervisor" {
		t.Fatalf("the supervisor signed in to %s; want /supervisor", p)
	}
	f.open(t, "/supervisor/queues/support")
	f.waitText(t, "#queue-waiting", "Nobody is waiting", time.Second)
	f.waitJS(t, "the live stream to open", `document.body.dataset.live === "open"`, 5*time.Second)
	f.waitJS(t, "marking the page", `(window.acdMark = 1) === 1`, time.Second)

	caller := dial(t, ctx, s)
	waitQueued(t, as["sup"], "support", 1)
	f.waitText(t, "#queue-waiting", "+14155550123", time.Second)
	f.waitText(t, "#queue-figures [data-testid=waiting]", "1", time.Second)
	if tags := f.text(t, "#queue-waiting"); strings.Contains(tags, "Callback") {
		t.Errorf("a caller on the line is tagged as a callback: %q", tags)
	}

	agent := agentPhone(t, ctx, s, "1001", testutil.AnswerMode{After: 100 * time.Millisecond})
	incoming(t, ctx, agent)
	eventsOf(t, s, store.Filter{}, has("agent.answered:1001"))
	f.waitGone(t, "#queue-waiting", "+14155550123", time.Second)
	f.waitText(t, agentRow("1001"), "On call", time.Second)
	f.waitText(t, agentRow("1001"), "+14155550123", time.Second)
	f.waitJS(t, "the same page, not a reload", `window.acdMark === 1`, time.Second)

	f.open(t, "/wallboard")
	f.waitText(t, figure("support", "on-call"), "1", time.Second)
	if err := caller.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	f.waitText(t, figure("support", "on-call"), "0", 2*time.Second)
	f.waitText(t, figure("support", "ready"), "1", time.Second)
	f.clean(t)
}

// TestFirefoxAdminTypedTextIsText: in Firefox, markup typed into a name
// comes back as text, never run: in a refused form, with the service's
// message beside it, and in the list once created; and no page of the
// consoles visited logs a script error or a Content-Security-Policy
// violation.
func TestFirefoxAdminTypedTextIsText(t *testing.T) {
	t.Parallel()
	firefoxPath(t) // skips, or fails, before the server starts
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	as := users(t, s, setupAdmin(t, s))
	f := newFirefox(t, s)
	f.signInTo(t, "root", testPassword, "")
	if p := f.path(t); p != "/admin" {
		t.Fatalf("the administrator signed in to %s; want /admin", p)
	}
	const evil = `<script>alert(1)</script>`
	noScript := `!Array.from(document.scripts).some(function(s){return s.outerHTML.includes("alert(1)")})`

	f.open(t, "/admin/users")
	f.typeInto(t, "#id-new", "eve")
	f.typeInto(t, "#name-new", evil)
	f.typeInto(t, "#password-new", "short")
	f.click(t, `form[data-form="new"] button[type=submit]`)
	f.waitText(t, `form[data-form="new"] [data-testid=form-error]`, "password", adminWait)
	if msg := f.text(t, `form[data-form="new"] [data-testid=form-error]`); !strings.Contains(msg, "shorter than 12") {
		t.Errorf("the refusal reads %q; want the service's message about the password's length", msg)
	}
	if id, name := f.value(t, "#id-new"), f.value(t, "#name-new"); id != "eve" || name != evil {
		t.Errorf("after the refusal the form holds id %q, name %q; want what was typed", id, name)
	}
	if pw := f.value(t, "#password-new"); pw != "" {
		t.Errorf("the password field came back holding %q; a password is never drawn back", pw)
	}
	if !f.is(t, "looking for the script", noScript) {
		t.Fatal("the refused name became a script element")
	}

	f.typeInto(t, "#password-new", testPassword)
	f.click(t, `form[data-form="new"] button[type=submit]`)
	f.waitText(t, `tr[data-user="eve"]`, evil, adminWait)
	if !f.is(t, "looking for the script", noScript) {
		t.Fatal("the user's name became a script element")
	}
	if v := f.value(t, `form[data-form="user:eve"] input[name="name"]`); v != evil {
		t.Errorf("eve's change form holds name %q; want it as typed", v)
	}
	var u struct{ Name string }
	as["admin"].expect(t, "GET", "/users/eve", nil, 200, &u)
	if u.Name != evil {
		t.Errorf("the API gives eve's name as %q; want it as typed", u.Name)
	}

	f.open(t, "/admin/tags")
	f.typeInto(t, "#name-new", evil)
	f.click(t, `form[data-form="new"] button[type=submit]`)
	f.waitText(t, `table[data-testid=named]`, evil, adminWait)
	if !f.is(t, "looking for the script", noScript) {
		t.Fatal("the tag's name became a script element")
	}

	// Every console page, in Firefox, under the pages' CSP.
	for _, p := range []string{"/admin", "/admin/permissions", "/admin/settings", "/admin/queues", "/admin/agents",
		"/admin/trunks", "/admin/pause-reasons", "/admin/canned-messages", "/admin/dialplans", "/admin/dialplans/support",
		"/supervisor", "/supervisor/queues/support", "/wallboard",
		"/reports", "/reports/queue-callers", "/reports/agent-performance", "/reports/conversations"} {
		f.open(t, p)
		f.waitJS(t, p+"'s stylesheet to apply", `getComputedStyle(document.body).marginTop === "0px"`, 5*time.Second)
	}
	f.clean(t)
}

// TestFirefoxReconnectsAfterRestart: the agent's page, open in Firefox
// while the server restarts on the same address, sees its live stream
// drop, reconnects by itself and shows a change made afterwards, without
// reloading.
func TestFirefoxReconnectsAfterRestart(t *testing.T) {
	t.Parallel()
	firefoxPath(t) // skips, or fails, before the server starts
	cfg := writeConfig(t, apiYAML)
	data := t.TempDir()
	s := startAcd(t, "-config", cfg, "-data", data)
	users(t, s, setupAdmin(t, s))
	f := newFirefox(t, s)
	f.signInTo(t, "1001", testPassword, "")
	f.waitJS(t, "the live stream to open", `document.body.dataset.live === "open"`, 5*time.Second)
	f.waitJS(t, "marking the page", `(window.acdMark = 1) === 1`, time.Second)

	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	_ = s.cmd.Wait()
	f.waitJS(t, "the page to see the stream drop", `document.body.dataset.live === "reconnecting"`, 10*time.Second)
	again := startAcd(t, "-config", cfg, "-data", data, "-http", s.http)
	f.waitJS(t, "the stream to reconnect", `document.body.dataset.live === "open"`, 15*time.Second)
	f.forget() // the stream's errors while the server was down
	again.client(login(t, again, "sup", testPassword)).expect(t, "PUT", "/agents/1001/state", map[string]string{"action": "login"}, 200, nil)
	f.waitText(t, "[data-testid=agent-state]", "Ready", 2*time.Second)
	f.waitJS(t, "the same page, not a reload", `window.acdMark === 1`, time.Second)
	f.clean(t)
}
