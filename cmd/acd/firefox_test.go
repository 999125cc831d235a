package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/acdserver/acd/internal/browser"
	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/store"
)

// The consoles in Firefox, as the console tests drive them in Chromium:
// the same pages, the same assertions, over WebDriver BiDi.

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

	f := browser.NewFirefox(t, srv.URL)
	f.Open(t, "/")
	for _, want := range []string{"Content-Security-Policy", "undefinedFunction", "logged on purpose"} {
		f.WaitProblem(t, want, 10*time.Second)
	}
	if f.Is(t, "reading the title", `document.title === "ran"`) {
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
	browser.FirefoxPath(t) // skips, or fails, before the server starts
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	as := users(t, s, setupAdmin(t, s))
	f := newFirefox(t, s)

	f.Open(t, "/agent")
	if p := f.Path(t); !strings.HasPrefix(p, "/login?next=") {
		t.Fatalf("/agent without a session went to %s; want the sign-in page", p)
	}
	f.TypeInto(t, "#user", "1001")
	f.TypeInto(t, "#password", "wrong")
	f.Click(t, `form[action="/login"] button`)
	f.WaitText(t, "main", "Wrong user or password", 5*time.Second)

	f.SignInTo(t, "1001", testPassword, "/agent")
	if p := f.Path(t); p != "/agent" {
		t.Fatalf("the agent signed in to %s; want /agent", p)
	}
	if nav := f.Text(t, "header nav"); !strings.Contains(nav, "My status") || strings.Contains(nav, "Administration") {
		t.Errorf("the agent's menu reads %q; want My status and no Administration", nav)
	}
	for _, path := range []string{"/supervisor", "/admin"} {
		if status := f.HTTPStatus(t, path); status != 403 {
			t.Errorf("the agent opening %s: %d; want 403", path, status)
		}
	}

	f.WaitText(t, "[data-testid=agent-state]", "Logged out", time.Second)
	f.Click(t, `button[value="login"]`)
	f.WaitText(t, "[data-testid=agent-state]", "Ready", 2*time.Second)
	if q := f.Text(t, `tr[data-queue="support"]`); !strings.Contains(q, "yes") {
		t.Errorf("the support row reads %q after logging in; want logged in", q)
	}
	f.Click(t, `button[name="pause-reason"][value="Lunch"]`)
	f.WaitText(t, "[data-testid=agent-state]", "Paused: Lunch", 2*time.Second)
	if st := agentState(t, as["agent"], "1001"); st.State != "paused" || st.Reason != "Lunch" {
		t.Fatalf("the API says %+v after pausing from the page; want paused, Lunch", st)
	}
	if got := f.Text(t, "[data-testid=agent-reason]"); got != "Lunch" {
		t.Errorf("the page's reason reads %q; want Lunch", got)
	}

	// htmx's server-sent events in Firefox: the page swaps in the new
	// state by itself.
	f.WaitJS(t, "the live stream to open", `document.body.dataset.live === "open"`, 5*time.Second)
	f.WaitJS(t, "marking the page", `(window.acdMark = 1) === 1`, time.Second)
	as["sup"].expect(t, "PUT", "/agents/1001/state", map[string]string{"action": "pause", "reason": "Training"}, 200, nil)
	f.WaitText(t, "[data-testid=agent-state]", "Paused: Training", 2*time.Second)
	f.WaitJS(t, "the same page, not a reload", `window.acdMark === 1`, time.Second)
	f.Clean(t)
}

// TestFirefoxSupervisorWaitingList: a supervisor's queue page, open in
// Firefox, shows a SIP caller in the waiting list within a second of
// being queued and loses it when an agent answers, the agent on the call
// with the caller's number, all over the live stream without a reload;
// the wallboard counts the call and its end, live.
func TestFirefoxSupervisorWaitingList(t *testing.T) {
	t.Parallel()
	browser.FirefoxPath(t) // skips, or fails, before the server starts
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	as := users(t, s, setupAdmin(t, s))
	f := newFirefox(t, s)
	f.SignInTo(t, "sup", testPassword, "")
	if p := f.Path(t); p != "/supervisor" {
		t.Fatalf("the supervisor signed in to %s; want /supervisor", p)
	}
	f.Open(t, "/supervisor/queues/support")
	f.WaitText(t, "#queue-waiting", "Nobody is waiting", time.Second)
	f.WaitJS(t, "the live stream to open", `document.body.dataset.live === "open"`, 5*time.Second)
	f.WaitJS(t, "marking the page", `(window.acdMark = 1) === 1`, time.Second)

	caller := dial(t, ctx, s)
	waitQueued(t, as["sup"], "support", 1)
	f.WaitText(t, "#queue-waiting", "+14155550123", time.Second)
	f.WaitText(t, "#queue-figures [data-testid=waiting]", "1", time.Second)
	if tags := f.Text(t, "#queue-waiting"); strings.Contains(tags, "Callback") {
		t.Errorf("a caller on the line is tagged as a callback: %q", tags)
	}

	agent := agentPhone(t, ctx, s, "1001", testutil.AnswerMode{After: 100 * time.Millisecond})
	incoming(t, ctx, agent)
	eventsOf(t, s, store.Filter{}, has("agent.answered:1001"))
	f.WaitGone(t, "#queue-waiting", "+14155550123", time.Second)
	f.WaitText(t, agentRow("1001"), "On call", time.Second)
	f.WaitText(t, agentRow("1001"), "+14155550123", time.Second)
	f.WaitJS(t, "the same page, not a reload", `window.acdMark === 1`, time.Second)

	f.Open(t, "/wallboard")
	f.WaitText(t, figure("support", "on-call"), "1", time.Second)
	if err := caller.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	f.WaitText(t, figure("support", "on-call"), "0", 2*time.Second)
	f.WaitText(t, figure("support", "ready"), "1", time.Second)
	f.Clean(t)
}

// TestFirefoxAdminTypedTextIsText: in Firefox, markup typed into a name
// comes back as text, never run: in a refused form, with the service's
// message beside it, and in the list once created; and no page of the
// consoles visited logs a script error or a Content-Security-Policy
// violation.
func TestFirefoxAdminTypedTextIsText(t *testing.T) {
	t.Parallel()
	browser.FirefoxPath(t) // skips, or fails, before the server starts
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	as := users(t, s, setupAdmin(t, s))
	f := newFirefox(t, s)
	f.SignInTo(t, "root", testPassword, "")
	if p := f.Path(t); p != "/admin" {
		t.Fatalf("the administrator signed in to %s; want /admin", p)
	}
	const evil = `<script>alert(1)</script>`
	noScript := `!Array.from(document.scripts).some(function(s){return s.outerHTML.includes("alert(1)")})`

	f.Open(t, "/admin/users")
	f.TypeInto(t, "#id-new", "eve")
	f.TypeInto(t, "#name-new", evil)
	f.TypeInto(t, "#password-new", "short")
	f.Click(t, `form[data-form="new"] button[type=submit]`)
	f.WaitText(t, `form[data-form="new"] [data-testid=form-error]`, "password", adminWait)
	if msg := f.Text(t, `form[data-form="new"] [data-testid=form-error]`); !strings.Contains(msg, "shorter than 12") {
		t.Errorf("the refusal reads %q; want the service's message about the password's length", msg)
	}
	if id, name := f.Value(t, "#id-new"), f.Value(t, "#name-new"); id != "eve" || name != evil {
		t.Errorf("after the refusal the form holds id %q, name %q; want what was typed", id, name)
	}
	if pw := f.Value(t, "#password-new"); pw != "" {
		t.Errorf("the password field came back holding %q; a password is never drawn back", pw)
	}
	if !f.Is(t, "looking for the script", noScript) {
		t.Fatal("the refused name became a script element")
	}

	f.TypeInto(t, "#password-new", testPassword)
	f.Click(t, `form[data-form="new"] button[type=submit]`)
	f.WaitText(t, `tr[data-user="eve"]`, evil, adminWait)
	if !f.Is(t, "looking for the script", noScript) {
		t.Fatal("the user's name became a script element")
	}
	if v := f.Value(t, `form[data-form="user:eve"] input[name="name"]`); v != evil {
		t.Errorf("eve's change form holds name %q; want it as typed", v)
	}
	var u struct{ Name string }
	as["admin"].expect(t, "GET", "/users/eve", nil, 200, &u)
	if u.Name != evil {
		t.Errorf("the API gives eve's name as %q; want it as typed", u.Name)
	}

	f.Open(t, "/admin/tags")
	f.TypeInto(t, "#name-new", evil)
	f.Click(t, `form[data-form="new"] button[type=submit]`)
	f.WaitText(t, `table[data-testid=named]`, evil, adminWait)
	if !f.Is(t, "looking for the script", noScript) {
		t.Fatal("the tag's name became a script element")
	}

	// Every console page, in Firefox, under the pages' CSP.
	for _, p := range []string{"/admin", "/admin/permissions", "/admin/settings", "/admin/queues", "/admin/agents",
		"/admin/trunks", "/admin/pause-reasons", "/admin/canned-messages", "/admin/dialplans", "/admin/dialplans/support",
		"/supervisor", "/supervisor/queues/support", "/wallboard",
		"/reports", "/reports/queue-callers", "/reports/agent-performance", "/reports/conversations"} {
		f.Open(t, p)
		f.WaitJS(t, p+"'s stylesheet to apply", `getComputedStyle(document.body).marginTop === "0px"`, 5*time.Second)
	}
	f.Clean(t)
}

// TestFirefoxReconnectsAfterRestart: the agent's page, open in Firefox
// while the server restarts on the same address, sees its live stream
// drop, reconnects by itself and shows a change made afterwards, without
// reloading.
func TestFirefoxReconnectsAfterRestart(t *testing.T) {
	t.Parallel()
	browser.FirefoxPath(t) // skips, or fails, before the server starts
	cfg := writeConfig(t, apiYAML)
	data := t.TempDir()
	s := startAcd(t, "-config", cfg, "-data", data)
	users(t, s, setupAdmin(t, s))
	f := newFirefox(t, s)
	f.SignInTo(t, "1001", testPassword, "")
	f.WaitJS(t, "the live stream to open", `document.body.dataset.live === "open"`, 5*time.Second)
	f.WaitJS(t, "marking the page", `(window.acdMark = 1) === 1`, time.Second)

	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	_ = s.cmd.Wait()
	f.WaitJS(t, "the page to see the stream drop", `document.body.dataset.live === "reconnecting"`, 10*time.Second)
	again := startAcd(t, "-config", cfg, "-data", data, "-http", s.http)
	f.WaitJS(t, "the stream to reconnect", `document.body.dataset.live === "open"`, 15*time.Second)
	f.Forget() // the stream's errors while the server was down
	again.client(login(t, again, "sup", testPassword)).expect(t, "PUT", "/agents/1001/state", map[string]string{"action": "login"}, 200, nil)
	f.WaitText(t, "[data-testid=agent-state]", "Ready", 2*time.Second)
	f.WaitJS(t, "the same page, not a reload", `window.acdMark === 1`, time.Second)
	f.Clean(t)
}
