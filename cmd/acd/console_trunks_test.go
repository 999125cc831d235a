package main

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/acdserver/acd/internal/browser"
)

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
