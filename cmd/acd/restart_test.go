package main

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/store"
)

// TestRegistrationSurvivesRestart: a phone registered before the server
// restarts is rung after it, without registering again (phones do so only
// when their registration nears its end, often an hour later).
func TestRegistrationSurvivesRestart(t *testing.T) {
	t.Parallel()
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

// TestAgentStatesSurviveRestart: agents are back after a restart as they
// were: one who was ready is rung for the first caller at once, without
// dialling *50 again; one who was paused stays paused with the reason.
func TestAgentStatesSurviveRestart(t *testing.T) {
	t.Parallel()
	cfg := writeConfig(t, agentsYAML)
	data := t.TempDir()
	first := startAcd(t, "-config", cfg, "-data", data)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	ready := agentPhone(t, ctx, first, "1001", testutil.AnswerMode{After: 50 * time.Millisecond})
	paused := agentPhone(t, ctx, first, "1002", testutil.AnswerMode{After: 50 * time.Millisecond})
	featureCall(t, ctx, first, paused, "1002", "*522") // Training
	eventsOf(t, first, store.Filter{Agent: "1002"}, has("agent.state>paused:1002"))
	if err := first.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	_ = first.cmd.Wait()

	second := startAcd(t, "-config", cfg, "-data", data)
	second.waitLog(t, 10*time.Second, "agent restored", "agent=1002", "state=paused", "reason=Training")
	caller := dial(t, ctx, second)
	incoming(t, ctx, ready)
	select {
	case <-paused.IncomingCalls():
		t.Fatal("the paused agent was rung after the restart")
	default:
	}
	got := eventsOf(t, second, store.Filter{}, has("server.started:", "agent.state>ready:1001", "agent.answered:1001"))
	expectSequence(t, got, "server.started:", "server.started:", "agent.logged_in:1001", "agent.state>ready:1001", "agent.state>paused:1002")
	_ = caller.Hangup(ctx)
}
