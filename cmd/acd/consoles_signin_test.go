package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/acdserver/acd/internal/browser"
)

// TestConsoleSignInByRole: each role signs in to its own console and its
// menu offers only what it may use; a page of another role's is refused,
// and one without a session leads to the sign-in page.
func TestConsoleSignInByRole(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	users(t, s, setupAdmin(t, s))
	b := newBrowser(t, s)

	b.Open(t, "/agent")
	if p := b.Path(t); !strings.HasPrefix(p, "/login?next=") {
		t.Fatalf("/agent without a session went to %s; want the sign-in page", p)
	}
	b.Run(t, "typing a wrong password",
		browser.SendKeys("#user", "1001"), browser.SendKeys("#password", "wrong"), browser.ClickOn(`form[action="/login"] button`))
	b.WaitText(t, "main", "Wrong user or password", 5*time.Second)

	for _, c := range []struct {
		user, home string
		nav        []string
		refused    []string
	}{
		{"1001", "/agent", []string{"My status"}, []string{"/supervisor", "/admin", "/wallboard"}},
		// A supervisor's role grants tags.manage by default: the
		// administration, for its tags page.
		{"sup", "/supervisor", []string{"Queues", "Wallboard", "Administration"}, []string{"/agent", "/admin/users"}},
		{"root", "/admin", []string{"Queues", "Wallboard", "Administration"}, []string{"/agent"}},
	} {
		b.Run(t, "clearing cookies", browser.ClearCookies())
		b.SignIn(t, c.user, testPassword)
		if p := b.Path(t); p != c.home {
			t.Errorf("%s signed in to %s; want %s", c.user, p, c.home)
		}
		nav := b.Text(t, "header nav")
		for _, n := range c.nav {
			if !strings.Contains(nav, n) {
				t.Errorf("%s's menu %q lacks %q", c.user, nav, n)
			}
		}
		for _, all := range []string{"My status", "Administration"} {
			if !contains(c.nav, all) && strings.Contains(nav, all) {
				t.Errorf("%s's menu %q offers %q", c.user, nav, all)
			}
		}
		for _, path := range c.refused {
			status := b.HTTPStatus(t, path)
			if status != 403 {
				t.Errorf("%s opening %s: %d; want 403", c.user, path, status)
			}
		}
	}
	b.Clean(t)
}

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
	b.Open(t, "/login")
	b.WaitText(t, "main", "No user exists yet", adminWait)
	b.Click(t, `main a[href="/setup"]`)
	b.Run(t, "setting up with a wrong token", browser.SendKeys("#token", "acd-wrong-token"), browser.SendKeys("#user", "root"),
		browser.SendKeys("#name", "Root"), browser.SendKeys("#password", testPassword), browser.ClickOn(`form[action="/setup"] button[type=submit]`))
	b.WaitText(t, "main [role=alert]", "wrong setup token", adminWait)
	if got := b.Value(t, "#user"); got != "root" {
		t.Errorf("after the refusal the user field holds %q; want what was typed", got)
	}
	if html := browser.Get(t, b, "reading the page", chromedp.OuterHTML(chromedp.CSS("html"))); strings.Contains(html, testPassword) {
		t.Error("the refused setup page holds the password typed")
	}
	if got, body, _ := s.client("").do(t, "POST", "/login", map[string]string{"user": "root", "password": testPassword}); got != http.StatusUnauthorized {
		t.Fatalf("signing in after a refused setup: %d %s; want 401, no user made", got, body)
	}

	b.Run(t, "setting up with the token of the log", browser.SendKeys("#token", token),
		browser.SendKeys("#password", testPassword), browser.ClickOn(`form[action="/setup"] button[type=submit]`))
	b.WaitText(t, "main [role=status]", "first administrator is made", adminWait)
	b.SignIn(t, "root", testPassword)
	if role := b.Text(t, "form.who"); !strings.Contains(role, "administrator") {
		t.Errorf("the first user signs in as %q; want an administrator", role)
	}

	anon := newBrowser(t, s)
	anon.Open(t, "/login")
	if text := anon.Text(t, "main"); strings.Contains(text, "No user exists") || anon.Is(t, "looking for the setup link", `!!document.querySelector('a[href="/setup"]')`) {
		t.Errorf("once a user exists the sign-in page still offers setup: %q", text)
	}
	if got := anon.HTTPStatus(t, "/setup"); got != http.StatusNotFound {
		t.Errorf("GET /setup once a user exists: %d; want 404", got)
	}
	b.Clean(t)
	anon.Clean(t)
}
