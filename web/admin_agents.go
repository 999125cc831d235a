package web

import (
	"net/http"

	"github.com/acdserver/acd/service"
)

// agentsData is the agents page: every agent of the call path with where
// it is defined, a form for each made here and one for a new agent. The
// SIP password is write-only: never drawn back.
type agentsData struct {
	Agents []agentRow
	New    agentForm
}

type agentRow struct {
	service.AgentView
	Editable bool
	Form     agentForm
}

type agentForm struct {
	form
	ID, Name  string
	Queues    map[string]bool
	AllQueues []service.Queue
}

func (p *Pages) agentsPage() adminPage {
	return adminPage{name: "admin-agents", title: "Agents", path: "/admin/agents", need: service.ManageAgents, data: p.agentsData}
}

func (p *Pages) routesAdminAgents(mux *http.ServeMux) {
	pg := p.agentsPage()
	p.parseAdmin("admin-agents")
	mux.Handle("GET /admin/agents", p.page(pg))
	mux.Handle("POST /admin/agents", p.admin(pg.need, func(w http.ResponseWriter, r *http.Request, s session) { p.putAgent(w, r, s, true) }))
	mux.Handle("POST /admin/agents/{id}", p.admin(pg.need, func(w http.ResponseWriter, r *http.Request, s session) { p.putAgent(w, r, s, false) }))
	mux.Handle("POST /admin/agents/{id}/delete", p.admin(pg.need, p.confirmFirst(pg.path, named("agent"), p.deleteAgent)))
}

func (p *Pages) agentsData(r *http.Request, s session, f formState) (any, error) {
	list, err := p.svc.ListAgents(s.actor)
	if err != nil {
		return nil, err
	}
	queues, err := p.svc.Queues(s.actor)
	if err != nil {
		return nil, err
	}
	d := agentsData{New: agentForm{form: newForm(s, f, "new", "/admin/agents", "Create agent"), AllQueues: queues,
		ID: f.value("new", "id", ""), Name: f.value("new", "name", ""), Queues: f.choices("new", "queues", nil)}}
	for _, a := range list {
		key := "agent:" + a.ID
		d.Agents = append(d.Agents, agentRow{AgentView: a, Editable: a.Source == "database",
			Form: agentForm{form: newForm(s, f, key, "/admin/agents/"+a.ID, "Save "+a.ID), AllQueues: queues,
				ID: a.ID, Name: f.value(key, "name", a.Name), Queues: f.choices(key, "queues", a.Queues)}})
	}
	return d, nil
}

// putAgent creates or replaces an agent; an empty password field keeps
// the password a replaced agent had.
func (p *Pages) putAgent(w http.ResponseWriter, r *http.Request, s session, create bool) {
	spec := service.AgentSpec{ID: r.PathValue("id"), Name: r.PostFormValue("name"), Queues: r.PostForm["queues"],
		SIPPassword: r.PostFormValue("sip_password")}
	key := "agent:" + spec.ID
	if create {
		spec.ID, key = r.PostFormValue("id"), "new"
	}
	_, _, err := p.svc.PutAgent(r.Context(), s.actor, spec, create)
	p.afterAdmin(w, r, s, p.agentsPage(), key, err)
}

func (p *Pages) deleteAgent(w http.ResponseWriter, r *http.Request, s session) {
	err := p.svc.DeleteAgent(r.Context(), s.actor, r.PathValue("id"))
	p.afterAdmin(w, r, s, p.agentsPage(), "", err)
}
