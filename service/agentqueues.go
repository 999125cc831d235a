package service

import (
	"context"

	"github.com/acdserver/acd/directory"
)

// LoginQueue is a queue an agent may log itself in to.
type LoginQueue struct {
	Queue
	// Assigned: one of the agent's own queues; the others are offered
	// while the organisation allows logging in to unassigned queues.
	Assigned bool `json:"assigned"`
}

// LoginQueues lists the queues an agent may log itself in to, as
// AgentLoginQueue allows: its assigned queues and, while the
// organisation allows it (and the agent is not restricted to its own),
// every other queue too.
func (s *Service) LoginQueues(ctx context.Context, a *Actor) ([]LoginQueue, error) {
	if a == nil {
		return nil, errUnauthenticated
	}
	if !a.is(directory.Agent) {
		return nil, forbidden("only agents log themselves in to queues")
	}
	others := false
	if !a.Restricted {
		st, err := s.settings(ctx)
		if err != nil {
			return nil, err
		}
		others = st.AllowUnassignedLogin
	}
	out := []LoginQueue{}
	for _, q := range s.directory().queues {
		if assigned := a.Queues[q.ID]; assigned || others {
			out = append(out, LoginQueue{Queue: q, Assigned: assigned})
		}
	}
	return out, nil
}
