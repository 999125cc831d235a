package web

import (
	"net/http"

	"github.com/acdserver/acd/service"
)

// fileView is an object of the configuration file, read-only here.
type fileView struct {
	service.FileObject
	// Back is the section's list, Section its name.
	Back, Section string
}

// routesAdminFile serves the read-only pages of the file's agents and
// trunks, linked from their sections' lists; a queue's own page shows
// the file's queues the same way (showFileObject), and the file's dial
// plans have their editor page, read-only too.
func (p *Pages) routesAdminFile(mux *http.ServeMux) {
	p.parseAdmin("admin-file")
	for _, k := range []struct{ kind, path, section string }{
		{"agent", "/admin/agents", "Agents"},
		{"trunk", "/admin/trunks", "Trunks"},
	} {
		mux.Handle("GET "+k.path+"/{id}", p.signedIn(func(w http.ResponseWriter, r *http.Request, s session) {
			o, err := p.svc.FileObject(r.Context(), s.actor, k.kind, r.PathValue("id"))
			if err != nil {
				p.fail(w, r, s, err)
				return
			}
			p.showFileObject(w, r, s, o, k.path, k.section)
		}))
	}
}

// showFileObject draws an object of the configuration file read-only.
func (p *Pages) showFileObject(w http.ResponseWriter, r *http.Request, s session, o service.FileObject, back, section string) {
	p.render(w, r, http.StatusOK, "admin-file", view{Title: kindTitle(o.Kind) + " " + o.ID, Session: s,
		Data: fileView{FileObject: o, Back: back, Section: section}})
}

// kindTitle is a kind of object as a title begins with it.
func kindTitle(kind string) string {
	if kind == "" {
		return kind
	}
	return string(kind[0]-'a'+'A') + kind[1:]
}
