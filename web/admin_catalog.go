package web

import (
	"context"
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
	create func(context.Context, *service.Actor, service.NewNamed) error
	update func(context.Context, *service.Actor, int64, service.NamedChange) error
	delete func(context.Context, *service.Actor, int64) error
}

// actionsOf are the service's calls for a kind whose entries are T; the
// pages answer with the list, not with the entry.
func actionsOf[T any](create func(context.Context, *service.Actor, service.NewNamed) (T, error),
	update func(context.Context, *service.Actor, int64, service.NamedChange) (T, error),
	del func(context.Context, *service.Actor, int64) error) namedActions {
	return namedActions{
		create: func(ctx context.Context, a *service.Actor, n service.NewNamed) error {
			_, err := create(ctx, a, n)
			return err
		},
		update: func(ctx context.Context, a *service.Actor, id int64, c service.NamedChange) error {
			_, err := update(ctx, a, id, c)
			return err
		},
		delete: del,
	}
}

func (p *Pages) routesAdminCatalog(mux *http.ServeMux) {
	p.parseAdmin("admin-named")
	p.parseAdmin("admin-canned")
	p.routesNamed(mux, p.pauseReasonsPage(), "reason:", actionsOf(p.svc.CreatePauseReason, p.svc.UpdatePauseReason, p.svc.DeletePauseReason))
	p.routesNamed(mux, p.tagsPage(), "tag:", actionsOf(p.svc.CreateTag, p.svc.UpdateTag, p.svc.DeleteTag))
	p.routesAdminCanned(mux)
}

// routesNamed serves one page of named entries: the list, and creating,
// changing and deleting one.
func (p *Pages) routesNamed(mux *http.ServeMux, page adminPage, keyPrefix string, do namedActions) {
	mux.Handle("GET "+page.path, p.page(page))
	mux.Handle("POST "+page.path, p.admin(page.need, func(w http.ResponseWriter, r *http.Request, s session) {
		p.afterAdmin(w, r, s, page, "new", do.create(r.Context(), s.actor, service.NewNamed{Name: r.PostFormValue("name")}))
	}))
	mux.Handle("POST "+page.path+"/{id}", p.admin(page.need, func(w http.ResponseWriter, r *http.Request, s session) {
		id, c, key, err := namedChange(r, keyPrefix)
		if err == nil {
			err = do.update(r.Context(), s.actor, id, c)
		}
		p.afterAdmin(w, r, s, page, key, err)
	}))
	noun := strings.ToLower(strings.TrimSuffix(page.title, "s"))
	mux.Handle("POST "+page.path+"/{id}/delete", p.admin(page.need, p.confirmFirst(page.path, named(noun), func(w http.ResponseWriter, r *http.Request, s session) {
		id, err := pathID(r)
		if err == nil {
			err = do.delete(r.Context(), s.actor, id)
		}
		p.afterAdmin(w, r, s, page, "", err)
	})))
}

// namedChange reads a rename (the form's name field) or an enable or
// disable (its enabled button), never both from one form; a rename
// refused is drawn again in its row's form, a toggle refused above the
// page.
func namedChange(r *http.Request, keyPrefix string) (int64, service.NamedChange, string, error) {
	var c service.NamedChange
	id, err := pathID(r)
	if err != nil {
		return 0, c, "", err
	}
	if v, ok := r.PostForm["enabled"]; ok {
		on := v[0] == "true"
		c.Enabled = &on
		return id, c, "", nil
	}
	name := r.PostFormValue("name")
	c.Name = &name
	return id, c, keyPrefix + strconv.FormatInt(id, 10), nil
}

// namedPage is a page of named entries of one kind: its rows' forms are
// drawn from the form state, each under keyPrefix and its id.
func namedPage(s session, f formState, noun, path, keyPrefix, about string, rows []namedRow) namedData {
	d := namedData{Noun: noun, Path: path, CSRF: s.csrf(), About: about,
		New: nameForm{form: newForm(s, f, "new", path, "Create "+noun), Name: f.value("new", "name", "")}}
	for _, row := range rows {
		id := strconv.FormatInt(row.ID, 10)
		row.Form = nameForm{form: newForm(s, f, keyPrefix+id, path+"/"+id, "Rename"), Name: f.value(keyPrefix+id, "name", row.Name)}
		d.Entries = append(d.Entries, row)
	}
	return d
}

func (p *Pages) pauseReasonsData(r *http.Request, s session, f formState) (any, error) {
	list, err := p.svc.PauseReasons(r.Context(), s.actor)
	if err != nil {
		return nil, err
	}
	rows := make([]namedRow, 0, len(list))
	for _, pr := range list {
		rows = append(rows, namedRow{ID: pr.ID, Name: pr.Name, Enabled: pr.Enabled, Number: pr.Number, Source: pr.Source, CreatedBy: pr.CreatedBy})
	}
	return namedPage(s, f, "pause reason", "/admin/pause-reasons", "reason:",
		"In the order agents dial them: *52N pauses with the N-th enabled reason. Reasons of the configuration file are renamed and deleted there; whether they are enabled is decided here.", rows), nil
}

func (p *Pages) tagsData(r *http.Request, s session, f formState) (any, error) {
	list, err := p.svc.Tags(r.Context(), s.actor)
	if err != nil {
		return nil, err
	}
	rows := make([]namedRow, 0, len(list))
	for _, t := range list {
		rows = append(rows, namedRow{ID: t.ID, Name: t.Name, Enabled: t.Enabled, CreatedBy: t.CreatedBy})
	}
	return namedPage(s, f, "tag", "/admin/tags", "tag:", "Labels agents put on interactions; a disabled tag is kept but not offered.", rows), nil
}
