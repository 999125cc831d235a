package web

import (
	"net/http"

	"github.com/acdserver/acd/service"
)

// setupView is the first administrator's form: what was typed (never the
// token or password) and the refusal.
type setupView struct {
	User, Name, Error string
}

// routesSetup serves the first start: while no user exists and the setup
// token is drawn, a form that makes the first administrator with the
// token of the server's log, as POST /api/v1/setup does. Afterwards the
// page does not exist.
func (p *Pages) routesSetup(mux *http.ServeMux) {
	p.parse("setup")
	mux.Handle("GET /setup", p.secured(http.HandlerFunc(p.setupForm)))
	mux.Handle("POST /setup", p.secured(http.HandlerFunc(p.setup)))
}

func (p *Pages) setupForm(w http.ResponseWriter, r *http.Request) {
	if !p.svc.SetupPending(r.Context()) {
		http.NotFound(w, r)
		return
	}
	p.render(w, r, http.StatusOK, "setup", view{Title: "First administrator", Data: setupView{}})
}

func (p *Pages) setup(w http.ResponseWriter, r *http.Request) {
	if !p.svc.SetupPending(r.Context()) {
		http.NotFound(w, r)
		return
	}
	v := setupView{User: r.PostFormValue("user"), Name: r.PostFormValue("name")}
	_, err := p.svc.Setup(r.Context(), r.PostFormValue("token"), remoteAddr(r.RemoteAddr),
		service.NewUser{ID: v.User, Name: v.Name, Password: r.PostFormValue("password")})
	if err != nil {
		var status int
		status, v.Error = p.statusOf(r, err)
		p.render(w, r, status, "setup", view{Title: "First administrator", Data: v})
		return
	}
	http.Redirect(w, r, "/login?setup=done", http.StatusSeeOther)
}
