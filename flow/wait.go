package flow

import (
	"context"
	"time"

	"github.com/acdserver/acd/acd"
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
	in := &acd.Interaction{ID: ch.ID(), Kind: acd.Voice, Queue: queue, Party: ch.Party(), Vars: vars}
	w := &waiter{ch: ch, answered: make(chan answered, 1), talked: make(chan struct{})}
	f.mu.Lock()
	f.waiters[in] = w // before Join, which may offer the caller at once
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		delete(f.waiters, in)
		f.mu.Unlock()
	}()
	waitCtx, cancel := context.WithCancel(ctx)
	defer cancel() // leaving the queue cancels any ringing at once
	t, err := f.core.Join(waitCtx, in)
	if err != nil {
		return acd.Result{Outcome: acd.Timeout}, err
	}

	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	announce := time.NewTicker(t.AnnounceEvery())
	defer announce.Stop()
	music := f.sounds.Get(t.HoldMusic())
	playing := ch.Play(music, true)
	announcing := false
	invited := false // the callback invitation has started: # counts from then
	invite := func() <-chan struct{} {
		invited, announcing = true, true
		f.core.CallbackOffered(t)
		return ch.Play(f.sounds.Get("callback-offer"), false)
	}
	var recheck <-chan time.Time // only callers who may be offered callback need a timer
	if t.CallbackPossible() {
		check := time.NewTicker(time.Second)
		defer check.Stop()
		recheck = check.C
		if f.core.CallbackDue(t) {
			playing = invite()
		}
	}

	// leave takes the caller out of the queue, unless an agent's answer
	// won it first: then the caller is the agent's and the wait goes on
	// to the bridge (the leg is on its way to w.answered).
	result := func(d acd.Departure) acd.Result {
		if f.core.Leave(t, d) {
			return acd.Result{Outcome: d.Outcome()}
		}
		return f.bridged(ctx, w, <-w.answered)
	}
	for {
		select {
		case a := <-w.answered:
			return f.bridged(ctx, w, a), nil
		case <-ctx.Done():
			return result(acd.Stopped), nil
		case <-ch.Done():
			return result(acd.Abandoned), nil
		case <-deadline.C:
			return result(acd.TimedOut), nil
		case <-announce.C:
			if !announcing {
				playing, announcing = ch.Play(f.sounds.Get(t.Announcement()), false), true
			}
		case <-recheck:
			if !announcing && !invited && f.core.CallbackDue(t) {
				playing = invite()
			}
		case <-playing:
			playing, announcing = ch.Play(music, true), false
		case key := <-ch.Digits():
			switch {
			case key == '*':
				return result(acd.Exited), nil
			case key == '#' && invited:
				if f.core.RequestCallback(ctx, t) {
					// The request's event is committed: the caller is told.
					select {
					case <-ch.Play(f.sounds.Get("callback-confirmed"), false):
					case <-ch.Done():
					case <-ctx.Done():
					}
					return acd.Result{Outcome: acd.CalledBack}, nil
				}
			}
		}
	}
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
