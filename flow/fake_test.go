package flow

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/acdserver/acd/acd"
	"github.com/acdserver/acd/config"
	"github.com/acdserver/acd/hangup"
	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/media"
	"github.com/acdserver/acd/sip"
)

// The distributor's flows, tested with fake phones: each ring is handed
// to the test, which answers, refuses or lets it run out when it likes.

type fakeCaller struct {
	id, number string
	digits     chan rune
	done       chan struct{}
	hangOnce   sync.Once
}

func newCaller(id string) *fakeCaller {
	return &fakeCaller{id: id, number: "+14155550100", digits: make(chan rune, 4), done: make(chan struct{})}
}

func (c *fakeCaller) ID() string                              { return c.id }
func (c *fakeCaller) Party() acd.Party                        { return acd.Party{Number: c.number} }
func (c *fakeCaller) Hangup(hangup.Reason)                    { c.hangup() }
func (c *fakeCaller) EndCause() hangup.Cause                  { return hangup.Cause{} }
func (c *fakeCaller) Play(*media.Sound, bool) <-chan struct{} { return make(chan struct{}) }
func (c *fakeCaller) Digits() <-chan rune                     { return c.digits }
func (c *fakeCaller) Done() <-chan struct{}                   { return c.done }
func (c *fakeCaller) BridgeEnd() *sip.BridgeEnd               { return nil }
func (c *fakeCaller) hangup()                                 { c.hangOnce.Do(func() { close(c.done) }) }
func (c *fakeCaller) press(k rune)                            { c.digits <- k }

type fakeLeg struct {
	agent    string
	digits   chan rune // nil: the phone sends no keys
	done     chan struct{}
	once     sync.Once
	mu       sync.Mutex
	cause    hangup.Cause
	transfer func(string) sip.TransferAnswer
}

func newLeg(agent string) *fakeLeg { return &fakeLeg{agent: agent, done: make(chan struct{})} }

func (l *fakeLeg) Done() <-chan struct{} { return l.done }
func (l *fakeLeg) ID() string            { return "leg-" + l.agent }
func (l *fakeLeg) Party() acd.Party      { return acd.Party{Number: l.agent} }
func (l *fakeLeg) Digits() <-chan rune   { return l.digits }
func (l *fakeLeg) Hangup(reason hangup.Reason) {
	l.once.Do(func() {
		l.mu.Lock()
		l.cause = hangup.ByServer(reason)
		l.mu.Unlock()
		close(l.done)
	})
}
func (l *fakeLeg) EndCause() hangup.Cause {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cause
}
func (l *fakeLeg) OnTransfer(decide func(string) sip.TransferAnswer) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.transfer = decide
}

// decider is who decides the leg's transfers, once set.
func (l *fakeLeg) decider() func(string) sip.TransferAnswer {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.transfer
}
func (l *fakeLeg) BridgeEnd() *sip.BridgeEnd { return nil }

// Play plays nothing and is over at once: prompts to agents do not hold
// the tests up.
func (l *fakeLeg) Play(*media.Sound, bool) <-chan struct{} {
	done := make(chan struct{})
	close(done)
	return done
}
func (l *fakeLeg) hungUp() bool {
	select {
	case <-l.done:
		return true
	default:
		return false
	}
}

// ringing is one INVITE to an agent's phone, held by the test.
type ringing struct {
	agent string
	show  acd.Party // who the phone shows as calling
	ctx   context.Context
	reply chan ringReply
	gone  chan struct{} // closed when the ring was given up unanswered
}

type ringReply struct {
	leg acd.Leg
	err error
}

// answer picks up: it returns the leg, or nil when the ring had already
// been given up (the distributor then never sees the answer).
func (r ringing) answer() *fakeLeg {
	l := newLeg(r.agent)
	select {
	case r.reply <- ringReply{leg: l}:
	case <-r.gone:
		// The SIP side hangs up a 200 that comes after its CANCEL.
		l.Hangup(hangup.TakenElsewhere)
	}
	return l
}

func (r ringing) refuse(err error) {
	select {
	case r.reply <- ringReply{err: err}:
	case <-r.gone:
	}
}

type fakePhones struct {
	mu         sync.Mutex
	registered map[string]bool
	bridged    []string
	bridgeErr  error     // what Bridge and BridgeLegs fail with, when set
	room       *fakeRoom // every call's conference, when set
	rings      chan ringing
	dials      chan ringing
}

func newPhones(agents ...string) *fakePhones {
	p := &fakePhones{registered: map[string]bool{}, rings: make(chan ringing, 16), dials: make(chan ringing, 16)}
	for _, a := range agents {
		p.registered[a] = true
	}
	return p
}

func (p *fakePhones) Ring(ctx context.Context, agent string, show acd.Party) (acd.Leg, error) {
	r := ringing{agent: agent, show: show, ctx: ctx, reply: make(chan ringReply), gone: make(chan struct{})}
	p.rings <- r
	select {
	case rep := <-r.reply:
		// Even when ctx has just ended: a phone can answer as the ring
		// is given up, and the distributor must hang it up.
		return rep.leg, rep.err
	case <-ctx.Done():
		close(r.gone)
		return nil, ctx.Err()
	}
}

func (p *fakePhones) Dial(ctx context.Context, _, number, _ string) (acd.Leg, error) {
	r := ringing{agent: number, ctx: ctx, reply: make(chan ringReply), gone: make(chan struct{})}
	p.dials <- r
	select {
	case rep := <-r.reply:
		return rep.leg, rep.err
	case <-ctx.Done():
		close(r.gone)
		return nil, ctx.Err()
	}
}

func (p *fakePhones) Bridge(c acd.Channel, l acd.Leg, _ *media.Sound) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bridgeErr != nil {
		return p.bridgeErr
	}
	p.bridged = append(p.bridged, c.ID()+"="+l.(*fakeLeg).agent)
	return nil
}

func (p *fakePhones) BridgeLegs(a, b acd.Leg, _ *media.Sound) error {
	go func() {
		select {
		case <-a.Done():
			b.Hangup(hangup.OtherSideHungUp)
		case <-b.Done():
			a.Hangup(hangup.OtherSideHungUp)
		}
	}()
	return nil
}

// ConferenceOf: the fake phones bridge no audio, so no call has a
// conference, but for a test that gives them a fake room.
func (p *fakePhones) ConferenceOf(sip.Bridger) (Room, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.room == nil {
		return nil, sip.ErrNotBridgeable
	}
	return p.room, nil
}

// fakeRoom is a conference that keeps who is in it, in which mode.
type fakeRoom struct {
	mu      sync.Mutex
	members map[sip.Bridger]media.Member
	modes   map[sip.Bridger]media.Mode
	next    media.Member
	changed chan struct{} // closed, and replaced, at each change
}

// newFakeRoom is a room holding the parties given, in Both.
func newFakeRoom(parties ...sip.Bridger) *fakeRoom {
	r := &fakeRoom{members: map[sip.Bridger]media.Member{}, modes: map[sip.Bridger]media.Mode{}, changed: make(chan struct{})}
	for _, p := range parties {
		_, _ = r.Add(p, media.Mode{})
	}
	return r
}

func (r *fakeRoom) Add(p sip.Bridger, mode media.Mode) (media.Member, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.members[p]; ok {
		return 0, sip.ErrJoined
	}
	r.next++
	r.members[p], r.modes[p] = r.next, mode
	r.changedLocked()
	return r.next, nil
}

func (r *fakeRoom) SetMode(p sip.Bridger, mode media.Mode) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.members[p]; !ok {
		return media.ErrNotMember
	}
	r.modes[p] = mode
	r.changedLocked()
	return nil
}

func (r *fakeRoom) Remove(p sip.Bridger) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.members, p)
	delete(r.modes, p)
	r.changedLocked()
}

func (r *fakeRoom) Tap(media.FrameWriter) {}

func (r *fakeRoom) Member(p sip.Bridger) (media.Member, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m, ok := r.members[p]
	return m, ok
}

func (r *fakeRoom) changedLocked() {
	close(r.changed)
	r.changed = make(chan struct{})
}

// await waits until p's place in the room satisfies ok (in: whether it
// is in the room).
func (r *fakeRoom) await(t *testing.T, what string, p sip.Bridger, ok func(in bool, mode media.Mode) bool) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		r.mu.Lock()
		_, in := r.members[p]
		mode, changed := r.modes[p], r.changed
		r.mu.Unlock()
		if ok(in, mode) {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("never saw %s (in the room: %v, mode %+v)", what, in, mode)
		}
	}
}

func (p *fakePhones) Registered(agent string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.registered[agent]
}

func (p *fakePhones) bridges() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.bridged...)
}

type noSounds struct{}

func (noSounds) Get(string) *media.Sound { return nil }

// memLog keeps events in memory and wakes waiters on each.

// rig is a distributor on fake phones: f its flows, c its core.
type rig struct {
	f      *Flows
	c      *acd.Center
	phones *fakePhones
	log    *testutil.MemLog
}

func newRig(t *testing.T, yaml string, agents ...string) *rig {
	t.Helper()
	cfg, err := config.Parse("test.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return newRigWith(cfg, nil, agents...)
}

// newRigWith is a rig whose queues' callback requests are kept in
// callbacks.
func newRigWith(cfg *config.Config, callbacks acd.Callbacks, agents ...string) *rig {
	r := &rig{phones: newPhones(agents...), log: testutil.NewMemLog()}
	r.f = New(cfg, r.phones, noSounds{}, r.log, callbacks, slog.New(slog.NewTextHandler(io.Discard, nil)))
	r.c = r.f.Core()
	return r
}

// nextRing waits for the distributor to ring a phone.
func (r *rig) nextRing(t *testing.T) ringing {
	t.Helper()
	select {
	case g := <-r.phones.rings:
		return g
	case <-time.After(5 * time.Second):
		t.Fatal("no phone was rung")
	}
	return ringing{}
}

func (r *rig) noRing(t *testing.T, within time.Duration) {
	t.Helper()
	select {
	case g := <-r.phones.rings:
		t.Fatalf("%s's phone was rung", g.agent)
	case <-time.After(within):
	}
}

// wait runs Flows.Wait for a caller in the background.
func (r *rig) wait(ctx context.Context, call acd.Channel, queue string, timeout time.Duration) <-chan acd.Outcome {
	out := make(chan acd.Outcome, 1)
	go func() {
		res, err := r.f.Wait(ctx, call, queue, timeout, nil)
		if err != nil {
			panic(err)
		}
		out <- res.Outcome
	}()
	return out
}

func outcome(t *testing.T, out <-chan acd.Outcome) acd.Outcome {
	t.Helper()
	select {
	case o := <-out:
		return o
	case <-time.After(5 * time.Second):
		t.Fatal("the caller's wait never ended")
	}
	return 0
}

func mustState(t *testing.T, c *acd.Center, agent string, want acd.State) {
	t.Helper()
	info, err := c.Agent(agent)
	if err != nil || info.State != want {
		t.Fatalf("agent %s is %v (%v), want %v", agent, info.State, err, want)
	}
}

var errBusy = errors.New("busy")

// awaitLive waits until the agent's call is live: the core records the
// answer before the flow bridges it and makes it live.
func (r *rig) awaitLive(t *testing.T, agent string) Live {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		r.f.mu.Lock()
		l, ok := r.f.live[agent]
		grew := r.f.liveGrew
		r.f.mu.Unlock()
		if ok {
			return *l
		}
		select {
		case <-grew:
		case <-deadline:
			t.Fatalf("agent %s's call never became live", agent)
		}
	}
}
