package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/acdserver/acd/directory"
	"github.com/acdserver/acd/service"
)

// recordingsView is the recordings page: the filters as typed, and the
// recordings they select.
type recordingsView struct {
	Queue, Agent, Interaction, From, To string
	Recordings                          []recordingRow
	MayDelete                           bool
	Notice                              string
	CSRF                                string
}

func (p *Pages) routesRecordings(mux *http.ServeMux) {
	p.parse("recordings")
	mux.Handle("GET /recordings", p.signedIn(p.recordingsPage))
	mux.Handle("POST /recordings/{id}/delete", p.signedIn(p.confirmFirst("/recordings", named("recording"), p.deleteRecording)))
	mux.Handle("POST /agent/recording", p.signedIn(p.agentRecording))
}

// recordingRow is a recording as the page lists it.
type recordingRow struct {
	service.Recording
	Length string
}

// mayHearRecordings is whether the menu offers the recordings page: the
// service decides what it lists.
func mayHearRecordings(a *service.Actor) bool {
	return a != nil && (a.Role == directory.Administrator || a.Permissions[directory.RecordingsView])
}

// mayDeleteRecordings is whether the page offers delete buttons.
func mayDeleteRecordings(a *service.Actor) bool {
	return a != nil && (a.Role == directory.Administrator || a.Role == directory.Supervisor && a.Permissions[directory.RecordingsDelete])
}

// day reads a filter's date (2026-12-07) as the start of that day, UTC.
func day(v string) (time.Time, error) {
	if v = strings.TrimSpace(v); v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse("2006-01-02", v)
	if err != nil {
		return time.Time{}, service.InvalidField("date", "want a date like 2026-12-07")
	}
	return t, nil
}

func (p *Pages) recordingsPage(w http.ResponseWriter, r *http.Request, s session) {
	q := r.URL.Query()
	v := recordingsView{Queue: q.Get("queue"), Agent: q.Get("agent"), Interaction: q.Get("interaction"), From: q.Get("from"), To: q.Get("to"),
		MayDelete: mayDeleteRecordings(s.actor), Notice: doneNotice(r), CSRF: s.csrf()}
	from, err := day(v.From)
	if err != nil {
		p.fail(w, r, s, err)
		return
	}
	to, err := day(v.To)
	if err != nil {
		p.fail(w, r, s, err)
		return
	}
	if !to.IsZero() {
		to = to.AddDate(0, 0, 1) // the whole of the last day
	}
	list, err := p.svc.ListRecordings(r.Context(), s.actor, service.RecordingFilter{Queue: v.Queue, Agent: v.Agent,
		Interaction: v.Interaction, Since: from, Until: to, Limit: 200})
	if err != nil {
		p.fail(w, r, s, err)
		return
	}
	for _, rec := range list {
		v.Recordings = append(v.Recordings, recordingRow{Recording: rec, Length: elapsed(time.Duration(rec.DurationMS) * time.Millisecond)})
	}
	p.render(w, r, http.StatusOK, "recordings", view{Title: "Recordings", Session: s, Data: v})
}

func (p *Pages) deleteRecording(w http.ResponseWriter, r *http.Request, s session) {
	if err := p.svc.DeleteRecording(r.Context(), s.actor, r.PathValue("id")); err != nil {
		p.fail(w, r, s, err)
		return
	}
	http.Redirect(w, r, "/recordings?done=deleted", http.StatusSeeOther)
}

// agentRecording is the agent console's Record, Stop, Pause and Resume.
func (p *Pages) agentRecording(w http.ResponseWriter, r *http.Request, s session) {
	_, err := p.svc.AgentRecordingAction(s.actor, s.actor.UserID, r.PostFormValue("action"))
	p.afterAgentAction(w, r, s, err)
}
