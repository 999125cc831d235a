package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/acdserver/acd/internal/testutil"
)

// TestWrongPasswordThrottlesOnlyItsUser: two phones behind one address
// (an office's NAT). One keeps sending a wrong password: its user is
// throttled, and its refusals are logged; the other registers all along.
func TestWrongPasswordThrottlesOnlyItsUser(t *testing.T) {
	s := startAcd(t, "-config", writeConfig(t, agentsYAML))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	misconfigured, neighbour := testutil.NewPhone(t), testutil.NewPhone(t)
	register := func(p *testutil.Phone, user, password string, want int) {
		t.Helper()
		if code, err := p.Register(ctx, s.sip, user, password, 300); err != nil || code != want {
			t.Fatalf("REGISTER %s with %q: %d %v; want %d", user, password, code, err, want)
		}
	}
	for i := range 12 {
		want := 401
		if i >= 10 {
			want = 403
		}
		register(misconfigured, "1001", fmt.Sprint("old-password-", i), want)
	}
	register(misconfigured, "1001", "secret-1001", 403) // throttled for a while, right or wrong
	s.waitLog(t, 5*time.Second, "security: SIP authentication refused", "user=1001", "source=127.0.0.1", `reason="user throttled`)

	register(neighbour, "1002", "secret-1002", 200)
	for range 3 {
		register(neighbour, "1002", "typo", 401)
	}
	register(neighbour, "1002", "secret-1002", 200)
}
