package main

import (
	"os"
	"os/exec"
	"regexp"
	"testing"
)

func requireSocat(t *testing.T) string {
	t.Helper()
	skipInShort(t, "socat")
	path, err := exec.LookPath("socat")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("socat is not installed: the test command installs it")
		}
		t.Skip("socat not installed (apt-get install socat)")
	}
	return path
}

// socatListening is socat's -d -d line once its listener is up.
var socatListening = regexp.MustCompile(`listening on AF=2 (127\.0\.0\.1:\d+)`)

func requireSIPp(t *testing.T) string {
	skipInShort(t, "SIPp")
	path, err := exec.LookPath("sipp")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("sipp is not installed: the test command installs sip-tester")
		}
		t.Skip("sipp not installed (apt-get install sip-tester)")
	}
	return path
}

// skipInShort leaves out, under -short (make test-fast), a test that
// drives a program no one here wrote: SIPp, baresip or socat (the
// browsers' driver, internal/browser, skips its tests the same way).
// Those tests start a process each and wait on it, which is most of the
// suite's time; make test always runs them.
func skipInShort(t *testing.T, program string) {
	t.Helper()
	if testing.Short() {
		t.Skipf("-short: the tests with %s run in make test", program)
	}
}
