// Package browser drives headless Chromium (over the DevTools protocol)
// and Firefox (over WebDriver BiDi) through a running server's pages, as
// a user would, for end-to-end tests. Only tests import it.
//
// A browser that is not installed skips the test, unless the environment
// sets ACD_REQUIRE_BROWSERS (make test does, having installed both);
// under -short (make test-fast) the browser tests are skipped whatever
// is installed.
package browser

import (
	"strings"
	"testing"
)

// skipInShort leaves out, under -short (make test-fast), a test that
// drives a browser: it starts a process and waits on it, which is much
// of a suite's time; make test always runs it.
func skipInShort(t testing.TB, program string) {
	t.Helper()
	if testing.Short() {
		t.Skipf("-short: the tests with %s run in make test", program)
	}
}

// lastLines is the end of s, for a failure message.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
