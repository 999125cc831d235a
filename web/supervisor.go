package web

import (
	"net/http"
	"net/url"

	"github.com/acdserver/acd/service"
)

// The supervisor's console: every queue the user may see with its
// figures (/supervisor), one queue's waiting list and agents with the
// actions on them (/supervisor/queues/{id}), and the wallboard. What a
// user may see and do is the service's to decide: the pages only choose
// what to offer.

// figuresFile holds the figures every one of these pages shows per queue.
const figuresFile = "templates/supervisor_figures.html"

// overviewView is the supervisor's page and the wallboard: every queue
// the user may see.
type overviewView struct {
	Queues []service.QueueOverview
	// Today is each queue's figures so far today, by id: the wallboard's
	// alone; nil when the reports could not be read.
	Today map[string]service.QueueToday
}

// queueView is one queue's page.
type queueView struct {
	service.QueueOverview
	// Others are the agents the user controls that are neither assigned
	// nor logged in to the queue: those it may log in to it.
	Others []service.AgentView
	CSRF   string
	// Monitor is the user's monitoring: see monitor.go.
	Monitor monitorView
}

func (p *Pages) routesSupervisor(mux *http.ServeMux) {
	p.parseWith("supervisor", figuresFile)
	p.parseWith("supervisor_queue", figuresFile)
	p.parseWith("wallboard", figuresFile)
	p.views["supervisor"] = liveView{page: "supervisor", parts: func(r *http.Request, s session) ([]part, error) {
		v, err := p.overviewData(s)
		if err != nil {
			return nil, err
		}
		return []part{{"supervisor-queues", v}}, nil
	}}
	p.views["wallboard"] = liveView{page: "wallboard", parts: func(r *http.Request, s session) ([]part, error) {
		v, err := p.wallboardData(r, s)
		if err != nil {
			return nil, err
		}
		return []part{{"wallboard-queues", v}}, nil
	}}
	p.views["queue"] = liveView{page: "supervisor_queue", parts: func(r *http.Request, s session) ([]part, error) {
		v, err := p.queueData(r, s)
		if err != nil {
			return nil, err
		}
		return queueParts(v), nil
	}, shared: func(r *http.Request, s session) (string, error) {
		q := queueOf(r)
		return q, p.svc.MayWatchQueue(s.actor, q)
	}, sharedParts: func(r *http.Request, s session, queue, mark string) ([]part, error) {
		o, err := p.svc.QueueOverview(s.actor, queue)
		if err != nil {
			return nil, err
		}
		return queueParts(queueView{QueueOverview: o, CSRF: mark}), nil
	}}
	mux.Handle("GET /supervisor", p.signedIn(p.supervisorPage))
	mux.Handle("GET /supervisor/queues/{id}", p.signedIn(p.queuePage))
	mux.Handle("POST /supervisor/queues/{id}/agents", p.signedIn(p.queueAgent))
	mux.Handle("GET /wallboard", p.signedIn(p.wallboardPage))
	p.routesMonitor(mux)
}

func (p *Pages) overviewData(s session) (overviewView, error) {
	queues, err := p.svc.Overview(s.actor)
	if err != nil {
		return overviewView{}, err
	}
	return overviewView{Queues: queues}, nil
}

// wallboardData is the overview with today's figures of its queues. The
// live figures matter more than today's: without the reports the
// wallboard still shows them.
func (p *Pages) wallboardData(r *http.Request, s session) (overviewView, error) {
	v, err := p.overviewData(s)
	if err != nil || len(v.Queues) == 0 {
		return v, err
	}
	ids := make([]string, len(v.Queues))
	for i, q := range v.Queues {
		ids[i] = q.Queue.ID
	}
	if v.Today, err = p.svc.Today(r.Context(), s.actor, ids); err != nil {
		p.log.Warn("reading today's figures for the wallboard", "err", err)
	}
	return v, nil
}

// queueOf is the queue a request is about: the page's path, or the live
// stream's query (/live?view=queue&queue=ID).
func queueOf(r *http.Request) string {
	if id := r.PathValue("id"); id != "" {
		return id
	}
	return r.URL.Query().Get("queue")
}

// queueParts are a queue page's live fragments. They show the queue's
// overview and the user's token alone, so that the page can be drawn once
// for everyone who may see the queue (Others is not among them).
func queueParts(v queueView) []part {
	return []part{{"queue-figures", v.QueueOverview}, {"queue-waiting", v}, {"queue-agents", v}}
}

func (p *Pages) queueData(r *http.Request, s session) (queueView, error) {
	o, err := p.svc.QueueOverview(s.actor, queueOf(r))
	if err != nil {
		return queueView{}, err
	}
	agents, err := p.svc.ListAgents(s.actor)
	if err != nil {
		return queueView{}, err
	}
	listed := map[string]bool{}
	for _, a := range o.Agents {
		listed[a.ID] = true
	}
	v := queueView{QueueOverview: o, CSRF: s.csrf(), Monitor: p.monitorData(s, o.Queue.ID)}
	for _, a := range agents {
		if !listed[a.ID] {
			v.Others = append(v.Others, a)
		}
	}
	return v, nil
}

func (p *Pages) supervisorPage(w http.ResponseWriter, r *http.Request, s session) {
	after := p.position(r)
	v, err := p.overviewData(s)
	if err != nil {
		p.fail(w, r, s, err)
		return
	}
	p.render(w, r, http.StatusOK, "supervisor", view{Title: "Queues", Session: s, Live: "supervisor", After: after, Data: v})
}

func (p *Pages) wallboardPage(w http.ResponseWriter, r *http.Request, s session) {
	after := p.position(r)
	v, err := p.wallboardData(r, s)
	if err != nil {
		p.fail(w, r, s, err)
		return
	}
	p.render(w, r, http.StatusOK, "wallboard", view{Title: "Wallboard", Session: s, Live: "wallboard", After: after, Data: v})
}

func (p *Pages) queuePage(w http.ResponseWriter, r *http.Request, s session) {
	p.showQueue(w, r, s, http.StatusOK, "")
}

func (p *Pages) showQueue(w http.ResponseWriter, r *http.Request, s session, status int, refusal string) {
	after := p.position(r)
	v, err := p.queueData(r, s)
	if err != nil {
		p.fail(w, r, s, err)
		return
	}
	p.render(w, r, status, "supervisor_queue", view{Title: v.Queue.Name, Session: s,
		Live: "queue&queue=" + url.QueryEscape(v.Queue.ID), After: after, Error: refusal, Data: v})
}

// Actions on an agent from a queue's page.
const (
	actionLoginQueue  = "login"      // log in to this queue
	actionLogoutQueue = "logout"     // log out of this queue
	actionLogoutAll   = "logout-all" // log out of every queue
)

// queueAgent logs an agent in to or out of the queue, out of every
// queue, or ends its wrap-up: each through the service, which decides
// whether this user may.
func (p *Pages) queueAgent(w http.ResponseWriter, r *http.Request, s session) {
	queue, agent := r.PathValue("id"), r.PostFormValue("agent")
	var err error
	switch r.PostFormValue("action") {
	case actionLoginQueue:
		_, err = p.svc.AgentLoginQueue(s.actor, agent, queue)
	case actionLogoutQueue:
		_, err = p.svc.AgentLogoutQueue(s.actor, agent, queue)
	case actionLogoutAll:
		_, err = p.svc.AgentAction(s.actor, agent, service.ActionLogout, "")
	case service.ActionEndWrapUp:
		_, err = p.svc.AgentAction(s.actor, agent, service.ActionEndWrapUp, "")
	default:
		err = service.InvalidField("action", "want login, logout, logout-all or end-wrap-up")
	}
	if err != nil {
		status, msg := p.statusOf(r, err)
		p.showQueue(w, r, s, status, msg)
		return
	}
	// A redirect, so that reloading the page does not repeat the action.
	http.Redirect(w, r, "/supervisor/queues/"+url.PathEscape(queue), http.StatusSeeOther)
}
