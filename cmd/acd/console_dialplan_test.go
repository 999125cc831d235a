package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/acdserver/acd/internal/browser"
)

// A plan whose queue node's on_exit leads to a node that does not exist
// (line 4), and the same plan fixed.
const (
	danglingPlan = "entry: hello\nnodes:\n  hello: {type: play, prompt: welcome, next: q}\n  q: {type: queue, queue: support, timeout: 30s, on_timeout: bye, on_exit: goodbye}\n  bye: {type: hangup}\n"
	fixedPlan    = "entry: hello\nnodes:\n  hello: {type: play, prompt: welcome, next: q}\n  q: {type: queue, queue: support, timeout: 30s, on_timeout: bye, on_exit: bye}\n  bye: {type: hangup}\n"
)

// TestConsoleDialplanEditor: an administrator writes a dial plan with a
// dangling connector and sees the message beside its line and the
// connector drawn dangling; fixes it, saves it, routes a number to it and
// simulates a call; then a real SIP call to that number takes the new
// path.
func TestConsoleDialplanEditor(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	setupAdmin(t, s)
	b := newBrowser(t, s)
	b.SignInTo(t, "root", testPassword, "/admin/dialplans?new=promo")
	if p := b.Path(t); p != "/admin/dialplans/promo" {
		t.Fatalf("a new plan opened %s", p)
	}
	b.Run(t, "writing the plan", chromedp.SetValue(chromedp.CSS("#yaml"), danglingPlan))
	b.Click(t, `button[value="save"]`)
	b.WaitText(t, "#line-4 .msg", `dialplan promo:4: dial plan "promo", node "q": on_exit leads to node "goodbye", which does not exist`, 5*time.Second)
	if text := b.Text(t, "#line-3"); strings.Contains(text, "does not exist") {
		t.Errorf("line 3 carries a message: %q", text)
	}
	// What was typed is kept, and the graph shows the connector to nowhere.
	if got := b.Value(t, "#yaml"); got != danglingPlan {
		t.Errorf("the editor holds %q after the refusal; want what was typed", got)
	}
	b.WaitJS(t, "a dangling connector to a missing node", `document.querySelectorAll("svg.graph path.edge.dangling").length === 1 &&
		!!document.querySelector('svg.graph g.missing[data-node="goodbye"]')`, 2*time.Second)
	b.Open(t, "/admin/dialplans")
	if strings.Contains(b.Text(t, "main"), "promo") {
		t.Fatal("a refused plan was kept")
	}

	b.Open(t, "/admin/dialplans/promo")
	b.Run(t, "fixing the plan", chromedp.SetValue(chromedp.CSS("#yaml"), fixedPlan))
	b.Click(t, `button[value="check"]`)
	b.WaitText(t, "main", "No problems found", 5*time.Second)
	b.Click(t, `button[value="save"]`)
	b.WaitText(t, "main", "Saved as version 1", 5*time.Second)
	b.WaitJS(t, "a graph without dangling connectors", `document.querySelectorAll("svg.graph g.node").length === 3 &&
		document.querySelectorAll("svg.graph path.edge.dangling").length === 0`, 2*time.Second)

	b.Open(t, "/admin/dialplans")
	b.Run(t, "routing 300", browser.SendKeys("#route-number", "300"), chromedp.SetValue(chromedp.CSS("#route-plan"), "promo"))
	b.Click(t, `button[value="route"]`)
	b.WaitText(t, `tr[data-number="300"]`, "promo", 5*time.Second)

	b.Run(t, "simulating a call to 300", browser.SendKeys("#sim-number", "300"))
	b.Click(t, `form[action="/admin/simulate"] button`)
	b.WaitText(t, "[data-testid=simulation]", "promo/hello", 5*time.Second)
	b.WaitText(t, "[data-testid=simulation]", "promo/q", time.Second)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	caller := dialAs(t, ctx, s, "300", "+14155550199")
	defer caller.Hangup(context.Background())
	line := s.waitLog(t, 10*time.Second, "call answered", "number=300", "+14155550199")
	callID := strings.Fields(strings.SplitN(line, "call_id=", 2)[1])[0]
	s.waitLog(t, 10*time.Second, "caller joined queue", "call_id="+callID, "queue=support")
	b.Clean(t)
}

// sidePlan has two connectors from q to bye, and a node nobody reaches
// whose connector leads back up to the entry: a draft the editor draws
// though the server refuses to save it.
const sidePlan = "entry: hello\nnodes:\n  hello: {type: play, prompt: welcome, next: q}\n  q: {type: queue, queue: support, timeout: 30s, on_timeout: bye, on_exit: bye}\n  bye: {type: hangup}\n  stray: {type: play, prompt: welcome, next: hello}\n"

// TestConsoleDialplanEditorDrawsAndRestores: the editor keeps the text's
// indentation, draws the labels of two connectors between the same nodes
// apart and every connector inside the drawing, and puts an older version
// back in force from the page, as the API does.
func TestConsoleDialplanEditorDrawsAndRestores(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	admin := setupAdmin(t, s)
	admin.expect(t, "PUT", "/dialplans/promo", map[string]string{"yaml": fixedPlan}, 200, nil)
	admin.expect(t, "PUT", "/dialplans/promo", map[string]string{"yaml": strings.Replace(fixedPlan, "30s", "45s", 1)}, 200, nil)
	b := newBrowser(t, s)
	b.SignInTo(t, "root", testPassword, "/admin/dialplans/promo")
	b.Run(t, "writing a draft", chromedp.SetValue(chromedp.CSS("#yaml"), sidePlan))
	b.Click(t, `button[value="check"]`)
	b.WaitText(t, "#line-6 .msg", "cannot be reached", adminWait)

	if line := b.Text(t, "#line-3 code"); !strings.HasPrefix(line, "  hello:") {
		t.Errorf("line 3 reads %q; want its indentation kept", line)
	}
	overlaps := b.Is(t, "comparing the connectors' labels", `(function(){
		var boxes = Array.from(document.querySelectorAll("svg.graph g:not(.node) > text")).map(function(e){ return e.getBBox() });
		for (var i = 0; i < boxes.length; i++) for (var j = i + 1; j < boxes.length; j++) {
			var a = boxes[i], b = boxes[j];
			if (a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height) return true;
		}
		return false })()`)
	if overlaps {
		t.Error("two connectors' labels are drawn on top of each other")
	}
	outside := browser.Get(t, b, "measuring the connectors", chromedp.Evaluate[[]string](`(function(){
		var svg = document.querySelector("svg.graph"), vb = svg.viewBox.baseVal, out = [];
		svg.querySelectorAll("g:not(.node) > path, g:not(.node) > text").forEach(function(e){
			var r = e.getBBox();
			if (r.x < 0 || r.y < 0 || r.x + r.width > vb.width || r.y + r.height > vb.height) out.push(e.outerHTML);
		});
		return out })()`))
	if len(outside) > 0 {
		t.Errorf("drawn outside the graph's box: %v", outside)
	}

	b.Open(t, "/admin/dialplans/promo")
	b.Click(t, `form[data-version="1"] button`)
	b.WaitText(t, "main [role=status]", "Version 1 is in force again", adminWait)
	var d struct{ Version int }
	admin.expect(t, "GET", "/dialplans/promo", nil, 200, &d)
	if d.Version != 1 {
		t.Errorf("the API says version %d is in force after putting version 1 back from the page", d.Version)
	}
	b.Clean(t)
}
