package web

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/acdserver/acd/service"
)

// routesAdmin serves the administration console: an index and one page
// per section, each a table of what exists with plain forms to create,
// change and delete. The service decides who may use a section (its
// capability) and what each change may do; a refusal is drawn again on
// its page with its status and with what the user typed still in the
// form.
func (p *Pages) routesAdmin(mux *http.ServeMux) {
	p.parseAdmin("admin")
	p.parseAdmin("confirm")
	mux.Handle("GET /admin", p.signedIn(p.adminIndex))
	p.routesAdminUsers(mux)
	p.routesAdminPermissions(mux)
	p.routesAdminSettings(mux)
	p.routesAdminQueues(mux)
	p.routesAdminAgents(mux)
	p.routesAdminTrunks(mux)
	p.routesAdminCatalog(mux)
	p.routesDialplans(mux)
	p.routesAdminRecorded(mux)
	p.routesAdminFile(mux)
}

// parseAdmin reads an administration page with the layout and the
// blocks every administration page shares (its section menu, the
// refusal beside a form).
func (p *Pages) parseAdmin(name string, shared ...string) {
	t := template.New("layout.html").Funcs(funcs)
	files := []string{"templates/layout.html", "templates/admin-shared.html", "templates/" + name + ".html"}
	for _, f := range shared {
		files = append(files, "templates/"+f+".html")
	}
	p.pages[name] = template.Must(t.ParseFS(templateFiles, files...))
}

// admin is a page or action of one section of the administration
// console: open to those the service gives the section's capability.
// What each action may then do is still the service's to decide.
func (p *Pages) admin(need service.Capability, next handlerFunc) http.Handler {
	return p.signedIn(func(w http.ResponseWriter, r *http.Request, s session) {
		if err := service.Authorize(s.actor, need); err != nil {
			p.fail(w, r, s, err)
			return
		}
		next(w, r, s)
	})
}

// adminView is a page of a section, open to those the service lets
// read it (Sees): read-only, its forms disabled, for those who may not
// change it, whose POSTs p.admin refuses.
func (p *Pages) adminView(need service.Capability, next handlerFunc) http.Handler {
	return p.signedIn(func(w http.ResponseWriter, r *http.Request, s session) {
		if err := service.AuthorizeView(s.actor, need); err != nil {
			p.fail(w, r, s, err)
			return
		}
		next(w, r, s)
	})
}

// readOnly is the notice of a section the user may read but not change.
func readOnly(s session, need service.Capability) (bool, string) {
	if s.actor.May(need) {
		return false, ""
	}
	return true, "Read only: you may look at this part of the configuration; changing it takes an administrator, or the permission to manage it."
}

// adminIndex lists the sections the user may use; it is refused to a
// user with none.
func (p *Pages) adminIndex(w http.ResponseWriter, r *http.Request, s session) {
	if err := service.AuthorizeAny(s.actor); err != nil {
		p.fail(w, r, s, err)
		return
	}
	p.render(w, r, http.StatusOK, "admin", view{Title: "Administration", Session: s, Data: sectionsFor(s.actor)})
}

// adminSection is an entry of the console's index and section menu, with
// the capability a user needs to see it.
type adminSection struct {
	Href, Label, Menu, About string
	need                     service.Capability
}

func adminSections() []adminSection {
	return []adminSection{
		{"/admin/users", "Users and roles", "Users", "who signs in, with which role and queues", service.ManageUsers},
		{"/admin/permissions", "Permissions", "Permissions", "what supervisors and agents may do beyond their role", service.ManagePermissions},
		{"/admin/settings", "Organisation", "Organisation", "whether agents may log in to queues they are not assigned to", service.ManageSettings},
		{"/admin/queues", "Queues", "Queues", "call queues, their extensions and settings", service.ChangeQueues},
		{"/admin/agents", "Agents", "Agents", "the agents whose phones take calls, and their queues", service.ManageAgents},
		{"/admin/trunks", "Trunks", "Trunks", "SIP trunks to carriers", service.ManageTrunks},
		{"/admin/pause-reasons", "Pause reasons", "Pause reasons", "what agents pause with (*52N)", service.ManagePauseReasons},
		{"/admin/tags", "Tags", "Tags", "labels for interactions", service.ManageTags},
		{"/admin/canned-messages", "Canned messages", "Canned messages", "prepared answers sent by their shortcut", service.ManagePublicCanned},
		{"/admin/dialplans", "Dial plans", "Dial plans", "what callers hear and where they go, with the numbers routed to them", service.ManageDialplans},
		{"/admin/recorded-messages", "Recorded messages", "Recorded messages", "messages dial plans play by name, uploaded or recorded by phone (*97N)", service.ManageRecorded},
	}
}

// sectionsFor is the sections the actor may use or read, as the
// service's capabilities say: none for a user with nothing to
// administer or look at.
func sectionsFor(a *service.Actor) []adminSection {
	var out []adminSection
	for _, sec := range adminSections() {
		if a.Sees(sec.need) {
			out = append(out, sec)
		}
	}
	return out
}

// adminPage is one section: its template, title and address, the
// capability it takes, and how to read what its page shows.
type adminPage struct {
	name, title, path string
	need              service.Capability
	data              func(r *http.Request, s session, f formState) (any, error)
}

// formState is the form a refusal came from, what was typed in it and
// the refusal, so that the page draws that form again as the user left
// it, the refusal beside it.
type formState struct {
	Form  string // "new", or the key of the row whose form was sent; "" for none
	Typed url.Values
	Field string // the field the service named, if any
	Msg   string
}

// For is the refusal of the form named, if it was that form's.
func (f formState) For(form string) string {
	if f.Form != form || f.Form == "" {
		return ""
	}
	return f.Msg
}

// Invalid says whether a field of the form named is the one at fault.
func (f formState) Invalid(form, field string) bool {
	return f.Form != "" && f.Form == form && f.Field == field
}

// value is what a field shows: what was typed, when its form was refused,
// else the current value.
func (f formState) value(form, field, current string) string {
	if f.Form != "" && f.Form == form {
		return f.Typed.Get(field)
	}
	return current
}

// checked is whether a checkbox shows ticked, as value does.
func (f formState) checked(form, field, value string, current bool) bool {
	if f.Form != "" && f.Form == form {
		return slices.Contains(f.Typed[field], value)
	}
	return current
}

// choices is the set of values ticked among a field's checkboxes, as
// value does.
func (f formState) choices(form, field string, current []string) map[string]bool {
	if f.Form != "" && f.Form == form {
		current = f.Typed[field]
	}
	m := map[string]bool{}
	for _, c := range current {
		m[c] = true
	}
	return m
}

// form is what every form of a section carries besides its fields: where
// it posts, its button, the CSRF token, and the refusal if it is the form
// refused.
type form struct {
	Key, Action, Label, CSRF string
	Problem                  formState
}

func (f form) Error() string         { return f.Problem.For(f.Key) }
func (f form) Bad(field string) bool { return f.Problem.Invalid(f.Key, field) }
func (f form) New() bool             { return f.Key == "new" }

// Beside is the form's refusal when it names field, for a form that
// draws it beside that field.
func (f form) Beside(field string) string {
	if !f.Bad(field) {
		return ""
	}
	return f.Error()
}
func newForm(s session, fs formState, key, action, label string) form {
	return form{Key: key, Action: action, Label: label, CSRF: s.csrf(), Problem: fs}
}

func (p *Pages) showAdmin(w http.ResponseWriter, r *http.Request, s session, pg adminPage, status int, f formState) {
	d, err := pg.data(r, s, f)
	if err != nil {
		p.fail(w, r, s, err)
		return
	}
	v := view{Title: pg.title, Session: s, Data: d}
	v.ReadOnly, v.Notice = readOnly(s, pg.need)
	if v.Notice == "" {
		v.Notice = doneNotice(r)
	}
	if f.Form == "" {
		v.Error = f.Msg
	}
	p.render(w, r, status, pg.name, v)
}

// page serves a section's page, read-only to those who may not change
// the section, with the confirmation of the change that led to it.
func (p *Pages) page(pg adminPage) http.Handler {
	return p.adminView(pg.need, func(w http.ResponseWriter, r *http.Request, s session) {
		p.showAdmin(w, r, s, pg, http.StatusOK, formState{})
	})
}

// afterAdmin ends an action: after a change, a redirect to the section
// (so that reloading does not repeat it); after a refusal, the section
// again with the refusal and its status, beside the form it came from.
func (p *Pages) afterAdmin(w http.ResponseWriter, r *http.Request, s session, pg adminPage, form string, err error) {
	if err == nil {
		done := "saved"
		if strings.HasSuffix(r.URL.Path, "/delete") {
			done = "deleted"
		}
		http.Redirect(w, r, pg.path+"?done="+done, http.StatusSeeOther)
		return
	}
	status, msg := p.statusOf(r, err)
	f := formState{Form: form, Typed: r.PostForm, Msg: msg}
	var se *service.Error
	// "body" is the whole form (a configuration that does not validate
	// with it): its messages say what is wrong where.
	if errors.As(err, &se) && se.Field == "body" {
		f.Msg = se.Msg
	} else if errors.As(err, &se) && se.Field != "" {
		f.Field, f.Msg = se.Field, se.Error()
	}
	p.showAdmin(w, r, s, pg, status, f)
}

// pathID is the numeric id of a pause reason, tag or canned message in
// the request's path.
func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return 0, service.InvalidField("id", "want a number")
	}
	return id, nil
}

// number reads a whole-number field; empty is zero, the setting's default.
func number(r *http.Request, field string) (int, error) {
	v := r.PostFormValue(field)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, service.InvalidField(field, "want a whole number")
	}
	return n, nil
}

// ticked is whether a checkbox was sent ticked.
func ticked(r *http.Request, field string) bool { return r.PostFormValue(field) != "" }
