package service

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/acdserver/acd/acd"
	"github.com/acdserver/acd/directory"
)

// AgentState is an agent's state as the API shows it.
type AgentState struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	State      string    `json:"state" enum:"logged-out,ready,offered,on-call,wrap-up,paused"`
	Reason     string    `json:"reason,omitempty" doc:"the pause reason, when paused with one"`
	StateSince time.Time `json:"state_since" doc:"when the agent entered this state"`
	CallID     string    `json:"call_id,omitempty" doc:"the call it is rung for or talking to"`
	Queues     []string  `json:"queues" doc:"queues the agent is logged in to"`
	Registered bool      `json:"registered" doc:"whether the agent's phone is registered and answers the server's OPTIONS: whether calls are offered to it"`
	// Unreachable tells the agent and supervisors why calls stopped.
	Unreachable bool `json:"unreachable" doc:"the phone is registered but stopped answering the server's OPTIONS: no call is offered to it until it answers again"`
	Calls       int  `json:"calls" doc:"calls answered since the server started"`
	// Call and the wrap-up fields are what the agent's console shows.
	Call         *AgentCall `json:"call,omitempty" doc:"the call it is rung for or talking to"`
	WrapUpEnds   *time.Time `json:"wrap_up_ends,omitempty" doc:"in wrap-up: when it ends by itself"`
	CanEndWrapUp bool       `json:"can_end_wrap_up,omitempty" doc:"in wrap-up: whether the queue lets the agent end it sooner (supervisors always may)"`
}

// AgentCall is the call an agent is rung for or talking to.
type AgentCall struct {
	Number   string `json:"number" doc:"the caller's number; for a callback, the customer's"`
	Name     string `json:"name,omitempty" doc:"the caller's name as the phone shows it"`
	Queue    string `json:"queue,omitempty" doc:"the queue it came from; empty for a direct call"`
	Callback bool   `json:"callback,omitempty" doc:"a callback request being handled"`
	// Connected tells the agent's console when to stop saying the
	// customer is being called.
	Connected bool `json:"connected,omitempty" doc:"for a callback: the customer answered; until then their phone is being dialled"`
}

// Agent actions, as PUT /agents/{id}/state takes them.
const (
	ActionLogin     = "login"
	ActionLogout    = "logout"
	ActionReady     = "ready"
	ActionPause     = "pause"
	ActionEndWrapUp = "end-wrap-up"
)

// Actions lists the agent actions.
func Actions() []string {
	return []string{ActionLogin, ActionLogout, ActionReady, ActionPause, ActionEndWrapUp}
}

func stateView(info acd.AgentInfo) AgentState {
	v := AgentState{ID: info.ID, Name: info.Name, State: info.State.String(), Reason: info.Reason, Queues: info.Queues,
		Registered: info.Registered, Unreachable: info.Unreachable, Calls: info.Calls, StateSince: info.Since, CallID: info.CallID}
	if v.Queues == nil {
		v.Queues = []string{}
	}
	if info.CallID != "" {
		v.Call = &AgentCall{Number: info.Party.Number, Name: info.Party.Name, Queue: info.CallQueue, Callback: info.Callback,
			Connected: info.Callback && info.Connected}
	}
	if !info.WrapUpEnds.IsZero() {
		ends := info.WrapUpEnds
		v.WrapUpEnds, v.CanEndWrapUp = &ends, info.EndWrapUp
	}
	return v
}

// authorizeAgent lets the agent itself, supervisors (restricted ones:
// agents of their queues) and administrators at an agent.
func (s *Service) authorizeAgent(a *Actor, id string) (acd.AgentInfo, error) {
	if a == nil {
		return acd.AgentInfo{}, errUnauthenticated
	}
	if a.is(directory.Agent) && a.UserID != id {
		return acd.AgentInfo{}, forbidden("agents see and change their own state only")
	}
	info, err := s.dist.Agent(id)
	if errors.Is(err, acd.ErrUnknownAgent) {
		return acd.AgentInfo{}, notFound("no agent %q", id)
	} else if err != nil {
		return acd.AgentInfo{}, fmt.Errorf("reading agent %s: %w", id, err)
	}
	if !s.controlsAgent(a, id) {
		return acd.AgentInfo{}, forbidden("agent %s is not in any of your assigned queues", id)
	}
	return info, nil
}

// AgentState reads an agent's state.
func (s *Service) AgentState(a *Actor, id string) (AgentState, error) {
	info, err := s.authorizeAgent(a, id)
	if err != nil {
		return AgentState{}, err
	}
	return stateView(info), nil
}

// AgentAction changes an agent's state through the distributor, by the
// agent itself or a supervisor, and records who did it. What it changes
// is held to the queues the actor controls: a restricted supervisor logs
// an agent in to and out of its own queues only, and readies, pauses or
// ends the wrap-up of (which change the agent in every queue at once)
// only an agent logged in to none but its queues.
func (s *Service) AgentAction(a *Actor, id, action, reason string) (AgentState, error) {
	info, err := s.authorizeAgent(a, id)
	if err != nil {
		return AgentState{}, err
	}
	if reason != "" && action != ActionPause {
		return AgentState{}, invalid("reason", "only a pause takes a reason")
	}
	by := a.event()
	switch action {
	case ActionLogin:
		err = s.login(a, id)
	case ActionLogout:
		err = s.logout(a, info)
	case ActionReady, ActionPause, ActionEndWrapUp:
		if err := mayChangeWholeAgent(a, info, action); err != nil {
			return AgentState{}, err
		}
		switch action {
		case ActionReady:
			err = s.dist.Ready(id, by)
		case ActionPause:
			err = s.dist.Pause(id, reason, by)
		default:
			err = s.dist.EndWrapUp(id, by)
		}
	default:
		return AgentState{}, invalid("action", "want one of %s", strings.Join(Actions(), ", "))
	}
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return AgentState{}, err
		}
		return AgentState{}, agentError(id, err)
	}
	info, err = s.dist.Agent(id)
	if err != nil {
		return AgentState{}, fmt.Errorf("reading agent %s: %w", id, err)
	}
	// The distributor's own events name the actor: they are the audit
	// trail of this action.
	if a.phone {
		return stateView(info), nil // the server logs the feature code
	}
	s.log.Info("agent state changed through the API", "user", a.UserID, "agent", id, "action", action, "state", info.State.String())
	return stateView(info), nil
}

// limitedTo is the queues an actor's actions on an agent are held to:
// a restricted supervisor's own; nil for anyone else who may act on the
// agent at all (administrators, other supervisors, the agent itself).
func (a *Actor) limitedTo() map[string]bool {
	if a.is(directory.Supervisor) && a.Restricted {
		return a.Queues
	}
	return nil
}

// mayTouchQueue is nil when the actor may log an agent it controls in
// to or out of the queue.
func (a *Actor) mayTouchQueue(queue string) error {
	if lim := a.limitedTo(); lim != nil && !lim[queue] {
		return forbidden("queue %s is not one of your assigned queues", queue)
	}
	return nil
}

// mayChangeWholeAgent is nil when the actor may take an action that
// changes the agent in every queue it is logged in to at once (ready,
// pause, end of wrap-up): a restricted supervisor must control each of
// them, or it would reach queues that are not its own.
func mayChangeWholeAgent(a *Actor, info acd.AgentInfo, action string) error {
	lim := a.limitedTo()
	if lim == nil {
		return nil
	}
	var others []string
	for _, q := range info.Queues {
		if !lim[q] {
			others = append(others, q)
		}
	}
	if len(others) == 0 {
		return nil
	}
	slices.Sort(others)
	return forbidden("%s changes agent %s in every queue it is logged in to, and it is logged in to %s, not among your assigned queues; log it out of your queues instead, or ask a supervisor of those",
		action, info.ID, strings.Join(others, ", "))
}

// logout logs an agent out of every queue; a restricted supervisor only
// out of its own, the agent staying logged in to the others.
func (s *Service) logout(a *Actor, info acd.AgentInfo) error {
	lim := a.limitedTo()
	if lim == nil {
		return s.dist.Logout(info.ID, a.event())
	}
	var mine, others []string
	for _, q := range info.Queues {
		if lim[q] {
			mine = append(mine, q)
		} else {
			others = append(others, q)
		}
	}
	if len(mine) == 0 && len(others) > 0 {
		return conflict("agent %s is logged in to none of your assigned queues", info.ID)
	}
	if len(mine) == 0 {
		// Logged out already, or on a call it stays logged out after:
		// the same as for anyone else.
		return s.dist.Logout(info.ID, a.event())
	}
	slices.Sort(mine)
	for _, q := range mine {
		if err := s.dist.LogoutQueue(info.ID, q, a.event()); err != nil && !errors.Is(err, acd.ErrNotLoggedIn) {
			return err
		}
	}
	return nil
}

// login logs an agent in to its assigned queues; a restricted supervisor
// only to those of them that are its own.
func (s *Service) login(a *Actor, id string) error {
	lim := a.limitedTo()
	if lim == nil {
		return s.dist.Login(id, a.event())
	}
	queues := slices.Clone(s.directory().agents[id].Queues)
	slices.Sort(queues)
	for _, q := range queues {
		if lim[q] {
			if err := s.dist.LoginQueue(id, q, a.event()); err != nil {
				return err
			}
		}
	}
	return nil
}

func agentError(id string, err error) error {
	switch {
	case errors.Is(err, acd.ErrUnknownAgent):
		return notFound("no agent %q", id)
	case errors.Is(err, acd.ErrBadReason):
		return invalid("reason", "not an enabled pause reason")
	case errors.Is(err, acd.ErrEndNotAllowed), errors.Is(err, acd.ErrNotAssigned):
		e := forbidden("%v", err).(*Error)
		e.cause = err
		return e
	case errors.Is(err, acd.ErrLoggedOut), errors.Is(err, acd.ErrBusy), errors.Is(err, acd.ErrNotInWrapUp):
		return conflict("agent %s: %v", id, err)
	}
	return fmt.Errorf("changing the state of agent %s: %w", id, err)
}
