package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/acdserver/acd/internal/browser"
	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/store"
)

// TestScreenshots draws each main page of the consoles, at 1280×720, into
// the folder ACD_SCREENSHOTS names (the README's pictures are made with
// `make screenshots`); without it, the test does nothing. The centre it
// shows is real: callers waiting on SIP, an agent paused, a callback
// request, a dial plan with a mistake.
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("ACD_SCREENSHOTS")
	if dir == "" {
		t.Skip("set ACD_SCREENSHOTS=DIR to draw the consoles' pages into DIR")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	trunk := testutil.NewPhone(t)
	trunk.TakeCalls(testutil.AnswerMode{Never: true})
	text := callbackYAML(trunk.Addr()) + "pause_reasons: [Lunch, Training, Coaching]\n"
	path := writeConfig(t, text)
	s := startAcd(t, "-config", path)
	admin := setupAdmin(t, s)
	for _, u := range []map[string]any{
		{"id": "sue", "name": "Sue Supervisor", "role": "supervisor", "password": testPassword, "queues": []string{"support"}},
		{"id": "1001", "name": "Alice", "role": "agent", "password": testPassword},
	} {
		admin.expect(t, "POST", "/users", u, 201, nil)
	}
	// A callback request, then two callers waiting.
	warmUp(t, ctx, s)
	asker := dialAs(t, ctx, s, "100", "+14155550142")
	eventsOf(t, s, store.Filter{}, has("callback.offered:"))
	asker.SendDTMF('#', 101)
	s.waitLog(t, 10*time.Second, "callback requested")
	waitBye(t, ctx, asker)
	// Callers now wait long enough to be seen.
	if err := os.WriteFile(path, []byte(strings.Replace(text, "timeout: 2s", "timeout: 10m", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = s.cmd.Process.Signal(syscall.SIGHUP)
	s.waitLog(t, 5*time.Second, "configuration reloaded")
	for _, n := range []string{"+14155550123", "+14155550177"} {
		c := dialAs(t, ctx, s, "100", n)
		defer c.Hangup(context.Background())
	}
	s.waitLog(t, 10*time.Second, "caller joined queue")
	agent := s.client(login(t, s, "1001", testPassword))
	agent.expect(t, "PUT", "/agents/1001/state", map[string]string{"action": "login"}, 200, nil)
	agent.expect(t, "PUT", "/agents/1001/state", map[string]string{"action": "pause", "reason": "Lunch"}, 200, nil)

	b := newBrowser(t, s)
	shot := func(name, path string, ready string) {
		t.Helper()
		b.Open(t, path)
		if ready != "" {
			b.WaitJS(t, "the page to be drawn", ready, 10*time.Second)
		}
		png := browser.Get(t, b, "taking a screenshot of "+path, chromedp.CaptureScreenshot())
		if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b.SignInTo(t, "1001", testPassword, "/agent")
	shot("agent", "/agent", `document.body.dataset.live === "open"`)
	b.Run(t, "signing out", browser.ClearCookies())
	shot("sign-in", "/login", "")
	b.SignIn(t, "sue", testPassword)
	shot("supervisor", "/supervisor", `document.body.dataset.live === "open"`)
	shot("queue", "/supervisor/queues/support", `!!document.querySelector(".tag")`)
	shot("wallboard", "/wallboard", `document.body.dataset.live === "open"`)
	shot("reports", "/reports/queue-callers", "")
	b.WaitJS(t, "scrolling to the charts", `(document.getElementById("heat-h").scrollIntoView(), true)`, 5*time.Second)
	charts := browser.Get(t, b, "taking a screenshot of the charts", chromedp.CaptureScreenshot())
	if err := os.WriteFile(filepath.Join(dir, "reports-charts.png"), charts, 0o644); err != nil {
		t.Fatal(err)
	}
	b.Run(t, "signing out", browser.ClearCookies())
	b.SignIn(t, "root", testPassword)
	shot("admin", "/admin", "")
	shot("admin-queues", "/admin/queues", "")
	b.Open(t, "/admin/dialplans?new=promo")
	b.Run(t, "writing a plan", chromedp.SetValue(chromedp.CSS("#yaml"), danglingPlan))
	b.Click(t, `button[value="check"]`)
	b.WaitJS(t, "the problem beside its line", `!!document.querySelector("#line-4 .msg")`, 5*time.Second)
	png := browser.Get(t, b, "taking a screenshot of the editor", chromedp.CaptureScreenshot())
	if err := os.WriteFile(filepath.Join(dir, "dialplan.png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
