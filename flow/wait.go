package flow

import (
	"context"
	"time"

	"github.com/acdserver/acd/acd"
	"github.com/acdserver/acd/media"
)

// waiter is a caller waiting in a queue, as its ring and its call see it.
type waiter struct {
	ch acd.Channel
	// answered receives the winning agent's leg, once.
	answered chan answered
	// talked closes once the bridged call's talk time is in talk, so
	// that the caller's own end, recorded as soon as Wait returns,
	// includes it whichever side hung up.
	talked chan struct{}
	talk   time.Duration // written before talked closes, read after
}

type answered struct {
	leg     acd.Leg
	handoff *acd.Handoff
}

// Wait holds the caller in queue with hold music and the periodic "please
// hold" while agents are rung, until an agent answers (the call is bridged
// and Wait returns Answered, with the talk time, when it ends), the
// timeout passes, the caller presses *, or hangs up. # asks for a
// callback, once the caller has been invited to.
func (f *Flows) Wait(ctx context.Context, ch acd.Channel, queue string, timeout time.Duration, vars map[string]string) (acd.Result, error) {
	h, err := f.join(ctx, ch, queue, vars)
	if err != nil {
		return acd.Result{Outcome: acd.Timeout}, err
	}
	defer h.stop()
	h.hold(timeout)
	return h.res, nil
}

// join puts the caller in the queue; the holding's stop takes it out of
// the flows' waiters and cancels any ringing.
func (f *Flows) join(ctx context.Context, ch acd.Channel, queue string, vars map[string]string) (*holding, error) {
	in := &acd.Interaction{ID: ch.ID(), Kind: acd.Voice, Queue: queue, Party: ch.Party(), Vars: vars}
	w := &waiter{ch: ch, answered: make(chan answered, 1), talked: make(chan struct{})}
	f.mu.Lock()
	f.waiters[in] = w // before Join, which may offer the caller at once
	f.mu.Unlock()
	h := &holding{f: f, ctx: ctx, w: w, in: in}
	waitCtx, cancel := context.WithCancel(ctx)
	h.cancel = cancel // leaving the queue cancels any ringing at once
	t, err := f.core.Join(waitCtx, in)
	if err != nil {
		h.stop()
		return nil, err
	}
	h.t = t
	return h, nil
}

// holding is one caller's wait in its queue, from Join to its outcome.
// Its state lives here rather than in hold's frame: a caller's goroutine
// spends the whole wait parked in hold's select, and the smaller the
// stack it parks on, the smaller the stack the runtime keeps for it.
type holding struct {
	f      *Flows
	ctx    context.Context
	w      *waiter
	in     *acd.Interaction
	cancel context.CancelFunc // the context of the ringing for this caller
	t      *acd.Ticket

	// clock is the wait's one timer, for whichever comes first: the
	// deadline or the next announcement (every apart from the start).
	clock                  *time.Timer
	deadline, nextAnnounce time.Time
	every                  time.Duration
	check                  *time.Ticker // only for callers who may be offered callback
	recheck                <-chan time.Time
	music                  *media.Sound
	playing                <-chan struct{}
	announcing             bool
	invited                bool       // the callback invitation has started: # counts from then
	res                    acd.Result // the wait's outcome, once hold returns
}

// stop ends the wait: the timers, any ringing, the caller's place among
// the flows' waiters.
func (h *holding) stop() {
	if h.clock != nil {
		h.clock.Stop()
	}
	if h.check != nil {
		h.check.Stop()
	}
	h.cancel()
	h.f.mu.Lock()
	delete(h.f.waiters, h.in)
	h.f.mu.Unlock()
}

// hold plays hold music and announcements until the wait's outcome,
// which it leaves in res. What each case does is in a method of its own,
// so that the select is all the frame the caller parks on.
func (h *holding) hold(timeout time.Duration) {
	h.start(timeout)
	for {
		select {
		case a := <-h.w.answered:
			h.bridged(a)
			return
		case <-h.ctx.Done():
			h.leave(acd.Stopped)
			return
		case <-h.w.ch.Done():
			h.leave(acd.Abandoned)
			return
		case <-h.clock.C:
			if h.timedOut() {
				h.leave(acd.TimedOut)
				return
			}
		case <-h.recheck:
			h.offerCallback()
		case <-h.playing:
			h.playMusic()
		case key := <-h.w.ch.Digits():
			if h.pressed(key) {
				return
			}
		}
	}
}

// start starts the timers and the hold music, and invites the caller to
// ask for a callback if one is due already.
func (h *holding) start(timeout time.Duration) {
	t := h.t
	now := time.Now()
	h.every = t.AnnounceEvery()
	h.deadline, h.nextAnnounce = now.Add(timeout), now.Add(h.every)
	h.clock = time.NewTimer(h.untilClock(now))
	h.music = h.f.sounds.Get(t.HoldMusic())
	h.playMusic()
	if t.CallbackPossible() {
		h.check = time.NewTicker(time.Second)
		h.recheck = h.check.C
		if h.f.core.CallbackDue(t) {
			h.invite()
		}
	}
}

// timedOut is the clock's turn: true when the deadline has come;
// otherwise the next announcement is due, and the clock is set again.
// One timer rather than a timer and a ticker: a waiting caller parks on
// a channel fewer and holds a timer fewer.
func (h *holding) timedOut() bool {
	now := time.Now()
	if !now.Before(h.deadline) {
		return true
	}
	if !now.Before(h.nextAnnounce) {
		h.announceNow()
		for h.every > 0 && !h.nextAnnounce.After(now) { // as a ticker does, a late turn drops those missed
			h.nextAnnounce = h.nextAnnounce.Add(h.every)
		}
	}
	h.clock.Reset(h.untilClock(now))
	return false
}

// untilClock is how long from now until the deadline or the next
// announcement, whichever is first.
func (h *holding) untilClock(now time.Time) time.Duration {
	next := h.nextAnnounce
	if h.deadline.Before(next) {
		next = h.deadline
	}
	return next.Sub(now)
}

func (h *holding) playMusic() {
	h.playing, h.announcing = h.w.ch.Play(h.music, true), false
}

func (h *holding) announceNow() {
	if !h.announcing {
		h.playing, h.announcing = h.w.ch.Play(h.f.sounds.Get(h.t.Announcement()), false), true
	}
}

func (h *holding) offerCallback() {
	if !h.announcing && !h.invited && h.f.core.CallbackDue(h.t) {
		h.invite()
	}
}

// pressed acts on a key; true when it ended the wait.
func (h *holding) pressed(key rune) bool {
	if key == '*' {
		h.leave(acd.Exited)
		return true
	}
	return key == '#' && h.invited && h.callBack()
}

// invite offers the caller a callback.
func (h *holding) invite() {
	h.invited, h.announcing = true, true
	h.f.core.CallbackOffered(h.t)
	h.playing = h.w.ch.Play(h.f.sounds.Get("callback-offer"), false)
}

// leave takes the caller out of the queue, unless an agent's answer won
// it first: then the caller is the agent's and the wait goes on to the
// bridge (the leg is on its way to w.answered).
func (h *holding) leave(d acd.Departure) {
	if h.f.core.Leave(h.t, d) {
		h.res = acd.Result{Outcome: d.Outcome()}
		return
	}
	h.bridged(<-h.w.answered)
}

func (h *holding) bridged(a answered) { h.res = h.f.bridged(h.ctx, h.w, a) }

// callBack asks for the callback the caller pressed # for; once its event
// is committed the caller is told, and the wait ends (true).
func (h *holding) callBack() bool {
	ch := h.w.ch
	if !h.f.core.RequestCallback(h.ctx, h.t) {
		return false
	}
	select {
	case <-ch.Play(h.f.sounds.Get("callback-confirmed"), false):
	case <-ch.Done():
	case <-h.ctx.Done():
	}
	h.res = acd.Result{Outcome: acd.CalledBack}
	return true
}

// bridged waits, for a caller an agent answered, until either side hangs
// up or the agent transfers the caller, and until the call's talk time is
// counted. At shutdown the SIP side hangs up every call, which ends the
// wait for the talk time too.
func (f *Flows) bridged(ctx context.Context, w *waiter, a answered) acd.Result {
	select {
	case <-w.ch.Done():
	case <-a.leg.Done():
		<-w.talked
		if t, ok := f.core.Transferred(a.handoff); ok {
			return acd.Result{Outcome: acd.Transferred, Talk: w.talk, Transfer: t}
		}
	case <-ctx.Done():
	}
	<-w.talked
	return acd.Result{Outcome: acd.Answered, Talk: w.talk}
}
