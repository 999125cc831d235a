// Package web serves the browser consoles: server-rendered pages for
// agents, supervisors and administrators over the service layer, kept
// live by server-sent events. Everything it serves is embedded in the
// binary; nothing is built or fetched.
package web

import (
	"context"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"

	"github.com/acdserver/acd/service"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// Options are what the pages need besides the service.
type Options struct {
	Version string
	Log     *slog.Logger
	// Streams ends every live stream when it is done (at shutdown).
	Streams context.Context
	// Reports feeds the report pages; nil reads them from the service.
	Reports ReportSource
}

// Pages is the web console.
type Pages struct {
	svc       *service.Service
	log       *slog.Logger
	version   string
	streams   context.Context
	pages     map[string]*template.Template // by page name, each with the layout
	livePages map[string]*template.Template // the same, drawing fragments for the live stream: see parse
	reports   ReportSource
	// views are the live views a page subscribes to, by name: each
	// renders the page's live fragments afresh.
	views map[string]liveView
	// together draws shared views once for all their pages.
	together together
}

// Mount serves the consoles on mux, beside the API.
func Mount(mux *http.ServeMux, svc *service.Service, o Options) *Pages {
	p := &Pages{svc: svc, log: o.Log, version: o.Version, streams: o.Streams, pages: map[string]*template.Template{}, livePages: map[string]*template.Template{}, views: map[string]liveView{}, reports: o.Reports}
	p.together.mark = newCSRFMark()
	if p.streams == nil {
		p.streams = context.Background()
	}
	if p.reports == nil && svc != nil {
		p.reports = serviceReports{svc}
	}
	static, _ := fs.Sub(staticFiles, "static")
	mux.Handle("GET /static/", p.secured(http.StripPrefix("/static/", staticHandler(static))))
	mux.Handle("GET /{$}", p.secured(http.HandlerFunc(p.home)))
	mux.Handle("GET /login", p.secured(http.HandlerFunc(p.loginForm)))
	mux.Handle("POST /login", p.secured(http.HandlerFunc(p.login)))
	mux.Handle("POST /logout", p.signedIn(p.logout))
	mux.Handle("GET /live", p.signedIn(p.live))
	p.parse("login")
	p.routesSetup(mux)
	p.parse("error")
	p.routesAgent(mux)
	p.routesSupervisor(mux)
	p.routesAdmin(mux)
	p.routesReports(mux)
	p.routesRecordings(mux)
	return p
}

// staticHandler serves the embedded files; they change only with the
// binary, so browsers may keep them for an hour.
func staticHandler(files fs.FS) http.Handler {
	fileServer := http.FileServerFS(files)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Directories are not listed: the files are named by the pages.
		name := strings.TrimSuffix(r.URL.Path, "/")
		if st, err := fs.Stat(files, name); r.URL.Path == "VENDOR" || name == "" || err == nil && st.IsDir() {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fileServer.ServeHTTP(w, r)
	})
}
