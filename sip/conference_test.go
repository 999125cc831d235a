package sip_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acdserver/acd/hangup"
	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/media"
	acdsip "github.com/acdserver/acd/sip"
)

// conferenced is a caller, and legs dialled to the phones given, all in
// one conference, the caller and the first leg in Both.
type conferenced struct {
	caller *testutil.Phone
	conf   *acdsip.Conference
	legs   []*acdsip.Leg
	ids    []media.Member // the caller's, then the legs'
}

// conference answers a caller and dials each phone (as a trunk), adding
// the caller and every leg to a conference in the mode given for it.
func conference(t *testing.T, ctx context.Context, phones []*testutil.Phone, modes []media.Mode) conferenced {
	t.Helper()
	var server atomic.Pointer[acdsip.Server]
	ready := make(chan conferenced, 1)
	failed := make(chan error, 1)
	music := sounds(t).Get("hold-music")
	addr, srv := startServer(t, func(ctx context.Context, c *acdsip.Call) {
		s := server.Load()
		conf := s.Conference(music)
		defer conf.End()
		out := conferenced{conf: conf}
		id, err := conf.Add(c, media.Mode{})
		if err != nil {
			failed <- err
			return
		}
		out.ids = append(out.ids, id)
		for i, p := range phones {
			leg, err := s.Dial(ctx, acdsip.Trunk{Address: p.Addr()}, "5550100", c.Caller())
			if err != nil {
				failed <- err
				return
			}
			id, err := conf.Add(leg, modes[i])
			if err != nil {
				failed <- err
				return
			}
			out.legs, out.ids = append(out.legs, leg), append(out.ids, id)
		}
		ready <- out
		select {
		case <-c.Done():
			for _, leg := range out.legs {
				leg.Hangup(hangup.OtherSideHungUp)
			}
		case <-ctx.Done():
		}
	})
	server.Store(srv)
	for _, p := range phones {
		p.TakeCalls(testutil.AnswerMode{Codec: media.PCMU})
	}
	caller := testutil.NewPhone(t)
	s, err := caller.Invite(ctx, addr, "100", caller.SDP(101, media.PCMU))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := caller.Answered(ctx, s, nil); err != nil {
		t.Fatal(err)
	}
	var out conferenced
	select {
	case out = <-ready:
	case err := <-failed:
		t.Fatalf("setting up the conference: %v", err)
	case <-ctx.Done():
		t.Fatal("the conference never came together")
	}
	for _, p := range phones {
		for !p.Remote().IsValid() {
			time.Sleep(10 * time.Millisecond)
		}
	}
	out.caller = caller
	return out
}

// hearsNothing waits for n more audio frames at p and fails if any of
// them is speech.
func hearsNothing(t *testing.T, ctx context.Context, p *testutil.Phone, n int, what string) {
	t.Helper()
	start := p.Stats()
	for {
		now := p.Stats()
		if now.SpeechFrames > start.SpeechFrames {
			t.Fatalf("%s (%d frames of speech)", what, now.SpeechFrames-start.SpeechFrames)
		}
		if len(now.Timestamps) >= len(start.Timestamps)+n {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: no audio at all", what)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// frames waits for n more audio frames at p, whatever they carry.
func frames(t *testing.T, ctx context.Context, p *testutil.Phone, n int) {
	t.Helper()
	start := len(p.Stats().Timestamps)
	for len(p.Stats().Timestamps) < start+n {
		select {
		case <-ctx.Done():
			t.Fatal("no audio at all")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// TestConferenceSupervisor: a caller and an agent talk, a supervisor
// listens (hears the caller, heard by nobody), whispers (heard by the
// agent alone), then barges in (heard by both), over real SIP and RTP.
func TestConferenceSupervisor(t *testing.T) {
	ctx := within(t, 30*time.Second)
	agent, super := testutil.NewPhone(t), testutil.NewPhone(t)
	cf := conference(t, ctx, []*testutil.Phone{agent, super}, []media.Mode{{}, {Role: media.Listen}})
	agentID, superLeg := cf.ids[1], cf.legs[1]

	talk, stop := context.WithCancel(ctx)
	cf.caller.SendTone(talk, media.PCMU)
	hears(t, ctx, super, 25, "the supervisor does not hear the caller")
	hears(t, ctx, agent, 25, "the agent does not hear the caller")
	stop()
	frames(t, ctx, agent, 10) // what was on its way has come
	hearsNothing(t, ctx, agent, 10, "the agent hears the caller who stopped talking")

	talk, stop = context.WithCancel(ctx)
	defer stop()
	super.SendTone(talk, media.PCMU)
	hearsNothing(t, ctx, agent, 50, "the agent hears a supervisor who listens")
	hearsNothing(t, ctx, cf.caller, 50, "the caller hears a supervisor who listens")

	if err := cf.conf.SetMode(superLeg, media.Mode{Role: media.Whisper, To: agentID}); err != nil {
		t.Fatal(err)
	}
	hears(t, ctx, agent, 25, "the agent does not hear the supervisor whispering")
	hearsNothing(t, ctx, cf.caller, 50, "the caller hears the supervisor whispering to the agent")

	if err := cf.conf.SetMode(superLeg, media.Mode{Role: media.Both}); err != nil {
		t.Fatal(err)
	}
	hears(t, ctx, cf.caller, 25, "the caller does not hear the supervisor barging in")
	hears(t, ctx, agent, 25, "the agent does not hear the supervisor barging in")

	// The supervisor hangs up: it leaves the conference; the others stay.
	if err := super.HangupIncoming(ctx); err != nil {
		t.Fatal(err)
	}
	for {
		err := cf.conf.SetMode(superLeg, media.Mode{})
		if errors.Is(err, media.ErrNotMember) {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the supervisor hung up but is still in the conference (%v)", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	noBye(t, cf.caller, "the caller")
	noBye(t, agent, "the agent")
	if err := cf.caller.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestConferenceOfTwoHolds: a conference of a caller and an agent holds
// and passes keys as Join's bridge does: the agent holds and the caller
// hears hold music; resumed, they hear each other; a key the agent sends
// by INFO reaches the caller as RFC 4733, and the audio comes back after.
func TestConferenceOfTwoHolds(t *testing.T) {
	ctx := within(t, 30*time.Second)
	agent := testutil.NewPhone(t)
	cf := conference(t, ctx, []*testutil.Phone{agent}, []media.Mode{{}})
	caller := cf.caller
	talk, stopTalking := context.WithCancel(ctx)
	caller.SendTone(ctx, media.PCMU)
	agent.SendTone(talk, media.PCMU)
	hears(t, ctx, caller, 25, "the caller does not hear the agent")
	hears(t, ctx, agent, 25, "the agent does not hear the caller")

	stopTalking()
	res, err := agent.ReinviteIncoming(ctx, agent.HeldSDP(media.SendOnly), true, nil)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("the agent's hold: %v %v", res, err)
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
	hears(t, ctx, caller, 25, "the conference did not come back after passing the key")
	noBye(t, caller, "the caller")
	noBye(t, agent, "the agent")
	if err := caller.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestConferenceRefusesWhatItCannotJoin: a value not of this package, and
// one already in a conference, are refused.
func TestConferenceRefusesWhatItCannotJoin(t *testing.T) {
	ctx := within(t, 30*time.Second)
	agent := testutil.NewPhone(t)
	cf := conference(t, ctx, []*testutil.Phone{agent}, []media.Mode{{}})
	if _, err := cf.conf.Add(nil, media.Mode{}); !errors.Is(err, acdsip.ErrNotBridgeable) {
		t.Fatalf("adding nothing: %v", err)
	}
	if _, err := cf.conf.Add(cf.legs[0], media.Mode{}); !errors.Is(err, acdsip.ErrJoined) {
		t.Fatalf("adding a leg twice: %v", err)
	}
	if err := cf.caller.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestConferenceOfABridge: a supervisor joins a call that Join bridged:
// the bridge becomes a conference of the same two, the supervisor
// listens (hears the caller, heard by nobody), asking again gives the
// same conference, and the bridge's rule still holds: the caller hanging
// up hangs up the agent.
func TestConferenceOfABridge(t *testing.T) {
	ctx := within(t, 30*time.Second)
	agent, super := testutil.NewPhone(t), testutil.NewPhone(t)
	var server atomic.Pointer[acdsip.Server]
	type joined struct {
		conf        *acdsip.Conference
		again       *acdsip.Conference
		agent, supe *acdsip.Leg
	}
	ready := make(chan joined, 1)
	failed := make(chan error, 1)
	addr, srv := startServer(t, func(ctx context.Context, c *acdsip.Call) {
		s := server.Load()
		leg, err := s.Dial(ctx, acdsip.Trunk{Address: agent.Addr()}, "5550100", c.Caller())
		if err != nil {
			failed <- err
			return
		}
		if err := s.Join(c, leg, nil); err != nil {
			failed <- err
			return
		}
		if _, err := s.ConferenceOf(nil); !errors.Is(err, acdsip.ErrNotBridgeable) {
			failed <- errors.New("a value of no call was given a conference")
			return
		}
		sup, err := s.Dial(ctx, acdsip.Trunk{Address: super.Addr()}, "5550101", c.Caller())
		if err != nil {
			failed <- err
			return
		}
		if _, err := s.ConferenceOf(sup); !errors.Is(err, acdsip.ErrNotJoined) {
			failed <- errors.New("a leg in no bridge was given a conference")
			return
		}
		conf, err := s.ConferenceOf(leg)
		if err != nil {
			failed <- err
			return
		}
		if _, err := conf.Add(sup, media.Mode{Role: media.Listen}); err != nil {
			failed <- err
			return
		}
		again, err := s.ConferenceOf(c)
		if err != nil {
			failed <- err
			return
		}
		ready <- joined{conf: conf, again: again, agent: leg, supe: sup}
		select {
		case <-c.Done():
			sup.Hangup(hangup.OtherSideHungUp)
		case <-ctx.Done():
		}
	})
	server.Store(srv)
	agent.TakeCalls(testutil.AnswerMode{Codec: media.PCMA})
	super.TakeCalls(testutil.AnswerMode{Codec: media.PCMU})
	caller := testutil.NewPhone(t)
	s, err := caller.Invite(ctx, addr, "100", caller.SDP(101, media.PCMU))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := caller.Answered(ctx, s, nil); err != nil {
		t.Fatal(err)
	}
	var j joined
	select {
	case j = <-ready:
	case err := <-failed:
		t.Fatalf("joining the supervisor: %v", err)
	case <-ctx.Done():
		t.Fatal("the supervisor never joined")
	}
	if j.again != j.conf {
		t.Fatal("asking the caller's conference gave another one than the agent's")
	}
	for !agent.Remote().IsValid() || !super.Remote().IsValid() {
		time.Sleep(10 * time.Millisecond)
	}
	talk, stop := context.WithCancel(ctx)
	caller.SendTone(talk, media.PCMU)
	hears(t, ctx, super, 25, "the supervisor does not hear the caller")
	hears(t, ctx, agent, 25, "the agent does not hear the caller once the bridge is a conference")
	stop()
	talk, stop = context.WithCancel(ctx)
	defer stop()
	super.SendTone(talk, media.PCMU)
	hearsNothing(t, ctx, caller, 50, "the caller hears a supervisor who listens")
	hearsNothing(t, ctx, agent, 50, "the agent hears a supervisor who listens")

	if err := caller.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-j.agent.Done():
	case <-ctx.Done():
		t.Fatal("the caller hung up and the agent's leg stayed up")
	}
}
