package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/chromedp"
)

// controlRoles are the accessibility roles a user acts on: each needs a
// name a screen reader can say.
var controlRoles = map[string]bool{
	"button": true, "link": true, "textbox": true, "combobox": true, "listbox": true,
	"checkbox": true, "radio": true, "spinbutton": true, "searchbox": true, "switch": true,
	"slider": true, "menuitem": true, "tab": true,
}

// unnamedControls lists the page's controls that Chromium's accessibility
// tree gives no name: a missing label, an icon button without text.
func (b *browser) unnamedControls(t *testing.T) []string {
	t.Helper()
	tree, err := chromedp.Call(b.ctx, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
	if err != nil {
		t.Fatalf("reading the accessibility tree: %v", err)
	}
	var bad []string
	for _, n := range tree.Nodes {
		if n.Ignored || n.Role == nil {
			continue
		}
		var role, name string
		_ = json.Unmarshal(n.Role.Value, &role)
		if !controlRoles[role] {
			continue
		}
		if n.Name != nil {
			_ = json.Unmarshal(n.Name.Value, &name)
		}
		if strings.TrimSpace(name) == "" {
			bad = append(bad, fmt.Sprintf("a %s (DOM node %d)", role, n.BackendDOMNodeID))
		}
	}
	return bad
}

// overflow is how far the page is wider than the window, in CSS pixels,
// once its style sheet has loaded.
func (b *browser) overflow(t *testing.T) int {
	t.Helper()
	b.waitJS(t, "the page to finish loading", `document.readyState === "complete"`, 5*time.Second)
	return get(t, b, "measuring the page's width", chromedp.Evaluate[int](
		`document.documentElement.scrollWidth - document.documentElement.clientWidth`))
}

// pastEdge names the elements reaching past the window's right edge.
func (b *browser) pastEdge(t *testing.T) []string {
	t.Helper()
	return get(t, b, "finding what is too wide", chromedp.Evaluate[[]string](`(function(){
		var w = document.documentElement.clientWidth, out = [];
		document.querySelectorAll("body *").forEach(function(e){
			var r = e.getBoundingClientRect();
			if (r.right > w + 0.5) out.push(e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className ? "." + String(e.className).split(" ").join(".") : "") + " to " + Math.round(r.right) + " px");
		});
		return out.slice(0, 8);
	})()`))
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
		b.run(t, "clearing cookies", clearCookies())
		b.signIn(t, role.user, testPassword)
		for _, page := range role.pages {
			b.open(t, page)
			if bad := b.unnamedControls(t); len(bad) > 0 {
				t.Errorf("%s as %s has controls without a name: %s", page, role.user, strings.Join(bad, ", "))
			}
			if px := b.overflow(t); px > 0 {
				t.Errorf("%s as %s is %d px wider than a 1280 px window; past its edge: %s", page, role.user, px, strings.Join(b.pastEdge(t), ", "))
			}
		}
	}
	b.clean(t)
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
	b.signIn(t, "1001", testPassword)
	b.waitText(t, "[data-testid=agent-state]", "Ready", 2*time.Second)

	press := func(label, sel string) {
		t.Helper()
		focused := fmt.Sprintf(`document.activeElement === document.querySelector(%q)`, sel)
		for range 60 {
			if b.is(t, "reading the focus", focused) {
				b.run(t, "pressing Enter on "+label, chromedp.KeyEvent("\r"))
				return
			}
			b.run(t, "pressing Tab", chromedp.KeyEvent("\t"))
		}
		t.Fatalf("Tab never reached %s", label)
	}
	press("Pause: Lunch", `button[name="pause-reason"][value="Lunch"]`)
	b.waitText(t, "[data-testid=agent-state]", "Paused: Lunch", 2*time.Second)
	var st struct{ State, Reason string }
	as["agent"].expect(t, "GET", "/agents/1001/state", nil, 200, &st)
	if st.State != "paused" || st.Reason != "Lunch" {
		t.Fatalf("the API says %+v after Enter on Pause: Lunch; want paused, Lunch", st)
	}
	press("Ready", `form.menu button[value="ready"]`)
	b.waitText(t, "[data-testid=agent-state]", "Ready", 2*time.Second)
	b.clean(t)
}
