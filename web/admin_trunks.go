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
	ID, Address, Transport, Username, InboundFrom string
	Register                                      bool
	Registrar, RegisterExpires, ContactUser       string
	CallerNumber, CallerName, SRTP                string
	Transports, SRTPs                             []string
}

// trunkFormOf fills a trunk's form from the trunk, or from what was
// typed when this form was refused.
func trunkFormOf(f formState, fm form, t service.TrunkView) trunkForm {
	k := fm.Key
	var number, name string
	if c := t.CallerID; c != nil {
		number, name = c.Number, c.Name
	}
	return trunkForm{form: fm, ID: t.ID, Transports: []string{"", "udp", "tcp", "tls"}, SRTPs: []string{"", "off", "optional", "required"},
		Address: f.value(k, "address", t.Address), Transport: f.value(k, "transport", t.Transport),
		Username: f.value(k, "username", t.Username), InboundFrom: f.value(k, "inbound_from", strings.Join(t.InboundFrom, " ")),
		Register: f.checked(k, "register", "on", t.Register), Registrar: f.value(k, "registrar", t.Registrar),
		RegisterExpires: f.value(k, "register_expires", t.RegisterExpires), ContactUser: f.value(k, "contact_user", t.ContactUser),
		CallerNumber: f.value(k, "caller_id.number", number), CallerName: f.value(k, "caller_id.name", name),
		SRTP: f.value(k, "srtp", t.SRTP)}
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
	mux.Handle("POST /admin/trunks/{id}/delete", p.admin(pg.need, p.confirmFirst(pg.path, named("trunk"), p.deleteTrunk)))
}

func (p *Pages) trunksData(r *http.Request, s session, f formState) (any, error) {
	list, err := p.svc.Trunks(s.actor)
	if err != nil {
		return nil, err
	}
	d := trunksData{New: trunkFormOf(f, newForm(s, f, "new", "/admin/trunks", "Create trunk"), service.TrunkView{})}
	d.New.ID = f.value("new", "id", "")
	for _, t := range list {
		key := "trunk:" + t.ID
		d.Trunks = append(d.Trunks, trunkRow{TrunkView: t, Editable: t.Source == "database",
			Form: trunkFormOf(f, newForm(s, f, key, "/admin/trunks/"+t.ID, "Save "+t.ID), t)})
	}
	return d, nil
}

// putTrunk creates or replaces a trunk; an empty password field keeps the
// password a replaced trunk had. The prefixes calls come from are typed
// separated by spaces or commas.
func (p *Pages) putTrunk(w http.ResponseWriter, r *http.Request, s session, create bool) {
	field := func(name string) string { return strings.TrimSpace(r.PostFormValue(name)) }
	spec := service.TrunkSpec{ID: r.PathValue("id"), Address: field("address"), Transport: field("transport"), Username: field("username"),
		Password:    r.PostFormValue("password"),
		InboundFrom: strings.FieldsFunc(r.PostFormValue("inbound_from"), func(c rune) bool { return c == ',' || c == ' ' || c == '\n' || c == '\r' || c == '\t' }),
		Register:    ticked(r, "register"), Registrar: field("registrar"), RegisterExpires: field("register_expires"),
		ContactUser: field("contact_user"), SRTP: field("srtp")}
	if number, name := field("caller_id.number"), field("caller_id.name"); number != "" || name != "" {
		spec.CallerID = &service.TrunkCallerID{Number: number, Name: name}
	}
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
