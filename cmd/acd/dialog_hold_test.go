package main

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/acdserver/acd/media"
	"github.com/acdserver/acd/store"
)

// TestAgentHoldPlaysHoldMusicToCaller: the agent's phone holds by
// re-INVITE (a=sendonly), as phones do for their Hold key. The call goes
// on: the caller hears the queue's hold music instead of silence, resume
// brings the two back together, and a key the agent's phone sends by
// INFO reaches the caller as RFC 4733.
func TestAgentHoldPlaysHoldMusicToCaller(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, agentsYAML))
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	talk, stopTalking := context.WithCancel(ctx)
	caller, agent := bridgedAgent(t, ctx, talk, s)

	stopTalking()
	res, err := agent.ReinviteIncoming(ctx, agent.HeldSDP(media.SendOnly), true, nil)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("the agent's hold was answered %v (%v); a phone ends the call on 481", res, err)
	}
	speechGrows(t, ctx, caller, "the caller, while the agent holds,")

	res, err = agent.ReinviteIncoming(ctx, agent.HeldSDP(media.SendRecv), true, nil)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("resume: %v %v", res, err)
	}
	talk, stopTalking = context.WithCancel(ctx)
	defer stopTalking()
	agent.SendTone(talk, media.PCMU)
	speechGrows(t, ctx, agent, "the agent, after resuming,")

	if code, err := agent.InfoIncoming(ctx, '7'); err != nil || code != 200 {
		t.Fatalf("INFO from the agent's phone: %d %v", code, err)
	}
	for !strings.Contains(caller.Stats().Keys, "7") {
		select {
		case <-ctx.Done():
			t.Fatalf("the caller's phone decoded %q, want the agent's 7", caller.Stats().Keys)
		case <-time.After(20 * time.Millisecond):
		}
	}
	expectNoBye(t, caller, "the caller")
	expectNoBye(t, agent, "the agent")
	if err := caller.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-agent.Byes:
	case <-ctx.Done():
		t.Fatal("the agent's leg was not hung up with the caller's")
	}
	eventsOf(t, s, store.Filter{}, has("agent.answered:1001", "call.ended:1001", "agent.state>wrap-up:1001"))
}

// TestBaresipAgentHolds: Debian's baresip, as agent 1001's phone, logs in
// with *50, auto-answers a queued caller, and holds and resumes with its
// own re-INVITEs. The call survives both; while baresip holds the caller
// hears hold music, and once it resumes, baresip's silence again.
func TestBaresipAgentHolds(t *testing.T) {
	t.Parallel()
	skipInShort(t, "baresip")
	bin, err := exec.LookPath("baresip")
	if err != nil {
		t.Skip("baresip not installed (apt-get install baresip)")
	}
	s := startAcd(t, "-config", writeConfig(t, agentsYAML))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	phone := startBaresipCtl(t, bin, s.sip, "1001", "secret-1001")
	eventsOf(t, s, store.Filter{}, has("agent.registered:1001"))
	phone.command(t, "dial", "sip:*50@"+s.sip)
	s.waitLog(t, 20*time.Second, "feature code", "agent=1001", "code=*50")
	eventsOf(t, s, store.Filter{}, has("agent.state>ready:1001"))
	waitBaresipIdle(t, ctx, phone)

	caller := dial(t, ctx, s)
	eventsOf(t, s, store.Filter{}, has("agent.answered:1001"))
	caller.SendTone(ctx, media.PCMU)
	quiet(t, ctx, caller, "baresip sends silence: the caller")

	phone.command(t, "hold", "")
	speechGrows(t, ctx, caller, "the caller, while baresip holds,")
	s.waitLog(t, 10*time.Second, "put on hold by the phone", "agent=1001")
	phone.command(t, "resume", "")
	s.waitLog(t, 10*time.Second, "taken off hold by the phone", "agent=1001")
	quiet(t, ctx, caller, "after baresip resumed, the caller")

	expectNoBye(t, caller, "the caller")
	got := eventsOf(t, s, store.Filter{}, has("agent.answered:1001"))
	for _, e := range got {
		if e == "call.ended:1001" {
			t.Fatalf("the call ended while baresip held or resumed: %v", got)
		}
	}
	if err := caller.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	eventsOf(t, s, store.Filter{}, has("agent.answered:1001", "call.ended:1001"))
}
