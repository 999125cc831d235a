package web

import (
	"net/http"
	"net/url"

	"github.com/acdserver/acd/service"
)

// Monitoring from a queue's page: the Listen, Whisper and Barge buttons
// of an agent on a call submit the user's own monitoring form (drawn
// outside the page's shared live part, which is the same for everyone
// who sees the queue), and the running sessions are listed there with
// their mode switch and Stop. The service decides who may.

// monitorView is what the queue page shows the user of monitoring.
type monitorView struct {
	May   bool // the user may monitor: the form and the buttons
	Barge bool // and barge in: the Barge buttons
	// Phones are the phones the user may have rung, its own first.
	Phones   []string
	Sessions []service.MonitorSession
}

func (p *Pages) routesMonitor(mux *http.ServeMux) {
	mux.Handle("POST /supervisor/queues/{id}/monitor/{agent}", p.signedIn(p.startMonitor))
	mux.Handle("POST /supervisor/queues/{id}/monitors/{session}", p.signedIn(p.changeMonitor))
}

// monitorData is the user's monitoring on a queue's page: the sessions
// of the queue's calls.
func (p *Pages) monitorData(s session, queue string) monitorView {
	v := monitorView{May: s.actor.MayMonitor(), Barge: s.actor.MayBarge()}
	if !v.May {
		return v
	}
	v.Phones = p.svc.MonitorPhones(s.actor)
	all, err := p.svc.Monitors(s.actor)
	if err != nil {
		p.log.Warn("listing monitoring sessions", "err", err)
	}
	for _, m := range all {
		if m.Queue == queue {
			v.Sessions = append(v.Sessions, m)
		}
	}
	return v
}

// startMonitor rings the chosen phone to monitor the agent's call.
func (p *Pages) startMonitor(w http.ResponseWriter, r *http.Request, s session) {
	queue := r.PathValue("id")
	if _, err := p.svc.StartMonitor(s.actor, r.PathValue("agent"), r.PostFormValue("mode"), r.PostFormValue("phone")); err != nil {
		status, msg := p.statusOf(r, err)
		p.showQueue(w, r, s, status, msg)
		return
	}
	http.Redirect(w, r, "/supervisor/queues/"+url.PathEscape(queue), http.StatusSeeOther)
}

// changeMonitor switches a running session's mode, or stops it.
func (p *Pages) changeMonitor(w http.ResponseWriter, r *http.Request, s session) {
	queue, id := r.PathValue("id"), r.PathValue("session")
	var err error
	if r.PostFormValue("action") == "stop" {
		err = p.svc.StopMonitor(r.Context(), s.actor, "", id)
	} else {
		_, err = p.svc.ChangeMonitor(r.Context(), s.actor, "", id, r.PostFormValue("mode"))
	}
	if err != nil {
		status, msg := p.statusOf(r, err)
		p.showQueue(w, r, s, status, msg)
		return
	}
	http.Redirect(w, r, "/supervisor/queues/"+url.PathEscape(queue), http.StatusSeeOther)
}
