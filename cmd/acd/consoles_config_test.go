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

// TestConsoleAdminTrunkSettings: the administrator's trunk form sets
// every setting the API does (transport, registration, caller ID, SRTP);
// a bad caller ID is refused naming its field with what was typed kept;
// and changing one field of a trunk keeps the others, so the page never
// drops a registration it does not show.
func TestConsoleAdminTrunkSettings(t *testing.T) {
	t.Parallel()
	_, as, b := adminConsole(t)
	admin := as["admin"]
	b.Open(t, "/admin/trunks")
	form := `form[data-form="new"] `
	b.Run(t, "filling the new trunk with a bad caller ID",
		browser.SendKeys(form+`input[name="id"]`, "carrier"),
		browser.SendKeys(form+`input[name="address"]`, "127.0.0.1:5098"),
		chromedp.SetValue(chromedp.CSS(form+`select[name="transport"]`), "tcp"),
		browser.SendKeys(form+`input[name="username"]`, "acct"),
		browser.SendKeys(form+`input[name="password"]`, "trunk-secret"),
		browser.ClickOn(form+`input[name="register"]`),
		browser.SendKeys(form+`input[name="register_expires"]`, "30m"),
		browser.SendKeys(form+`input[name="caller_id.number"]`, "not a number"),
		browser.SendKeys(form+`input[name="caller_id.name"]`, "Acme Support"),
		chromedp.SetValue(chromedp.CSS(form+`select[name="srtp"]`), "optional"),
		browser.ClickOn(form+`button[type=submit]`))
	b.WaitText(t, form+`[role=alert]`, "caller_id.number", adminWait)
	if !b.Is(t, "reading aria-invalid", `document.querySelector('`+form+`input[name="caller_id.number"]').getAttribute('aria-invalid') === 'true'`) {
		t.Error("the caller ID number is not marked invalid")
	}
	for field, want := range map[string]string{`input[name="caller_id.number"]`: "not a number", `input[name="caller_id.name"]`: "Acme Support",
		`input[name="register_expires"]`: "30m", `select[name="transport"]`: "tcp", `select[name="srtp"]`: "optional", `input[name="password"]`: ""} {
		if got := b.Value(t, form+field); got != want {
			t.Errorf("after the refusal %s holds %q; want %q", field, got, want)
		}
	}
	if !b.Is(t, "reading the register box", `document.querySelector('`+form+`input[name="register"]').checked`) {
		t.Error("after the refusal the register box is not ticked")
	}

	b.Run(t, "correcting the caller ID",
		chromedp.SetValue(chromedp.CSS(form+`input[name="caller_id.number"]`), "+14155550199"),
		browser.SendKeys(form+`input[name="password"]`, "trunk-secret"),
		browser.ClickOn(form+`button[type=submit]`))
	b.WaitText(t, `tr[data-trunk="carrier"]`, "127.0.0.1:5098", adminWait)
	type trunk struct {
		Address, Transport, Username, SRTP string
		Register                           bool
		RegisterExpires                    string                         `json:"register_expires"`
		HasPassword                        bool                           `json:"has_password"`
		CallerID                           *struct{ Number, Name string } `json:"caller_id"`
	}
	read := func() trunk {
		t.Helper()
		var list struct{ Trunks []trunk }
		admin.expect(t, "GET", "/trunks", nil, 200, &list)
		if len(list.Trunks) != 1 {
			t.Fatalf("trunks: %+v", list.Trunks)
		}
		return list.Trunks[0]
	}
	check := func(when, address string) {
		t.Helper()
		got := read()
		if got.Address != address || got.Transport != "tcp" || got.Username != "acct" || !got.HasPassword || !got.Register ||
			got.RegisterExpires != "30m" || got.SRTP != "optional" || got.CallerID == nil ||
			got.CallerID.Number != "+14155550199" || got.CallerID.Name != "Acme Support" {
			t.Fatalf("%s the API reads %+v (caller ID %+v)", when, got, got.CallerID)
		}
	}
	check("after creating the trunk from the page", "127.0.0.1:5098")

	edit := `form[data-form="trunk:carrier"] `
	b.Run(t, "changing the address alone", browser.ClickOn(`tr[data-trunk="carrier"] summary`),
		chromedp.SetValue(chromedp.CSS(edit+`input[name="address"]`), "127.0.0.1:5099"),
		browser.ClickOn(edit+`button[type=submit]`))
	b.WaitText(t, `tr[data-trunk="carrier"]`, "127.0.0.1:5099", adminWait)
	check("after changing the address from the page", "127.0.0.1:5099")
	b.Clean(t)
}

// fileObjectsYAML is the API tests' configuration with a trunk of the
// file's, its password in the file.
const fileObjectsYAML = apiYAML + `trunks:
  carrier: {address: 127.0.0.3:5080, username: acd, password: trunk-file-secret, inbound_from: [127.0.0.3/32]}
`

// TestConsoleFileObjectsReadOnly: every object of the configuration file
// is shown in the console, read-only, with its FILE:LINE and its YAML as
// written (secrets left out); the API gives the YAML of a file's dial plan.
func TestConsoleFileObjectsReadOnly(t *testing.T) {
	t.Parallel()
	cfg := writeConfig(t, fileObjectsYAML)
	s := startAcd(t, "-config", cfg)
	admin := setupAdmin(t, s)

	var plan struct{ Source, YAML string }
	admin.expect(t, "GET", "/dialplans/support", nil, 200, &plan)
	if plan.Source != cfg+":13" || !strings.Contains(plan.YAML, "entry: q") || !strings.Contains(plan.YAML, "on_timeout: bye") {
		t.Errorf("GET /dialplans/support: source %q, yaml %q; want %s:13 and the plan's entry and nodes", plan.Source, plan.YAML, cfg)
	}

	b := newBrowser(t, s)
	b.SignIn(t, "root", testPassword)
	b.Open(t, "/admin/dialplans/support")
	if text := b.Text(t, "main"); !strings.Contains(text, cfg+":13") {
		t.Errorf("the file's plan page reads %q; want its place %s:13", lastLines(text, 20), cfg)
	}
	if line := b.Text(t, "#line-1"); !strings.Contains(line, "entry: q") {
		t.Errorf("the file's plan shows line 1 as %q; want its entry", line)
	}

	for _, c := range []struct {
		list, link, line string
		want             []string
		secret           string
	}{
		{"/admin/queues", "/admin/queues/support", ":9", []string{"name: Support", "strategy: linear"}, ""},
		{"/admin/agents", "/admin/agents/1001", ":6", []string{"name: Alice", "queues: [support]"}, "secret-1001"},
		{"/admin/trunks", "/admin/trunks/carrier", ":23", []string{"127.0.0.3:5080", "username: acd"}, "trunk-file-secret"},
	} {
		b.Open(t, c.list)
		b.Click(t, `main a[href="`+c.link+`"]`)
		if p := b.Path(t); p != c.link {
			t.Fatalf("the link to %s led to %s", c.link, p)
		}
		text := b.Text(t, "main")
		if !strings.Contains(text, cfg+c.line) {
			t.Errorf("%s reads %q; want its place %s%s", c.link, lastLines(text, 20), cfg, c.line)
		}
		yaml := b.Text(t, "[data-testid=file-yaml]")
		for _, w := range c.want {
			if !strings.Contains(yaml, w) {
				t.Errorf("%s shows the YAML %q; want %q in it", c.link, yaml, w)
			}
		}
		if c.secret != "" {
			if html := browser.Get(t, b, "reading the page", chromedp.OuterHTML(chromedp.CSS("html"))); strings.Contains(html, c.secret) {
				t.Errorf("%s holds the password of the file", c.link)
			}
		}
		if b.Is(t, "looking for a form", `!!document.querySelector('main form[method="post"]')`) {
			t.Errorf("%s offers a form: the file's objects are read-only here", c.link)
		}
	}
	b.Clean(t)
}
