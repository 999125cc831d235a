package flow

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/acdserver/acd/acd"
	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/hangup"
	"github.com/acdserver/acd/media"
)

// MonitorMode is how a supervisor takes part in an agent's call.
type MonitorMode uint8

// The modes, numbered as the supervisor's phone keys select them, as
// FreeSWITCH's eavesdrop does: 1 listen, 2 whisper, 3 barge.
const (
	Listen  MonitorMode = iota + 1 // hears both, heard by nobody
	Whisper                        // hears both, heard by the agent only
	Barge                          // hears both, heard by both
)

// MonitorModes lists the modes in key order.
func MonitorModes() []MonitorMode { return []MonitorMode{Listen, Whisper, Barge} }

func (m MonitorMode) String() string {
	switch m {
	case Listen:
		return "listen"
	case Whisper:
		return "whisper"
	case Barge:
		return "barge"
	}
	return fmt.Sprintf("mode(%d)", uint8(m))
}

// ParseMonitorMode reads a mode's name.
func ParseMonitorMode(s string) (MonitorMode, bool) {
	for _, m := range MonitorModes() {
		if m.String() == s {
			return m, true
		}
	}
	return 0, false
}

// monitorKey is the mode a key of the supervisor's phone selects.
func monitorKey(k rune) (MonitorMode, bool) {
	switch k {
	case '1':
		return Listen, true
	case '2':
		return Whisper, true
	case '3':
		return Barge, true
	}
	return 0, false
}

// MonitorEnd is why a monitoring session ended.
type MonitorEnd uint8

// The ends of a monitoring session.
const (
	MonitorStopped          MonitorEnd = iota + 1 // asked to stop (console, API)
	MonitorSupervisorHungUp                       // the supervisor's phone hung up
	MonitorCallEnded                              // the customer or the agent left
	MonitorNotAnswered                            // the supervisor's phone did not answer
	MonitorFailed                                 // the call could not be joined
	MonitorServerStopping                         // the server is stopping
)

func (e MonitorEnd) String() string {
	switch e {
	case MonitorStopped:
		return "stopped"
	case MonitorSupervisorHungUp:
		return "supervisor-hung-up"
	case MonitorCallEnded:
		return "call-ended"
	case MonitorNotAnswered:
		return "not-answered"
	case MonitorFailed:
		return "failed"
	case MonitorServerStopping:
		return "server-stopping"
	}
	return fmt.Sprintf("end(%d)", uint8(e))
}

// MonitorRequest asks for a supervisor to monitor an agent's call: the
// server rings Phone (a SIP user of the configuration), or takes Own,
// the supervisor's own call (the *55 feature code), as the monitoring
// leg. The service has checked who may, and which phone.
type MonitorRequest struct {
	Agent string
	Phone string      // the SIP user rung, or whose call Own is
	Own   acd.Channel // nil: ring Phone
	Mode  MonitorMode
	// Barge: the supervisor may barge in; without it the phone's key 3
	// does nothing (the console's changes are checked by the service).
	Barge bool
	// Supervisor is the user monitoring; By is the actor events name.
	Supervisor string
	By         event.Actor
}

// Monitoring is a monitoring session as it stands.
type Monitoring struct {
	ID         string
	Agent      string
	Phone      string
	Supervisor string
	Mode       MonitorMode
	// Call is the monitored call: its interaction and queue ("" for a
	// direct call).
	Call, Queue string
	Requested   time.Time
	// Joined is when the supervisor's phone joined the call (zero while
	// it rings).
	Joined time.Time
	// Done closes when the session has ended.
	Done <-chan struct{}
}

// monitorRingTimeout is how long a supervisor's phone rings.
const monitorRingTimeout = 30 * time.Second

// ErrNoMonitoring is a session asked for that is not running (any more).
var ErrNoMonitoring = errors.New("no such monitoring session")

// ErrClosed is a flow asked of a distributor that is stopping.
var ErrClosed = errors.New("the distributor is stopping")

// monitors are the running sessions, by id.
type monitors struct {
	// mu guards sessions, each session's mode and joined, and quit's
	// closing. Never held while calling phones or a room.
	mu       sync.Mutex
	sessions map[string]*monitor
	quit     chan struct{} // closed by Flows.Close
	closed   bool
}

func newMonitors() monitors {
	return monitors{sessions: map[string]*monitor{}, quit: make(chan struct{})}
}

// close ends every session (the server is stopping).
func (ms *monitors) close() {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if !ms.closed {
		ms.closed = true
		close(ms.quit)
	}
}

// monitor is one session; its goroutine (run) owns the supervisor's leg.
type monitor struct {
	id   string
	req  MonitorRequest
	live Live
	at   time.Time
	done chan struct{}
	// changes are mode changes from the console, answered on reply.
	changes chan modeChange
	// stop closes (once) when the session is asked to stop; stopBy is who
	// asked, set before.
	stop     chan struct{}
	stopOnce sync.Once
	stopBy   event.Actor

	// mode and joined are guarded by monitors.mu: the goroutine writes
	// them, listings read them.
	mode   MonitorMode
	joined time.Time
}

type modeChange struct {
	mode  MonitorMode
	by    event.Actor
	reply chan error
}

// Monitor starts a supervisor's monitoring of the call the agent is on:
// it rings the supervisor's phone (showing "Monitor" and the agent), or
// takes its own call, and joins it to the call's conference in mode. The
// session runs on a goroutine the Flows own until the call ends, the
// supervisor hangs up or it is stopped; the customer and the agent are
// never hung up for it. The keys 1, 2 and 3 of the supervisor's phone
// switch to listen, whisper and barge.
func (f *Flows) Monitor(req MonitorRequest) (Monitoring, error) {
	live, ok := f.Live(req.Agent)
	if !ok {
		return Monitoring{}, fmt.Errorf("monitoring agent %s: %w", req.Agent, ErrNoLiveCall)
	}
	if _, ok := ParseMonitorMode(req.Mode.String()); !ok {
		return Monitoring{}, fmt.Errorf("monitoring agent %s: unknown mode %d", req.Agent, req.Mode)
	}
	id, err := newMonitorID()
	if err != nil {
		return Monitoring{}, err
	}
	m := &monitor{id: id, req: req, live: live, at: time.Now(), done: make(chan struct{}),
		changes: make(chan modeChange), stop: make(chan struct{}), mode: req.Mode}
	f.mu.Lock()
	closed := f.closed
	f.mu.Unlock()
	f.monitors.mu.Lock()
	if closed || f.monitors.closed {
		f.monitors.mu.Unlock()
		return Monitoring{}, fmt.Errorf("monitoring agent %s: %w", req.Agent, ErrClosed)
	}
	f.monitors.sessions[id] = m
	info := f.monitors.infoLocked(m)
	f.monitors.mu.Unlock()
	f.spawn(func() { f.runMonitor(m) })
	return info, nil
}

func newMonitorID() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("naming a monitoring session: %w", err)
	}
	return hex.EncodeToString(b), nil
}

func (ms *monitors) infoLocked(m *monitor) Monitoring {
	return Monitoring{ID: m.id, Agent: m.req.Agent, Phone: m.req.Phone, Supervisor: m.req.Supervisor, Mode: m.mode,
		Call: m.live.Interaction.ID, Queue: m.live.Interaction.Queue, Requested: m.at, Joined: m.joined, Done: m.done}
}

// Monitorings lists the running sessions, oldest first.
func (f *Flows) Monitorings() []Monitoring {
	f.monitors.mu.Lock()
	defer f.monitors.mu.Unlock()
	out := make([]Monitoring, 0, len(f.monitors.sessions))
	for _, m := range f.monitors.sessions {
		out = append(out, f.monitors.infoLocked(m))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Requested.Before(out[j].Requested) })
	return out
}

// MonitoringOf is a running session.
func (f *Flows) MonitoringOf(id string) (Monitoring, bool) {
	f.monitors.mu.Lock()
	defer f.monitors.mu.Unlock()
	m, ok := f.monitors.sessions[id]
	if !ok {
		return Monitoring{}, false
	}
	return f.monitors.infoLocked(m), true
}

func (f *Flows) session(id string) (*monitor, error) {
	f.monitors.mu.Lock()
	defer f.monitors.mu.Unlock()
	m, ok := f.monitors.sessions[id]
	if !ok {
		return nil, fmt.Errorf("monitoring session %s: %w", id, ErrNoMonitoring)
	}
	return m, nil
}

// SetMonitorMode switches a running session's mode, for by; a session
// still ringing the supervisor's phone joins in the new mode.
func (f *Flows) SetMonitorMode(ctx context.Context, id string, mode MonitorMode, by event.Actor) (Monitoring, error) {
	m, err := f.session(id)
	if err != nil {
		return Monitoring{}, err
	}
	ch := modeChange{mode: mode, by: by, reply: make(chan error, 1)}
	select {
	case m.changes <- ch:
	case <-m.done:
		return Monitoring{}, fmt.Errorf("monitoring session %s: %w", id, ErrNoMonitoring)
	case <-ctx.Done():
		return Monitoring{}, ctx.Err()
	}
	select {
	case err = <-ch.reply:
	case <-ctx.Done():
		return Monitoring{}, ctx.Err()
	}
	if err != nil {
		return Monitoring{}, err
	}
	f.monitors.mu.Lock()
	defer f.monitors.mu.Unlock()
	return f.monitors.infoLocked(m), nil
}

// StopMonitor ends a session for by: the supervisor's phone is hung up,
// the call goes on. It returns once the session has ended, or ctx.
func (f *Flows) StopMonitor(ctx context.Context, id string, by event.Actor) error {
	m, err := f.session(id)
	if err != nil {
		return err
	}
	m.stopOnce.Do(func() {
		m.stopBy = by
		close(m.stop)
	})
	select {
	case <-m.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// monitorSession is what run keeps of a session as it goes.
type monitorSession struct {
	f    *Flows
	m    *monitor
	log  *slog.Logger
	leg  acd.Channel // the supervisor's, once answered
	room Room
	// agent is the agent leg's member: a whisper's target.
	agent media.Member
}

// runMonitor is the session's goroutine: it rings (or takes) the
// supervisor's leg, joins it, follows the keys and the console's
// changes, and ends with the call, the leg, a stop or the server.
func (f *Flows) runMonitor(m *monitor) {
	live := m.live
	s := &monitorSession{f: f, m: m, log: f.log.With("call_id", live.Interaction.ID, "queue", live.Interaction.Queue,
		"agent", m.req.Agent, "monitor", m.id, "phone", m.req.Phone)}
	// The supervisor's phone, when it is also an agent's, takes no queue
	// call while it monitors one.
	f.core.PhoneInUse(m.req.Phone, true)
	defer f.core.PhoneInUse(m.req.Phone, false)
	var joinedAt time.Time
	end, by := s.loop(&joinedAt)
	if s.room != nil && s.leg != nil {
		s.room.Remove(s.leg) // never the customer and the agent: they talk on
	}
	if s.leg != nil {
		switch end {
		case MonitorCallEnded:
			s.leg.Hangup(hangup.OtherSideHungUp)
		case MonitorStopped, MonitorServerStopping, MonitorFailed:
			s.leg.Hangup(hangup.CallOver)
		}
	}
	var ms int64
	if !joinedAt.IsZero() {
		ms = time.Since(joinedAt).Milliseconds()
	}
	// Gone from the sessions before its end is logged: whoever reads the
	// sessions on seeing monitor.stopped does not find it running.
	f.monitors.mu.Lock()
	delete(f.monitors.sessions, m.id)
	f.monitors.mu.Unlock()
	s.record(event.MonitorStopped{Session: m.id, Cause: end.String(), MS: ms, Actor: by})
	s.log.Info("monitoring ended", "cause", end.String(), "monitored_ms", ms)
	close(m.done)
}

type legResult struct {
	leg acd.Leg
	err error
}

// loop runs the session until it ends, saying why and by whom.
func (s *monitorSession) loop(joinedAt *time.Time) (MonitorEnd, event.Actor) {
	m, f, live := s.m, s.f, s.m.live
	phoneActor := event.Phone(m.req.Phone)
	// Bounded as an agent's ring is by its queue: a supervisor who does
	// not pick up is not rung for the whole call.
	ringCtx, cancelRing := context.WithTimeout(context.Background(), monitorRingTimeout)
	defer cancelRing()
	var rung chan legResult
	if m.req.Own != nil {
		if end, ok := s.join(m.req.Own, joinedAt); !ok {
			return end, event.System()
		}
	} else {
		rung = make(chan legResult, 1)
		show := acd.Party{Number: m.req.Agent, Name: "Monitor " + s.agentName()}
		go func() { // sends one result, which the loop or the deferred drain below takes
			leg, err := f.phones.Ring(ringCtx, m.req.Phone, show)
			rung <- legResult{leg, err}
		}()
		defer func() {
			if rung == nil {
				return
			}
			cancelRing()
			if r := <-rung; r.err == nil {
				r.leg.Hangup(hangup.CallOver) // answered as the session ended
			}
		}()
	}
	var legDone <-chan struct{}
	var digits <-chan rune
	if s.leg != nil {
		legDone, digits = s.leg.Done(), s.leg.Digits()
	}
	for {
		select {
		case r := <-rung:
			rung = nil
			if r.err != nil {
				s.log.Info("the supervisor's phone did not answer", "error", r.err)
				return MonitorNotAnswered, event.System()
			}
			if end, ok := s.join(r.leg, joinedAt); !ok {
				r.leg.Hangup(hangup.CallOver)
				s.leg = nil
				return end, event.System()
			}
			legDone, digits = s.leg.Done(), s.leg.Digits()
		case k := <-digits:
			if mode, ok := monitorKey(k); ok && mode == Barge && !m.req.Barge {
				s.log.Info("barging in by key refused: the supervisor may not barge in")
			} else if ok {
				if err := s.setMode(mode, phoneActor); err != nil {
					s.log.Warn("switching the monitoring mode by key failed", "key", string(k), "error", err)
				}
			}
		case c := <-m.changes:
			c.reply <- s.setMode(c.mode, c.by)
		case <-legDone:
			return MonitorSupervisorHungUp, phoneActor
		case <-live.Customer.Done():
			return MonitorCallEnded, event.System()
		case <-live.AgentLeg.Done():
			return MonitorCallEnded, event.System()
		case <-m.stop:
			return MonitorStopped, m.stopBy
		case <-f.monitors.quit:
			return MonitorServerStopping, event.System()
		}
	}
}

// join adds the supervisor's answered leg to the call's room in the
// session's mode.
func (s *monitorSession) join(leg acd.Channel, joinedAt *time.Time) (MonitorEnd, bool) {
	m := s.m
	room, live, err := s.f.Room(m.req.Agent)
	if errors.Is(err, ErrNoLiveCall) || err == nil && live.AgentLeg != m.live.AgentLeg {
		return MonitorCallEnded, false // over as the phone answered; the agent may be on the next one
	}
	if err != nil {
		s.log.Error("monitoring: the call has no conference to join", "error", err)
		return MonitorFailed, false
	}
	agent, ok := room.Member(m.live.AgentLeg)
	if !ok {
		return MonitorCallEnded, false
	}
	s.room, s.agent = room, agent
	s.f.monitors.mu.Lock()
	mode := m.mode
	s.f.monitors.mu.Unlock()
	if _, err := room.Add(leg, s.mediaMode(mode)); err != nil {
		s.room = nil
		s.log.Error("monitoring: joining the call failed", "error", err)
		return MonitorFailed, false
	}
	s.leg = leg
	*joinedAt = time.Now()
	s.f.monitors.mu.Lock()
	m.joined = *joinedAt
	s.f.monitors.mu.Unlock()
	s.log.Info("monitoring started", "mode", mode.String())
	s.record(event.MonitorStarted{Session: m.id, Mode: mode.String(), Phone: m.req.Phone, Actor: m.req.By})
	return 0, true
}

// setMode switches the session's mode, in the room once joined.
func (s *monitorSession) setMode(mode MonitorMode, by event.Actor) error {
	if _, ok := ParseMonitorMode(mode.String()); !ok {
		return fmt.Errorf("unknown monitoring mode %d", mode)
	}
	s.f.monitors.mu.Lock()
	from := s.m.mode
	s.f.monitors.mu.Unlock()
	if from == mode {
		return nil
	}
	if s.room != nil {
		if err := s.room.SetMode(s.leg, s.mediaMode(mode)); err != nil {
			return fmt.Errorf("switching monitoring session %s to %s: %w", s.m.id, mode, err)
		}
	}
	s.f.monitors.mu.Lock()
	s.m.mode = mode
	s.f.monitors.mu.Unlock()
	if s.room != nil {
		s.log.Info("monitoring mode changed", "mode", mode.String(), "from", from.String())
		s.record(event.MonitorModeChanged{Session: s.m.id, Mode: mode.String(), From: from.String(), Actor: by})
	}
	return nil
}

func (s *monitorSession) mediaMode(mode MonitorMode) media.Mode {
	switch mode {
	case Whisper:
		return media.Mode{Role: media.Whisper, To: s.agent}
	case Barge:
		return media.Mode{Role: media.Both}
	}
	return media.Mode{Role: media.Listen}
}

func (s *monitorSession) agentName() string {
	if info, err := s.f.core.Agent(s.m.req.Agent); err == nil && info.Name != "" {
		return info.Name
	}
	return s.m.req.Agent
}

func (s *monitorSession) record(p event.Payload) {
	if s.f.events == nil {
		return
	}
	in := s.m.live.Interaction
	s.f.events.Append(event.New(time.Now(), event.Ref{Call: s.m.live.Customer.ID(), Interaction: in.ID, Queue: in.Queue, Agent: s.m.req.Agent}, p))
}
