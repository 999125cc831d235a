package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/acdserver/acd/config"
	"github.com/acdserver/acd/internal/browser"
)

// TestConsoleAdminCreatesSupervisor: the administrator creates a
// supervisor from the users page (a refusal first, with what was typed
// kept and the password not), and the new user signs in to the
// supervisor's console.
func TestConsoleAdminCreatesSupervisor(t *testing.T) {
	t.Parallel()
	s, as, b := adminConsole(t)
	b.Open(t, "/admin/users")
	b.Run(t, "filling the new user form with a short password",
		browser.SendKeys("#id-new", "sue"), browser.SendKeys("#name-new", "Sue Supervisor"), browser.SendKeys("#password-new", "short"),
		browser.ClickOn(`form[data-form="new"] input[name="queues"][value="support"]`),
		browser.ClickOn(`form[data-form="new"] button[type=submit]`))
	b.WaitText(t, `form[data-form="new"] [data-testid=form-error]`, "password", adminWait)
	if msg := b.Text(t, `form[data-form="new"] [data-testid=form-error]`); !strings.Contains(msg, "shorter than 12") {
		t.Errorf("the refusal reads %q; want the service's message about the password's length", msg)
	}
	if id, name := b.Value(t, "#id-new"), b.Value(t, "#name-new"); id != "sue" || name != "Sue Supervisor" {
		t.Errorf("after the refusal the form holds id %q, name %q; want what was typed", id, name)
	}
	if !b.Is(t, "reading the support box", `document.querySelector('form[data-form="new"] input[name="queues"][value="support"]').checked`) {
		t.Error("after the refusal the support queue is no longer ticked")
	}
	if pw := b.Value(t, "#password-new"); pw != "" {
		t.Errorf("the password field came back holding %q; a password is never drawn back", pw)
	}

	b.Run(t, "submitting with a good password", browser.SendKeys("#password-new", testPassword), browser.ClickOn(`form[data-form="new"] button[type=submit]`))
	b.WaitText(t, `tr[data-user="sue"]`, "supervisor", adminWait)
	var u struct {
		Role   string
		Name   string
		Queues []string
	}
	as["admin"].expect(t, "GET", "/users/sue", nil, 200, &u)
	if u.Role != "supervisor" || u.Name != "Sue Supervisor" || strings.Join(u.Queues, ",") != "support" {
		t.Fatalf("the API shows %+v; want supervisor Sue Supervisor of support", u)
	}
	b.Clean(t)

	// The supervisor's console is another page's: only where the sign-in
	// leads is asserted, and who the API says signed in.
	b.Run(t, "signing out", browser.ClearCookies())
	b.Open(t, "/login")
	b.Run(t, "signing in as sue", browser.SendKeys("#user", "sue"), browser.SendKeys("#password", testPassword),
		browser.ClickOn(`form[action="/login"] button[type=submit]`))
	b.WaitJS(t, "sue's sign-in to lead to /supervisor", `location.pathname === "/supervisor"`, adminWait)
	var me struct{ ID, Role string }
	s.client(login(t, s, "sue", testPassword)).expect(t, "GET", "/me", nil, 200, &me)
	if me.Role != "supervisor" {
		t.Fatalf("/me for sue: %+v; want a supervisor", me)
	}
}

// TestConsoleAdminPermissions: a supervisor permission revoked from the
// page differs from its default, in the page and the API, until
// "Restore defaults" puts it back.
func TestConsoleAdminPermissions(t *testing.T) {
	t.Parallel()
	_, as, b := adminConsole(t)
	const perm = "queues.settings.view" // granted by default
	row := fmt.Sprintf(`section[data-role="supervisor"] tr[data-permission=%q]`, perm)
	b.Open(t, "/admin/permissions")
	if b.Is(t, "looking for a difference", fmt.Sprintf(`!!document.querySelector('%s [data-testid=differs]')`, row)) {
		t.Fatalf("%s differs from its default before any change", perm)
	}
	b.Run(t, "revoking "+perm, browser.ClickOn(row+` input[type=checkbox]`), browser.ClickOn(`section[data-role="supervisor"] form[action="/admin/permissions/supervisor"] button[type=submit]`))
	b.WaitText(t, row, "differs from default", adminWait)
	if granted(t, as["admin"], "supervisor", perm) {
		t.Fatalf("the API says %s is still granted after revoking it from the page", perm)
	}
	if b.Is(t, "reading the box", fmt.Sprintf(`document.querySelector('%s input[type=checkbox]').checked`, row)) {
		t.Errorf("%s shows ticked after it was revoked", perm)
	}

	b.Click(t, `[data-testid="restore-supervisor"]`)
	b.WaitGone(t, row, "differs from default", adminWait)
	if !granted(t, as["admin"], "supervisor", perm) {
		t.Fatalf("the API says %s is not granted after restoring the defaults", perm)
	}

	// Every role's defaults at once.
	agentRow := `section[data-role="agent"] tr[data-permission="tags.create"]`
	b.Run(t, "revoking the agents' tags.create", browser.ClickOn(agentRow+` input[type=checkbox]`),
		browser.ClickOn(`section[data-role="agent"] form[action="/admin/permissions/agent"] button[type=submit]`))
	b.WaitText(t, agentRow, "differs from default", adminWait)
	if granted(t, as["admin"], "agent", "tags.create") {
		t.Fatal("the API says tags.create is still granted to agents after revoking it from the page")
	}
	b.Click(t, `[data-testid="restore-all"]`)
	b.WaitGone(t, agentRow, "differs from default", adminWait)
	if !granted(t, as["admin"], "agent", "tags.create") {
		t.Fatal("the API says tags.create is not granted to agents after restoring every role's defaults")
	}
	b.Clean(t)
}

// TestConsoleAdminQueues: the new queue form proposes the next free
// extension, a queue created with it appears in the API, and refusals
// (a bad id, a taken one) show the service's message with what was typed
// kept; the file's queues are read-only.
func TestConsoleAdminQueues(t *testing.T) {
	t.Parallel()
	_, as, b := adminConsole(t)
	cfg, err := config.Parse("acd.yaml", []byte(apiYAML))
	if err != nil {
		t.Fatal(err)
	}
	b.Open(t, "/admin/queues")
	if ext := b.Value(t, "#extension-new"); ext != cfg.FreeExtension() {
		t.Fatalf("the new queue form proposes extension %q; the configuration's next free one is %q", ext, cfg.FreeExtension())
	}
	if b.Is(t, "looking for a delete button on the file's queue", `!!document.querySelector('tr[data-queue="support"] button')`) {
		t.Error("the file's queue support has buttons; it is read-only here")
	}
	if src := b.Text(t, `tr[data-queue="support"]`); !strings.Contains(src, ".yaml:") {
		t.Errorf("the support row reads %q; want its FILE:LINE", src)
	}

	// A bad id: the service's message names the field; the form keeps
	// what was typed.
	b.Run(t, "creating a queue with a bad id", browser.SendKeys("#id-new", "Bad Id"), browser.SendKeys("#name-new", "Billing desk"),
		browser.ClickOn(`form[data-form="new"] button[type=submit]`))
	b.WaitText(t, `form[data-form="new"] [data-testid=form-error]`, "id:", adminWait)
	if id, name := b.Value(t, "#id-new"), b.Value(t, "#name-new"); id != "Bad Id" || name != "Billing desk" {
		t.Errorf("after the refusal the form holds id %q, name %q; want what was typed", id, name)
	}
	if !b.Is(t, "reading aria-invalid", `document.querySelector('#id-new').getAttribute('aria-invalid') === 'true'`) {
		t.Error("the id field is not marked invalid")
	}

	b.Run(t, "correcting the id", chromedp.SetValue(chromedp.CSS("#id-new"), "billing"), browser.ClickOn(`form[data-form="new"] button[type=submit]`))
	b.WaitText(t, `tr[data-queue="billing"]`, "Billing desk", adminWait)
	var qs struct {
		Queues []struct{ ID, Name, Extension, Source string }
	}
	as["admin"].expect(t, "GET", "/queues", nil, 200, &qs)
	found := false
	for _, q := range qs.Queues {
		if q.ID == "billing" {
			found = true
			if q.Extension != cfg.FreeExtension() || q.Source != "database" || q.Name != "Billing desk" {
				t.Errorf("the API shows %+v; want extension %s from the database", q, cfg.FreeExtension())
			}
		}
	}
	if !found {
		t.Fatalf("the API lists no queue billing: %+v", qs)
	}
	if ext := b.Value(t, "#extension-new"); ext == cfg.FreeExtension() {
		t.Errorf("the form still proposes %s, now billing's", ext)
	}

	// A taken id is refused by the state: 409, the message beside the form.
	b.Run(t, "creating billing again", browser.SendKeys("#id-new", "billing"), browser.ClickOn(`form[data-form="new"] button[type=submit]`))
	b.WaitText(t, `form[data-form="new"] [data-testid=form-error]`, `queue "billing" exists`, adminWait)
	if id := b.Value(t, "#id-new"); id != "billing" {
		t.Errorf("after the refusal the id field holds %q; want billing", id)
	}
	// An extension another queue has: the configuration's own message.
	b.Open(t, "/admin/queues")
	b.Run(t, "creating a queue on support's extension", browser.SendKeys("#id-new", "billing2"),
		chromedp.SetValue(chromedp.CSS("#extension-new"), "600"), browser.ClickOn(`form[data-form="new"] button[type=submit]`))
	b.WaitText(t, `form[data-form="new"] [data-testid=form-error]`, "600", adminWait)
	if ext := b.Value(t, "#extension-new"); ext != "600" {
		t.Errorf("after the refusal the extension field holds %q; want 600 as typed", ext)
	}

	// Changed on its own page, reached from its row, then deleted.
	b.Open(t, "/admin/queues")
	b.Click(t, `tr[data-queue="billing"] a[href="/admin/queues/billing"]`)
	b.Run(t, "renaming billing",
		chromedp.SetValue(chromedp.CSS(`form[data-form="queue:billing"] input[name="name"]`), "Billing"),
		browser.ClickOn(`form[data-form="queue:billing"] button[type=submit]`))
	b.WaitText(t, "#queue-h", "Billing", adminWait)
	b.WaitGone(t, "#queue-h", "Billing desk", adminWait)
	b.Open(t, "/admin/queues")
	b.WaitText(t, `tr[data-queue="billing"]`, "Billing", adminWait)
	b.WaitGone(t, `tr[data-queue="billing"]`, "Billing desk", adminWait)
	deleteConfirmed(t, b, "/admin/queues/billing/delete")
	b.WaitJS(t, "billing to go", `!document.querySelector('tr[data-queue="billing"]')`, adminWait)
}

// TestConsoleAdminCatalog: a pause reason created and disabled from the
// page is disabled in the API; a tag and a canned message created from
// the page are in the API.
func TestConsoleAdminCatalog(t *testing.T) {
	t.Parallel()
	_, as, b := adminConsole(t)
	b.Open(t, "/admin/pause-reasons")
	b.Run(t, "creating a pause reason", browser.SendKeys("#name-new", "Coaching"), browser.ClickOn(`form[data-form="new"] button[type=submit]`))
	b.WaitText(t, `tr[data-name="Coaching"] [data-testid=enabled]`, "enabled", adminWait)
	b.Click(t, `tr[data-name="Coaching"] button[name="enabled"][value="false"]`)
	b.WaitText(t, `tr[data-name="Coaching"] [data-testid=enabled]`, "disabled", adminWait)
	var reasons struct {
		Reasons []struct {
			Name    string
			Enabled bool
		} `json:"pause_reasons"`
	}
	as["admin"].expect(t, "GET", "/pause-reasons", nil, 200, &reasons)
	found := false
	for _, r := range reasons.Reasons {
		if r.Name == "Coaching" {
			found = true
			if r.Enabled {
				t.Error("the API says Coaching is enabled after disabling it from the page")
			}
		}
	}
	if !found {
		t.Fatalf("the API lists no pause reason Coaching: %+v", reasons)
	}

	b.Open(t, "/admin/tags")
	b.Run(t, "creating a tag", browser.SendKeys("#name-new", "Complaint"), browser.ClickOn(`form[data-form="new"] button[type=submit]`))
	b.WaitText(t, `table[data-testid=named]`, "Complaint", adminWait)
	var tags struct{ Tags []struct{ Name string } }
	as["admin"].expect(t, "GET", "/tags", nil, 200, &tags)
	if len(tags.Tags) != 1 || tags.Tags[0].Name != "Complaint" {
		t.Errorf("the API lists tags %+v; want Complaint", tags)
	}

	b.Open(t, "/admin/canned-messages")
	b.Run(t, "creating a canned message", browser.SendKeys("#shortcut-new", "/hello"), browser.SendKeys("#text-new", "Hello, how may I help?"),
		browser.ClickOn(`form[data-form="new"] button[type=submit]`))
	b.WaitText(t, `tr[data-shortcut="/hello"]`, "Hello, how may I help?", adminWait)
	var canned struct {
		Messages []struct{ Shortcut, Text, Visibility string } `json:"canned_messages"`
	}
	as["agent"].expect(t, "GET", "/canned-messages", nil, 200, &canned)
	if len(canned.Messages) != 1 || canned.Messages[0].Shortcut != "/hello" || canned.Messages[0].Visibility != "public" {
		t.Errorf("an agent's API lists %+v; want the public /hello", canned)
	}
	b.Clean(t)
}

// TestConsoleAdminTypedTextIsText: markup typed into a name is shown as
// text, never run: in a list, and back in a refused form.
func TestConsoleAdminTypedTextIsText(t *testing.T) {
	t.Parallel()
	_, as, b := adminConsole(t)
	const evil = `<script>alert(1)</script>`
	noScript := fmt.Sprintf(`!Array.from(document.scripts).some(function(s){return s.textContent.includes(%q) || s.outerHTML.includes("alert(1)")})`, "alert(1)")

	b.Open(t, "/admin/tags")
	b.Run(t, "creating a tag named with markup", browser.SendKeys("#name-new", evil), browser.ClickOn(`form[data-form="new"] button[type=submit]`))
	b.WaitText(t, `table[data-testid=named]`, evil, adminWait)
	if !b.Is(t, "looking for the script", noScript) {
		t.Fatal("the tag's name became a script element")
	}
	var tags struct{ Tags []struct{ Name string } }
	as["admin"].expect(t, "GET", "/tags", nil, 200, &tags)
	if len(tags.Tags) != 1 || tags.Tags[0].Name != evil {
		t.Errorf("the API lists tags %+v; want the name as typed", tags)
	}

	b.Open(t, "/admin/users")
	b.Run(t, "creating a user named with markup", browser.SendKeys("#id-new", "eve"), browser.SendKeys("#name-new", evil),
		browser.SendKeys("#password-new", testPassword), browser.ClickOn(`form[data-form="new"] button[type=submit]`))
	b.WaitText(t, `tr[data-user="eve"]`, evil, adminWait)
	if !b.Is(t, "looking for the script", noScript) {
		t.Fatal("the user's name became a script element")
	}
	if v := b.Value(t, `form[data-form="user:eve"] input[name="name"]`); v != evil {
		t.Errorf("eve's change form holds name %q; want it as typed", v)
	}
	b.Clean(t)
}

// TestConsoleAdminQueueCallback: the callback settings of a queue made
// through the API are changed from its form and the API then reads
// them; a bad value is refused beside its field, with what was typed
// kept. A supervisor granted queues.settings.manage reaches the queues
// page to change settings, without the forms to create or delete.
func TestConsoleAdminQueueCallback(t *testing.T) {
	t.Parallel()
	s, as, b := adminConsole(t)
	admin := as["admin"]
	admin.expect(t, "POST", "/trunks", map[string]any{"id": "carrier", "address": "127.0.0.1:5098", "caller_id": map[string]string{"number": "+14155550188"}}, 201, nil)
	admin.expect(t, "POST", "/queues", map[string]any{"id": "billing", "name": "Billing", "strategy": "ring-all"}, 201, nil)

	form := `form[data-form="queue:billing"] `
	b.Open(t, "/admin/queues/billing")
	if v := b.Value(t, form+`input[name="callback.threshold"]`); v != "" {
		t.Fatalf("billing's form holds threshold %q before any callback setting", v)
	}
	// The trunk is chosen among those that exist; the caller ID is
	// offered the trunks' numbers.
	if got := browser.Get(t, b, "listing the trunks offered", chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('`+form+`select[name="callback.trunk"] option')).map(function(o){return o.value})`)); strings.Join(got, ",") != ",carrier" {
		t.Errorf("the trunk select offers %q; want none or carrier", got)
	}
	if got := browser.Get(t, b, "listing the caller IDs offered", chromedp.Evaluate[[]string](`Array.from(document.querySelector('`+form+`input[name="callback.caller_id"]').list.options).map(function(o){return o.value})`)); strings.Join(got, ",") != "+14155550188" {
		t.Errorf("the caller ID field suggests %q; want carrier's +14155550188", got)
	}
	if got := browser.Get(t, b, "listing the hold music offered", chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('`+form+`select[name="hold_music"] option')).map(function(o){return o.value})`)); !contains(got, "hold-music") || !contains(got, "please-hold") {
		t.Errorf("the hold music select offers %q; want the prompts", got)
	}
	b.Run(t, "enabling callback with a bad threshold",
		browser.ClickOn(form+`input[name="callback.enabled"]`),
		chromedp.SetValue(chromedp.CSS(form+`input[name="callback.threshold"]`), "soon"),
		chromedp.SetValue(chromedp.CSS(form+`input[name="callback.caller_id"]`), "+14155550100"),
		chromedp.SetValue(chromedp.CSS(form+`select[name="callback.trunk"]`), "carrier"),
		chromedp.SetValue(chromedp.CSS(form+`input[name="callback.attempts"]`), "3"),
		browser.ClickOn(form+`input[name="callback.allowed_number_types"][value="local"]`),
		browser.ClickOn(form+`input[name="callback.allowed_number_types"][value="national"]`),
		browser.ClickOn(form+`button[type=submit]`))
	beside := form + `input[name="callback.threshold"] + [data-testid=form-error]`
	b.WaitText(t, beside, "callback.threshold", adminWait)
	if msg := b.Text(t, beside); !strings.Contains(msg, "soon") {
		t.Errorf("the refusal beside the threshold reads %q; want it to name the value", msg)
	}
	if n := browser.Get(t, b, "counting the refusals", chromedp.Evaluate[int](`document.querySelectorAll('`+form+`[data-testid=form-error]').length`)); n != 1 {
		t.Errorf("the form shows %d refusals; want the one beside the threshold", n)
	}
	if !b.Is(t, "reading aria-invalid", `document.querySelector('`+form+`input[name="callback.threshold"]').getAttribute('aria-invalid') === 'true'`) {
		t.Error("the threshold field is not marked invalid")
	}
	for field, want := range map[string]string{`input[name="callback.threshold"]`: "soon", `input[name="callback.caller_id"]`: "+14155550100",
		`select[name="callback.trunk"]`: "carrier", `input[name="callback.attempts"]`: "3"} {
		if got := b.Value(t, form+field); got != want {
			t.Errorf("after the refusal %s holds %q; want %q as typed", field, got, want)
		}
	}
	if !b.Is(t, "reading the boxes", `document.querySelector('`+form+`input[name="callback.enabled"]').checked && `+
		`document.querySelector('`+form+`input[name="callback.allowed_number_types"][value="national"]').checked && `+
		`!document.querySelector('`+form+`input[name="callback.allowed_number_types"][value="premium"]').checked`) {
		t.Error("after the refusal the boxes are not as ticked")
	}
	var spec struct {
		Strategy string
		Callback *struct {
			Enabled            bool
			Threshold          string
			CallerID           string `json:"caller_id"`
			Trunk              string
			AllowedNumberTypes []string `json:"allowed_number_types"`
			Attempts           int
		}
	}
	admin.expect(t, "GET", "/queues/billing", nil, 200, &spec)
	if spec.Callback != nil {
		t.Fatalf("the API reads callback %+v after the refusal; want none kept", spec.Callback)
	}

	// Read back from the queue, the threshold is written as the
	// configuration writes durations.
	b.Run(t, "correcting the threshold", chromedp.SetValue(chromedp.CSS(form+`input[name="callback.threshold"]`), "2m"), browser.ClickOn(form+`button[type=submit]`))
	b.WaitJS(t, "the refusal to go", `!!document.querySelector('`+form+`input[name="callback.threshold"]') && `+
		`document.querySelector('`+form+`input[name="callback.threshold"]').value === "2m" && !document.querySelector('`+form+`[data-testid=form-error]')`, adminWait)
	admin.expect(t, "GET", "/queues/billing", nil, 200, &spec)
	if cb := spec.Callback; cb == nil || !cb.Enabled || cb.Threshold != "2m" || cb.CallerID != "+14155550100" ||
		cb.Trunk != "carrier" || cb.Attempts != 3 || strings.Join(cb.AllowedNumberTypes, ",") != "local,national" || spec.Strategy != "ring-all" {
		t.Fatalf("the API reads %+v callback %+v; want ring-all kept, callback on after 2m through carrier, 3 attempts, local and national numbers", spec, cb)
	}
	b.Clean(t)

	// The choices are the form's; the server checks what is sent all the
	// same: a trunk or hold music that does not exist is refused.
	for field, v := range map[string]string{"callback.trunk": "ghost", "hold_music": "nope"} {
		form := url.Values{"name": {"Billing"}, "type": {"standard"}, "strategy": {"ring-all"}, "hold_music": {"hold-music"},
			"callback.enabled": {"on"}, "callback.threshold": {"2m"}, "callback.caller_id": {"+14155550100"}, "callback.trunk": {"carrier"}}
		form.Set(field, v)
		if got, body := consoleRequest(t, s, login(t, s, "root", testPassword), "POST", "/admin/queues/billing", form); got < 400 || got > 499 || !strings.Contains(body, field) {
			t.Errorf("saving billing with %s %q: %d\n%s\nwant a 4xx naming %s", field, v, got, lastLines(body, 20), field)
		}
	}

	// Queue settings only: the page, without creating or deleting.
	admin.expect(t, "PUT", "/permissions/supervisor/queues.settings.manage", nil, 204, nil)
	sup := login(t, s, "sup", testPassword)
	got, page := consoleRequest(t, s, sup, "GET", "/admin/queues", nil)
	if got != http.StatusOK || !strings.Contains(page, `href="/admin/queues/billing"`) || strings.Contains(page, `id="id-new"`) || strings.Contains(page, "/delete") {
		t.Errorf("a supervisor with queues.settings.manage: GET /admin/queues: %d\n%s\nwant a link to billing's page, no new queue form, no delete", got, lastLines(page, 30))
	}
	if got, page := consoleRequest(t, s, sup, "GET", "/admin/queues/billing", nil); got != http.StatusOK || !strings.Contains(page, `data-form="queue:billing"`) {
		t.Errorf("a supervisor with queues.settings.manage: GET /admin/queues/billing: %d\n%s\nwant billing's form", got, lastLines(page, 30))
	}
	if got, _ := consoleRequest(t, s, sup, "POST", "/admin/queues", url.Values{"id": {"sup-made"}}); got != http.StatusForbidden {
		t.Errorf("a supervisor with queues.settings.manage creating a queue: %d; want 403", got)
	}
	if got, body := consoleRequest(t, s, sup, "POST", "/admin/queues/billing", url.Values{"name": {"Billing desk"}, "strategy": {"ring-all"}, "type": {"standard"}}); got != http.StatusSeeOther {
		t.Errorf("a supervisor with queues.settings.manage renaming billing: %d %s; want 303", got, lastLines(body, 10))
	}
}

// TestConsoleAdminSettingsAgentsTrunks: the organisation setting saved
// from its page; an agent and a trunk created with write-only passwords
// (never drawn into the page); a queue an agent still belongs to is not
// deleted, and the refusal says why; a setting the file owns is
// read-only, with its FILE:LINE.
func TestConsoleAdminSettingsAgentsTrunks(t *testing.T) {
	t.Parallel()
	_, as, b := adminConsole(t)

	b.Open(t, "/admin/settings")
	b.Run(t, "allowing unassigned log-in", browser.ClickOn("#allow-unassigned"), browser.ClickOn(`form[action="/admin/settings"] button[type=submit]`))
	b.WaitText(t, "[data-testid=setting-source]", "Set here", adminWait)
	var st struct {
		Allow  bool   `json:"allow_unassigned_login"`
		Source string `json:"allow_unassigned_login_source"`
	}
	as["admin"].expect(t, "GET", "/settings", nil, 200, &st)
	if !st.Allow || st.Source != "database" {
		t.Errorf("the API shows %+v after saving from the page; want allowed, from the database", st)
	}

	as["admin"].expect(t, "POST", "/queues", map[string]any{"id": "billing", "name": "Billing", "strategy": "ring-all", "ring_timeout": "20s"}, 201, nil)
	// Its change form, on its own page, starts from the settings it has.
	b.Open(t, "/admin/queues/billing")
	if st, rt := b.Value(t, `form[data-form="queue:billing"] select[name="strategy"]`), b.Value(t, `form[data-form="queue:billing"] input[name="ring_timeout"]`); st != "ring-all" || rt != "20s" {
		t.Errorf("billing's change form holds strategy %q, ring timeout %q; want ring-all, 20s as the API made it", st, rt)
	}
	const sipSecret, trunkSecret = "carol-sip-secret", "trunk-secret-9"
	b.Open(t, "/admin/agents")
	b.Run(t, "creating an agent", browser.SendKeys("#id-new", "1003"), browser.SendKeys("#name-new", "Carol"),
		browser.ClickOn(`form[data-form="new"] input[name="queues"][value="billing"]`), browser.SendKeys("#sip_password-new", sipSecret),
		browser.ClickOn(`form[data-form="new"] button[type=submit]`))
	b.WaitText(t, `tr[data-agent="1003"]`, "billing", adminWait)
	if html := browser.Get(t, b, "reading the page", chromedp.OuterHTML(chromedp.CSS("html"))); strings.Contains(html, sipSecret) {
		t.Error("the agents page holds the SIP password")
	}
	var agents struct {
		Agents []struct {
			ID, Source string
			Queues     []string
		}
	}
	as["admin"].expect(t, "GET", "/agents", nil, 200, &agents)
	if !strings.Contains(fmt.Sprint(agents), "{1003 database [billing]}") {
		t.Errorf("the API lists agents %+v; want 1003 of billing from the database", agents)
	}

	b.Open(t, "/admin/queues")
	deleteConfirmed(t, b, "/admin/queues/billing/delete")
	b.WaitText(t, "main [role=alert]", "1003", adminWait)
	if !b.Is(t, "looking for billing", `!!document.querySelector('tr[data-queue="billing"]')`) {
		t.Fatal("billing is gone though agent 1003 belongs to it")
	}
	b.Open(t, "/admin/agents")
	deleteConfirmed(t, b, "/admin/agents/1003/delete")
	b.WaitJS(t, "1003 to go", `!document.querySelector('tr[data-agent="1003"]')`, adminWait)
	b.Open(t, "/admin/queues")
	deleteConfirmed(t, b, "/admin/queues/billing/delete")
	b.WaitJS(t, "billing to go", `!document.querySelector('tr[data-queue="billing"]')`, adminWait)

	b.Open(t, "/admin/trunks")
	b.Run(t, "creating a trunk", browser.SendKeys("#id-new", "backup"), browser.SendKeys("#address-new", "192.0.2.10:5060"),
		browser.SendKeys("#username-new", "acd"), browser.SendKeys("#password-new", trunkSecret), browser.SendKeys("#inbound_from-new", "192.0.2.0/28"),
		browser.ClickOn(`form[data-form="new"] button[type=submit]`))
	b.WaitText(t, `tr[data-trunk="backup"]`, "192.0.2.0/28", adminWait)
	if html := browser.Get(t, b, "reading the page", chromedp.OuterHTML(chromedp.CSS("html"))); strings.Contains(html, trunkSecret) {
		t.Error("the trunks page holds the trunk's password")
	}
	var trunks struct {
		Trunks []struct {
			ID          string
			HasPassword bool `json:"has_password"`
		}
	}
	as["admin"].expect(t, "GET", "/trunks", nil, 200, &trunks)
	if len(trunks.Trunks) != 1 || trunks.Trunks[0].ID != "backup" || !trunks.Trunks[0].HasPassword {
		t.Errorf("the API lists trunks %+v; want backup with its password", trunks)
	}
	b.Clean(t)

	// The file sets it: shown with its place, read-only, a change 409.
	f := startAcd(t, "-config", writeConfig(t, "allow_unassigned_login: true\n"+apiYAML))
	setupAdmin(t, f)
	token := login(t, f, "root", testPassword)
	_, page := consoleRequest(t, f, token, "GET", "/admin/settings", nil)
	if !strings.Contains(page, "acd.yaml:") || !strings.Contains(page, "disabled") {
		t.Errorf("the settings page of a file that sets the setting reads:\n%s\nwant it read-only with FILE:LINE", lastLines(page, 20))
	}
	if got, body := consoleRequest(t, f, token, "POST", "/admin/settings", url.Values{}); got != http.StatusConflict || !strings.Contains(body, "acd.yaml:") {
		t.Errorf("saving the file's setting: %d %s; want 409 naming the file", got, lastLines(body, 10))
	}
}

// deleteConfirmed presses the delete button of the form posting to
// action, and confirms on the page that asks.
func deleteConfirmed(t *testing.T, b *browser.Chromium, action string) {
	t.Helper()
	b.Click(t, `form[action="`+action+`"] button`)
	confirm := `form[action="` + action + `"] button[name="confirm"]`
	b.Click(t, confirm)
	// The confirmation page stays until the answer to the click has
	// loaded: what the test does next is done on that answer, not on a
	// page being left.
	b.WaitJS(t, "the answer to the confirmation", "!document.querySelector('"+confirm+"')", adminWait)
}

// TestConsoleAdminDeleteAsksFirst: deleting a user, a queue, a pause
// reason, a tag or a canned message asks first, on a page of its own
// (no script): cancelling keeps it, confirming deletes it and says so.
func TestConsoleAdminDeleteAsksFirst(t *testing.T) {
	t.Parallel()
	_, as, b := adminConsole(t)
	admin := as["admin"]
	var made struct{ ID int64 }
	admin.expect(t, "POST", "/users", map[string]any{"id": "temp", "role": "supervisor", "password": testPassword}, 201, nil)
	admin.expect(t, "POST", "/queues", map[string]any{"id": "billing", "name": "Billing"}, 201, nil)
	admin.expect(t, "POST", "/pause-reasons", map[string]any{"name": "Coffee"}, 201, &made)
	reason := made.ID
	admin.expect(t, "POST", "/tags", map[string]any{"name": "vip"}, 201, &made)
	tag := made.ID
	admin.expect(t, "POST", "/canned-messages", map[string]any{"shortcut": "/hi", "text": "Hello", "visibility": "public"}, 201, &made)
	canned := made.ID

	for _, c := range []struct {
		page, action, row string
	}{
		{"/admin/users", "/admin/users/temp/delete", `tr[data-user="temp"]`},
		{"/admin/queues", "/admin/queues/billing/delete", `tr[data-queue="billing"]`},
		{"/admin/pause-reasons", fmt.Sprintf("/admin/pause-reasons/%d/delete", reason), fmt.Sprintf(`tr[data-id="%d"]`, reason)},
		{"/admin/tags", fmt.Sprintf("/admin/tags/%d/delete", tag), fmt.Sprintf(`tr[data-id="%d"]`, tag)},
		{"/admin/canned-messages", fmt.Sprintf("/admin/canned-messages/%d/delete", canned), fmt.Sprintf(`tr[data-id="%d"]`, canned)},
	} {
		b.Open(t, c.page)
		b.Click(t, `form[action="`+c.action+`"] button`)
		b.WaitJS(t, c.page+" to ask before deleting", `!!document.querySelector('form[action="`+c.action+`"] button[name="confirm"]')`, adminWait)
		b.Click(t, "main a.cancel")
		if p := b.Path(t); p != c.page {
			t.Errorf("cancelling a delete led to %s; want %s", p, c.page)
		}
		if !b.Is(t, "looking for the row", `!!document.querySelector('`+c.row+`')`) {
			t.Fatalf("%s: the row is gone though the delete was cancelled", c.page)
		}
		b.Click(t, `form[action="`+c.action+`"] button`)
		b.Click(t, `form[action="`+c.action+`"] button[name="confirm"]`)
		b.WaitText(t, "main [role=status]", "Deleted", adminWait)
		if b.Is(t, "looking for the row", `!!document.querySelector('`+c.row+`')`) {
			t.Errorf("%s: the row is still there after confirming its deletion", c.page)
		}
	}
	b.Clean(t)
}

// TestConsoleAdminSaysSaved: each form that saves says so once it has.
func TestConsoleAdminSaysSaved(t *testing.T) {
	t.Parallel()
	_, _, b := adminConsole(t)
	for _, c := range []struct {
		page string
		fill []chromedp.Action[chromedp.Void]
		send string
	}{
		{"/admin/pause-reasons", []chromedp.Action[chromedp.Void]{browser.SendKeys("#name-new", "Coffee")}, `form[data-form="new"] button[type=submit]`},
		{"/admin/tags", []chromedp.Action[chromedp.Void]{browser.SendKeys("#name-new", "vip")}, `form[data-form="new"] button[type=submit]`},
		{"/admin/users", []chromedp.Action[chromedp.Void]{browser.ClickOn(`tr[data-user="sup"] summary`), browser.SendKeys("#name-user\\:sup", " Senior")}, `form[data-form="user:sup"] button[type=submit]`},
		{"/admin/settings", []chromedp.Action[chromedp.Void]{browser.ClickOn("#allow-unassigned")}, `form[action="/admin/settings"] button[type=submit]`},
	} {
		b.Open(t, c.page)
		b.Run(t, "filling a form of "+c.page, c.fill...)
		b.Click(t, c.send)
		b.WaitText(t, "main [role=status]", "Saved", adminWait)
	}
	b.Clean(t)
}

// TestConsoleAdminLongNameRefused: a pause reason longer than the server
// takes is refused by the server with a message naming the field, the
// text typed kept whole rather than cut by the browser.
func TestConsoleAdminLongNameRefused(t *testing.T) {
	t.Parallel()
	_, as, b := adminConsole(t)
	long := strings.Repeat("x", 300)
	b.Open(t, "/admin/pause-reasons")
	b.Run(t, "typing a long reason", browser.SendKeys("#name-new", long), browser.ClickOn(`form[data-form="new"] button[type=submit]`))
	b.WaitText(t, `form[data-form="new"] [data-testid=form-error]`, "300 characters", adminWait)
	if msg := b.Text(t, `form[data-form="new"] [data-testid=form-error]`); !strings.Contains(msg, "name") {
		t.Errorf("the refusal reads %q; want it to name the field", msg)
	}
	if got := b.Value(t, "#name-new"); got != long {
		t.Errorf("after the refusal the field holds %d characters; want the %d typed", len(got), len(long))
	}
	var list struct {
		Reasons []struct{ Name string } `json:"pause_reasons"`
	}
	as["admin"].expect(t, "GET", "/pause-reasons", nil, 200, &list)
	if len(list.Reasons) != 2 {
		t.Errorf("pause reasons after the refusal: %+v; want the file's two", list.Reasons)
	}
	b.Clean(t)
}

// TestFirefoxAdminTypedTextIsText: in Firefox, markup typed into a name
// comes back as text, never run: in a refused form, with the service's
// message beside it, and in the list once created; and no page of the
// consoles visited logs a script error or a Content-Security-Policy
// violation.
func TestFirefoxAdminTypedTextIsText(t *testing.T) {
	t.Parallel()
	browser.FirefoxPath(t) // skips, or fails, before the server starts
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	as := users(t, s, setupAdmin(t, s))
	f := newFirefox(t, s)
	f.SignInTo(t, "root", testPassword, "")
	if p := f.Path(t); p != "/admin" {
		t.Fatalf("the administrator signed in to %s; want /admin", p)
	}
	const evil = `<script>alert(1)</script>`
	noScript := `!Array.from(document.scripts).some(function(s){return s.outerHTML.includes("alert(1)")})`

	f.Open(t, "/admin/users")
	f.TypeInto(t, "#id-new", "eve")
	f.TypeInto(t, "#name-new", evil)
	f.TypeInto(t, "#password-new", "short")
	f.Click(t, `form[data-form="new"] button[type=submit]`)
	f.WaitText(t, `form[data-form="new"] [data-testid=form-error]`, "password", adminWait)
	if msg := f.Text(t, `form[data-form="new"] [data-testid=form-error]`); !strings.Contains(msg, "shorter than 12") {
		t.Errorf("the refusal reads %q; want the service's message about the password's length", msg)
	}
	if id, name := f.Value(t, "#id-new"), f.Value(t, "#name-new"); id != "eve" || name != evil {
		t.Errorf("after the refusal the form holds id %q, name %q; want what was typed", id, name)
	}
	if pw := f.Value(t, "#password-new"); pw != "" {
		t.Errorf("the password field came back holding %q; a password is never drawn back", pw)
	}
	if !f.Is(t, "looking for the script", noScript) {
		t.Fatal("the refused name became a script element")
	}

	f.TypeInto(t, "#password-new", testPassword)
	f.Click(t, `form[data-form="new"] button[type=submit]`)
	f.WaitText(t, `tr[data-user="eve"]`, evil, adminWait)
	if !f.Is(t, "looking for the script", noScript) {
		t.Fatal("the user's name became a script element")
	}
	if v := f.Value(t, `form[data-form="user:eve"] input[name="name"]`); v != evil {
		t.Errorf("eve's change form holds name %q; want it as typed", v)
	}
	var u struct{ Name string }
	as["admin"].expect(t, "GET", "/users/eve", nil, 200, &u)
	if u.Name != evil {
		t.Errorf("the API gives eve's name as %q; want it as typed", u.Name)
	}

	f.Open(t, "/admin/tags")
	f.TypeInto(t, "#name-new", evil)
	f.Click(t, `form[data-form="new"] button[type=submit]`)
	f.WaitText(t, `table[data-testid=named]`, evil, adminWait)
	if !f.Is(t, "looking for the script", noScript) {
		t.Fatal("the tag's name became a script element")
	}

	// Every console page, in Firefox, under the pages' CSP.
	for _, p := range []string{"/admin", "/admin/permissions", "/admin/settings", "/admin/queues", "/admin/agents",
		"/admin/trunks", "/admin/pause-reasons", "/admin/canned-messages", "/admin/dialplans", "/admin/dialplans/support",
		"/supervisor", "/supervisor/queues/support", "/wallboard",
		"/reports", "/reports/queue-callers", "/reports/agent-performance", "/reports/conversations"} {
		f.Open(t, p)
		f.WaitJS(t, p+"'s stylesheet to apply", `getComputedStyle(document.body).marginTop === "0px"`, 5*time.Second)
	}
	f.Clean(t)
}

// TestConsolePermissionsSayWhatIsPlanned: the permissions page marks the
// permissions of features still to come, which guard nothing yet.
func TestConsolePermissionsSayWhatIsPlanned(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	setupAdmin(t, s)
	_, body := consoleRequest(t, s, login(t, s, "root", testPassword), "GET", "/admin/permissions", nil)
	for _, perm := range []string{"skills.view", "skills.manage"} {
		i := strings.Index(body, `data-permission="`+perm+`"`)
		if i < 0 {
			t.Fatalf("the permissions page lacks %s", perm)
		}
		row, _, _ := strings.Cut(body[i:], "</tr>")
		if !strings.Contains(row, `data-testid="planned"`) {
			t.Errorf("the permissions page does not say %s belongs to a feature still to come:\n%s", perm, row)
		}
	}
	for _, perm := range []string{"tags.manage", "recorded_messages.manage"} {
		i := strings.Index(body, `data-permission="`+perm+`"`)
		if row, _, _ := strings.Cut(body[i:], "</tr>"); i < 0 || strings.Contains(row, `data-testid="planned"`) {
			t.Errorf("%s is missing, or marked as guarding nothing", perm)
		}
	}
}
