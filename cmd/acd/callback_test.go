package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/url"
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

// TestServedCallbackInQueueLog: a callback served over SIP (the customer
// reached through the trunk, talking to the agent, then hanging up) is in
// the queue_log export as a call of its own: ENTERQUEUE with the
// customer's number, CONNECT to the agent, COMPLETECALLER with the talk
// time, after the caller's EXITWITHKEY #.
func TestServedCallbackInQueueLog(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	trunk := testutil.NewPhone(t)
	trunk.TakeCalls(testutil.AnswerMode{After: 100 * time.Millisecond})
	s := startAcd(t, "-config", writeConfig(t, callbackYAML(trunk.Addr())))
	admin := setupAdmin(t, s)
	warmUp(t, ctx, s)

	requestCallback(t, ctx, s)
	agent := agentPhone(t, ctx, s, "1001", testutil.AnswerMode{After: 100 * time.Millisecond})
	incoming(t, ctx, agent)
	incoming(t, ctx, trunk)
	eventsOf(t, s, store.Filter{}, has("callback.connected:1001"))
	time.Sleep(1100 * time.Millisecond) // the conversation: at least a whole second
	if err := trunk.HangupIncoming(ctx); err != nil {
		t.Fatal(err)
	}
	eventsOf(t, s, store.Filter{}, has("callback.completed:1001", "call.ended:1001"))

	day := time.Now()
	q := url.Values{"from": {day.AddDate(0, 0, -1).Format(time.DateOnly)}, "to": {day.AddDate(0, 0, 2).Format(time.DateOnly)}}
	status, body, _ := admin.do(t, "GET", "/exports/queue_log?"+q.Encode(), nil)
	if status != 200 {
		t.Fatalf("queue_log export: %d %s", status, body)
	}
	var lines []string // the verbs and data of the callback's own call
	callID := ""
	for _, l := range strings.Split(strings.TrimSpace(string(body)), "\n") {
		f := strings.Split(l, "|")
		if len(f) < 5 || !strings.HasPrefix(f[1], "callback-") {
			continue
		}
		callID = f[1]
		lines = append(lines, strings.Join(f[2:], "|"))
	}
	want := []string{
		"support|NONE|ENTERQUEUE||+14155550123|1",
		"support|Agent/1001|CONNECT|0||", // then the agent's ring time
		"support|Agent/1001|COMPLETECALLER|0|",
	}
	if len(lines) != len(want) {
		t.Fatalf("the callback's queue_log lines:\n%s\nwant %d lines like %q; the whole file:\n%s", strings.Join(lines, "\n"), len(want), want, body)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Fatalf("line %d of %s: %q, want %q…", i+1, callID, lines[i], w)
		}
	}
	var talk, opos int
	if _, err := fmt.Sscanf(strings.TrimPrefix(lines[2], want[2]), "%d|%d", &talk, &opos); err != nil || talk < 1 || opos != 1 {
		t.Fatalf("COMPLETECALLER %q: want the talk time (at least 1 s) and position 1 (%v)", lines[2], err)
	}
}

// TestCallbackCardFollowsTheCustomer: while a callback dials the
// customer, the agent's call card and the API say the customer is being
// called; once the customer answers, both say they are talking.
func TestCallbackCardFollowsTheCustomer(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	trunk := testutil.NewPhone(t)
	// Long enough to see the card while the customer's phone rings.
	trunk.TakeCalls(testutil.AnswerMode{After: 3 * time.Second})
	s := startAcd(t, "-config", writeConfig(t, callbackYAML(trunk.Addr())))
	admin := setupAdmin(t, s)
	admin.expect(t, "POST", "/users", map[string]any{"id": "1001", "role": "agent", "password": testPassword}, 201, nil)
	warmUp(t, ctx, s)

	requestCallback(t, ctx, s)
	s.waitLog(t, 5*time.Second, "callback requested")

	b := newBrowser(t, s)
	b.SignIn(t, "1001", testPassword)
	b.Open(t, "/agent")
	agent := agentPhone(t, ctx, s, "1001", testutil.AnswerMode{After: 100 * time.Millisecond})
	incoming(t, ctx, agent)
	incoming(t, ctx, trunk)
	b.WaitText(t, "[data-testid=agent-call]", "calling customer", 2*time.Second)
	var st struct {
		State string `json:"state"`
		Call  *struct {
			Callback  bool `json:"callback"`
			Connected bool `json:"connected"`
		} `json:"call"`
	}
	admin.expect(t, "GET", "/agents/1001/state", nil, 200, &st)
	if st.Call == nil || !st.Call.Callback || st.Call.Connected {
		t.Fatalf("agent 1001 while the customer's phone rings: %+v %+v; want a callback not yet connected", st, st.Call)
	}

	eventsOf(t, s, store.Filter{}, has("callback.connected:1001"))
	b.WaitText(t, "[data-testid=agent-call]", "talking to customer", 2*time.Second)
	admin.expect(t, "GET", "/agents/1001/state", nil, 200, &st)
	if st.Call == nil || !st.Call.Connected {
		t.Fatalf("agent 1001 once the customer answered: %+v %+v; want connected", st, st.Call)
	}
	if err := trunk.HangupIncoming(ctx); err != nil {
		t.Fatal(err)
	}
	eventsOf(t, s, store.Filter{}, has("callback.completed:1001"))
	b.Clean(t)
}

// TestAPIQueueCallbackCallerIDRefused: a queue's callback caller ID is
// held to the rule of a trunk's: a number of the numbering plan, never an
// emergency one. One that is not is refused with 422 naming
// body.callback.caller_id, on creation and on replacement alike.
func TestAPIQueueCallbackCallerIDRefused(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, "numbering: {region: US}\ntrunks:\n  carrier: {address: \"127.0.0.1:5099\"}\n"+apiYAML))
	admin := setupAdmin(t, s)
	queue := func(id, callerID string) map[string]any {
		return map[string]any{"id": id, "callback": map[string]any{"enabled": true, "threshold": "2m", "caller_id": callerID, "trunk": "carrier"}}
	}
	admin.expect(t, "POST", "/queues", queue("callme", "(415) 555-0100"), 201, nil)
	for _, number := range []string{"abc", "911", "12", "+1 000 555 0100"} {
		for _, req := range []struct{ method, path, id string }{{"POST", "/queues", "other"}, {"PUT", "/queues/callme", "callme"}} {
			status, body, _ := admin.do(t, req.method, req.path, queue(req.id, number))
			if status != 422 || !strings.Contains(string(body), `"location":"body.callback.caller_id"`) {
				t.Errorf("%s %s with caller ID %q: %d %s; want 422 naming body.callback.caller_id", req.method, req.path, number, status, body)
			}
		}
	}
}
