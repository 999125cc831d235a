package sip_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/media"
	acdsip "github.com/acdserver/acd/sip"
)

// bridgedToAgent answers a caller and bridges it to agent, a phone dialled
// as a trunk, with hold music for hold; it returns the caller's phone
// once both hear each other.
func bridgedToAgent(t *testing.T, ctx context.Context, agent *testutil.Phone, tune ...func(*acdsip.Config)) (*testutil.Phone, *acdsip.Server) {
	t.Helper()
	agent.TakeCalls(testutil.AnswerMode{Codec: media.PCMU})
	var server atomic.Pointer[acdsip.Server]
	bridged := make(chan error, 1)
	music := sounds(t).Get("hold-music")
	addr, srv := startServer(t, func(ctx context.Context, c *acdsip.Call) {
		leg, err := server.Load().Dial(ctx, acdsip.Trunk{Address: agent.Addr()}, "5550100", c.Caller())
		if err != nil {
			bridged <- err
			return
		}
		server.Load().BridgeHolding(c, leg, music)
		bridged <- nil // once bridged: the tests look at the bridge next
		select {
		case <-c.Done():
		case <-leg.Done():
		case <-ctx.Done():
		}
	}, tune...)
	server.Store(srv)
	caller := testutil.NewPhone(t)
	s, err := caller.Invite(ctx, addr, "100", caller.SDP(101, media.PCMU))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := caller.Answered(ctx, s, nil); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-bridged:
		if err != nil {
			t.Fatalf("dialling the agent: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("the agent's leg never answered")
	}
	for !agent.Remote().IsValid() {
		time.Sleep(10 * time.Millisecond)
	}
	return caller, srv
}

// hears waits until p has heard n more frames of speech.
func hears(t *testing.T, ctx context.Context, p *testutil.Phone, n int, what string) {
	t.Helper()
	start := p.Stats().SpeechFrames
	for p.Stats().SpeechFrames < start+n {
		select {
		case <-ctx.Done():
			t.Fatalf("%s (%d frames of speech)", what, p.Stats().SpeechFrames-start)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func noBye(t *testing.T, p *testutil.Phone, who string) {
	t.Helper()
	select {
	case <-p.Byes:
		t.Fatalf("the server hung up on %s", who)
	default:
	}
}

// TestAgentHoldsAndResumes: the agent's phone (a leg we placed) holds by
// re-INVITE with a=sendonly; the caller hears hold music instead of
// silence; resume brings the bridge back; a key sent by INFO from the
// agent reaches the caller as RFC 4733; UPDATE is answered, with SDP when
// it offers. None of it ends the call.
func TestAgentHoldsAndResumes(t *testing.T) {
	ctx := within(t, 30*time.Second)
	agent := testutil.NewPhone(t)
	caller, _ := bridgedToAgent(t, ctx, agent)
	talk, stopTalking := context.WithCancel(ctx)
	caller.SendTone(ctx, media.PCMU)
	agent.SendTone(talk, media.PCMU)
	hears(t, ctx, caller, 25, "the caller does not hear the agent")
	hears(t, ctx, agent, 25, "the agent does not hear the caller")

	stopTalking() // a phone on hold sends nothing
	res, err := agent.ReinviteIncoming(ctx, agent.HeldSDP(media.SendOnly), true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 {
		t.Fatalf("the agent's hold was answered %d", res.StatusCode)
	}
	if d, err := media.ParseSDP(res.Body()); err != nil || d.Direction != media.RecvOnly {
		t.Fatalf("hold answered with %v (%v), want recvonly", d, err)
	}
	hears(t, ctx, caller, 50, "the caller hears no hold music while the agent holds")

	res, err = agent.ReinviteIncoming(ctx, agent.HeldSDP(media.SendRecv), true, nil)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("resume: %v %v", res, err)
	}
	talk, stopTalking = context.WithCancel(ctx)
	defer stopTalking()
	agent.SendTone(talk, media.PCMU)
	hears(t, ctx, agent, 25, "the agent does not hear the caller after resuming")

	if code, err := agent.InfoIncoming(ctx, '5'); err != nil || code != 200 {
		t.Fatalf("INFO from the agent: %d %v", code, err)
	}
	for caller.Stats().Keys != "5" {
		select {
		case <-ctx.Done():
			t.Fatalf("the caller's phone decoded %q, want the agent's 5", caller.Stats().Keys)
		case <-time.After(20 * time.Millisecond):
		}
	}
	hears(t, ctx, caller, 25, "the bridge did not come back after relaying the key")

	if res, err := agent.UpdateIncoming(ctx, nil); err != nil || res.StatusCode != 200 {
		t.Fatalf("UPDATE without an offer: %v %v", res, err)
	}
	res, err = agent.UpdateIncoming(ctx, agent.HeldSDP(media.SendRecv))
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("UPDATE with an offer: %v %v", res, err)
	}
	if d, err := media.ParseSDP(res.Body()); err != nil || d.Direction != media.SendRecv {
		t.Fatalf("UPDATE answered with %v (%v), want an SDP answer", d, err)
	}
	noBye(t, caller, "the caller")
	noBye(t, agent, "the agent")
	if err := caller.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestCallerHoldsWhileBridged: the caller's own hold plays hold music to
// the agent.
func TestCallerHoldsWhileBridged(t *testing.T) {
	ctx := within(t, 30*time.Second)
	agent := testutil.NewPhone(t)
	caller, _ := bridgedToAgent(t, ctx, agent)
	res, err := caller.UpdateOutgoing(ctx, caller.HeldSDP(media.SendOnly))
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("the caller's hold by UPDATE: %v %v", res, err)
	}
	hears(t, ctx, agent, 50, "the agent hears no hold music while the caller holds")
	noBye(t, caller, "the caller")
	_ = caller.Hangup(ctx)
}
