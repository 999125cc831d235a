package main

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDrainOnSIGTERM: a stopping server refuses new calls with 503 and
// says it is draining, while a call in progress goes on hearing its audio;
// once that call ends, the server stops by itself.
func TestDrainOnSIGTERM(t *testing.T) {
	s := startAcd(t, "-drain-timeout", "1m")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	caller := dial(t, ctx, s)
	s.waitLog(t, 5*time.Second, "caller joined queue")
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	s.waitLog(t, 5*time.Second, "draining: new calls get 503", "calls=1")

	expect503(t, ctx, s, "a new call while draining")
	if body := healthz(t, s); !strings.Contains(body, `"status":"draining"`) {
		t.Fatalf("healthz while draining: %s", body)
	}
	speechGrows(t, ctx, caller, "the queued caller")

	if err := caller.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	s.waitLog(t, 10*time.Second, "drained: no call in progress")
	exited := make(chan error, 1)
	go func() { exited <- s.cmd.Wait() }()
	select {
	case <-exited:
	case <-ctx.Done():
		t.Fatal("the server did not stop once drained")
	}
}
