package main

import (
	"testing"

	"github.com/acdserver/acd/internal/browser"
)

// newBrowser starts a headless Chromium of its own on the server's
// consoles, stopped when the test ends.
func newBrowser(t *testing.T, s *server) *browser.Chromium {
	t.Helper()
	return browser.NewChromium(t, "http://"+s.http)
}

// newFirefox starts a headless Firefox of its own on the server's
// consoles, with a fresh profile, stopped when the test ends.
func newFirefox(t *testing.T, s *server) *browser.Firefox {
	t.Helper()
	return browser.NewFirefox(t, "http://"+s.http)
}
