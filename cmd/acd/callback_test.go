package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/media"
	"github.com/acdserver/acd/store"
)

func callbackYAML(trunk string) string {
	return fmt.Sprintf(`sip_realm: test.local
numbers: {"100": main}
trunks:
  carrier: {address: %s}
numbering:
  region: US
  local_prefixes: ["415"]
agents:
  "1001": {name: Alice, password: secret-1001, queues: [support]}
queues:
  support:
    ring_timeout: 5s
    announce_every: 1h
    callback:
      enabled: true
      threshold: 1s
      caller_id: "+14155550100"
      trunk: carrier
      allowed_number_types: [local, national]
      attempts: 2
      retry_after: 1s
dialplans:
  main:
    entry: q
    nodes:
      q:   {type: queue, queue: support, timeout: 2s, on_timeout: bye, on_exit: bye}
      bye: {type: hangup}
`, trunk)
}

// requestCallback is a caller of the default number who, offered a
// callback, presses # and is hung up on once the request is taken.
func requestCallback(t *testing.T, ctx context.Context, s *server) {
	t.Helper()
	caller := dial(t, ctx, s)
	eventsOf(t, s, store.Filter{}, has("callback.offered:"))
	caller.SendDTMF('#', 101)
	waitBye(t, ctx, caller)
}

// warmUp makes the queue's 15-minute average wait exceed the 1 s threshold:
// a caller waits the whole 2 s queue timeout with no agent.
func warmUp(t *testing.T, ctx context.Context, s *server) {
	t.Helper()
	p := dial(t, ctx, s)
	p.SendDTMF('#', 101) // before any invitation: nothing happens
	waitBye(t, ctx, p)
	got := eventsOf(t, s, store.Filter{}, has("caller.timeout:"))
	for _, e := range got {
		if strings.HasPrefix(e, "callback.") {
			t.Fatalf("callback offered or taken with an empty window: %v", got)
		}
	}
}

func TestCallbackEndToEnd(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	trunk := testutil.NewPhone(t)
	trunk.TakeCalls(testutil.AnswerMode{After: 100 * time.Millisecond})
	s := startAcd(t, "-config", writeConfig(t, callbackYAML(trunk.Addr())))
	warmUp(t, ctx, s)

	// Premium-rate and Jamaican caller IDs may not be called back: no
	// invitation. Jamaica shares +1 but is billed internationally, the
	// classic one-ring fraud destination.
	premium := dialAs(t, ctx, s, "100", "+19005550111")
	jamaica := dialAs(t, ctx, s, "100", "+18769261234")
	s.waitLog(t, 5*time.Second, "callback not possible", "number_type=international")
	waitBye(t, ctx, premium)
	waitBye(t, ctx, jamaica)

	caller := dial(t, ctx, s)
	eventsOf(t, s, store.Filter{}, has("callback.offered:"))
	caller.SendDTMF('#', 101)
	s.waitLog(t, 5*time.Second, "callback requested")
	waitBye(t, ctx, caller) // after the confirmation
	got := eventsOf(t, s, store.Filter{}, has("callback.requested:"))
	offers := 0
	for _, e := range got {
		if e == "callback.offered:" {
			offers++
		}
	}
	if offers != 1 {
		t.Fatalf("%d invitations, want exactly one (to the local caller, not the premium or Jamaican one): %v", offers, got)
	}

	out, err := exec.Command(acdBinary, "queue", "show", "support", "-data", s.data).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "+14155550123") || !strings.Contains(string(out), "callback") {
		t.Fatalf("acd queue show: %v\n%s", err, out)
	}

	agent := agentPhone(t, ctx, s, "1001", testutil.AnswerMode{After: 100 * time.Millisecond})
	in := incoming(t, ctx, agent)
	if in.DisplayName != "Callback" || in.From != "+14155550123" {
		t.Fatalf("agent's phone shows %q <%s>; want \"Callback\" and the customer's number", in.DisplayName, in.From)
	}
	customer := incoming(t, ctx, trunk)
	if customer.From != "+14155550100" {
		t.Fatalf("the trunk got caller ID %q, want the queue's +14155550100", customer.From)
	}
	for !agent.Remote().IsValid() || !trunk.Remote().IsValid() {
		time.Sleep(10 * time.Millisecond)
	}
	agent.SendTone(ctx, media.PCMU)
	trunk.SendTone(ctx, media.PCMU)
	speechGrows(t, ctx, trunk, "the customer")
	speechGrows(t, ctx, agent, "the agent")
	got = eventsOf(t, s, store.Filter{}, has("callback.connected:1001"))
	expectSequence(t, got, "callback.offered:", "callback.requested:", "agent.logged_in:1001",
		"caller.offered:1001", "callback.agent_answered:1001", "callback.dialing:1001", "callback.connected:1001")
	if err := trunk.HangupIncoming(ctx); err != nil {
		t.Fatal(err)
	}
	eventsOf(t, s, store.Filter{}, has("callback.completed:1001"))
}

// TestCallbackSurvivesKill: the server is killed (SIGKILL) just after the
// caller pressed # and the confirmation began; after a restart the request
// is served.
func TestCallbackSurvivesKill(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	trunk := testutil.NewPhone(t)
	trunk.TakeCalls(testutil.AnswerMode{After: 100 * time.Millisecond})
	config := writeConfig(t, callbackYAML(trunk.Addr()))
	data := t.TempDir()
	s := startAcd(t, "-config", config, "-data", data)
	warmUp(t, ctx, s)
	caller := dial(t, ctx, s)
	eventsOf(t, s, store.Filter{}, has("callback.offered:"))
	caller.SendDTMF('#', 101)
	s.waitLog(t, 5*time.Second, "callback requested")
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = s.cmd.Wait()

	s = startAcd(t, "-config", config, "-data", data)
	agent := agentPhone(t, ctx, s, "1001", testutil.AnswerMode{After: 100 * time.Millisecond})
	if in := incoming(t, ctx, agent); in.DisplayName != "Callback" {
		t.Fatalf("after the restart the agent was rung for %q, want the callback", in.DisplayName)
	}
	if customer := incoming(t, ctx, trunk); customer.From != "+14155550100" {
		t.Fatalf("customer INVITE from %q", customer.From)
	}
	got := eventsOf(t, s, store.Filter{}, has("callback.connected:1001"))
	expectSequence(t, got, "callback.requested:", "server.started:", "callback.restored:", "callback.dialing:1001", "callback.connected:1001")
	_ = trunk.HangupIncoming(ctx)
}

// TestCallbackRetriesBusyCustomer: a busy customer is tried again after
// retry_after, and the second attempt connects.
func TestCallbackRetriesBusyCustomer(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	trunk := testutil.NewPhone(t)
	trunk.TakeCalls(testutil.AnswerMode{Reject: 486})
	s := startAcd(t, "-config", writeConfig(t, callbackYAML(trunk.Addr())))
	warmUp(t, ctx, s)
	requestCallback(t, ctx, s)

	agent := agentPhone(t, ctx, s, "1001", testutil.AnswerMode{After: 100 * time.Millisecond})
	incoming(t, ctx, agent)
	incoming(t, ctx, trunk) // busy
	eventsOf(t, s, store.Filter{}, has("callback.attempt_failed:1001"))
	trunk.TakeCalls(testutil.AnswerMode{After: 100 * time.Millisecond})
	incoming(t, ctx, agent) // rung again after retry_after
	incoming(t, ctx, trunk)
	got := eventsOf(t, s, store.Filter{}, has("callback.connected:1001"))
	expectSequence(t, got, "callback.requested:", "callback.dialing:1001", "callback.attempt_failed:1001",
		"callback.dialing:1001", "callback.connected:1001")
	_ = trunk.HangupIncoming(ctx)
}

// TestCallbackTrunkDown: the trunk answers nothing at all. The agent who
// took the callback hears that the customer is being called, then that
// the customer could not be reached, and is hung up and free again well
// before SIP's 32 s transaction timeout; the event gives the short cause.
func TestCallbackTrunkDown(t *testing.T) {
	t.Parallel()
	// Within this, the attempt is bounded by the trunk's 5 s of silence:
	// waiting out the INVITE's 32 s would not fit beside the set-up.
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	dead, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	invites := make(chan string, 16)
	go func() {
		buf := make([]byte, 65536)
		for {
			n, _, err := dead.ReadFrom(buf)
			if err != nil {
				return
			}
			if strings.HasPrefix(string(buf[:n]), "INVITE ") {
				invites <- string(buf[:n])
			}
		}
	}()
	s := startAcd(t, "-config", writeConfig(t, strings.Replace(callbackYAML(dead.LocalAddr().String()), "attempts: 2", "attempts: 1", 1)))
	warmUp(t, ctx, s)
	requestCallback(t, ctx, s)

	agent := agentPhone(t, ctx, s, "1001", testutil.AnswerMode{After: 100 * time.Millisecond})
	incoming(t, ctx, agent)
	select {
	case <-invites:
	case <-ctx.Done():
		t.Fatal("the customer was never dialled")
	}
	speechGrows(t, ctx, agent, "the agent waiting on the customer")
	waitBye(t, ctx, agent)
	got := eventsOf(t, s, store.Filter{}, has("callback.attempt_failed:1001", "callback.failed:", "agent.state>ready:1001"))
	expectSequence(t, got, "callback.dialing:1001", "callback.attempt_failed:1001", "callback.failed:", "agent.state>ready:1001")
	l, err := store.Open(filepath.Join(s.data, "acd.db"), slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	evs, _ := l.Events(ctx, store.Filter{Agent: "1001"})
	for _, e := range evs {
		if e.Type == "callback.attempt_failed" {
			var failed event.CallbackAttemptFailed
			if err := json.Unmarshal(e.Data, &failed); err != nil || failed.Cause != "no-response" || failed.Retry {
				t.Fatalf("callback.attempt_failed: %s", e.Data)
			}
			return
		}
	}
	t.Fatal("no callback.attempt_failed")
}
