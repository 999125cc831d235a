package main

import (
	"context"
	"fmt"
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

// longReason is a pause reason of the longest length a name may have
// (config.MaxNameLen), made of words, as a real one would be.
var longReason = strings.TrimSpace(strings.Repeat("Coaching session with the team lead about ", 7))[:255]

// layoutYAML is a centre with five queues, so that the wallboard has more
// than it can show at once, and an agent with a long name and a pause
// reason of the longest length.
func layoutYAML() string {
	return fmt.Sprintf(`sip_realm: test.local
numbers: {"100": support, "200": sales}
pause_reasons: [Lunch, Training, %q]
trunks:
  carrier: {address: "127.0.0.1:5099", caller_id: {number: "+14155550100"}}
agents:
  "1001": {name: Alice, password: secret-1001, queues: [support]}
  "1002": {name: Bob, password: secret-1002, queues: [sales]}
  "1003": {name: Caroline Vandenberghe-Fitzgerald, password: secret-1003, queues: [support, sales, billing]}
queues:
  support:   {name: Support, extension: "600", strategy: linear, ring_timeout: 2s, announce_every: 1h, service_level: {threshold: 1s}}
  sales:     {name: Sales, extension: "601", strategy: linear, ring_timeout: 2s, announce_every: 1h}
  billing:   {name: Billing and invoices, extension: "602", strategy: linear, ring_timeout: 2s, announce_every: 1h}
  returns:   {name: Returns, extension: "603", strategy: linear, ring_timeout: 2s, announce_every: 1h}
  technical: {name: Technical support, extension: "604", strategy: linear, ring_timeout: 2s, announce_every: 1h}
dialplans:
  support:
    entry: q
    nodes:
      q:   {type: queue, queue: support, timeout: 60s, on_timeout: bye, on_exit: bye}
      bye: {type: hangup}
  sales:
    entry: q
    nodes:
      q:   {type: queue, queue: sales, timeout: 60s, on_timeout: bye, on_exit: bye}
      bye: {type: hangup}
`, longReason)
}

// layoutCentre starts a centre with data in every table: an answered
// call (agent performance), an abandoned one (the report's charts), two
// callers waiting in support, an agent paused with the long reason.
func layoutCentre(t *testing.T) *server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s := startAcd(t, "-config", writeConfig(t, layoutYAML()))
	admin := setupAdmin(t, s)
	for _, u := range []map[string]any{
		{"id": "sup", "name": "Sue Supervisor", "role": "supervisor", "password": testPassword,
			"queues": []string{"support", "sales", "billing", "returns", "technical"}},
		{"id": "1001", "name": "Alice", "role": "agent", "password": testPassword},
		{"id": "1003", "name": "Caroline Vandenberghe-Fitzgerald", "role": "agent", "password": testPassword},
	} {
		admin.expect(t, "POST", "/users", u, 201, nil)
	}
	// A queue made here, so that its form is drawn on its page.
	admin.expect(t, "POST", "/queues", map[string]any{"id": "promo", "name": "Promotions", "strategy": "ring-all",
		"callback": map[string]any{"enabled": true, "threshold": "2m", "caller_id": "+14155550100", "trunk": "carrier"}}, 201, nil)
	alice := agentPhone(t, ctx, s, "1001", testutil.AnswerMode{After: 100 * time.Millisecond})
	caller := dial(t, ctx, s)
	incoming(t, ctx, alice)
	eventsOf(t, s, store.Filter{}, has("agent.answered:1001"))
	_ = caller.Hangup(ctx)
	gone := dialAs(t, ctx, s, "200", "+14155550166")
	s.waitLog(t, 10*time.Second, "caller joined queue", "queue=sales")
	_ = gone.Hangup(ctx)
	eventsOf(t, s, store.Filter{Queue: "sales"}, has("caller.abandoned:"))

	a := s.client(login(t, s, "1001", testPassword))
	a.expect(t, "PUT", "/agents/1001/state", map[string]any{"action": "pause", "reason": "Lunch"}, 200, nil)
	c := s.client(login(t, s, "1003", testPassword))
	c.expect(t, "PUT", "/agents/1003/state", map[string]any{"action": "login"}, 200, nil)
	c.expect(t, "PUT", "/agents/1003/state", map[string]any{"action": "pause", "reason": longReason}, 200, nil)
	for _, n := range []string{"+14155550123", "+14155550177"} {
		w := dialAs(t, context.Background(), s, "100", n)
		t.Cleanup(func() { _ = w.Hangup(context.Background()) })
	}
	waitQueued(t, s.client(login(t, s, "sup", testPassword)), "support", 2)
	return s
}

// layoutPages are the main pages of each role, with their data.
var layoutPages = []struct {
	user  string
	pages []string
}{
	{"1003", []string{"/agent"}},
	{"sup", []string{"/supervisor", "/supervisor/queues/support", "/wallboard", "/reports/queue-callers", "/reports/agent-performance"}},
	{"root", []string{"/admin", "/admin/users", "/admin/permissions", "/admin/queues", "/admin/queues/support", "/admin/queues/promo", "/admin/agents",
		"/admin/trunks", "/admin/pause-reasons", "/admin/dialplans", "/admin/dialplans/support", "/admin/recorded-messages"}},
}

// TestConsoleLayout: at 1280×720 and 1920×1080, with callers waiting,
// agents in every table and a pause reason of the longest length, no
// main page of any role scrolls sideways, breaks a number or a name
// inside a table cell, draws chart labels over each other, sets a card
// of a grid lower than the others of its row, or leaves a control
// without a name. With
// ACD_SCREENSHOTS=DIR each page is drawn into DIR, to be looked at.
func TestConsoleLayout(t *testing.T) {
	t.Parallel()
	s := layoutCentre(t)
	b := newBrowser(t, s)
	dir := os.Getenv("ACD_SCREENSHOTS")
	for _, size := range [][2]int64{{1280, 720}, {1920, 1080}} {
		b.Run(t, "sizing the window", chromedp.EmulateViewport(size[0], size[1]))
		for _, role := range layoutPages {
			b.Run(t, "clearing cookies", browser.ClearCookies())
			b.SignIn(t, role.user, testPassword)
			for _, page := range role.pages {
				at := fmt.Sprintf("%s as %s at %d×%d", page, role.user, size[0], size[1])
				b.Open(t, page)
				if px := b.Overflow(t); px > 0 {
					t.Errorf("%s is %d px wider than the window; past its edge: %s", at, px, strings.Join(b.PastEdge(t), ", "))
				}
				if bad := b.UnnamedControls(t); len(bad) > 0 {
					t.Errorf("%s has controls without a name: %s", at, strings.Join(bad, ", "))
				}
				if bad := b.BrokenWords(t); len(bad) > 0 {
					t.Errorf("%s breaks words inside: %s", at, strings.Join(bad, ", "))
				}
				if bad := b.OverlappingText(t); len(bad) > 0 {
					t.Errorf("%s draws chart labels over each other: %s", at, strings.Join(bad, ", "))
				}
				if bad := b.MisalignedCards(t); len(bad) > 0 {
					t.Errorf("%s misaligns cards: %s", at, strings.Join(bad, ", "))
				}
				if dir != "" {
					png := browser.Get(t, b, "drawing "+page, chromedp.FullScreenshot(100))
					name := fmt.Sprintf("%dx%d%s.png", size[0], size[1], strings.ReplaceAll(page, "/", "-"))
					if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
	}
	b.Clean(t)
}

// TestConsoleWallboardFitsFourQueues: at 1280×800 the wallboard shows at
// least four queues whole, each with today's calls offered, answered and
// abandoned and its service level from the reports; a longest wait past
// the queue's service-level threshold and a service level under target
// are marked in words as well as in colour.
func TestConsoleWallboardFitsFourQueues(t *testing.T) {
	t.Parallel()
	s := layoutCentre(t)
	b := newBrowser(t, s)
	b.Run(t, "sizing the window", chromedp.EmulateViewport(1280, 800))
	b.SignIn(t, "sup", testPassword)
	b.Open(t, "/wallboard")
	b.WaitJS(t, "the live stream", `document.body.dataset.live === "open"`, 5*time.Second)
	whole := browser.Get(t, b, "counting the queues shown whole", chromedp.Evaluate[int](`Array.from(document.querySelectorAll(".wall [data-queue]")).filter(function(e){
		var r = e.getBoundingClientRect(); return r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth; }).length`))
	if whole < 4 {
		t.Errorf("the wallboard shows %d queues whole at 1280×800; want at least 4", whole)
	}
	if dir := os.Getenv("ACD_SCREENSHOTS"); dir != "" {
		png := browser.Get(t, b, "drawing the wallboard", chromedp.CaptureScreenshot())
		if err := os.WriteFile(filepath.Join(dir, "1280x800-wallboard.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// support: Alice's answered call and the two callers waiting; sales:
	// the caller who hung up.
	for sel, want := range map[string]string{
		figure("support", "offered-today"): "3", figure("support", "answered-today"): "1", figure("support", "abandoned-today"): "0",
		figure("sales", "offered-today"): "1", figure("sales", "abandoned-today"): "1", figure("sales", "service-level"): "0.0 %",
	} {
		if got := b.Text(t, sel); got != want {
			t.Errorf("%s reads %q; want %q", sel, got, want)
		}
	}
	// support's callers have waited past its 1 s threshold; its service
	// level is under its 80 % target.
	b.WaitJS(t, "support's longest wait to be marked", `!!document.querySelector('[data-queue="support"] [data-testid="oldest-figure"][data-over]')`, 5*time.Second)
	if got := b.Text(t, `[data-queue="support"] [data-testid="oldest-figure"]`); !strings.Contains(got, "over 0:01") {
		t.Errorf("support's longest wait reads %q; want it to say it is over 0:01", got)
	}
	if got := b.Text(t, `[data-queue="support"] [data-testid="sl-figure"]`); !strings.Contains(got, "below target 80 %") {
		t.Errorf("support's service level reads %q; want it to say it is below target 80 %%", got)
	}
	if b.Is(t, "reading billing's longest wait", `!!document.querySelector('[data-queue="billing"] [data-over]')`) {
		t.Error("billing, where nobody waits, is marked over its threshold")
	}
	colour := func(sel string) string {
		return browser.Get(t, b, "reading a colour", chromedp.Evaluate[string](fmt.Sprintf(`getComputedStyle(document.querySelector(%q)).color`, sel)))
	}
	if over, calm := colour(`[data-queue="support"] [data-testid="oldest"]`), colour(`[data-queue="billing"] [data-testid="oldest"]`); over == calm {
		t.Errorf("support's longest wait past its threshold is drawn in %s, as billing's; want another colour", over)
	}
	b.Clean(t)
}

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

// TestConsolePagesAreUsable: every main page of each role, at 1280×720,
// names each of its controls for assistive technology, fits the window's
// width (no sideways scrolling), and reports no script error or CSP
// violation.
func TestConsolePagesAreUsable(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	as := users(t, s, setupAdmin(t, s))
	as["agent"].expect(t, "PUT", "/agents/1001/state", map[string]any{"action": "login"}, 200, nil)
	for range 2 { // two versions: two players
		if code, body := upload(t, as["admin"], "spring-offer", wavTone(440, 8000, 1, 1)); code != 201 {
			t.Fatalf("upload: %d %s", code, body)
		}
	}
	b := newBrowser(t, s)
	for _, role := range []struct {
		user  string
		pages []string
	}{
		{"1001", []string{"/agent"}},
		{"sup", []string{"/supervisor", "/supervisor/queues/support", "/wallboard", "/reports/queue-callers", "/reports/agent-performance", "/reports/conversations"}},
		{"root", []string{"/admin", "/admin/users", "/admin/permissions", "/admin/settings", "/admin/queues", "/admin/agents",
			"/admin/trunks", "/admin/pause-reasons", "/admin/tags", "/admin/canned-messages", "/admin/dialplans", "/admin/dialplans/support",
			"/admin/queues/support", "/admin/agents/1001", "/admin/recorded-messages"}},
	} {
		b.Run(t, "clearing cookies", browser.ClearCookies())
		b.SignIn(t, role.user, testPassword)
		for _, page := range role.pages {
			b.Open(t, page)
			if bad := b.UnnamedControls(t); len(bad) > 0 {
				t.Errorf("%s as %s has controls without a name: %s", page, role.user, strings.Join(bad, ", "))
			}
			if px := b.Overflow(t); px > 0 {
				t.Errorf("%s as %s is %d px wider than a 1280 px window; past its edge: %s", page, role.user, px, strings.Join(b.PastEdge(t), ", "))
			}
		}
	}
	b.Clean(t)
}
