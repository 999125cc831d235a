package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
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

func TestAgentAnswersAndAudioIsBridged(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, agentsYAML))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	agent := agentPhone(t, ctx, s, "1001", testutil.AnswerMode{After: 100 * time.Millisecond, Codec: media.PCMA})

	caller := dial(t, ctx, s)
	in := incoming(t, ctx, agent)
	if in.From != "+14155550123" || in.DisplayName != "Test Caller" {
		t.Fatalf("agent's phone shows %q <%s>, want the caller's name and number", in.DisplayName, in.From)
	}
	s.waitLog(t, 5*time.Second, "caller joined queue")
	// Caller speaks PCMU, agent PCMA: both hear each other through the
	// transcoding bridge.
	caller.SendTone(ctx, media.PCMU)
	for !agent.Remote().IsValid() {
		time.Sleep(10 * time.Millisecond)
	}
	agent.SendTone(ctx, media.PCMA)
	speechGrows(t, ctx, agent, "the agent")
	speechGrows(t, ctx, caller, "the caller")
	// Keys cross the bridge as RFC 4733 events, once each.
	caller.SendDTMF('5', 101)
	caller.SendDTMF('#', 101)
	for agent.Stats().Keys != "5#" {
		select {
		case <-ctx.Done():
			t.Fatalf("the agent's phone decoded %q, want 5#", agent.Stats().Keys)
		case <-time.After(10 * time.Millisecond):
		}
	}

	if err := caller.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-agent.Byes:
	case <-ctx.Done():
		t.Fatal("the agent's leg was not hung up with the caller's")
	}
	got := eventsOf(t, s, store.Filter{}, has("agent.state>wrap-up:1001"))
	expectSequence(t, got, "agent.registered:1001", "agent.logged_in:1001", "agent.state>ready:1001",
		"caller.joined:", "caller.offered:1001", "agent.answered:1001", "call.ended:1001", "agent.state>wrap-up:1001")
}

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

func TestRingTimeoutMovesOnAndPausesAgent(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, agentsYAML))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Linear strategy: 1001 is rung first and never answers.
	never := agentPhone(t, ctx, s, "1001", testutil.AnswerMode{Never: true})
	good := agentPhone(t, ctx, s, "1002", testutil.AnswerMode{After: 100 * time.Millisecond})

	caller := dial(t, ctx, s)
	incoming(t, ctx, never)
	select {
	case <-never.Cancelled():
	case <-ctx.Done():
		t.Fatal("the unanswered ring was never cancelled")
	}
	incoming(t, ctx, good)
	got := eventsOf(t, s, store.Filter{}, has("agent.answered:1002"))
	expectSequence(t, got, "caller.joined:", "caller.offered:1001", "agent.missed:1001", "agent.state>paused:1001",
		"caller.offered:1002", "agent.answered:1002")
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

func TestWrapUpBlocksOffersUntilEnded(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, agentsYAML))
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	agent := agentPhone(t, ctx, s, "1001", testutil.AnswerMode{After: 100 * time.Millisecond})

	first := dial(t, ctx, s)
	incoming(t, ctx, agent)
	eventsOf(t, s, store.Filter{}, has("agent.answered:1001"))
	_ = first.Hangup(ctx)
	eventsOf(t, s, store.Filter{}, has("agent.state>wrap-up:1001"))

	second := dial(t, ctx, s)
	s.waitLog(t, 5*time.Second, "caller joined queue")
	select {
	case <-agent.IncomingCalls():
		t.Fatal("an agent in wrap-up was offered a call")
	case <-time.After(1500 * time.Millisecond):
	}
	featureCall(t, ctx, s, agent, "1001", "*54")
	incoming(t, ctx, agent)
	got := eventsOf(t, s, store.Filter{}, has("agent.state>wrap-up:1001", "caller.joined:", "agent.state>ready:1001", "caller.offered:1001", "agent.answered:1001"))
	expectSequence(t, got, "agent.state>wrap-up:1001", "caller.joined:", "agent.state>ready:1001",
		"caller.offered:1001", "agent.answered:1001")
	_ = second.Hangup(ctx)
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

func TestUnregisteredAgentIsNeverOffered(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, strings.Replace(agentsYAML, "q:   {type: queue, queue: support, timeout: 30s", "q:   {type: queue, queue: support, timeout: 2s", 1)))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	agent := agentPhone(t, ctx, s, "1001", testutil.AnswerMode{After: 100 * time.Millisecond})
	if code, err := agent.Register(ctx, s.sip, "1001", "secret-1001", 0); err != nil || code != 200 {
		t.Fatalf("unREGISTER: %d %v", code, err)
	}
	eventsOf(t, s, store.Filter{}, has("agent.unregistered:1001"))
	caller := dial(t, ctx, s)
	waitBye(t, ctx, caller) // the queue times out after 2 s
	got := eventsOf(t, s, store.Filter{}, has("caller.timeout:"))
	for _, e := range got {
		if strings.HasPrefix(e, "caller.offered") {
			t.Fatalf("an unregistered agent was offered a call: %v", got)
		}
	}
	expectSequence(t, got, "agent.unregistered:1001", "caller.joined:", "caller.timeout:")
}

func TestRegisterAuthentication(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, agentsYAML))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p := testutil.NewPhone(t)
	for _, tc := range []struct {
		user, password string
		want           int
	}{
		{"1001", "hunter2-not-it", 401}, // a fresh challenge: same as for an unknown user
		{"9999", "whatever", 401},
		{"1001", "secret-1001", 200},
	} {
		code, err := p.Register(ctx, s.sip, tc.user, tc.password, 300)
		if err != nil || code != tc.want {
			t.Fatalf("REGISTER %s/%s: %d %v; want %d", tc.user, tc.password, code, err, tc.want)
		}
	}
	line := s.waitLog(t, 5*time.Second, "security: SIP authentication failed", "user=1001")
	if strings.Contains(line, "hunter2") {
		t.Fatalf("a password reached the log: %s", line)
	}
	// Repeated failures from one address are throttled.
	var last int
	for i := range 12 {
		last, _ = p.Register(ctx, s.sip, "1002", fmt.Sprint("guess-", i), 300)
	}
	if last != 403 {
		t.Fatalf("after 12 failures the answer is %d, want 403", last)
	}
}

// TestSIPpAgentAnswers: a SIPp phone registers with digest, logs in with
// *50, and answers a queued caller as a SIPp UAS.
func TestSIPpAgentAnswers(t *testing.T) {
	t.Parallel()
	sipp := requireSIPp(t)
	// SIPp answers only the first challenge, and only MD5.
	s := startAcd(t, "-config", writeConfig(t, "sip_auth_algorithms: [MD5, SHA-256]\n"+agentsYAML))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	creds := filepath.Join(dir, "agent.csv")
	if err := os.WriteFile(creds, []byte("SEQUENTIAL\n1001;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	port := freeUDPPort(t)
	login := exec.CommandContext(ctx, sipp, "-sf", "../../bench/sipp/agent_login.xml", "-inf", creds, "-au", "1001", "-ap", "secret-1001",
		"-i", "127.0.0.1", "-p", port, "-mp", freeUDPPort(t), "-m", "1", "-timeout", "20s", "-timeout_error", "-nostdin", s.sip)
	if out, err := login.CombinedOutput(); err != nil {
		t.Fatalf("SIPp agent login: %v\n%s", err, lastLines(string(out), 20))
	}
	answer := exec.CommandContext(ctx, sipp, "-sf", "../../bench/sipp/agent_answer.xml",
		"-i", "127.0.0.1", "-p", port, "-mp", freeUDPPort(t), "-m", "1", "-timeout", "30s", "-timeout_error", "-nostdin", "-rtp_echo")
	var out strings.Builder
	answer.Stdout, answer.Stderr = &out, &out
	if err := answer.Start(); err != nil {
		t.Fatal(err)
	}
	caller := dial(t, ctx, s)
	eventsOf(t, s, store.Filter{}, has("agent.answered:1001"))
	// SIPp echoes RTP: the caller hears its own tone back through the bridge.
	caller.SendTone(ctx, media.PCMU)
	speechGrows(t, ctx, caller, "the caller (SIPp echo)")
	if err := caller.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if err := answer.Wait(); err != nil {
		t.Fatalf("SIPp agent: %v\n%s", err, lastLines(out.String(), 20))
	}
}

// TestDeadPhoneIsSkipped: a registered phone that answers nothing (not
// even 100 Trying) costs the caller one ring timeout, not SIP's 32 s
// transaction timeout (Timer B), which would outlast this test's context.
func TestDeadPhoneIsSkipped(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, agentsYAML))
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	dead := agentPhone(t, ctx, s, "1001", testutil.AnswerMode{})
	good := agentPhone(t, ctx, s, "1002", testutil.AnswerMode{After: 100 * time.Millisecond})
	dead.Silence()
	caller := dial(t, ctx, s)
	incoming(t, ctx, good)
	got := eventsOf(t, s, store.Filter{}, has("agent.answered:1002"))
	expectSequence(t, got, "caller.offered:1001", "agent.missed:1001", "caller.offered:1002", "agent.answered:1002")
	_ = caller.Hangup(ctx)
}

func TestTransferToAgent(t *testing.T) {
	t.Parallel()
	yaml := strings.Replace(agentsYAML, `numbers: {"100": main, "200": sales}`, `numbers: {"100": main, "200": sales, "300": desk}`, 1) +
		`  desk:
    entry: t
    nodes:
      t:   {type: transfer, to: "1002", next: bye}
      bye: {type: hangup}
`
	s := startAcd(t, "-config", writeConfig(t, yaml))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	agent := agentPhone(t, ctx, s, "1002", testutil.AnswerMode{After: 100 * time.Millisecond})
	caller := dialAs(t, ctx, s, "300", "+14155550125")
	if in := incoming(t, ctx, agent); in.From != "+14155550125" {
		t.Fatalf("agent shown %q", in.From)
	}
	for !agent.Remote().IsValid() {
		time.Sleep(10 * time.Millisecond)
	}
	agent.SendTone(ctx, media.PCMU)
	speechGrows(t, ctx, caller, "the transferred caller")
	_ = caller.Hangup(ctx)
	got := eventsOf(t, s, store.Filter{}, has("call.ended:1002"))
	expectSequence(t, got, "transfer.offered:1002", "transfer.answered:1002", "call.ended:1002")
}

func TestRejectingAgentIsSkipped(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, strings.Replace(agentsYAML, "max_no_answer: 1", "max_no_answer: 3", 1)))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	busy := agentPhone(t, ctx, s, "1001", testutil.AnswerMode{Reject: 486})
	good := agentPhone(t, ctx, s, "1002", testutil.AnswerMode{After: 100 * time.Millisecond})
	caller := dial(t, ctx, s)
	incoming(t, ctx, busy)
	incoming(t, ctx, good)
	got := eventsOf(t, s, store.Filter{}, has("agent.answered:1002"))
	expectSequence(t, got, "caller.offered:1001", "agent.missed:1001", "caller.offered:1002", "agent.answered:1002")
	for _, e := range got {
		if e == "agent.state>paused:1001" {
			t.Fatalf("one busy signal paused the agent, though max_no_answer is 3: %v", got)
		}
	}
	_ = caller.Hangup(ctx)
}

func TestEndWrapUpNeedsPermission(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, strings.Replace(agentsYAML, "end_wrap_up: true", "end_wrap_up: false", 1)))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	agent := agentPhone(t, ctx, s, "1001", testutil.AnswerMode{After: 100 * time.Millisecond})
	caller := dial(t, ctx, s)
	incoming(t, ctx, agent)
	eventsOf(t, s, store.Filter{}, has("agent.answered:1001"))
	_ = caller.Hangup(ctx)
	waitBye(t, ctx, agent) // the agent's leg: each feature call below waits for its own BYE
	eventsOf(t, s, store.Filter{}, has("agent.state>wrap-up:1001"))
	// Neither ending it (*54) nor ready (*53) nor a pause (*52) gets the
	// agent out of a wrap-up the queue does not let agents end.
	for _, code := range []string{"*54", "*53", "*52"} {
		featureCall(t, ctx, s, agent, "1001", code)
		s.waitLog(t, 5*time.Second, "feature code", "code="+code, "prompt=wrap-up-not-ended")
	}
	got := eventsOf(t, s, store.Filter{Agent: "1001"}, has("agent.state>wrap-up:1001"))
	if last := got[len(got)-1]; last != "agent.state>wrap-up:1001" {
		t.Fatalf("after the refused codes the log ends with %s; want the agent still in wrap-up: %v", last, got)
	}
}
