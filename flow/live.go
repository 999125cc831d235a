package flow

import (
	"errors"
	"fmt"

	"github.com/acdserver/acd/acd"
	"github.com/acdserver/acd/media"
	"github.com/acdserver/acd/sip"
)

// Room is a call's conference, as a recording's tap and a supervisor's
// leg join it: package sip's Conference.
type Room interface {
	Add(p sip.Bridger, mode media.Mode) (media.Member, error)
	SetMode(p sip.Bridger, mode media.Mode) error
	Remove(p sip.Bridger)
	Tap(w media.FrameWriter)
	// Member is the member a party is, as the tap's frames and a
	// whisper's target name it.
	Member(p sip.Bridger) (media.Member, bool)
}

// Live is a call an agent is on: the customer's side (the caller, or the
// customer called back) bridged to the agent's leg.
type Live struct {
	Interaction *acd.Interaction
	Agent       string
	Customer    acd.Channel
	AgentLeg    acd.Leg
}

// ErrNoLiveCall is a live call asked of an agent who is on none.
var ErrNoLiveCall = errors.New("the agent is on no call")

// Live is the call the agent is on now.
func (f *Flows) Live(agent string) (Live, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l, ok := f.live[agent]
	if !ok {
		return Live{}, false
	}
	return *l, true
}

// Room is the conference of the call the agent is on, which its bridge
// becomes when first asked: see sip.Server.ConferenceOf.
func (f *Flows) Room(agent string) (Room, Live, error) {
	l, ok := f.Live(agent)
	if !ok {
		return nil, Live{}, fmt.Errorf("agent %s: %w", agent, ErrNoLiveCall)
	}
	r, err := f.phones.ConferenceOf(l.AgentLeg)
	if err != nil {
		return nil, l, fmt.Errorf("agent %s's call %s: %w", agent, l.Interaction.ID, err)
	}
	return r, l, nil
}

// onLive records that the agent's call is bridged, until the returned
// function is called as it ends, and tells the recorder both.
func (f *Flows) onLive(l Live) (ended func()) {
	f.mu.Lock()
	f.live[l.Agent] = &l
	close(f.liveGrew)
	f.liveGrew = make(chan struct{})
	f.mu.Unlock()
	if f.recorder != nil {
		f.recorder.Bridged(l)
	}
	return func() {
		if f.recorder != nil {
			f.recorder.Unbridged(l)
		}
		f.mu.Lock()
		if cur := f.live[l.Agent]; cur != nil && cur.AgentLeg == l.AgentLeg {
			delete(f.live, l.Agent)
		}
		f.mu.Unlock()
	}
}
