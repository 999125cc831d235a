package main

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/acdserver/acd/internal/testutil"
)

// TestRegistrationSurvivesRestart: a phone registered before the server
// restarts is rung after it, without registering again (phones do so only
// when their registration nears its end, often an hour later).
func TestRegistrationSurvivesRestart(t *testing.T) {
	cfg := writeConfig(t, agentsYAML)
	data := t.TempDir()
	first := startAcd(t, "-config", cfg, "-data", data)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	agent := testutil.NewPhone(t)
	if code, err := agent.Register(ctx, first.sip, "1001", "secret-1001", 3600); err != nil || code != 200 {
		t.Fatalf("REGISTER: %d %v", code, err)
	}
	agent.TakeCalls(testutil.AnswerMode{After: 50 * time.Millisecond})
	if err := first.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	_ = first.cmd.Wait()

	second := startAcd(t, "-config", cfg, "-data", data)
	second.waitLog(t, 10*time.Second, "registration restored", "agent=1001")
	featureCall(t, ctx, second, agent, "1001", "*50")
	dial(t, ctx, second)
	incoming(t, ctx, agent)
}
