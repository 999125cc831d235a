package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/acdserver/acd/internal/browser"
)

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
