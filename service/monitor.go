package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/acdserver/acd/acd"
	"github.com/acdserver/acd/directory"
	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/flow"
	"github.com/acdserver/acd/store"
)

// Monitor is what the service needs of the distributor's flows to let
// supervisors monitor agents' calls (flow.Flows).
type Monitor interface {
	Live(agent string) (flow.Live, bool)
	Monitor(r flow.MonitorRequest) (flow.Monitoring, error)
	MonitoringOf(id string) (flow.Monitoring, bool)
	Monitorings() []flow.Monitoring
	SetMonitorMode(ctx context.Context, id string, mode flow.MonitorMode, by event.Actor) (flow.Monitoring, error)
	StopMonitor(ctx context.Context, id string, by event.Actor) error
}

// monitorHolder holds the flows a service monitors through, set once the
// distributor is built (after the service, which the distributor's
// feature codes use).
type monitorHolder struct{ m Monitor }

// SetMonitor gives the service the flows it monitors calls through;
// without it, monitoring is refused as unavailable.
func (s *Service) SetMonitor(m Monitor) { s.monitoring.Store(&monitorHolder{m}) }

func (s *Service) monitor() (Monitor, error) {
	h := s.monitoring.Load()
	if h == nil {
		return nil, conflict("monitoring is not available: this server has no call distributor")
	}
	return h.m, nil
}

// MonitorSession is a supervisor's monitoring of an agent's call, as the
// API shows it.
type MonitorSession struct {
	ID         string     `json:"id"`
	Agent      string     `json:"agent" doc:"the agent whose call is monitored"`
	Mode       string     `json:"mode" enum:"listen,whisper,barge"`
	Phone      string     `json:"phone" doc:"the SIP user whose phone monitors"`
	Supervisor string     `json:"supervisor" doc:"the user monitoring"`
	CallID     string     `json:"call_id"`
	Queue      string     `json:"queue,omitempty" doc:"the call's queue; empty for a direct call"`
	Requested  time.Time  `json:"requested"`
	Joined     *time.Time `json:"joined,omitempty" doc:"when the supervisor's phone answered and joined the call; absent while it rings"`
}

func monitorView(m flow.Monitoring) MonitorSession {
	v := MonitorSession{ID: m.ID, Agent: m.Agent, Mode: m.Mode.String(), Phone: m.Phone, Supervisor: m.Supervisor,
		CallID: m.Call, Queue: m.Queue, Requested: m.Requested}
	if !m.Joined.IsZero() {
		j := m.Joined
		v.Joined = &j
	}
	return v
}

// MayMonitor says whether the actor may monitor calls at all: an
// administrator, or a supervisor granted calls.monitor.
func (a *Actor) MayMonitor() bool {
	return a.is(directory.Administrator) || a.is(directory.Supervisor) && a.Permissions[directory.CallsMonitor]
}

// MayBarge says whether the actor may barge in: an administrator, or a
// supervisor granted calls.monitor and calls.barge.
func (a *Actor) MayBarge() bool {
	return a.is(directory.Administrator) || a.MayMonitor() && a.Permissions[directory.CallsBarge]
}

// authorizeMode checks that the actor may monitor in mode at all.
func authorizeMode(a *Actor, mode flow.MonitorMode) error {
	if a == nil {
		return errUnauthenticated
	}
	if !a.MayMonitor() {
		return forbidden("monitoring calls takes an administrator, or a supervisor granted %s", directory.CallsMonitor)
	}
	if mode == flow.Barge && !a.MayBarge() {
		return forbidden("barging in takes an administrator, or a supervisor granted %s", directory.CallsBarge)
	}
	return nil
}

// authorizeMonitor checks that the actor may monitor in mode a call of
// queue ("" for a direct call, which belongs to no queue).
func authorizeMonitor(a *Actor, mode flow.MonitorMode, queue string) error {
	if err := authorizeMode(a, mode); err != nil {
		return err
	}
	if a.is(directory.Supervisor) && a.Restricted {
		if queue == "" {
			return forbidden("a direct call belongs to no queue: not for a supervisor restricted to its queues")
		}
		if !a.Queues[queue] {
			return forbidden("the call is in queue %q, not one of your assigned queues", queue)
		}
	}
	return nil
}

func parseMode(mode string) (flow.MonitorMode, error) {
	m, ok := flow.ParseMonitorMode(mode)
	if !ok {
		return 0, invalid("mode", "want listen, whisper or barge, not %q", mode)
	}
	return m, nil
}

// monitorPhone is the phone a supervisor monitors with: the one named (a
// SIP user of the configuration: the server rings no other), or else the
// supervisor's own, when its user id is a SIP user's. Which phones a
// restricted supervisor may name is startMonitor's to check, once the
// call is known to be in its scope.
func (s *Service) monitorPhone(a *Actor, phone, agent string) (string, error) {
	agents := s.directory().agents
	if phone == "" {
		if _, ok := agents[a.UserID]; !ok {
			return "", invalid("phone", "name the phone to ring: a SIP user of the configuration (your user is none)")
		}
		phone = a.UserID
	}
	if _, ok := agents[phone]; !ok {
		return "", invalid("phone", "no SIP user %q in the configuration: the server rings configured phones only", phone)
	}
	if phone == agent {
		return "", invalid("phone", "%s is the monitored agent's own phone", phone)
	}
	return phone, nil
}

// MonitorPhones lists the phones a supervisor may have rung to monitor:
// the configuration's SIP users, its own first when it is one.
func (s *Service) MonitorPhones(a *Actor) []string {
	if !a.MayMonitor() {
		return nil
	}
	var out []string
	for id := range s.directory().agents {
		if id == a.UserID || s.controlsAgent(a, id) {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	if i := slices.Index(out, a.UserID); i > 0 {
		out = append([]string{a.UserID}, slices.Delete(out, i, i+1)...)
	}
	return out
}

// StartMonitor rings phone (or the actor's own) and, once it answers,
// joins it to the agent's call in mode. The session runs until the call
// ends, the supervisor hangs up or it is stopped.
func (s *Service) StartMonitor(a *Actor, agent, mode, phone string) (MonitorSession, error) {
	if a == nil {
		return MonitorSession{}, errUnauthenticated
	}
	m, err := parseMode(mode)
	if err != nil {
		return MonitorSession{}, err
	}
	if err := authorizeMode(a, m); err != nil {
		return MonitorSession{}, err
	}
	mon, err := s.monitor()
	if err != nil {
		return MonitorSession{}, err
	}
	if _, ok := s.directory().agents[agent]; !ok {
		return MonitorSession{}, notFound("no agent %q", agent)
	}
	phone, err = s.monitorPhone(a, phone, agent)
	if err != nil {
		return MonitorSession{}, err
	}
	return s.startMonitor(mon, a, flow.MonitorRequest{Agent: agent, Phone: phone, Mode: m, Barge: a.MayBarge(), Supervisor: a.UserID, By: a.event()})
}

func (s *Service) startMonitor(mon Monitor, a *Actor, r flow.MonitorRequest) (MonitorSession, error) {
	live, ok := mon.Live(r.Agent)
	if !ok {
		return MonitorSession{}, conflict("agent %s is on no call", r.Agent)
	}
	if err := authorizeMonitor(a, r.Mode, live.Interaction.Queue); err != nil {
		return MonitorSession{}, err
	}
	// A restricted supervisor has its own phone rung, or one of its
	// queues' agents': the call's audio goes nowhere its scope does not
	// reach.
	if r.Phone != a.UserID && !s.controlsAgent(a, r.Phone) {
		return MonitorSession{}, forbidden("phone %s is not one of your assigned queues' phones", r.Phone)
	}
	got, err := mon.Monitor(r)
	switch {
	case errors.Is(err, flow.ErrNoLiveCall):
		return MonitorSession{}, conflict("agent %s is on no call", r.Agent)
	case err != nil:
		return MonitorSession{}, fmt.Errorf("monitoring agent %s: %w", r.Agent, err)
	}
	return monitorView(got), nil
}

// PhoneMonitor makes the call own, from the phone of SIP user phone, the
// monitoring leg of the agent's call (the *55 feature code), in listen
// mode. The phone's SIP user must be the id of a user who may monitor
// (a supervisor granted calls.monitor, or an administrator): the
// directory links a user to a phone by that id alone. done closes when
// the session ends.
func (s *Service) PhoneMonitor(ctx context.Context, phone, agent string, own acd.Channel) (MonitorSession, <-chan struct{}, error) {
	mon, err := s.monitor()
	if err != nil {
		return MonitorSession{}, nil, err
	}
	u, err := s.users.Get(ctx, phone)
	if errors.Is(err, store.ErrNotFound) {
		return MonitorSession{}, nil, forbidden("phone %s is no supervisor's: its SIP user is no user of the directory", phone)
	} else if err != nil {
		return MonitorSession{}, nil, fmt.Errorf("reading the user of phone %s: %w", phone, err)
	}
	a, err := s.actorFor(ctx, u)
	if err != nil {
		return MonitorSession{}, nil, fmt.Errorf("reading the permissions of %s: %w", phone, err)
	}
	if !a.MayMonitor() {
		return MonitorSession{}, nil, forbidden("user %s may not monitor calls", phone)
	}
	if _, ok := s.directory().agents[agent]; !ok || agent == phone {
		return MonitorSession{}, nil, notFound("no agent %q to monitor", agent)
	}
	r := flow.MonitorRequest{Agent: agent, Phone: phone, Own: own, Mode: flow.Listen, Barge: a.MayBarge(), Supervisor: a.UserID, By: event.Phone(phone)}
	v, err := s.startMonitor(mon, a, r)
	if err != nil {
		return MonitorSession{}, nil, err
	}
	got, ok := mon.MonitoringOf(v.ID)
	if !ok {
		done := make(chan struct{})
		close(done) // over already
		return v, done, nil
	}
	return v, got.Done, nil
}

// session finds a running session of the agent ("": any) that the
// actor may act on: one it may monitor (its scope and calls.monitor).
func (s *Service) session(a *Actor, agent, id string) (Monitor, flow.Monitoring, error) {
	if a == nil {
		return nil, flow.Monitoring{}, errUnauthenticated
	}
	mon, err := s.monitor()
	if err != nil {
		return nil, flow.Monitoring{}, err
	}
	m, ok := mon.MonitoringOf(id)
	if !ok || agent != "" && m.Agent != agent || authorizeMonitor(a, flow.Listen, m.Queue) != nil {
		if err := authorizeMode(a, flow.Listen); err != nil {
			return nil, flow.Monitoring{}, err
		}
		return nil, flow.Monitoring{}, notFound("no monitoring session %q", id)
	}
	return mon, m, nil
}

// ChangeMonitor switches a running session of the agent ("": any) to
// mode.
func (s *Service) ChangeMonitor(ctx context.Context, a *Actor, agent, id, mode string) (MonitorSession, error) {
	m, err := parseMode(mode)
	if err != nil {
		return MonitorSession{}, err
	}
	mon, cur, err := s.session(a, agent, id)
	if err != nil {
		return MonitorSession{}, err
	}
	if err := authorizeMonitor(a, m, cur.Queue); err != nil {
		return MonitorSession{}, err
	}
	got, err := mon.SetMonitorMode(ctx, id, m, a.event())
	switch {
	case errors.Is(err, flow.ErrNoMonitoring):
		return MonitorSession{}, notFound("no monitoring session %q", id)
	case err != nil:
		return MonitorSession{}, fmt.Errorf("changing monitoring session %s: %w", id, err)
	}
	return monitorView(got), nil
}

// StopMonitor ends a running session of the agent ("": any): the
// supervisor's phone is hung up, the call goes on.
func (s *Service) StopMonitor(ctx context.Context, a *Actor, agent, id string) error {
	mon, _, err := s.session(a, agent, id)
	if err != nil {
		return err
	}
	err = mon.StopMonitor(ctx, id, a.event())
	if errors.Is(err, flow.ErrNoMonitoring) {
		return nil // ended meanwhile: what was asked
	}
	return err
}

// Monitors lists the running sessions the actor may act on.
func (s *Service) Monitors(a *Actor) ([]MonitorSession, error) {
	if a == nil {
		return nil, errUnauthenticated
	}
	if err := authorizeMode(a, flow.Listen); err != nil {
		return nil, err
	}
	out := []MonitorSession{}
	mon, err := s.monitor()
	if err != nil {
		return out, nil // no distributor: nothing runs
	}
	for _, m := range mon.Monitorings() {
		if authorizeMonitor(a, flow.Listen, m.Queue) == nil {
			out = append(out, monitorView(m))
		}
	}
	return out, nil
}
