package main

import (
	"context"
	"testing"
	"time"

	"github.com/acdserver/acd/internal/browser"
	"github.com/acdserver/acd/internal/testutil"
)

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
