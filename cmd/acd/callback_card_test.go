package main

import (
	"context"
	"testing"
	"time"

	"github.com/acdserver/acd/internal/browser"
	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/store"
)

// TestCallbackCardFollowsTheCustomer: while a callback dials the
// customer, the agent's call card and the API say the customer is being
// called; once the customer answers, both say they are talking.
func TestCallbackCardFollowsTheCustomer(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	trunk := testutil.NewPhone(t)
	// Long enough to see the card while the customer's phone rings.
	trunk.TakeCalls(testutil.AnswerMode{After: 3 * time.Second})
	s := startAcd(t, "-config", writeConfig(t, callbackYAML(trunk.Addr())))
	admin := setupAdmin(t, s)
	admin.expect(t, "POST", "/users", map[string]any{"id": "1001", "role": "agent", "password": testPassword}, 201, nil)
	warmUp(t, ctx, s)

	requestCallback(t, ctx, s)
	s.waitLog(t, 5*time.Second, "callback requested")

	b := newBrowser(t, s)
	b.SignIn(t, "1001", testPassword)
	b.Open(t, "/agent")
	agent := agentPhone(t, ctx, s, "1001", testutil.AnswerMode{After: 100 * time.Millisecond})
	incoming(t, ctx, agent)
	incoming(t, ctx, trunk)
	b.WaitText(t, "[data-testid=agent-call]", "calling customer", 2*time.Second)
	var st struct {
		State string `json:"state"`
		Call  *struct {
			Callback  bool `json:"callback"`
			Connected bool `json:"connected"`
		} `json:"call"`
	}
	admin.expect(t, "GET", "/agents/1001/state", nil, 200, &st)
	if st.Call == nil || !st.Call.Callback || st.Call.Connected {
		t.Fatalf("agent 1001 while the customer's phone rings: %+v %+v; want a callback not yet connected", st, st.Call)
	}

	eventsOf(t, s, store.Filter{}, has("callback.connected:1001"))
	b.WaitText(t, "[data-testid=agent-call]", "talking to customer", 2*time.Second)
	admin.expect(t, "GET", "/agents/1001/state", nil, 200, &st)
	if st.Call == nil || !st.Call.Connected {
		t.Fatalf("agent 1001 once the customer answered: %+v %+v; want connected", st, st.Call)
	}
	if err := trunk.HangupIncoming(ctx); err != nil {
		t.Fatal(err)
	}
	eventsOf(t, s, store.Filter{}, has("callback.completed:1001"))
	b.Clean(t)
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
