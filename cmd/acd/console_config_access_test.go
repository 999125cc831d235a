package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

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

// TestConsolePermissionsSayWhatIsPlanned: the permissions page marks the
// permissions of features still to come, which guard nothing yet.
func TestConsolePermissionsSayWhatIsPlanned(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	setupAdmin(t, s)
	_, body := consoleRequest(t, s, login(t, s, "root", testPassword), "GET", "/admin/permissions", nil)
	for _, perm := range []string{"skills.view", "skills.manage", "recorded_messages.manage"} {
		i := strings.Index(body, `data-permission="`+perm+`"`)
		if i < 0 {
			t.Fatalf("the permissions page lacks %s", perm)
		}
		row, _, _ := strings.Cut(body[i:], "</tr>")
		if !strings.Contains(row, `data-testid="planned"`) {
			t.Errorf("the permissions page does not say %s belongs to a feature still to come:\n%s", perm, row)
		}
	}
	i := strings.Index(body, `data-permission="tags.manage"`)
	if row, _, _ := strings.Cut(body[i:], "</tr>"); strings.Contains(row, `data-testid="planned"`) {
		t.Errorf("tags.manage is marked as guarding nothing")
	}
}
