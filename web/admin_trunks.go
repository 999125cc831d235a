package web

import (
	"net/http"
	"strings"

	"github.com/acdserver/acd/service"
)

// trunksData is the trunks page. A trunk's password is write-only: the
// page says whether it has one, never what it is.
type trunksData struct {
	Trunks []trunkRow
	New    trunkForm
}

type trunkRow struct {
	service.TrunkView
	Editable bool
	Form     trunkForm
}

type trunkForm struct {
	form
	ID, Address, Username, InboundFrom string
}

func (p *Pages) trunksPage() adminPage {
	return adminPage{name: "admin-trunks", title: "Trunks", path: "/admin/trunks", need: service.ManageTrunks, data: p.trunksData}
}

func (p *Pages) routesAdminTrunks(mux *http.ServeMux) {
	pg := p.trunksPage()
	p.parseAdmin("admin-trunks")
	mux.Handle("GET /admin/trunks", p.page(pg))
	mux.Handle("POST /admin/trunks", p.admin(pg.need, func(w http.ResponseWriter, r *http.Request, s session) { p.putTrunk(w, r, s, true) }))
	mux.Handle("POST /admin/trunks/{id}", p.admin(pg.need, func(w http.ResponseWriter, r *http.Request, s session) { p.putTrunk(w, r, s, false) }))
	mux.Handle("POST /admin/trunks/{id}/delete", p.admin(pg.need, p.deleteTrunk))
}

func (p *Pages) trunksData(r *http.Request, s session, f formState) (any, error) {
	list, err := p.svc.Trunks(s.actor)
	if err != nil {
		return nil, err
	}
	d := trunksData{New: trunkForm{form: newForm(s, f, "new", "/admin/trunks", "Create trunk"),
		ID: f.value("new", "id", ""), Address: f.value("new", "address", ""), Username: f.value("new", "username", ""),
		InboundFrom: f.value("new", "inbound_from", "")}}
	for _, t := range list {
		key := "trunk:" + t.ID
		d.Trunks = append(d.Trunks, trunkRow{TrunkView: t, Editable: t.Source == "database",
			Form: trunkForm{form: newForm(s, f, key, "/admin/trunks/"+t.ID, "Save "+t.ID), ID: t.ID,
				Address: f.value(key, "address", t.Address), Username: f.value(key, "username", t.Username),
				InboundFrom: f.value(key, "inbound_from", strings.Join(t.InboundFrom, " "))}})
	}
	return d, nil
}

// putTrunk creates or replaces a trunk; an empty password field keeps the
// password a replaced trunk had. The prefixes calls come from are typed
// separated by spaces or commas.
func (p *Pages) putTrunk(w http.ResponseWriter, r *http.Request, s session, create bool) {
	spec := service.TrunkSpec{ID: r.PathValue("id"), Address: r.PostFormValue("address"), Username: r.PostFormValue("username"),
		Password:    r.PostFormValue("password"),
		InboundFrom: strings.FieldsFunc(r.PostFormValue("inbound_from"), func(c rune) bool { return c == ',' || c == ' ' || c == '\n' || c == '\r' || c == '\t' })}
	key := "trunk:" + spec.ID
	if create {
		spec.ID, key = r.PostFormValue("id"), "new"
	}
	_, err := p.svc.PutTrunk(r.Context(), s.actor, spec, create)
	p.afterAdmin(w, r, s, p.trunksPage(), key, err)
}

func (p *Pages) deleteTrunk(w http.ResponseWriter, r *http.Request, s session) {
	err := p.svc.DeleteTrunk(r.Context(), s.actor, r.PathValue("id"))
	p.afterAdmin(w, r, s, p.trunksPage(), "", err)
}
