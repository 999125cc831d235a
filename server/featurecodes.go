package server

import (
	"github.com/acdserver/acd/acd"
	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/service"
)

// agentDesk is what an agent's feature codes change: its own state, by
// the actor given (its phone).
type agentDesk interface {
	Login(agent string, by event.Actor) error
	Logout(agent string, by event.Actor) error
	Pause(agent, reason string, by event.Actor) error
	PauseNumber(agent string, n int, by event.Actor) error
	Ready(agent string, by event.Actor) error
	EndWrapUp(agent string, by event.Actor) error
	// RecordingToggle starts or stops (*57), or pauses or resumes (*58),
	// the recording of the call the agent is on; it says which it did.
	RecordingToggle(agent string, pause bool, by event.Actor) (string, error)
}

// serviceDesk takes feature codes through the service's agent actions,
// with the phone as the actor, so that its checks apply to a phone as to
// the console and the API, and the distributor's events name the phone.
type serviceDesk struct {
	svc *service.Service
	// reasons are the enabled pause reasons, in the order *52N counts them.
	reasons func() []string
}

func (d serviceDesk) act(by event.Actor, agent, action, reason string) error {
	_, err := d.svc.AgentAction(service.PhoneActor(by.ID), agent, action, reason)
	return err
}

func (d serviceDesk) Login(agent string, by event.Actor) error {
	return d.act(by, agent, service.ActionLogin, "")
}

func (d serviceDesk) Logout(agent string, by event.Actor) error {
	return d.act(by, agent, service.ActionLogout, "")
}

func (d serviceDesk) Pause(agent, reason string, by event.Actor) error {
	return d.act(by, agent, service.ActionPause, reason)
}

// PauseNumber pauses with the n-th enabled reason (1-based).
func (d serviceDesk) PauseNumber(agent string, n int, by event.Actor) error {
	reasons := d.reasons()
	if n < 1 || n > len(reasons) {
		return acd.ErrBadReason
	}
	return d.Pause(agent, reasons[n-1], by)
}

func (d serviceDesk) Ready(agent string, by event.Actor) error {
	return d.act(by, agent, service.ActionReady, "")
}

func (d serviceDesk) EndWrapUp(agent string, by event.Actor) error {
	return d.act(by, agent, service.ActionEndWrapUp, "")
}

// RecordingToggle: *57 stops a recording the agent may stop and starts
// one otherwise; *58 resumes a paused recording and pauses otherwise.
// The service decides what the queue's setting allows.
func (d serviceDesk) RecordingToggle(agent string, pause bool, by event.Actor) (string, error) {
	a := service.PhoneActor(by.ID)
	st, err := d.svc.AgentRecording(a, agent)
	if err != nil {
		return "", err
	}
	action := service.RecordingStart
	switch {
	case pause && st.Paused:
		action = service.RecordingResume
	case pause:
		action = service.RecordingPause
	case st.Active:
		action = service.RecordingStop
	}
	_, err = d.svc.AgentRecordingAction(a, agent, action)
	return action, err
}
