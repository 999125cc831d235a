package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/acdserver/acd/service"
)

// namedData is a page of named entries that are created, renamed,
// enabled, disabled and deleted: pause reasons and tags share it.
type namedData struct {
	Noun, Path string // "pause reason", "/admin/pause-reasons"
	Entries    []namedRow
	New        nameForm
	CSRF       string
	// About explains the list's order or use.
	About string
}

type namedRow struct {
	ID      int64
	Name    string
	Enabled bool
	// Number is the N of *52N for an enabled pause reason.
	Number int
	// Source is the file's FILE:LINE for a pause reason the file owns:
	// renamed and deleted there, only enabled or disabled here.
	Source    string
	CreatedBy string
	Form      nameForm
}

type nameForm struct {
	form
	Name string
}

func (p *Pages) pauseReasonsPage() adminPage {
	return adminPage{name: "admin-named", title: "Pause reasons", path: "/admin/pause-reasons", need: service.ManagePauseReasons, data: p.pauseReasonsData}
}

func (p *Pages) tagsPage() adminPage {
	return adminPage{name: "admin-named", title: "Tags", path: "/admin/tags", need: service.ManageTags, data: p.tagsData}
}

// namedActions are the service's calls for one kind of named entry.
type namedActions struct {
	create func(r *http.Request, s session, name string) error
	update func(r *http.Request, s session, id int64, e namedEdit) error
	delete func(r *http.Request, s session, id int64) error
}

func (p *Pages) routesAdminCatalog(mux *http.ServeMux) {
	p.parseAdmin("admin-named")
	p.parseAdmin("admin-canned")
	p.routesNamed(mux, p.pauseReasonsPage(), "reason:", namedActions{
		create: func(r *http.Request, s session, name string) error {
			_, err := p.svc.CreatePauseReason(r.Context(), s.actor, service.NewPauseReason{Name: name})
			return err
		},
		update: func(r *http.Request, s session, id int64, e namedEdit) error {
			_, err := p.svc.UpdatePauseReason(r.Context(), s.actor, id, service.PauseReasonChange{Name: e.name, Enabled: e.enabled})
			return err
		},
		delete: func(r *http.Request, s session, id int64) error {
			return p.svc.DeletePauseReason(r.Context(), s.actor, id)
		},
	})
	p.routesNamed(mux, p.tagsPage(), "tag:", namedActions{
		create: func(r *http.Request, s session, name string) error {
			_, err := p.svc.CreateTag(r.Context(), s.actor, service.NewTag{Name: name})
			return err
		},
		update: func(r *http.Request, s session, id int64, e namedEdit) error {
			_, err := p.svc.UpdateTag(r.Context(), s.actor, id, service.TagChange{Name: e.name, Enabled: e.enabled})
			return err
		},
		delete: func(r *http.Request, s session, id int64) error { return p.svc.DeleteTag(r.Context(), s.actor, id) },
	})
	p.routesAdminCanned(mux)
}

// routesNamed serves one page of named entries: the list, and creating,
// changing and deleting one.
func (p *Pages) routesNamed(mux *http.ServeMux, page adminPage, keyPrefix string, do namedActions) {
	mux.Handle("GET "+page.path, p.page(page))
	mux.Handle("POST "+page.path, p.admin(page.need, func(w http.ResponseWriter, r *http.Request, s session) {
		p.afterAdmin(w, r, s, page, "new", do.create(r, s, r.PostFormValue("name")))
	}))
	mux.Handle("POST "+page.path+"/{id}", p.admin(page.need, func(w http.ResponseWriter, r *http.Request, s session) {
		c, key, err := namedChange(r, keyPrefix)
		if err == nil {
			err = do.update(r, s, c.id, c)
		}
		p.afterAdmin(w, r, s, page, key, err)
	}))
	noun := strings.ToLower(strings.TrimSuffix(page.title, "s"))
	mux.Handle("POST "+page.path+"/{id}/delete", p.admin(page.need, p.confirmFirst(page.path, named(noun), func(w http.ResponseWriter, r *http.Request, s session) {
		id, err := pathID(r)
		if err == nil {
			err = do.delete(r, s, id)
		}
		p.afterAdmin(w, r, s, page, "", err)
	})))
}

// namedEdit is a rename (the form's name field) or an enable or disable
// (its enabled button), never both from one form.
type namedEdit struct {
	id      int64
	name    *string
	enabled *bool
}

// namedChange reads a rename or an enable/disable; a rename refused is
// drawn again in its row's form, a toggle refused above the page.
func namedChange(r *http.Request, keyPrefix string) (namedEdit, string, error) {
	id, err := pathID(r)
	if err != nil {
		return namedEdit{}, "", err
	}
	c := namedEdit{id: id}
	if v, ok := r.PostForm["enabled"]; ok {
		on := v[0] == "true"
		c.enabled = &on
		return c, "", nil
	}
	name := r.PostFormValue("name")
	c.name = &name
	return c, keyPrefix + strconv.FormatInt(id, 10), nil
}

func (p *Pages) pauseReasonsData(r *http.Request, s session, f formState) (any, error) {
	list, err := p.svc.PauseReasons(r.Context(), s.actor)
	if err != nil {
		return nil, err
	}
	d := namedData{Noun: "pause reason", Path: "/admin/pause-reasons", CSRF: s.csrf(),
		About: "In the order agents dial them: *52N pauses with the N-th enabled reason. Reasons of the configuration file are renamed and deleted there; whether they are enabled is decided here.",
		New:   nameForm{form: newForm(s, f, "new", "/admin/pause-reasons", "Create pause reason"), Name: f.value("new", "name", "")}}
	for _, pr := range list {
		key := "reason:" + strconv.FormatInt(pr.ID, 10)
		row := namedRow{ID: pr.ID, Name: pr.Name, Enabled: pr.Enabled, Number: pr.Number, Source: pr.Source, CreatedBy: pr.CreatedBy,
			Form: nameForm{form: newForm(s, f, key, "/admin/pause-reasons/"+strconv.FormatInt(pr.ID, 10), "Rename"), Name: f.value(key, "name", pr.Name)}}
		d.Entries = append(d.Entries, row)
	}
	return d, nil
}

func (p *Pages) tagsData(r *http.Request, s session, f formState) (any, error) {
	list, err := p.svc.Tags(r.Context(), s.actor)
	if err != nil {
		return nil, err
	}
	d := namedData{Noun: "tag", Path: "/admin/tags", CSRF: s.csrf(),
		About: "Labels agents put on interactions; a disabled tag is kept but not offered.",
		New:   nameForm{form: newForm(s, f, "new", "/admin/tags", "Create tag"), Name: f.value("new", "name", "")}}
	for _, t := range list {
		key := "tag:" + strconv.FormatInt(t.ID, 10)
		d.Entries = append(d.Entries, namedRow{ID: t.ID, Name: t.Name, Enabled: t.Enabled, CreatedBy: t.CreatedBy,
			Form: nameForm{form: newForm(s, f, key, "/admin/tags/"+strconv.FormatInt(t.ID, 10), "Rename"), Name: f.value(key, "name", t.Name)}})
	}
	return d, nil
}
