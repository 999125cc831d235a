package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/acdserver/acd/dialplan"
	"github.com/acdserver/acd/service"
)

// routesDialplans serves the dial plan editor, its graph and the
// simulator: a section of the administration like the others.
func (p *Pages) routesDialplans(mux *http.ServeMux) {
	p.parse("dialplans")
	p.parse("dialplan")
	need := service.ManageDialplans
	mux.Handle("GET /admin/dialplans", p.adminView(need, p.dialplansPage))
	mux.Handle("GET /admin/dialplans/{name}", p.adminView(need, p.dialplanPage))
	mux.Handle("POST /admin/dialplans/{name}", p.admin(need, p.dialplanSave))
	mux.Handle("POST /admin/dialplans/{name}/activate", p.admin(need, p.dialplanActivate))
	mux.Handle("POST /admin/numbers", p.admin(need, p.numberRoute))
	mux.Handle("GET /admin/simulate", p.adminView(need, p.simulatePage))
}

// starterPlan is what a new dial plan's editor holds: the shape of a
// plan, to change.
const starterPlan = `entry: welcome
nodes:
  welcome: {type: play, prompt: welcome, next: bye}
  bye: {type: hangup}
`

type dialplansView struct {
	Plans    []service.DialplanView
	Numbers  []service.NumberView
	CSRF     string
	Sim      simulation
	NewName  string
	NumberIn string
	PlanIn   string
}

// simulation is the simulator's form and, once run, its path.
type simulation struct {
	Number, Digits, At string
	Ran                bool
	Steps              []dialplan.Step
	Error              string
}

func (p *Pages) dialplansPage(w http.ResponseWriter, r *http.Request, s session) {
	if name := strings.TrimSpace(r.URL.Query().Get("new")); name != "" {
		http.Redirect(w, r, "/admin/dialplans/"+url.PathEscape(name), http.StatusSeeOther)
		return
	}
	p.showDialplans(w, r, s, http.StatusOK, "", dialplansView{})
}

func (p *Pages) showDialplans(w http.ResponseWriter, r *http.Request, s session, status int, refusal string, v dialplansView) {
	plans, err := p.svc.Dialplans(r.Context(), s.actor)
	if err != nil {
		p.fail(w, r, s, err)
		return
	}
	numbers, err := p.svc.Numbers(s.actor)
	if err != nil {
		p.fail(w, r, s, err)
		return
	}
	v.Plans, v.Numbers, v.CSRF = plans, numbers, s.csrf()
	notice := ""
	if n := r.URL.Query().Get("routed"); n != "" {
		notice = "Number " + n + " routed."
	}
	vw := view{Title: "Dial plans", Session: s, Error: refusal, Notice: notice, Data: v}
	if ro, why := readOnly(s, service.ManageDialplans); ro {
		vw.ReadOnly, vw.Notice = true, why
	}
	p.render(w, r, status, "dialplans", vw)
}

// numberRoute routes a number to a dial plan, or unroutes it.
func (p *Pages) numberRoute(w http.ResponseWriter, r *http.Request, s session) {
	number, plan := strings.TrimSpace(r.PostFormValue("number")), strings.TrimSpace(r.PostFormValue("dialplan"))
	var err error
	if r.PostFormValue("action") == "unroute" {
		err = p.svc.UnrouteNumber(r.Context(), s.actor, number)
	} else {
		_, err = p.svc.RouteNumber(r.Context(), s.actor, number, plan)
	}
	if err != nil {
		status, msg := p.statusOf(r, err)
		p.showDialplans(w, r, s, status, msg, dialplansView{NumberIn: number, PlanIn: plan})
		return
	}
	http.Redirect(w, r, "/admin/dialplans?routed="+url.QueryEscape(number), http.StatusSeeOther)
}

// simulatePage runs the simulator: a number, keys and a moment in, the
// path out. It reads only, so it is a GET that can be bookmarked.
func (p *Pages) simulatePage(w http.ResponseWriter, r *http.Request, s session) {
	q := r.URL.Query()
	sim := simulation{Number: strings.TrimSpace(q.Get("number")), Digits: strings.TrimSpace(q.Get("digits")), At: strings.TrimSpace(q.Get("at")), Ran: true}
	at := time.Now()
	status := http.StatusOK
	if sim.At != "" {
		t, err := parseMoment(sim.At)
		if err != nil {
			sim.Error = "at: want a moment like 2026-11-24T10:00 (this server's time zone) or 2026-11-24T10:00:00-05:00"
			status = http.StatusUnprocessableEntity
		}
		at = t
	}
	if sim.Error == "" {
		steps, err := p.svc.SimulateCall(r.Context(), s.actor, sim.Number, sim.Digits, at)
		sim.Steps = steps
		if err != nil {
			var se *service.Error
			if errors.As(err, &se) && se.Kind == service.Forbidden {
				p.fail(w, r, s, err)
				return
			}
			status, sim.Error = p.statusOf(r, err)
		}
	}
	p.showDialplans(w, r, s, status, "", dialplansView{Sim: sim})
}

// parseMoment reads the simulator's moment: a zone offset, or this
// server's local time.
func parseMoment(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.ParseInLocation("2006-01-02T15:04", s, time.Local)
}

// editorView is one dial plan in the editor.
type editorView struct {
	Name     string
	Text     string
	Source   string // FILE:LINE of a plan of the configuration file: read-only here
	Version  int
	Versions []service.PlanVersionView
	Numbers  []string
	New      bool
	// Lines are the text's lines with the problems found on each;
	// Elsewhere are problems of no line of it.
	Lines     []editorLine
	Elsewhere []string
	Checked   bool // checked, and no problem found
	Graph     drawing
	HasGraph  bool
	CSRF      string
}

type editorLine struct {
	N        int
	Text     string
	Problems []string
}

func (p *Pages) dialplanPage(w http.ResponseWriter, r *http.Request, s session) {
	name := r.PathValue("name")
	v := editorView{Name: name, CSRF: s.csrf()}
	d, err := p.svc.Dialplan(r.Context(), s.actor, name)
	var se *service.Error
	switch {
	case errors.As(err, &se) && se.Kind == service.NotFound:
		// A new plan: the name is checked when it is saved.
		v.New, v.Text = true, starterPlan
	case err != nil:
		p.fail(w, r, s, err)
		return
	default:
		v.Text, v.Version, v.Versions, v.Numbers = d.YAML, d.Version, d.Versions, d.Numbers
		if d.Source != "database" {
			v.Source = d.Source
		}
	}
	notice := ""
	if saved := r.URL.Query().Get("saved"); saved != "" {
		notice = "Saved as version " + saved + ", in force for new calls."
	}
	if restored, err := strconv.Atoi(r.URL.Query().Get("restored")); err == nil {
		notice = "Version " + strconv.Itoa(restored) + " is in force again, for new calls."
	}
	p.showEditor(w, r, s, http.StatusOK, "", notice, v, nil)
}

// dialplanActivate puts a kept version back in force, as the API's
// activate does.
func (p *Pages) dialplanActivate(w http.ResponseWriter, r *http.Request, s session) {
	name := r.PathValue("name")
	version, err := strconv.Atoi(r.PostFormValue("version"))
	if err != nil || version < 1 {
		err = service.InvalidField("version", "want a version number")
	} else {
		err = p.svc.ActivateDialplan(r.Context(), s.actor, name, version)
	}
	if err != nil {
		status, msg := p.statusOf(r, err)
		v := editorView{Name: name, CSRF: s.csrf()}
		d, derr := p.svc.Dialplan(r.Context(), s.actor, name)
		if derr != nil {
			p.fail(w, r, s, derr)
			return
		}
		v.Text, v.Version, v.Versions, v.Numbers = d.YAML, d.Version, d.Versions, d.Numbers
		p.showEditor(w, r, s, status, msg, "", v, nil)
		return
	}
	http.Redirect(w, r, "/admin/dialplans/"+url.PathEscape(name)+"?restored="+strconv.Itoa(version), http.StatusSeeOther)
}

// maxPlanText is the largest dial plan the editor takes: the API's cap
// on a request body, which holds the plan it uploads.
const maxPlanText = 64 << 10

// dialplanSave checks a draft, or saves it as a new version in force.
func (p *Pages) dialplanSave(w http.ResponseWriter, r *http.Request, s session) {
	name := r.PathValue("name")
	text := strings.ReplaceAll(r.PostFormValue("yaml"), "\r\n", "\n")
	if len(text) > maxPlanText {
		http.Error(w, "request body too large: a dial plan is at most "+strconv.Itoa(maxPlanText)+" bytes", http.StatusRequestEntityTooLarge)
		return
	}
	v := editorView{Name: name, Text: text, CSRF: s.csrf()}
	if d, err := p.svc.Dialplan(r.Context(), s.actor, name); err == nil {
		v.Version, v.Versions, v.Numbers = d.Version, d.Versions, d.Numbers
	} else {
		v.New = true
	}
	var err error
	if r.PostFormValue("action") == "check" {
		if err = p.svc.CheckDialplan(r.Context(), s.actor, name, text); err == nil {
			v.Checked = true
		}
	} else {
		var version int
		if version, err = p.svc.UploadDialplan(r.Context(), s.actor, name, text); err == nil {
			http.Redirect(w, r, "/admin/dialplans/"+url.PathEscape(name)+"?saved="+strconv.Itoa(version), http.StatusSeeOther)
			return
		}
	}
	if err != nil {
		status, msg := p.statusOf(r, err)
		var se *service.Error
		if errors.As(err, &se) && len(se.Problems) > 0 {
			msg = "The dial plan has problems: see them beside their lines."
		}
		p.showEditor(w, r, s, status, msg, "", v, err)
		return
	}
	p.showEditor(w, r, s, http.StatusOK, "", "No problems found.", v, nil)
}

// showEditor draws the editor, with the problems of err beside the lines
// they name and the graph of the text as it stands.
func (p *Pages) showEditor(w http.ResponseWriter, r *http.Request, s session, status int, refusal, notice string, v editorView, err error) {
	byLine := map[int][]string{}
	var se *service.Error
	if errors.As(err, &se) {
		label := "dialplan " + v.Name
		for _, pr := range se.Problems {
			text := pr.Msg
			if pr.Line > 0 {
				text = fmt.Sprintf("%s:%d: %s", pr.Source, pr.Line, pr.Msg)
			}
			if pr.Source == label && pr.Line > 0 {
				byLine[pr.Line] = append(byLine[pr.Line], text)
			} else {
				v.Elsewhere = append(v.Elsewhere, text)
			}
		}
	}
	for i, line := range strings.Split(strings.TrimRight(v.Text, "\n"), "\n") {
		v.Lines = append(v.Lines, editorLine{N: i + 1, Text: line, Problems: byLine[i+1]})
	}
	draft := v.Text
	if v.Source != "" {
		draft = "" // the file's plan: draw the one in force
	}
	if g, gerr := p.svc.DialplanGraph(r.Context(), s.actor, v.Name, draft); gerr == nil {
		v.Graph, v.HasGraph = layout(g), true
	}
	title := "Dial plan " + v.Name
	if v.New {
		title = "New dial plan " + v.Name
	}
	vw := view{Title: title, Session: s, Error: refusal, Notice: notice, Data: v}
	if ro, why := readOnly(s, service.ManageDialplans); ro {
		vw.ReadOnly, vw.Notice = true, why
	}
	p.render(w, r, status, "dialplan", vw)
}
