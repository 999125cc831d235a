package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/acdserver/acd/acd"
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
	awaitUDPBound(t, ctx, port)
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

// TestRefusingPhoneIsNotRungBackToBack: an agent's phone that answers
// every INVITE with 486 (busy) or 603 (decline) is not sent the same
// caller again at once. A decline counts toward max_no_answer (3 here)
// and comes back after the queue's 1 s ring timeout; busy does not count
// and comes back after the busy back-off, the agent never paused for it.
func TestRefusingPhoneIsNotRungBackToBack(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		status int
		gap    time.Duration // the least time between two INVITEs
		after  string        // the agent's state after the third refusal
	}{
		{"busy", 486, acd.DefaultBusyBackoff, "agent.state>ready:1001"},
		{"declined", 603, time.Second, "agent.state>paused:1001"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			yaml := strings.Replace(agentsYAML, "max_no_answer: 1", "max_no_answer: 3", 1)
			s := startAcd(t, "-config", writeConfig(t, yaml))
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			phone := agentPhone(t, ctx, s, "1001", testutil.AnswerMode{Reject: tc.status})
			caller := dial(t, ctx, s)
			defer func() { _ = caller.Hangup(ctx) }()
			var rung []time.Time
			for range 3 {
				incoming(t, ctx, phone)
				rung = append(rung, time.Now())
			}
			for i := 1; i < len(rung); i++ {
				// The INVITE's arrival stands in for the offer's time:
				// allow for the first arriving late.
				if gap := rung[i].Sub(rung[i-1]); gap < tc.gap*3/4 {
					t.Fatalf("INVITE %d came %v after the phone's %d to INVITE %d; want at least %v", i+1, gap, tc.status, i, tc.gap)
				}
			}
			miss := "agent.missed:1001"
			got := eventsOf(t, s, store.Filter{}, has(miss, miss, miss, tc.after))
			if tc.status == 486 && strings.Contains(strings.Join(got, " "), "agent.state>paused:1001") {
				t.Fatalf("busy answers paused the agent: %v", got)
			}
		})
	}
}

// TestCallersHangingUpWhileRingingDoNotPauseAgent: callers hang up while
// a single-line phone rings for them, each time with the next caller
// waiting. The next INVITE may reach the phone before the CANCEL of the
// last, and the phone answers it 486; that is not the agent's miss
// (max_no_answer is 1 here), and the caller is rung again once the phone
// is free.
func TestCallersHangingUpWhileRingingDoNotPauseAgent(t *testing.T) {
	t.Parallel()
	yaml := strings.Replace(agentsYAML, "ring_timeout: 1s, max_no_answer: 1", "ring_timeout: 10s, max_no_answer: 1", 1)
	s := startAcd(t, "-config", writeConfig(t, yaml))
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	phone := agentPhone(t, ctx, s, "1001", testutil.AnswerMode{Never: true, OneLine: true})
	go func() { // the phone's INVITEs and CANCELs are counted by the log, not here
		for {
			select {
			case <-phone.IncomingCalls():
			case <-phone.Cancelled():
			case <-ctx.Done():
				return
			}
		}
	}()
	const rounds = 12
	cur := dialAs(t, ctx, s, "100", "+14155550100")
	ringingFor(t, ctx, s, "+14155550100")
	for i := 1; i <= rounds; i++ {
		number := fmt.Sprintf("+1415555%04d", 100+i)
		next := dialAs(t, ctx, s, "100", number)
		if err := cur.Hangup(ctx); err != nil {
			t.Fatal(err)
		}
		ringingFor(t, ctx, s, number)
		cur = next
	}
	_ = cur.Hangup(ctx)
	busy := 0
	for _, e := range logEvents(t, s) {
		if e.Type != "agent.missed" {
			continue
		}
		p, _ := event.Decode(e)
		m := p.(event.AgentMissed)
		if m.Cause != "busy" || m.Misses != 0 {
			t.Fatalf("a missed offer counted: %+v", m)
		}
		busy++
	}
	t.Logf("%d of %d INVITEs reached the phone before the CANCEL of the last", busy, rounds)
}

// ringingFor waits until the agent 1001 is rung for the caller number,
// failing at once if the agent is paused.
func ringingFor(t *testing.T, ctx context.Context, s *server, number string) {
	t.Helper()
	for {
		callID := ""
		offered := ""
		for _, e := range logEvents(t, s) {
			p, err := event.Decode(e)
			if err != nil {
				continue
			}
			switch p := p.(type) {
			case event.CallerJoined:
				if p.Caller == number {
					callID = e.CallID
				}
			case event.AgentState:
				if e.Agent != "1001" {
					continue
				}
				if p.To == "paused" {
					t.Fatalf("agent 1001 paused (%s) while callers hung up as it rang", p.Cause)
				}
				offered = ""
				if p.To == "offered" {
					offered = e.CallID
				}
			}
		}
		if callID != "" && offered == callID {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("agent 1001 was never rung for %s", number)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// TestBaresipAgentsOverTCP: two baresips register over TCP as agents of
// one queue, as desk phones that avoid UDP fragmentation do. Each
// caller's INVITE must go down the connection of the agent it is offered
// to (the phone's own, since a phone behind NAT cannot be dialled back):
// both agents answer, each their own caller, and each caller hears its
// agent's tone.
func TestBaresipAgentsOverTCP(t *testing.T) {
	t.Parallel()
	modules := requireBaresip(t)
	s := startAcd(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	for _, agent := range []string{"1001", "1002"} {
		phone := startBaresip(t, modules, "<sip:"+agent+"@"+s.sip+";transport=tcp>;auth_pass=demo-"+agent+";answermode=auto")
		eventsOf(t, s, store.Filter{Agent: agent}, has("agent.registered:"+agent))
		phone.command(t, "/dial *50")
		eventsOf(t, s, store.Filter{Agent: agent}, has("agent.logged_in:"+agent))
		s.waitLog(t, 15*time.Second, `msg="call ended"`, `why="server hung up`) // after its confirmation
	}
	first := dialAs(t, ctx, s, "100", "+14155550123")
	eventsOf(t, s, store.Filter{}, func(got []string) bool {
		return contains(got, "agent.answered:1001") || contains(got, "agent.answered:1002")
	})
	second := dialAs(t, ctx, s, "100", "+14155550177")
	eventsOf(t, s, store.Filter{}, func(got []string) bool {
		return contains(got, "agent.answered:1001") && contains(got, "agent.answered:1002")
	})
	speechGrows(t, ctx, first, "the first caller (its agent's tone over TCP)")
	speechGrows(t, ctx, second, "the second caller (its agent's tone over TCP)")
	for _, c := range []interface{ Hangup(context.Context) error }{first, second} {
		if err := c.Hangup(ctx); err != nil {
			t.Fatal(err)
		}
	}
	eventsOf(t, s, store.Filter{}, func(got []string) bool {
		return contains(got, "call.ended:1001") && contains(got, "call.ended:1002")
	})
}

// TestBaresipAgent: Debian's own softphone, with nothing but an account
// line, registers as an agent against the default configuration, logs in
// with *50 and answers a queued caller, who hears it through the bridge.
func TestBaresipAgent(t *testing.T) {
	t.Parallel()
	modules := requireBaresip(t)
	s := startAcd(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	phone := startBaresip(t, modules, "<sip:1001@"+s.sip+">;auth_pass=demo-1001;answermode=auto")

	eventsOf(t, s, store.Filter{}, has("agent.registered:1001"))
	phone.command(t, "/dial *50")
	s.waitLog(t, 15*time.Second, "feature code", "agent=1001", "code=*50", "prompt=agent-logged-in")
	s.waitLog(t, 10*time.Second, `msg="call ended"`, `why="server hung up`) // after its confirmation

	caller := dial(t, ctx, s)
	got := eventsOf(t, s, store.Filter{}, has("agent.answered:1001"))
	expectSequence(t, got, "agent.registered:1001", "agent.logged_in:1001", "caller.joined:", "caller.offered:1001", "agent.answered:1001")
	speechGrows(t, ctx, caller, "the caller (baresip's tone)")
	if err := caller.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	eventsOf(t, s, store.Filter{}, has("agent.answered:1001", "call.ended:1001"))
}
