package main

import "testing"

// skipInShort leaves out, under -short (make test-fast), a test that
// drives a program no one here wrote: a browser, SIPp, baresip or socat.
// Those tests start a process each and wait on it, which is most of the
// suite's time; make test always runs them.
func skipInShort(t *testing.T, program string) {
	t.Helper()
	if testing.Short() {
		t.Skipf("-short: the tests with %s run in make test", program)
	}
}
