package main

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/acdserver/acd/internal/browser"
)

// adminPaths are every page of the administration console.
var adminPaths = []string{"/admin", "/admin/users", "/admin/permissions", "/admin/settings", "/admin/queues", "/admin/agents",
	"/admin/trunks", "/admin/pause-reasons", "/admin/tags", "/admin/canned-messages", "/admin/dialplans", "/admin/simulate?number=100",
	"/admin/recorded-messages"}

// adminActions are form posts of the administration console, with a
// form each would take.
var adminActions = []string{"/admin/users", "/admin/queues", "/admin/agents", "/admin/trunks", "/admin/settings",
	"/admin/pause-reasons", "/admin/tags", "/admin/canned-messages", "/admin/permissions/restore", "/admin/permissions/supervisor",
	"/admin/numbers", "/admin/recorded-messages"}

// TestConsoleAdminRefusedToOthers: the administration pages and actions
// are 403 to an agent with its role's permissions, and to a supervisor
// without a permission to manage anything; a supervisor with the role's
// defaults (tags.manage) reaches the index and the tags page only.
func TestConsoleAdminRefusedToOthers(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	as := users(t, s, setupAdmin(t, s))
	form := url.Values{"id": {"x"}, "name": {"X"}, "role": {"agent"}, "shortcut": {"/x"}, "text": {"X"}, "visibility": {"private"}}
	refusedEverywhere := func(user string) {
		t.Helper()
		token := login(t, s, user, testPassword)
		for _, p := range adminPaths {
			if got, _ := consoleRequest(t, s, token, "GET", p, nil); got != http.StatusForbidden {
				t.Errorf("%s GET %s: %d; want 403", user, p, got)
			}
		}
		for _, p := range adminActions {
			if got, _ := consoleRequest(t, s, token, "POST", p, form); got != http.StatusForbidden {
				t.Errorf("%s POST %s: %d; want 403", user, p, got)
			}
		}
	}
	// An agent's tags.create is its console's: the tags page is not.
	refusedEverywhere("1001")

	sup := login(t, s, "sup", testPassword)
	for _, p := range adminPaths {
		want := http.StatusForbidden
		if p == "/admin" || p == "/admin/tags" {
			want = http.StatusOK
		}
		if got, body := consoleRequest(t, s, sup, "GET", p, nil); got != want {
			t.Errorf("a supervisor with the role's defaults: GET %s: %d %s; want %d", p, got, lastLines(body, 5), want)
		}
	}
	as["admin"].expect(t, "DELETE", "/permissions/supervisor/tags.manage", nil, 204, nil)
	refusedEverywhere("sup")

	// The administrator's own session reaches every page.
	token := login(t, s, "root", testPassword)
	for _, p := range adminPaths {
		if got, body := consoleRequest(t, s, token, "GET", p, nil); got != http.StatusOK {
			t.Errorf("root GET %s: %d %s; want 200", p, got, lastLines(body, 10))
		}
	}
}

// TestConsoleAdminGrantedSection: a supervisor's administration follows
// its role's permissions, as an administrator sets them: granted
// tags.manage from the permissions page, it finds the Administration
// link, an index listing Tags alone, and creates a tag, while users and
// queues stay 403; with the permission revoked the tags page is 403
// again. pause_reasons.manage granted opens the pause reasons, and
// restoring the defaults (which do not grant it) closes them.
func TestConsoleAdminGrantedSection(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	as := users(t, s, setupAdmin(t, s))
	admin := as["admin"]
	admin.expect(t, "DELETE", "/permissions/supervisor/tags.manage", nil, 204, nil)
	const navAdmin = `header nav a[href="/admin"]`
	noNavAdmin := `!document.querySelector('` + navAdmin + `')`

	b := newBrowser(t, s)
	b.SignIn(t, "sup", testPassword)
	b.Open(t, "/supervisor")
	if !b.Is(t, "looking for the Administration link", noNavAdmin) {
		t.Error("a supervisor with nothing to administer is shown the Administration link")
	}
	for _, p := range []string{"/admin", "/admin/tags"} {
		if got := b.HTTPStatus(t, p); got != http.StatusForbidden {
			t.Errorf("a supervisor without tags.manage: GET %s: %d; want 403", p, got)
		}
	}

	// The administrator grants it from the permissions page.
	b.Run(t, "signing out", browser.ClearCookies())
	b.SignIn(t, "root", testPassword)
	b.Open(t, "/admin/permissions")
	row := `section[data-role="supervisor"] tr[data-permission="tags.manage"] input[type=checkbox]`
	// The page drawn before the change is marked, to wait for the next.
	b.Is(t, "marking the page", `window.drawnBefore = true`)
	b.Run(t, "granting tags.manage", browser.ClickOn(row),
		browser.ClickOn(`section[data-role="supervisor"] form[action="/admin/permissions/supervisor"] button[type=submit]`))
	b.WaitJS(t, "tags.manage to show granted", `!window.drawnBefore && !!document.querySelector('`+row+`') && document.querySelector('`+row+`').checked`, adminWait)
	if !granted(t, admin, "supervisor", "tags.manage") {
		t.Fatal("the API says tags.manage is not granted after granting it from the page")
	}

	b.Run(t, "signing out", browser.ClearCookies())
	b.SignIn(t, "sup", testPassword)
	b.Open(t, "/supervisor")
	b.Click(t, navAdmin)
	if p := b.Path(t); p != "/admin" {
		t.Fatalf("the Administration link led to %s", p)
	}
	links := `Array.from(document.querySelectorAll('%s a')).map(function(a){return a.getAttribute('href')}).join(' ')`
	if got := browser.Get(t, b, "reading the index", chromedp.Evaluate[string](fmt.Sprintf(links, "ul.admin-index"))); got != "/admin/tags" {
		t.Errorf("the index lists %q; want the tags page alone", got)
	}
	if got := browser.Get(t, b, "reading the section menu", chromedp.Evaluate[string](fmt.Sprintf(links, "nav.admin-menu"))); got != "/admin /admin/tags" {
		t.Errorf("the section menu links %q; want the index and the tags page", got)
	}
	b.Click(t, `ul.admin-index a[href="/admin/tags"]`)
	b.Run(t, "creating a tag", browser.SendKeys("#name-new", "Escalation"), browser.ClickOn(`form[data-form="new"] button[type=submit]`))
	b.WaitText(t, `table[data-testid=named]`, "Escalation", adminWait)
	var tags struct {
		Tags []struct{ Name, CreatedBy string }
	}
	admin.expect(t, "GET", "/tags", nil, 200, &tags)
	if len(tags.Tags) != 1 || tags.Tags[0].Name != "Escalation" {
		t.Errorf("the API lists tags %+v; want Escalation, made by the supervisor", tags)
	}
	for _, p := range []string{"/admin/users", "/admin/queues", "/admin/permissions", "/admin/pause-reasons"} {
		if got := b.HTTPStatus(t, p); got != http.StatusForbidden {
			t.Errorf("a supervisor granted tags.manage only: GET %s: %d; want 403", p, got)
		}
	}
	supToken := login(t, s, "sup", testPassword)
	if got, _ := consoleRequest(t, s, supToken, "POST", "/admin/users", url.Values{"id": {"x"}, "role": {"agent"}}); got != http.StatusForbidden {
		t.Errorf("a supervisor granted tags.manage only: POST /admin/users: %d; want 403", got)
	}
	b.Clean(t)

	admin.expect(t, "DELETE", "/permissions/supervisor/tags.manage", nil, 204, nil)
	if got := b.HTTPStatus(t, "/admin/tags"); got != http.StatusForbidden {
		t.Errorf("after tags.manage is revoked: GET /admin/tags: %d; want 403", got)
	}
	b.Open(t, "/supervisor")
	if !b.Is(t, "looking for the Administration link", noNavAdmin) {
		t.Error("the Administration link stays after the supervisor's only permission to manage was revoked")
	}

	admin.expect(t, "PUT", "/permissions/supervisor/pause_reasons.manage", nil, 204, nil)
	b.Open(t, "/admin")
	if got := browser.Get(t, b, "reading the index", chromedp.Evaluate[string](fmt.Sprintf(links, "ul.admin-index"))); got != "/admin/pause-reasons" {
		t.Errorf("with pause_reasons.manage alone the index lists %q; want the pause reasons page alone", got)
	}
	if got := b.HTTPStatus(t, "/admin/pause-reasons"); got != http.StatusOK {
		t.Errorf("with pause_reasons.manage: GET /admin/pause-reasons: %d; want 200", got)
	}
	admin.expect(t, "POST", "/permissions/restore-defaults", map[string]string{"role": "supervisor"}, 204, nil)
	if got := b.HTTPStatus(t, "/admin/pause-reasons"); got != http.StatusForbidden {
		t.Errorf("after restoring the defaults: GET /admin/pause-reasons: %d; want 403", got)
	}
	// The defaults grant tags.manage.
	if got := b.HTTPStatus(t, "/admin/tags"); got != http.StatusOK {
		t.Errorf("after restoring the defaults: GET /admin/tags: %d; want 200", got)
	}
	b.Clean(t)
}

// configPages are the pages of the contact centre's configuration, which
// configuration.access opens to supervisors to read.
var configPages = []string{"/admin/settings", "/admin/queues", "/admin/agents", "/admin/trunks", "/admin/pause-reasons",
	"/admin/dialplans", "/admin/dialplans/support", "/admin/simulate?number=100"}

// configActions are form posts changing the configuration, with a form
// each would take.
var configActions = map[string]url.Values{
	"/admin/settings":      {"allow_unassigned_login": {"on"}},
	"/admin/queues/sales":  {"name": {"Sales desk"}, "strategy": {"ring-all"}, "type": {"icr"}},
	"/admin/agents":        {"id": {"1009"}, "name": {"Zed"}, "password": {"secret-1009"}},
	"/admin/trunks":        {"id": {"carrier"}, "address": {"127.0.0.1:5099"}},
	"/admin/pause-reasons": {"name": {"Coffee"}},
	"/admin/numbers":       {"number": {"300"}, "dialplan": {"support"}},
}

// TestConsoleConfigurationAccess: a supervisor granted
// configuration.access reads the configuration's pages, drawn
// read-only, and is refused (403) every change; without it the pages are
// 403. Users and permissions stay the administrators'.
func TestConsoleConfigurationAccess(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	as := users(t, s, setupAdmin(t, s))
	sup := login(t, s, "sup", testPassword)

	for _, p := range configPages {
		if got, _ := consoleRequest(t, s, sup, "GET", p, nil); got != http.StatusForbidden {
			t.Errorf("a supervisor without configuration.access: GET %s: %d; want 403", p, got)
		}
	}

	as["admin"].expect(t, "PUT", "/permissions/supervisor/configuration.access", nil, 204, nil)
	for _, p := range configPages {
		got, body := consoleRequest(t, s, sup, "GET", p, nil)
		if got != http.StatusOK {
			t.Errorf("a supervisor granted configuration.access: GET %s: %d %s; want 200", p, got, lastLines(body, 10))
			continue
		}
		if !strings.Contains(body, `data-testid="read-only"`) {
			t.Errorf("GET %s by a supervisor granted configuration.access alone: the page is not drawn read-only", p)
		}
	}
	for p, form := range configActions {
		if got, body := consoleRequest(t, s, sup, "POST", p, form); got != http.StatusForbidden {
			t.Errorf("a supervisor granted configuration.access alone: POST %s: %d %s; want 403", p, got, lastLines(body, 10))
		}
	}
	for _, p := range []string{"/admin/users", "/admin/permissions"} {
		if got, _ := consoleRequest(t, s, sup, "GET", p, nil); got != http.StatusForbidden {
			t.Errorf("a supervisor granted configuration.access: GET %s: %d; want 403", p, got)
		}
	}
	_, index := consoleRequest(t, s, sup, "GET", "/admin", nil)
	for _, href := range []string{`href="/admin/queues"`, `href="/admin/trunks"`, `href="/admin/dialplans"`} {
		if !strings.Contains(index, href) {
			t.Errorf("the administration index of a supervisor granted configuration.access lacks %s", href)
		}
	}

	// With the matching manage permission, the page is no longer read-only.
	as["admin"].expect(t, "PUT", "/permissions/supervisor/pause_reasons.manage", nil, 204, nil)
	if _, body := consoleRequest(t, s, sup, "GET", "/admin/pause-reasons", nil); strings.Contains(body, `data-testid="read-only"`) {
		t.Error("the pause reasons page of a supervisor granted pause_reasons.manage is drawn read-only")
	}
	if got, body := consoleRequest(t, s, sup, "POST", "/admin/pause-reasons", url.Values{"name": {"Coffee"}}); got != http.StatusSeeOther {
		t.Errorf("a supervisor granted pause_reasons.manage adding a reason: %d %s; want 303", got, lastLines(body, 10))
	}
}

// TestConsoleSupervisorRestricted: a restricted supervisor sees only its
// queues, on the overview and the wallboard, and is refused another
// queue's page and live view; an agent is refused all of it; names typed
// by an administrator are shown as text.
func TestConsoleSupervisorRestricted(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	as := users(t, s, setupAdmin(t, s))
	const evil = `<img src=x onerror=alert(1)>`
	as["admin"].expect(t, "POST", "/queues", map[string]string{"id": "evil", "name": evil}, 201, nil)
	b := newBrowser(t, s)

	b.SignIn(t, "rsup", testPassword)
	for _, path := range []string{"/supervisor", "/wallboard"} {
		b.Open(t, path)
		if main := b.Text(t, "main"); !strings.Contains(main, "Support") || strings.Contains(main, "Sales") || strings.Contains(main, "onerror") {
			t.Errorf("the restricted supervisor's %s reads %q; want Support alone", path, main)
		}
	}
	for path, want := range map[string]int{
		"/supervisor/queues/support":     200,
		"/supervisor/queues/sales":       403,
		"/live?view=queue&queue=sales":   403,
		"/supervisor/queues/nonexistent": 404,
	} {
		if got := b.HTTPStatus(t, path); got != want {
			t.Errorf("the restricted supervisor opening %s: %d; want %d", path, got, want)
		}
	}

	b.Run(t, "clearing cookies", browser.ClearCookies())
	b.SignIn(t, "1001", testPassword)
	for _, path := range []string{"/supervisor", "/wallboard", "/supervisor/queues/support", "/live?view=supervisor", "/live?view=queue&queue=support"} {
		if got := b.HTTPStatus(t, path); got != 403 {
			t.Errorf("an agent opening %s: %d; want 403", path, got)
		}
	}

	b.Run(t, "clearing cookies", browser.ClearCookies())
	b.SignIn(t, "sup", testPassword)
	b.Open(t, "/supervisor")
	for _, q := range []string{"Support", "Sales", evil} {
		b.WaitText(t, "#supervisor-queues", q, time.Second)
	}
	b.Open(t, "/supervisor/queues/evil")
	if h := b.Text(t, "h1"); h != evil {
		t.Errorf("the queue's heading reads %q; want its name as text", h)
	}
	b.Clean(t)
}

// TestConsoleFileObjectsInScope: a file object's page is open to those
// who may see the object, as the service scopes it: a supervisor granted
// the queues' settings reads the file's queues it sees, not others, and
// an agent none of it.
func TestConsoleFileObjectsInScope(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	as := users(t, s, setupAdmin(t, s))
	as["admin"].expect(t, "PUT", "/permissions/supervisor/queues.settings.manage", nil, 204, nil)
	for _, c := range []struct {
		user, path string
		want       int
	}{
		{"rsup", "/admin/queues/support", http.StatusOK},
		{"rsup", "/admin/queues/sales", http.StatusForbidden},
		{"rsup", "/admin/agents/1001", http.StatusForbidden},
		{"agent", "/admin/queues/support", http.StatusForbidden},
		{"admin", "/admin/queues/nope", http.StatusNotFound},
		{"admin", "/admin/trunks/nope", http.StatusNotFound},
	} {
		if got, body := consoleRequest(t, s, as[c.user].token, "GET", c.path, nil); got != c.want {
			t.Errorf("%s GET %s: %d; want %d\n%s", c.user, c.path, got, c.want, lastLines(body, 10))
		}
	}
}

// TestConsoleRestrictedSupervisorLogsOutOfItsQueuesOnly: on billing's
// page, "Log out of all queues" pressed by billing's restricted
// supervisor leaves the agent logged in to support and vip.
func TestConsoleRestrictedSupervisorLogsOutOfItsQueuesOnly(t *testing.T) {
	t.Parallel()
	s, admin, _ := scopeServer(t)
	admin.expect(t, "PUT", "/agents/1003/state", map[string]string{"action": "login"}, 200, nil)

	b := newBrowser(t, s)
	b.SignIn(t, "bsup", testPassword)
	b.Open(t, "/supervisor/queues/billing")
	b.Click(t, `tr[data-agent="1003"] button[value="logout-all"]`)
	b.WaitText(t, `tr[data-agent="1003"] button[value="login"]`, "Log in to Billing", 5*time.Second)
	if st := agentQueues(t, admin, "1003"); st.State != "ready" || !slices.Equal(st.Queues, []string{"support", "vip"}) {
		t.Fatalf("after billing's supervisor pressed Log out of all queues: %+v; want ready in support and vip", st)
	}
	b.Clean(t)
}
