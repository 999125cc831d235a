package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/acdserver/acd/internal/browser"
)

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
