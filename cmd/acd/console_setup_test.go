package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestConsoleFirstStartSetup: with no user yet, the sign-in page says so
// and leads to the setup page, which creates the first administrator
// only with the setup token of the log; afterwards neither offers setup.
func TestConsoleFirstStartSetup(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	line := s.waitLog(t, 10*time.Second, "setup_token=")
	_, token, _ := strings.Cut(line, "setup_token=")
	token = strings.Fields(token)[0]

	b := newBrowser(t, s)
	b.open(t, "/login")
	b.waitText(t, "main", "No user exists yet", adminWait)
	b.click(t, `main a[href="/setup"]`)
	b.run(t, "setting up with a wrong token", sendKeys("#token", "acd-wrong-token"), sendKeys("#user", "root"),
		sendKeys("#name", "Root"), sendKeys("#password", testPassword), clickQ(`form[action="/setup"] button[type=submit]`))
	b.waitText(t, "main [role=alert]", "wrong setup token", adminWait)
	if got := b.value(t, "#user"); got != "root" {
		t.Errorf("after the refusal the user field holds %q; want what was typed", got)
	}
	if html := get(t, b, "reading the page", chromedp.OuterHTML(chromedp.CSS("html"))); strings.Contains(html, testPassword) {
		t.Error("the refused setup page holds the password typed")
	}
	if got, body, _ := s.client("").do(t, "POST", "/login", map[string]string{"user": "root", "password": testPassword}); got != http.StatusUnauthorized {
		t.Fatalf("signing in after a refused setup: %d %s; want 401, no user made", got, body)
	}

	b.run(t, "setting up with the token of the log", sendKeys("#token", token),
		sendKeys("#password", testPassword), clickQ(`form[action="/setup"] button[type=submit]`))
	b.waitText(t, "main [role=status]", "first administrator is made", adminWait)
	b.signIn(t, "root", testPassword)
	if role := b.text(t, "form.who"); !strings.Contains(role, "administrator") {
		t.Errorf("the first user signs in as %q; want an administrator", role)
	}

	anon := newBrowser(t, s)
	anon.open(t, "/login")
	if text := anon.text(t, "main"); strings.Contains(text, "No user exists") || anon.is(t, "looking for the setup link", `!!document.querySelector('a[href="/setup"]')`) {
		t.Errorf("once a user exists the sign-in page still offers setup: %q", text)
	}
	if got := httpStatus(t, s, "/setup", anon); got != http.StatusNotFound {
		t.Errorf("GET /setup once a user exists: %d; want 404", got)
	}
	b.clean(t)
	anon.clean(t)
}
