package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/acdserver/acd/internal/browser"
	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/service"
	"github.com/acdserver/acd/store"
)

// waitAgent polls the API until the agent's state satisfies ok: a form
// the browser submits is done when the next page arrives, which a click
// does not wait for.
func waitAgent(t *testing.T, c *apiClient, id, what string, ok func(apiAgentState) bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		st := agentState(t, c, id)
		if ok(st) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the API never said agent %s %s; it says %+v", id, what, st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestConsoleSupervisorWaitingList: a supervisor watching a queue's page
// sees a SIP caller appear in the waiting list within a second of being
// queued and leave it when an agent answers, the agent on the call with
// the caller's number; the overview and the wallboard count them, live.
func TestConsoleSupervisorWaitingList(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	as := users(t, s, setupAdmin(t, s))
	b := newBrowser(t, s)
	b.SignIn(t, "sup", testPassword)
	if p := b.Path(t); p != "/supervisor" {
		t.Fatalf("the supervisor signed in to %s; want /supervisor", p)
	}
	b.Open(t, "/supervisor/queues/support")
	b.WaitText(t, "#queue-waiting", "Nobody is waiting", time.Second)

	caller := dial(t, ctx, s)
	waitQueued(t, as["sup"], "support", 1)
	b.WaitText(t, "#queue-waiting", "+14155550123", time.Second)
	b.WaitText(t, "#queue-figures [data-testid=waiting]", "1", time.Second)
	if tags := b.Text(t, "#queue-waiting"); strings.Contains(tags, "Callback") {
		t.Errorf("a caller on the line is tagged as a callback: %q", tags)
	}

	agent := agentPhone(t, ctx, s, "1001", testutil.AnswerMode{After: 100 * time.Millisecond})
	incoming(t, ctx, agent)
	eventsOf(t, s, store.Filter{}, has("agent.answered:1001"))
	b.WaitGone(t, "#queue-waiting", "+14155550123", time.Second)
	b.WaitText(t, agentRow("1001"), "On call", time.Second)
	b.WaitText(t, agentRow("1001"), "+14155550123", time.Second)

	b.Open(t, "/supervisor")
	b.WaitText(t, figure("support", "on-call"), "1", time.Second)
	b.WaitText(t, figure("support", "waiting"), "0", time.Second)
	if got := b.Text(t, figure("sales", "logged-out")); got != "1" {
		t.Errorf("sales counts %q logged out; want Bob's 1", got)
	}
	b.Open(t, "/wallboard")
	b.WaitText(t, figure("support", "on-call"), "1", time.Second)
	if err := caller.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	b.WaitText(t, figure("support", "on-call"), "0", 2*time.Second)
	b.WaitText(t, figure("support", "ready"), "1", time.Second)
	b.Clean(t)
}

// TestConsoleRedrawKeepsWhatIsUnderThePointer: a redraw changes the page
// in place. A fragment that did not change is not sent again, and one
// that did is morphed into its new state, so that the button under the
// supervisor's pointer stays the same element even as its row changes:
// replacing it would lose a click pressed before the redraw and released
// after it.
func TestConsoleRedrawKeepsWhatIsUnderThePointer(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	as := users(t, s, setupAdmin(t, s))
	b := newBrowser(t, s)
	b.SignIn(t, "sup", testPassword)
	b.Open(t, "/supervisor/queues/support")
	b.WaitText(t, "#queue-waiting", "Nobody is waiting", time.Second)

	mark := func(sel string) {
		b.Is(t, "marking "+sel, fmt.Sprintf(`document.querySelector(%q).kept = true`, sel))
	}
	kept := func(sel string) bool {
		return b.Is(t, "looking for the mark on "+sel, fmt.Sprintf(`(function(){var e=document.querySelector(%q);return !!e && e.kept === true})()`, sel))
	}
	table, button := "#queue-agents table", agentRow("1001")+" button"
	mark(table)
	mark(button)
	dialAs(t, ctx, s, "100", "+14155550123")
	waitQueued(t, as["sup"], "support", 1)
	b.WaitText(t, "#queue-waiting", "+14155550123", time.Second)
	if !kept(table) || !kept(button) {
		t.Error("a redraw that left the agents' table as it was replaced it")
	}
	as["agent"].expect(t, "PUT", "/agents/1001/state", map[string]string{"action": "login"}, 200, nil)
	b.WaitText(t, agentRow("1001"), "Unreachable", 2*time.Second)
	if !kept(button) {
		t.Error("redrawing Alice's row replaced the button in it instead of changing it")
	}
	b.Clean(t)
}

// TestConsoleSupervisorCallbackTag: a caller who presses # for a callback
// leaves a request in the waiting list, tagged, counted among those
// waiting and, of them, as a callback request.
func TestConsoleSupervisorCallbackTag(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	trunk := testutil.NewPhone(t)
	trunk.TakeCalls(testutil.AnswerMode{After: 100 * time.Millisecond})
	s := startAcd(t, "-config", writeConfig(t, callbackYAML(trunk.Addr())))
	admin := setupAdmin(t, s)
	admin.expect(t, "POST", "/users", map[string]any{"id": "sup", "role": "supervisor", "password": testPassword, "queues": []string{"support"}}, 201, nil)
	warmUp(t, ctx, s)

	b := newBrowser(t, s)
	b.SignIn(t, "sup", testPassword)
	b.Open(t, "/supervisor/queues/support")
	requestCallback(t, ctx, s)
	s.waitLog(t, 5*time.Second, "callback requested")
	if w := waitQueued(t, admin, "support", 1); !w[0].Callback {
		t.Fatalf("the waiting list holds %+v; want the callback request", w)
	}
	b.WaitText(t, "#queue-waiting tbody tr", "+14155550123", time.Second)
	b.WaitText(t, "#queue-waiting tbody tr span.tag", "Callback", time.Second)
	b.WaitText(t, "#queue-figures [data-testid=callbacks]", "1", time.Second)
	if got := b.Text(t, "#queue-figures [data-testid=waiting]"); got != "1" {
		t.Errorf("%q waiting beside a list of one callback request; want 1 (of them 1 callback request)", got)
	}
	b.Clean(t)
}

// TestConsoleSupervisorSeesPause: an agent pauses with a reason; the
// supervisor's queue page shows the reason and the time in pause ticking.
func TestConsoleSupervisorSeesPause(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	as := users(t, s, setupAdmin(t, s))
	b := newBrowser(t, s)
	b.SignIn(t, "sup", testPassword)
	b.Open(t, "/supervisor/queues/support")
	b.WaitText(t, agentRow("1001"), "Logged out", time.Second)

	// Logged in without a phone registered: no call can reach it.
	as["agent"].expect(t, "PUT", "/agents/1001/state", map[string]string{"action": "login"}, 200, nil)
	b.WaitText(t, agentRow("1001"), "Unreachable", time.Second)
	as["agent"].expect(t, "PUT", "/agents/1001/state", map[string]string{"action": "pause", "reason": "Lunch"}, 200, nil)
	b.WaitText(t, agentRow("1001"), "Paused: Lunch", time.Second)
	b.WaitText(t, "#queue-figures [data-testid=paused]", "1", time.Second)
	b.WaitText(t, agentRow("1001")+" [data-testid=in-state]", "0:0", time.Second)
	b.WaitJS(t, "the time in pause to tick", fmt.Sprintf(
		`(function(){var e=document.querySelector(%q);return !!e && /^0:0[1-9]$/.test(e.textContent)})()`,
		agentRow("1001")+" [data-testid=in-state]"), 3*time.Second)
	b.Clean(t)
}

// supervisorActionsYAML: support keeps its agents in wrap-up for an hour
// and does not let them end it; agents may log in to queues they are not
// assigned to.
var supervisorActionsYAML = "allow_unassigned_login: true\n" + strings.Replace(apiYAML, "ring_timeout: 2s, announce_every: 1h}",
	"ring_timeout: 2s, announce_every: 1h, wrap_up: 1h, end_wrap_up: false}", 1)

// TestConsoleSupervisorActions: from a queue's page the supervisor logs
// an agent in to a queue it is not assigned to and out of it again, and
// ends a wrap-up its agent may not end; the API agrees. Refusals show the
// page again with the service's reason and status.
func TestConsoleSupervisorActions(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if !strings.Contains(supervisorActionsYAML, "end_wrap_up: false") {
		t.Fatal("the test configuration lost its wrap-up settings")
	}
	s := startAcd(t, "-config", writeConfig(t, supervisorActionsYAML))
	as := users(t, s, setupAdmin(t, s))
	b := newBrowser(t, s)
	b.SignIn(t, "sup", testPassword)

	b.Open(t, "/supervisor/queues/sales")
	b.Run(t, "choosing Alice", chromedp.SetValue(chromedp.CSS("#other-agent"), "1001"))
	b.Click(t, "[data-testid=login-other]")
	waitAgent(t, as["sup"], "1001", "is in sales", func(st apiAgentState) bool { return slices.Contains(st.Queues, "sales") })
	b.WaitText(t, agentRow("1001"), "Not assigned", 2*time.Second)
	b.Click(t, agentRow("1001")+` button[value="logout"]`)
	waitAgent(t, as["sup"], "1001", "left sales", func(st apiAgentState) bool { return !slices.Contains(st.Queues, "sales") })
	b.WaitGone(t, "#queue-agents", "Alice", 2*time.Second)

	// Refused: the same again (409), and a restricted supervisor at an
	// agent of another queue (403). Each shows the queue's page with why.
	sup, rsup := as["sup"].token, as["rsup"].token
	status, page := postForm(t, s, sup, "/supervisor/queues/sales/agents", url.Values{"agent": {"1001"}, "action": {"logout"}})
	if status != 409 || !strings.Contains(page, "agent 1001 is not logged in to queue sales") || !strings.Contains(page, "<h1>Sales</h1>") {
		t.Errorf("logging out twice: %d\n%s", status, lastLines(page, 30))
	}
	status, page = postForm(t, s, rsup, "/supervisor/queues/support/agents", url.Values{"agent": {"1002"}, "action": {"login"}})
	if status != 403 || !strings.Contains(page, "not in any of your assigned queues") {
		t.Errorf("a restricted supervisor logging in another queue's agent: %d\n%s", status, lastLines(page, 30))
	}
	if st := agentState(t, as["sup"], "1002"); st.State != "logged-out" {
		t.Errorf("refused, yet 1002 is %+v", st)
	}

	// A call in support leaves Alice in an hour's wrap-up she may not end.
	agent := agentPhone(t, ctx, s, "1001", testutil.AnswerMode{After: 100 * time.Millisecond})
	b.Open(t, "/supervisor/queues/support")
	caller := dial(t, ctx, s)
	incoming(t, ctx, agent)
	eventsOf(t, s, store.Filter{}, has("agent.answered:1001"))
	if err := caller.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	eventsOf(t, s, store.Filter{}, has("agent.state>wrap-up:1001"))
	as["agent"].expect(t, "PUT", "/agents/1001/state", map[string]string{"action": "end-wrap-up"}, 403, nil)
	b.WaitText(t, agentRow("1001"), "In wrap-up", 2*time.Second)
	b.Click(t, agentRow("1001")+` button[value="end-wrap-up"]`)
	waitAgent(t, as["sup"], "1001", "is ready after its wrap-up ended", func(st apiAgentState) bool { return st.State == "ready" })
	b.WaitText(t, agentRow("1001"), "Ready", 2*time.Second)
	b.Clean(t)
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

// TestConsoleQueuePageDrawnOnceForAll: two supervisors watching the same
// queue are sent the same drawing, each with its own CSRF token in the
// forms and nobody else's; a caller who joins shows on both; a supervisor
// restricted to other queues is refused the stream.
func TestConsoleQueuePageDrawnOnceForAll(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	as := users(t, s, setupAdmin(t, s))
	as["agent"].expect(t, "PUT", "/agents/1001/state", map[string]string{"action": "login"}, 200, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	if _, status := openQueueStream(t, ctx, s, as["rsup"].token, "sales"); status != http.StatusForbidden {
		t.Fatalf("a supervisor restricted to support opened sales's stream: %d", status)
	}
	watchers := map[string]*queueStream{}
	for _, who := range []string{"admin", "sup", "rsup"} {
		st, status := openQueueStream(t, ctx, s, as[who].token, "support")
		if status != http.StatusOK {
			t.Fatalf("%s opening support's stream: %d", who, status)
		}
		watchers[who] = st
	}
	for who, st := range watchers {
		agents := st.fragment(t, "queue-agents", `data-agent="1001"`)
		tokens := csrfValue.FindAllStringSubmatch(agents, -1)
		if len(tokens) == 0 {
			t.Fatalf("%s's agents fragment has no form token:\n%s", who, agents)
		}
		want := service.CSRFToken(as[who].token)
		for _, m := range tokens {
			if m[1] != want {
				t.Fatalf("%s's page carries the token %q; want its own", who, m[1])
			}
		}
	}
	caller := dialAs(t, ctx, s, "100", "+14155550177")
	defer caller.Hangup(context.Background())
	for _, st := range watchers {
		st.fragment(t, "queue-waiting", "14155550177") // the + is drawn as &#43;
	}
}

// TestConsoleQueueFiguresCountCallbackRequests: with a callback request
// alone in the queue, the supervisor's figures count it among those
// waiting, with its wait as the longest, as the list beside them shows
// it.
func TestConsoleQueueFiguresCountCallbackRequests(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	trunk := testutil.NewPhone(t)
	s := startAcd(t, "-config", writeConfig(t, callbackYAML(trunk.Addr())))
	admin := setupAdmin(t, s)
	admin.expect(t, "POST", "/users", map[string]any{"id": "sup", "role": "supervisor", "password": testPassword}, 201, nil)
	warmUp(t, ctx, s)
	requestCallback(t, ctx, s)
	s.waitLog(t, 5*time.Second, "callback requested")

	b := newBrowser(t, s)
	b.SignIn(t, "sup", testPassword)
	b.Open(t, "/supervisor/queues/support")
	b.WaitText(t, "#queue-waiting", "Callback", 2*time.Second)
	if n := b.Text(t, "[data-testid=waiting]"); n != "1" {
		t.Errorf("the figures count %s waiting beside a list of one callback request; want 1", n)
	}
	if n := b.Text(t, "[data-testid=callbacks]"); n != "1" {
		t.Errorf("the figures count %s callback requests; want 1", n)
	}
	// Both count from the instant they are given: the same one.
	listed := browser.Get(t, b, "reading the list's wait", browser.Attr("#queue-waiting tr[data-call] time", "datetime"))
	if !b.Is(t, "looking for the longest wait", `!!document.querySelector("[data-testid=oldest] time")`) {
		t.Fatalf("the longest wait reads %q while the list shows a callback request waiting since %s", b.Text(t, "[data-testid=oldest]"), listed)
	}
	if oldest := browser.Get(t, b, "reading the longest wait", browser.Attr("[data-testid=oldest] time", "datetime")); oldest != listed {
		t.Errorf("the longest wait counts from %s while the list shows the callback request waiting since %s", oldest, listed)
	}
	b.Clean(t)
}
