package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestMaxCallsRefusesWith503 runs the binary with room for one call: the
// second caller is refused with 503 and Retry-After while the first is up.
func TestMaxCallsRefusesWith503(t *testing.T) {
	s := startAcd(t, "-config", writeConfig(t, "server: {max_calls: 1}\n"+planYAML))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dial(t, ctx, s)

	expect503(t, ctx, s, "second call")
	if body := healthz(t, s); !strings.Contains(body, `"calls_refused":1,`) {
		t.Fatalf("healthz does not count the refused call: %s", body)
	}
}
