package web

import (
	"net/http"
	"strconv"

	"github.com/acdserver/acd/service"
)

// cannedData is the canned messages page: the public ones and the
// administrator's own private ones, as the service lists them.
type cannedData struct {
	Messages []cannedRow
	New      cannedForm
	CSRF     string
}

type cannedRow struct {
	service.CannedMessage
	Form cannedForm
}

type cannedForm struct {
	form
	Shortcut, Text, Visibility string
	Visibilities               []string
}

func (p *Pages) cannedPage() adminPage {
	return adminPage{name: "admin-canned", title: "Canned messages", path: "/admin/canned-messages", need: service.ManagePublicCanned, data: p.cannedData}
}

func (p *Pages) routesAdminCanned(mux *http.ServeMux) {
	pg := p.cannedPage()
	mux.Handle("GET /admin/canned-messages", p.page(pg))
	mux.Handle("POST /admin/canned-messages", p.admin(pg.need, p.createCanned))
	mux.Handle("POST /admin/canned-messages/{id}", p.admin(pg.need, p.updateCanned))
	mux.Handle("POST /admin/canned-messages/{id}/delete", p.admin(pg.need, p.confirmFirst(pg.path, named("canned message"), func(w http.ResponseWriter, r *http.Request, s session) {
		id, err := pathID(r)
		if err == nil {
			err = p.svc.DeleteCannedMessage(r.Context(), s.actor, id)
		}
		p.afterAdmin(w, r, s, p.cannedPage(), "", err)
	})))
}

func (p *Pages) cannedData(r *http.Request, s session, f formState) (any, error) {
	list, err := p.svc.CannedMessages(r.Context(), s.actor, "")
	if err != nil {
		return nil, err
	}
	vis := []string{service.VisibilityPublic, service.VisibilityPrivate}
	d := cannedData{CSRF: s.csrf(), New: cannedForm{form: newForm(s, f, "new", "/admin/canned-messages", "Create canned message"),
		Visibilities: vis, Shortcut: f.value("new", "shortcut", ""), Text: f.value("new", "text", ""),
		Visibility: f.value("new", "visibility", service.VisibilityPublic)}}
	for _, m := range list {
		id := strconv.FormatInt(m.ID, 10)
		key := "canned:" + id
		d.Messages = append(d.Messages, cannedRow{CannedMessage: m, Form: cannedForm{form: newForm(s, f, key, "/admin/canned-messages/"+id, "Save"),
			Visibilities: vis, Shortcut: f.value(key, "shortcut", m.Shortcut), Text: f.value(key, "text", m.Text),
			Visibility: f.value(key, "visibility", m.Visibility)}})
	}
	return d, nil
}

func (p *Pages) createCanned(w http.ResponseWriter, r *http.Request, s session) {
	_, err := p.svc.CreateCannedMessage(r.Context(), s.actor, service.NewCannedMessage{
		Shortcut: r.PostFormValue("shortcut"), Text: r.PostFormValue("text"), Visibility: r.PostFormValue("visibility")})
	p.afterAdmin(w, r, s, p.cannedPage(), "new", err)
}

// updateCanned is an edit (shortcut, text, visibility) or an activation
// or deactivation (the active button), as the form sent says.
func (p *Pages) updateCanned(w http.ResponseWriter, r *http.Request, s session) {
	id, err := pathID(r)
	if err != nil {
		p.afterAdmin(w, r, s, p.cannedPage(), "", err)
		return
	}
	var c service.CannedMessageChange
	key := ""
	if v, ok := r.PostForm["active"]; ok {
		on := v[0] == "true"
		c.Active = &on
	} else {
		shortcut, text, vis := r.PostFormValue("shortcut"), r.PostFormValue("text"), r.PostFormValue("visibility")
		c.Shortcut, c.Text, c.Visibility = &shortcut, &text, &vis
		key = "canned:" + strconv.FormatInt(id, 10)
	}
	_, err = p.svc.UpdateCannedMessage(r.Context(), s.actor, id, c)
	p.afterAdmin(w, r, s, p.cannedPage(), key, err)
}
