package web

import (
	"net/http"
	"slices"

	"github.com/acdserver/acd/directory"
	"github.com/acdserver/acd/service"
)

// agentView is the agent's console: its state and status menu, the call
// it is on, its queues.
type agentView struct {
	State service.AgentState
	// Reasons are the enabled pause reasons; with none, the menu offers
	// plain "ready" and "pause all queues" instead.
	Reasons []service.PauseReason
	Queues  []agentQueue
	// Recording is the current call's recording and what the queue's
	// setting lets the agent do with it.
	Recording service.RecordingState
	CSRF      string
}

// agentQueue is a queue the agent may log in to: one of its assigned
// queues, another while the organisation allows it, or one it is still
// logged in to.
type agentQueue struct {
	ID, Name           string
	LoggedIn, Assigned bool
}

func (p *Pages) routesAgent(mux *http.ServeMux) {
	p.parse("agent")
	p.views["agent"] = liveView{page: "agent", parts: func(r *http.Request, s session) ([]part, error) {
		v, err := p.agentData(r, s)
		if err != nil {
			return nil, err
		}
		return []part{{"agent-status", v}, {"agent-call", v}, {"agent-queues", v}}, nil
	}}
	mux.Handle("GET /agent", p.signedIn(p.agentPage))
	mux.Handle("POST /agent/state", p.signedIn(p.agentState))
	mux.Handle("POST /agent/queues", p.signedIn(p.agentQueues))
}

// agentData reads what the agent's console shows; only agents have one.
func (p *Pages) agentData(r *http.Request, s session) (agentView, error) {
	a := s.actor
	if a.Role != directory.Agent {
		return agentView{}, service.Refuse("the agent console is for agents; supervisors see agents in their queues")
	}
	st, err := p.svc.AgentState(a, a.UserID)
	if err != nil {
		return agentView{}, err
	}
	reasons, err := p.svc.PauseReasons(r.Context(), a)
	if err != nil {
		return agentView{}, err
	}
	v := agentView{State: st, CSRF: s.csrf()}
	if v.Recording, err = p.svc.AgentRecording(a, a.UserID); err != nil {
		return agentView{}, err
	}
	for _, pr := range reasons {
		if pr.Enabled {
			v.Reasons = append(v.Reasons, pr)
		}
	}
	offered, err := p.svc.LoginQueues(r.Context(), a)
	if err != nil {
		return agentView{}, err
	}
	listed := map[string]bool{}
	for _, q := range offered {
		listed[q.ID] = true
		v.Queues = append(v.Queues, agentQueue{ID: q.ID, Name: q.Name, Assigned: q.Assigned, LoggedIn: slices.Contains(st.Queues, q.ID)})
	}
	// A queue logged in to while it was allowed stays listed, to log out of.
	for _, id := range st.Queues {
		if !listed[id] {
			v.Queues = append(v.Queues, agentQueue{ID: id, Name: id, Assigned: a.Queues[id], LoggedIn: true})
		}
	}
	return v, nil
}

func (p *Pages) agentPage(w http.ResponseWriter, r *http.Request, s session) {
	p.showAgent(w, r, s, http.StatusOK, "")
}

func (p *Pages) showAgent(w http.ResponseWriter, r *http.Request, s session, status int, refusal string) {
	after := p.position(r)
	v, err := p.agentData(r, s)
	if err != nil {
		p.fail(w, r, s, err)
		return
	}
	p.render(w, r, status, "agent", view{Title: "My status", Session: s, Live: "agent", After: after, Error: refusal, Data: v})
}

// agentState is the status menu: ready, pause (with a reason or for all
// queues), log out of every queue, end wrap-up.
func (p *Pages) agentState(w http.ResponseWriter, r *http.Request, s session) {
	action, reason := r.PostFormValue("action"), ""
	// Each reason is its own button: the one pressed names its reason.
	if pr, ok := r.PostForm["pause-reason"]; ok && len(pr) == 1 {
		action, reason = service.ActionPause, pr[0]
	}
	_, err := p.svc.AgentAction(s.actor, s.actor.UserID, action, reason)
	p.afterAgentAction(w, r, s, err)
}

// agentQueues logs the agent in to or out of one queue.
func (p *Pages) agentQueues(w http.ResponseWriter, r *http.Request, s session) {
	queue := r.PostFormValue("queue")
	var err error
	switch r.PostFormValue("action") {
	case "login":
		_, err = p.svc.AgentLoginQueue(s.actor, s.actor.UserID, queue)
	case "logout":
		_, err = p.svc.AgentLogoutQueue(s.actor, s.actor.UserID, queue)
	default:
		err = service.InvalidField("action", "want login or logout")
	}
	p.afterAgentAction(w, r, s, err)
}

// afterAgentAction shows the console again: after a change by a redirect
// (so that reloading does not repeat it), after a refusal with its reason.
func (p *Pages) afterAgentAction(w http.ResponseWriter, r *http.Request, s session, err error) {
	if err != nil {
		status, msg := p.statusOf(r, err)
		p.showAgent(w, r, s, status, msg)
		return
	}
	http.Redirect(w, r, "/agent", http.StatusSeeOther)
}
