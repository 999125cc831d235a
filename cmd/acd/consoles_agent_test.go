package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/acdserver/acd/internal/browser"
	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/store"
)

// TestConsoleAgentStatusMenu: the agent logs in and pauses with a reason
// from the page, the page shows the reason and the API agrees; with every
// reason disabled the menu is the two plain buttons.
func TestConsoleAgentStatusMenu(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	as := users(t, s, setupAdmin(t, s))
	b := newBrowser(t, s)
	b.SignIn(t, "1001", testPassword)
	b.WaitText(t, "[data-testid=agent-state]", "Logged out", time.Second)

	b.Click(t, `button[value="login"]`)
	b.WaitText(t, "[data-testid=agent-state]", "Ready", 2*time.Second)
	if q := b.Text(t, `tr[data-queue="support"]`); !strings.Contains(q, "yes") {
		t.Errorf("the support row reads %q after logging in; want logged in", q)
	}
	b.Click(t, `button[name="pause-reason"][value="Lunch"]`)
	b.WaitText(t, "[data-testid=agent-state]", "Paused: Lunch", 2*time.Second)
	var st struct{ State, Reason string }
	as["agent"].expect(t, "GET", "/agents/1001/state", nil, 200, &st)
	if st.State != "paused" || st.Reason != "Lunch" {
		t.Fatalf("the API says %+v after pausing from the page; want paused, Lunch", st)
	}

	// Every reason disabled: plain "ready" and "pause all queues".
	var reasons struct {
		Reasons []struct{ ID int64 } `json:"pause_reasons"`
	}
	as["admin"].expect(t, "GET", "/pause-reasons", nil, 200, &reasons)
	if len(reasons.Reasons) != 2 {
		t.Fatalf("pause reasons: %+v; want the file's two", reasons)
	}
	for _, r := range reasons.Reasons {
		as["admin"].expect(t, "PATCH", fmt.Sprintf("/pause-reasons/%d", r.ID), map[string]any{"enabled": false}, 200, nil)
	}
	b.Open(t, "/agent")
	menu := b.Text(t, "form.menu")
	for _, want := range []string{"Ready to take calls", "Pause all queues"} {
		if !strings.Contains(menu, want) {
			t.Errorf("with every reason disabled the menu reads %q; want %q", menu, want)
		}
	}
	if strings.Contains(menu, "Lunch") {
		t.Errorf("a disabled reason is still offered: %q", menu)
	}
	b.Click(t, `button[value="ready"]`)
	b.WaitText(t, "[data-testid=agent-state]", "Ready", 2*time.Second)
	b.Click(t, `button[value="pause"]`)
	b.WaitText(t, "[data-testid=agent-state]", "Paused", 2*time.Second)
	st = struct{ State, Reason string }{}
	as["agent"].expect(t, "GET", "/agents/1001/state", nil, 200, &st)
	if st.State != "paused" || st.Reason != "" {
		t.Fatalf("the API says %+v after \"Pause all queues\"; want paused without a reason", st)
	}
	b.Clean(t)
}

// TestConsoleAgentSeesCallback: an agent serving a callback request sees,
// live, that it is one and the customer's number, talking to them once
// they answer, and its call ends back to "No call".
func TestConsoleAgentSeesCallback(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	trunk := testutil.NewPhone(t)
	trunk.TakeCalls(testutil.AnswerMode{After: 100 * time.Millisecond})
	s := startAcd(t, "-config", writeConfig(t, callbackYAML(trunk.Addr())))
	admin := setupAdmin(t, s)
	admin.expect(t, "POST", "/users", map[string]any{"id": "1001", "role": "agent", "password": testPassword}, 201, nil)
	warmUp(t, ctx, s)
	requestCallback(t, ctx, s)
	s.waitLog(t, 5*time.Second, "callback requested")

	b := newBrowser(t, s)
	b.SignIn(t, "1001", testPassword)
	b.WaitText(t, "#agent-call", "No call", time.Second)
	agentPhone(t, ctx, s, "1001", testutil.AnswerMode{After: 100 * time.Millisecond})
	b.WaitText(t, "[data-testid=agent-call]", "customer +14155550123", 2*time.Second)
	b.WaitText(t, "[data-testid=agent-call]", "support", time.Second)
	incoming(t, ctx, trunk)
	eventsOf(t, s, store.Filter{}, has("callback.connected:1001"))
	b.WaitText(t, "[data-testid=agent-call]", "talking to customer +14155550123", 2*time.Second)
	if err := trunk.HangupIncoming(ctx); err != nil {
		t.Fatal(err)
	}
	b.WaitText(t, "#agent-call", "No call", 2*time.Second)
	b.Clean(t)
}

// TestConsoleAgentPauseSeenBySupervisor: the agent pauses with a reason
// from its page, and the supervisor's queue page, open meanwhile, shows
// the reason and the time in pause counting, without a reload.
func TestConsoleAgentPauseSeenBySupervisor(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	users(t, s, setupAdmin(t, s))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	agentPhone(t, ctx, s, "1001", testutil.AnswerMode{Never: true}) // registered, logged in with *50
	agent, sup := newBrowser(t, s), newBrowser(t, s)
	agent.SignIn(t, "1001", testPassword)
	agent.WaitText(t, "[data-testid=agent-state]", "Ready", 2*time.Second)
	sup.SignInTo(t, "sup", testPassword, "/supervisor/queues/support")
	sup.WaitJS(t, "the live stream to open", `document.body.dataset.live === "open"`, 5*time.Second)
	sup.WaitText(t, `tr[data-agent="1001"]`, "Ready", time.Second)
	sup.WaitJS(t, "marking the page", `(window.acdMark = 1) === 1`, time.Second)

	agent.Click(t, `button[name="pause-reason"][value="Training"]`)
	sup.WaitText(t, `tr[data-agent="1001"] [data-testid=reason]`, "Training", time.Second)
	first := sup.Text(t, `tr[data-agent="1001"] [data-testid=in-state]`)
	sup.WaitJS(t, "the time in pause to count", fmt.Sprintf(`document.querySelector('tr[data-agent="1001"] [data-testid=in-state]').textContent !== %q`, first), 3*time.Second)
	sup.WaitJS(t, "the same page, not a reload", `window.acdMark === 1`, time.Second)
	agent.Clean(t)
	sup.Clean(t)
}

// TestConsoleAgentLogsInToUnassignedQueue: while the organisation allows
// it, the agent's console lists the queues the agent is not assigned to
// as well, and logs in to one as the API does; otherwise only its own.
func TestConsoleAgentLogsInToUnassignedQueue(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	as := users(t, s, setupAdmin(t, s))
	b := newBrowser(t, s)
	b.SignIn(t, "1001", testPassword)
	b.WaitText(t, `tr[data-queue="support"]`, "Support", time.Second)
	if b.Is(t, "looking for sales", `!!document.querySelector('tr[data-queue="sales"]')`) {
		t.Error("the agent is offered sales, which it is not assigned to, though the organisation does not allow it")
	}

	as["admin"].expect(t, "PUT", "/settings", map[string]any{"allow_unassigned_login": true}, 200, nil)
	b.Open(t, "/agent")
	if row := b.Text(t, `tr[data-queue="sales"]`); !strings.Contains(row, "not assigned") {
		t.Errorf("the sales row reads %q; want it marked as not assigned", row)
	}
	b.Click(t, `tr[data-queue="sales"] button[value="login"]`)
	b.WaitText(t, `tr[data-queue="sales"]`, "yes", adminWait)
	var st struct{ Queues []string }
	as["agent"].expect(t, "GET", "/agents/1001/state", nil, 200, &st)
	if !contains(st.Queues, "sales") {
		t.Errorf("the API says 1001 is in %v after logging in to sales from the page", st.Queues)
	}
	b.Clean(t)
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

// TestConsoleAgentByKeyboard: an agent pauses with a reason and becomes
// ready again with the keyboard alone, Tab to the button and Enter, as a
// user who does not use a mouse would.
func TestConsoleAgentByKeyboard(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	as := users(t, s, setupAdmin(t, s))
	as["agent"].expect(t, "PUT", "/agents/1001/state", map[string]any{"action": "login"}, 200, nil)
	b := newBrowser(t, s)
	b.SignIn(t, "1001", testPassword)
	b.WaitText(t, "[data-testid=agent-state]", "Ready", 2*time.Second)

	press := func(label, sel string) {
		t.Helper()
		focused := fmt.Sprintf(`document.activeElement === document.querySelector(%q)`, sel)
		for range 60 {
			if b.Is(t, "reading the focus", focused) {
				b.Run(t, "pressing Enter on "+label, chromedp.KeyEvent("\r"))
				return
			}
			b.Run(t, "pressing Tab", chromedp.KeyEvent("\t"))
		}
		t.Fatalf("Tab never reached %s", label)
	}
	press("Pause: Lunch", `button[name="pause-reason"][value="Lunch"]`)
	b.WaitText(t, "[data-testid=agent-state]", "Paused: Lunch", 2*time.Second)
	var st struct{ State, Reason string }
	as["agent"].expect(t, "GET", "/agents/1001/state", nil, 200, &st)
	if st.State != "paused" || st.Reason != "Lunch" {
		t.Fatalf("the API says %+v after Enter on Pause: Lunch; want paused, Lunch", st)
	}
	press("Ready", `form.menu button[value="ready"]`)
	b.WaitText(t, "[data-testid=agent-state]", "Ready", 2*time.Second)
	b.Clean(t)
}
