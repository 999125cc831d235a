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

// QueueOverview is one queue as a supervisor watches it: who waits, and
// its agents with their state in this queue.
type QueueOverview struct {
	Queue Queue
	// Waiting is the waiting list, longest first, callback requests
	// included (tagged).
	Waiting []WaitingCaller
	// Callers counts the waiting list, every place in it; Callbacks
	// those of them that are callback requests keeping a caller's place.
	// Both are counted from Waiting itself, so that the figures and the
	// list drawn beside them never disagree.
	Callers, Callbacks int
	// Oldest is when the first in the waiting list joined (a callback
	// request keeps the caller's wait); zero with none.
	Oldest time.Time
	// Agents are those assigned to the queue or logged in to it, by id.
	Agents []QueueAgent
	Counts AgentCounts
}

// QueueAgent is an agent as one queue sees it.
type QueueAgent struct {
	AgentState
	// InQueue is its state in this queue: its own state while logged in
	// to the queue, QueueLoggedOut while not, QueueUnreachable while
	// logged in and ready but with no phone registered.
	InQueue  string
	Assigned bool // the configuration assigns it to the queue
	LoggedIn bool // logged in to the queue now
}

// The states an agent has in one queue beyond its own.
const (
	QueueLoggedOut   = "logged-out"
	QueueUnreachable = "unreachable"
)

// AgentCounts counts a queue's agents by their state in it.
type AgentCounts struct {
	Ready, Offered, OnCall, WrapUp, Paused, LoggedOut, Unreachable int
}

// inQueue is an agent's state in one queue: an agent logged out of it is
// logged out there whatever it does elsewhere; one that would take calls
// but whose phone is not registered is unreachable, since none reaches it.
func inQueue(st AgentState, queue string) string {
	if !slices.Contains(st.Queues, queue) {
		return QueueLoggedOut
	}
	if st.State == acd.Ready.String() && !st.Registered {
		return QueueUnreachable
	}
	return st.State
}

func (c *AgentCounts) add(inQueue string) {
	switch inQueue {
	case acd.Ready.String():
		c.Ready++
	case acd.Offered.String():
		c.Offered++
	case acd.OnCall.String():
		c.OnCall++
	case acd.WrapUp.String():
		c.WrapUp++
	case acd.Paused.String():
		c.Paused++
	case QueueUnreachable:
		c.Unreachable++
	default:
		c.LoggedOut++
	}
}

// QueueOverview reads one queue for supervisors (restricted ones: their
// queues) and administrators, with the checks of Waiting.
func (s *Service) QueueOverview(a *Actor, queue string) (QueueOverview, error) {
	states, err := s.agentStates(a)
	if err != nil {
		return QueueOverview{}, err
	}
	return s.queueOverview(a, queue, states)
}

// Overview reads every queue the actor may see.
func (s *Service) Overview(a *Actor) ([]QueueOverview, error) {
	states, err := s.agentStates(a)
	if err != nil {
		return nil, err
	}
	queues, err := s.Queues(a)
	if err != nil {
		return nil, err
	}
	out := make([]QueueOverview, 0, len(queues))
	for _, q := range queues {
		o, err := s.queueOverview(a, q.ID, states)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// agentStates reads every agent's state once, for all the queues of an
// overview; only supervisors and administrators watch queues.
func (s *Service) agentStates(a *Actor) (map[string]AgentState, error) {
	if a == nil {
		return nil, errUnauthenticated
	}
	if a.is(directory.Agent) {
		return nil, forbidden("queue overviews are for supervisors and administrators")
	}
	states := map[string]AgentState{}
	for id := range s.directory().agents {
		info, err := s.dist.Agent(id)
		if errors.Is(err, acd.ErrUnknownAgent) {
			continue // taken out of the configuration a moment ago
		} else if err != nil {
			return nil, fmt.Errorf("reading agent %s: %w", id, err)
		}
		states[id] = stateView(info)
	}
	return states, nil
}

func (s *Service) queueOverview(a *Actor, queue string, states map[string]AgentState) (QueueOverview, error) {
	waiting, err := s.Waiting(a, queue)
	if err != nil {
		return QueueOverview{}, err
	}
	o := QueueOverview{Queue: s.queueView(queue), Waiting: waiting, Agents: []QueueAgent{}}
	o.Callers = len(waiting)
	for _, w := range waiting {
		if w.Callback {
			o.Callbacks++
		}
		if o.Oldest.IsZero() || w.Joined.Before(o.Oldest) {
			o.Oldest = w.Joined
		}
	}
	dir := s.directory()
	for id, st := range states {
		assigned := slices.Contains(dir.agents[id].Queues, queue)
		loggedIn := slices.Contains(st.Queues, queue)
		if !assigned && !loggedIn {
			continue
		}
		qa := QueueAgent{AgentState: st, InQueue: inQueue(st, queue), Assigned: assigned, LoggedIn: loggedIn}
		o.Counts.add(qa.InQueue)
		o.Agents = append(o.Agents, qa)
	}
	slices.SortFunc(o.Agents, func(x, y QueueAgent) int { return strings.Compare(x.ID, y.ID) })
	return o, nil
}
