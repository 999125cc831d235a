package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/acdserver/acd/internal/browser"
)

// TestConsolePagesAreUsable: every main page of each role, at 1280×720,
// names each of its controls for assistive technology, fits the window's
// width (no sideways scrolling), and reports no script error or CSP
// violation.
func TestConsolePagesAreUsable(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	as := users(t, s, setupAdmin(t, s))
	as["agent"].expect(t, "PUT", "/agents/1001/state", map[string]any{"action": "login"}, 200, nil)
	b := newBrowser(t, s)
	for _, role := range []struct {
		user  string
		pages []string
	}{
		{"1001", []string{"/agent"}},
		{"sup", []string{"/supervisor", "/supervisor/queues/support", "/wallboard", "/reports/queue-callers", "/reports/agent-performance", "/reports/conversations"}},
		{"root", []string{"/admin", "/admin/users", "/admin/permissions", "/admin/settings", "/admin/queues", "/admin/agents",
			"/admin/trunks", "/admin/pause-reasons", "/admin/tags", "/admin/canned-messages", "/admin/dialplans", "/admin/dialplans/support",
			"/admin/queues/support", "/admin/agents/1001"}},
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
