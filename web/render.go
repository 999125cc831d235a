package web

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/acdserver/acd/directory"
	"github.com/acdserver/acd/service"
)

// view is what the layout needs around a page's own data.
type view struct {
	Title string
	// Session is empty on the sign-in page.
	Session session
	// Live names the live view the page subscribes to, with its query
	// (for example "agent" or "queue&queue=support"); empty for none.
	Live string
	// After is the log position the page was drawn at: the live stream
	// resumes from it.
	After int64
	// Error is a refusal to show above the page, as text.
	Error string
	// Notice is a confirmation to show above the page.
	Notice string
	// ReadOnly draws the page's forms disabled: a section the user may
	// read but not change.
	ReadOnly bool
	Data     any
}

// User is the signed-in user, nil on the sign-in page.
func (v view) User() *service.Actor { return v.Session.actor }

// CSRF is the token the page's forms carry.
func (v view) CSRF() string {
	if v.Session.secret == "" {
		return ""
	}
	return v.Session.csrf()
}

// Nav is the menu for the signed-in user: only the consoles its role may
// use, and the administration for anyone with a section of it.
func (v view) Nav() []navItem {
	a := v.Session.actor
	if a == nil {
		return nil
	}
	var items []navItem
	switch a.Role {
	case directory.Agent:
		items = append(items, navItem{"/agent", "My status"})
	case directory.Supervisor, directory.Administrator:
		items = append(items, navItem{"/supervisor", "Queues"}, navItem{"/wallboard", "Wallboard"}, navItem{"/reports", "Reports"})
	}
	if mayHearRecordings(a) {
		items = append(items, navItem{"/recordings", "Recordings"})
	}
	if len(sectionsFor(a)) > 0 {
		items = append(items, navItem{"/admin", "Administration"})
	}
	return items
}

// AdminMenu is the administration sections the signed-in user may use.
func (v view) AdminMenu() []adminSection { return sectionsFor(v.Session.actor) }

type navItem struct{ Href, Label string }

var funcs = template.FuncMap{
	"rfc3339":    func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"clock":      func(t time.Time) string { return t.Local().Format("15:04:05") },
	"since":      func(t time.Time) string { return elapsed(time.Since(t)) },
	"past":       func(t time.Time) bool { return time.Now().After(t) },
	"seconds":    func(s int64) string { return elapsed(time.Duration(s) * time.Second) },
	"secs":       func(s float64) string { return elapsed(secondsDuration(s)) },
	"pct":        pct,
	"optsecs":    secs,
	"share":      func(v float64) string { return fmt.Sprintf("%.0f %%", v*100) },
	"has":        func(list []string, v string) bool { return slices.Contains(list, v) },
	"join":       strings.Join,
	"state":      stateName,
	"stateTitle": func(s string) string { return capital(stateName(s)) },
	"title": func(s string) string {
		if s == "" {
			return s
		}
		return strings.ToUpper(s[:1]) + strings.ReplaceAll(s[1:], "-", " ")
	},
}

// stateName is what an agent's state (or its state in a queue) is called
// on the supervisor's pages: one name for the list of agents and for the
// counters beside it.
func stateName(state string) string {
	switch state {
	case "offered":
		return "ringing"
	case "on-call":
		return "on call"
	case "wrap-up":
		return "in wrap-up"
	case "logged-out":
		return "logged out"
	}
	return state // ready, paused, unreachable
}

// capital is s with its first letter a capital.
func capital(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func secondsDuration(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// elapsed is a duration as a wallboard shows it: 4:05, 1:02:03.
func elapsed(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int(d / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// parse reads a page's template with the layout; pages are parsed once,
// at Mount, so that a broken template fails at start, not at a click.
//
// The live stream's fragments leave the times that tick (time in state,
// time waited) empty, for the page's script fills them as it swaps them
// in: a fragment then reads the same from one redraw to the next until
// what it shows changes, and the stream sends only the fragments that
// did (see sendParts).
func (p *Pages) parse(name string) { p.parseWith(name) }

// parseWith is parse with templates shared by several pages.
func (p *Pages) parseWith(name string, shared ...string) {
	files := append([]string{"templates/layout.html", "templates/" + name + ".html"}, shared...)
	t := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, files...))
	// Cloned before either is executed, which html/template requires.
	live := template.Must(t.Clone()).Funcs(template.FuncMap{"since": func(time.Time) string { return "" }})
	p.pages[name], p.livePages[name] = t, live
}

// render writes a whole page; it is drawn into a buffer first so that a
// template failure becomes a clean 500, not half a page.
func (p *Pages) render(w http.ResponseWriter, r *http.Request, status int, name string, v view) {
	t, ok := p.pages[name]
	if !ok {
		p.log.Error("no such console page", "page", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", v); err != nil {
		p.log.Error("drawing a console page", "page", name, "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// fragment draws one named part of a page, for the live stream.
func (p *Pages) fragment(name, part string, data any) (string, error) {
	var buf bytes.Buffer
	if err := p.livePages[name].ExecuteTemplate(&buf, part, data); err != nil {
		return "", fmt.Errorf("drawing %s of page %s: %w", part, name, err)
	}
	return buf.String(), nil
}

// statusOf maps a service refusal to its HTTP status and the sentence the
// page shows; anything else is the server's failure, logged.
func (p *Pages) statusOf(r *http.Request, err error) (int, string) {
	var se *service.Error
	if !errors.As(err, &se) {
		p.log.Error("console request failed", "path", r.URL.Path, "error", err)
		return http.StatusInternalServerError, "The server failed to do that; its log says why."
	}
	switch se.Kind {
	case service.Invalid:
		return http.StatusUnprocessableEntity, se.Error()
	case service.Unauthenticated:
		return http.StatusUnauthorized, se.Msg
	case service.Forbidden:
		return http.StatusForbidden, se.Msg
	case service.NotFound:
		return http.StatusNotFound, se.Msg
	case service.Conflict:
		return http.StatusConflict, se.Msg
	case service.Throttled:
		return http.StatusTooManyRequests, se.Msg
	}
	return http.StatusBadRequest, se.Error()
}

// fail shows a page the user may not or cannot see.
func (p *Pages) fail(w http.ResponseWriter, r *http.Request, s session, err error) {
	status, msg := p.statusOf(r, err)
	p.render(w, r, status, "error", view{Title: http.StatusText(status), Session: s, Error: msg})
}

// position is the log position a page is drawn at.
func (p *Pages) position(r *http.Request) int64 {
	seq, err := p.svc.Position(r.Context())
	if err != nil {
		p.log.Warn("reading the event log position for a console page", "error", err)
	}
	return seq
}
