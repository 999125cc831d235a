package main

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/store"
)

func TestRingAllOneWinner(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, agentsYAML))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a := agentPhone(t, ctx, s, "1001", testutil.AnswerMode{After: 300 * time.Millisecond})
	b := agentPhone(t, ctx, s, "1002", testutil.AnswerMode{After: 300 * time.Millisecond})

	caller := dialAs(t, ctx, s, "200", "+14155550123")
	incoming(t, ctx, a)
	incoming(t, ctx, b)
	// Both answer together: one is bridged, the other gets a BYE (or a
	// CANCEL, had its 200 come later) and never the caller.
	got := eventsOf(t, s, store.Filter{}, func(evs []string) bool {
		return strings.Contains(strings.Join(evs, " "), "agent.answered:")
	})
	answered := 0
	for _, e := range got {
		if strings.HasPrefix(e, "agent.answered:") {
			answered++
		}
	}
	if answered != 1 {
		t.Fatalf("%d agents answered the same caller: %v", answered, got)
	}
	select {
	case <-a.Byes:
	case <-b.Byes:
	case <-a.Cancelled():
	case <-b.Cancelled():
	case <-ctx.Done():
		t.Fatal("the losing agent's leg was neither cancelled nor hung up")
	}
	_ = caller.Hangup(ctx)
}

func TestCallerHangsUpWhileAgentRings(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, agentsYAML))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	agent := agentPhone(t, ctx, s, "1001", testutil.AnswerMode{Never: true})
	caller := dialAs(t, ctx, s, "200", "+14155550123") // ring-all, 5 s ring timeout
	in := incoming(t, ctx, agent)
	if err := caller.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case id := <-agent.Cancelled():
		if id != in.CallID {
			t.Fatalf("cancelled %s, want %s", id, in.CallID)
		}
	case <-time.After(4500 * time.Millisecond): // the queue's ring timeout is 5 s
		t.Fatal("CANCEL did not reach the agent's phone before its ring timeout")
	}
	got := eventsOf(t, s, store.Filter{}, has("caller.abandoned:"))
	expectSequence(t, got, "caller.joined:", "caller.offered:1001", "caller.abandoned:")
	for _, e := range got {
		if e == "agent.missed:1001" {
			t.Fatalf("the caller's hang-up was counted as the agent's miss: %v", got)
		}
	}
}

func TestWeightedQueueServedFirst(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, agentsYAML))
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	agent := agentPhone(t, ctx, s, "1001", testutil.AnswerMode{After: 100 * time.Millisecond})
	featureCall(t, ctx, s, agent, "1001", "*521") // pause: Lunch
	eventsOf(t, s, store.Filter{}, has("agent.state>paused:1001"))

	support := dial(t, ctx, s) // waits first, weight 0
	s.waitLog(t, 5*time.Second, "caller joined queue", "queue=support")
	salesCaller := dialAs(t, ctx, s, "200", "+14155550124")
	s.waitLog(t, 5*time.Second, "caller joined queue", "queue=sales")
	featureCall(t, ctx, s, agent, "1001", "*53") // ready
	incoming(t, ctx, agent)
	l, err := store.Open(filepath.Join(s.data, "acd.db"), slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	eventsOf(t, s, store.Filter{}, has("agent.answered:1001"))
	evs, _ := l.Events(ctx, store.Filter{Agent: "1001"})
	var offered []string
	var paused string
	for _, e := range evs {
		if e.Type == "caller.offered" {
			offered = append(offered, e.Queue)
		}
		if p, err := event.Decode(e); err == nil {
			if st, ok := p.(event.AgentState); ok && st.To == "paused" {
				paused = st.Reason
			}
		}
	}
	if len(offered) == 0 || offered[0] != "sales" {
		t.Fatalf("offers went to %v; want the weighted queue (sales) first", offered)
	}
	if paused != "Lunch" {
		t.Fatalf("paused with reason %q, want Lunch (*521)", paused)
	}
	_ = support.Hangup(ctx)
	_ = salesCaller.Hangup(ctx)
}

// TestSIPpCallerLeavesQueue drives the default dial plan with SIPp: the
// caller hears the welcome, waits in the queue, presses * and is said
// goodbye and hung up on by the server.
func TestSIPpCallerLeavesQueue(t *testing.T) {
	t.Parallel()
	sipp := requireSIPp(t)
	s := startAcd(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	cmd := exec.CommandContext(ctx, sipp, "-sf", "../../bench/sipp/caller_star.xml", "-s", "100",
		"-i", "127.0.0.1", "-p", freeUDPPort(t), "-mp", freeUDPPort(t), "-m", "1", "-l", "1",
		"-timeout", "40s", "-timeout_error", "-nostdin", "-trace_err", "-error_file", filepath.Join(dir, "errors.log"),
		s.sip)
	cmd.Dir = "."
	out, err := cmd.CombinedOutput()
	if err != nil {
		errs, _ := os.ReadFile(filepath.Join(dir, "errors.log"))
		t.Fatalf("sipp failed: %v\n%s\n%s", err, lastLines(string(out), 30), errs)
	}
	s.waitLog(t, 10*time.Second, "caller left queue with *")
}
