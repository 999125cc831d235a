package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/acdserver/acd/report"
	"github.com/acdserver/acd/service"
)

// ReportSource is what the report pages read: the service, which checks
// that the reader may see each queue and agent.
type ReportSource interface {
	QueueCallers(ctx context.Context, a *service.Actor, f report.Filter) (report.QueueCallers, error)
	QueueCallerList(ctx context.Context, a *service.Actor, f report.Filter, outcome string) ([]report.Stint, error)
	AgentPerformance(ctx context.Context, a *service.Actor, f report.Filter) (report.AgentPerformance, error)
	Conversations(ctx context.Context, a *service.Actor, f report.Filter) (report.Conversations, error)
}

// serviceReports reads the reports through the service, in its terms.
type serviceReports struct{ svc *service.Service }

func reportQuery(f report.Filter) service.ReportQuery {
	return service.ReportQuery{From: f.From.Format(time.RFC3339Nano), To: f.To.Format(time.RFC3339Nano),
		TZ: f.Location.String(), Queues: f.Queues, Agents: f.Agents}
}

func (r serviceReports) QueueCallers(ctx context.Context, a *service.Actor, f report.Filter) (report.QueueCallers, error) {
	return r.svc.QueueCallersReport(ctx, a, reportQuery(f))
}

// listLimit is the most callers a page lists; the CSV export has them all.
const listLimit = 1000

func (r serviceReports) QueueCallerList(ctx context.Context, a *service.Actor, f report.Filter, outcome string) ([]report.Stint, error) {
	list, _, err := r.svc.ReportCalls(ctx, a, reportQuery(f), outcome, listLimit)
	return list, err
}

func (r serviceReports) AgentPerformance(ctx context.Context, a *service.Actor, f report.Filter) (report.AgentPerformance, error) {
	return r.svc.AgentPerformanceReport(ctx, a, reportQuery(f))
}

func (r serviceReports) Conversations(ctx context.Context, a *service.Actor, f report.Filter) (report.Conversations, error) {
	return r.svc.ConversationsReport(ctx, a, reportQuery(f))
}

func (p *Pages) routesReports(mux *http.ServeMux) {
	p.parse("reports")
	p.parse("report-calls")
	mux.Handle("GET /reports", p.signedIn(func(w http.ResponseWriter, r *http.Request, s session) {
		http.Redirect(w, r, "/reports/queue-callers", http.StatusSeeOther)
	}))
	mux.Handle("GET /reports/queue-callers", p.signedIn(p.queueCallersPage))
	mux.Handle("GET /reports/queue-callers/calls", p.signedIn(p.queueCallsPage))
	mux.Handle("GET /reports/agent-performance", p.signedIn(p.agentPerformancePage))
	mux.Handle("GET /reports/conversations", p.signedIn(p.conversationsPage))
}

// reportForm is the filter as the page's form holds it: whole days, in a
// time zone, of some queues and agents.
type reportForm struct {
	From, To, TZ   string
	Queues, Agents []string
	// Choices are what the reader may pick from.
	QueueChoices []service.Queue
	AgentChoices []service.AgentView
	Error        string
}

// query is the filter as the export and list links carry it (the API's
// parameters: RFC 3339 moments).
func (f reportForm) query(flt report.Filter) string {
	q := url.Values{}
	q.Set("from", flt.From.Format(time.RFC3339))
	q.Set("to", flt.To.Format(time.RFC3339))
	q.Set("tz", f.TZ)
	for _, v := range f.Queues {
		q.Add("queue", v)
	}
	for _, v := range f.Agents {
		q.Add("agent", v)
	}
	return q.Encode()
}

// Link is a report page's address with the filter, for a tab: it is
// written whole, a URL to html/template, which would otherwise take the
// query for one value and escape its = and &.
func (f reportForm) Link(path string) template.URL {
	return template.URL(path + "?" + f.PageQuery())
}

// PageQuery is the filter as this page's own links carry it.
func (f reportForm) PageQuery() string { return f.pageValues().Encode() }

func (f reportForm) pageValues() url.Values {
	q := url.Values{}
	q.Set("from", f.From)
	q.Set("to", f.To)
	q.Set("tz", f.TZ)
	for _, v := range f.Queues {
		q.Add("queue", v)
	}
	for _, v := range f.Agents {
		q.Add("agent", v)
	}
	return q
}

// readFilter reads the form: from and to are days (to included), tz an
// IANA zone; by default the last seven days in UTC.
func (p *Pages) readFilter(r *http.Request, s session) (reportForm, report.Filter, error) {
	q := r.URL.Query()
	f := reportForm{From: q.Get("from"), To: q.Get("to"), TZ: q.Get("tz"), Queues: q["queue"], Agents: q["agent"]}
	if f.TZ == "" {
		f.TZ = "UTC"
	}
	if queues, err := p.svc.Queues(s.actor); err == nil {
		f.QueueChoices = queues
	}
	if agents, err := p.svc.ListAgents(s.actor); err == nil {
		f.AgentChoices = agents
	}
	loc, err := time.LoadLocation(f.TZ)
	if err != nil {
		f.Error = "tz: " + f.TZ + " is not a time zone; want a name like Europe/Paris or UTC"
		return f, report.Filter{}, service.InvalidField("tz", "want an IANA time zone name")
	}
	today := time.Now().In(loc)
	if f.To == "" {
		f.To = today.Format(time.DateOnly)
	}
	if f.From == "" {
		f.From = today.AddDate(0, 0, -6).Format(time.DateOnly)
	}
	from, err1 := time.ParseInLocation(time.DateOnly, f.From, loc)
	to, err2 := time.ParseInLocation(time.DateOnly, f.To, loc)
	switch {
	case err1 != nil:
		f.Error = "from: want a day like 2026-11-24"
		return f, report.Filter{}, service.InvalidField("from", "want a day like 2026-11-24")
	case err2 != nil:
		f.Error = "to: want a day like 2026-11-30"
		return f, report.Filter{}, service.InvalidField("to", "want a day like 2026-11-30")
	case to.Before(from):
		f.Error = "to: the last day comes before the first"
		return f, report.Filter{}, service.InvalidField("to", "the last day comes before the first")
	}
	return f, report.Filter{From: from, To: to.AddDate(0, 0, 1), Location: loc, Queues: f.Queues, Agents: f.Agents}, nil
}

type queueCallersView struct {
	Form     reportForm
	Report   report.QueueCallers
	Heat     heatMap
	Missed   barChart
	Waits    barChart
	Export   string
	QueueLog string
	Terms    []term
	Days     []report.DayRow
}

// term is a figure and its definition, shown beside it on the page as
// docs/metrics.md words it.
type term struct {
	Name, Label, Value, Definition, Outcome string
	// Link lists the callers behind the figure, under the same filter;
	// empty for a figure that is not a count of callers.
	Link template.URL
}

// reportPage reads the filter and runs one report with it, for the
// reports' pages: what a reader may not see is the error page; a bad
// filter or a refusal of the report's own is shown above the form, with
// its status.
func (p *Pages) reportPage(w http.ResponseWriter, r *http.Request, s session, run func(flt report.Filter) error) (reportForm, int, bool) {
	// Who may see which report is the service's to say, in one place.
	if p.reports == nil {
		p.fail(w, r, s, errNoReports)
		return reportForm{}, 0, false
	}
	form, flt, err := p.readFilter(r, s)
	if err == nil {
		err = run(flt)
	}
	if err == nil {
		return form, http.StatusOK, true
	}
	status, msg := p.statusOf(r, err)
	if status == http.StatusForbidden {
		p.fail(w, r, s, err)
		return reportForm{}, 0, false
	}
	form.Error = msg
	return form, status, true
}

var errNoReports = errors.New("the report pages have no source of reports")

func (p *Pages) queueCallersPage(w http.ResponseWriter, r *http.Request, s session) {
	var v queueCallersView
	var flt report.Filter
	form, status, ok := p.reportPage(w, r, s, func(f report.Filter) (err error) {
		flt = f
		v.Report, err = p.reports.QueueCallers(r.Context(), s.actor, f)
		return err
	})
	if !ok {
		return
	}
	v.Form = form
	if form.Error == "" {
		v.draw(form, flt)
	}
	p.render(w, r, status, "reports", view{Title: "Queue callers", Session: s, Data: reportsView{Tab: "queue-callers", Form: v.Form, Queue: &v}})
}

// draw lays out the queue-caller report's charts and links.
func (v *queueCallersView) draw(form reportForm, flt report.Filter) {
	v.Export = "/api/v1/exports?report=queue-callers&report=agent-performance&" + form.query(flt)
	v.QueueLog = "/api/v1/exports/queue_log?" + form.query(flt)
	v.Heat = drawHeatMap(v.Report.Hours)
	labels, missed := make([]string, len(v.Report.Days)), make([]int, len(v.Report.Days))
	for i, d := range v.Report.Days {
		label := d.Date
		if len(label) == len("2006-01-02") {
			label = label[5:] // the month and day
		}
		labels[i], missed[i] = label, d.Missed
	}
	v.Missed = drawBars(labels, missed, nil, [2]string{"missed", ""})
	var wl []string
	var wa, wb []int
	for _, b := range v.Report.Waits {
		label := "more"
		if b.UpTo != nil {
			label = fmt.Sprintf("≤%ds", *b.UpTo)
		}
		wl, wa, wb = append(wl, label), append(wa, b.Answered), append(wb, b.Abandoned)
	}
	v.Waits = drawBars(wl, wa, wb, [2]string{"answered", "abandoned"})
	v.Terms = queueTerms(v.Report.Totals)
	for i, t := range v.Terms {
		if t.Outcome != "" {
			v.Terms[i].Link = callsLink(t.Outcome, form)
		}
	}
	v.Days = v.Report.Days
}

// reportsView is the reports page: one tab filled.
type reportsView struct {
	Tab    string
	Form   reportForm
	Queue  *queueCallersView
	Agents *agentPerformanceView
	Conv   *report.Conversations
}

func pct(v *float64) string {
	if v == nil {
		return "—"
	}
	return fmt.Sprintf("%.1f %%", *v*100)
}

func secs(v *float64) string {
	if v == nil {
		return "—"
	}
	return fmt.Sprintf("%.1f s", *v)
}

func queueTerms(t report.QueueTotals) []term {
	n := func(i int) string { return fmt.Sprint(i) }
	return []term{
		{"offered", "Offered", n(t.Offered), "Callers who joined the queue in the period (a stay belongs to the day it began).", "all", ""},
		{"answered", "Answered", n(t.Answered), "Callers an agent answered.", report.Answered, ""},
		{"abandoned", "Abandoned", n(t.Abandoned), "Callers who hung up while waiting, short abandons apart. A caller who asked for a callback is not abandoned.", report.Abandoned, ""},
		{"short_abandoned", "Short abandons", n(t.ShortAbandoned), fmt.Sprintf("Hung up within the queue's short_abandon time (%d s; 0: off); left out of abandon rate and service level.", t.ShortAbandonBelow), report.ShortAbandoned, ""},
		{"callback_requested", "Callback requested", n(t.CallbackRequested), "Callers who pressed # to be called back, keeping their place.", report.CallbackRequested, ""},
		{"timed_out", "Timed out", n(t.TimedOut), "Callers the dial plan's queue timeout took out of the queue.", report.TimedOut, ""},
		{"exited", "Left with *", n(t.Exited), "Callers who pressed * to leave the queue.", report.Exited, ""},
		{"missed", "Missed", n(t.Missed), "Abandoned + timed out + left with *: callers who wanted an agent and left without one or a callback.", "", ""},
		{"service_level", "Service level", pct(t.ServiceLevel), fmt.Sprintf("Answered within %d s ÷ (offered − short abandons − callback requested − stopped by a server stop).", t.ThresholdSeconds), "", ""},
		{"abandon_rate", "Abandon rate", pct(t.AbandonRate), "Abandoned ÷ (offered − short abandons).", "", ""},
		{"avg_wait_answered_seconds", "Average wait before answer", secs(t.AvgWaitAnswered), "Mean time from joining to an agent's answer, over answered callers.", "", ""},
		{"p90_wait_answered_seconds", "90th percentile wait before answer", secs(t.P90WaitAnswered), "Nine in ten answered callers waited at most this long (nearest rank).", "", ""},
		{"avg_wait_abandoned_seconds", "Average wait before abandon", secs(t.AvgWaitAbandoned), "Mean time from joining to hanging up, over abandoned callers.", "", ""},
		{"p90_wait_abandoned_seconds", "90th percentile wait before abandon", secs(t.P90WaitAbandoned), "Nine in ten abandoned callers waited at most this long (nearest rank).", "", ""},
		{"avg_handle_seconds", "Average handle time", secs(t.AvgHandle), "(Talk + wrap-up) ÷ answered.", "", ""},
		{"avg_callback_wait_seconds", "Average callback wait", secs(t.AvgCallbackWait), "From the request to the agent who calls back answering: a callback's own wait.", "", ""},
	}
}

func (p *Pages) queueCallsPage(w http.ResponseWriter, r *http.Request, s session) {
	outcome := r.URL.Query().Get("outcome")
	if outcome == "all" {
		outcome = ""
	}
	var list []report.Stint
	form, status, ok := p.reportPage(w, r, s, func(f report.Filter) (err error) {
		list, err = p.reports.QueueCallerList(r.Context(), s.actor, f, outcome)
		return err
	})
	if !ok {
		return
	}
	title := "Callers"
	if outcome != "" {
		title = "Callers: " + strings.ReplaceAll(outcome, "_", " ")
	}
	p.render(w, r, status, "report-calls", view{Title: title, Session: s, Error: form.Error, Data: struct {
		Form  reportForm
		Calls []report.Stint
		Back  string
	}{form, list, "/reports/queue-callers?" + form.PageQuery()}})
}

// callsLink lists the callers of one outcome ("all": every one) under
// the report's filter.
func callsLink(outcome string, form reportForm) template.URL {
	q := form.pageValues()
	q.Set("outcome", outcome)
	return template.URL("/reports/queue-callers/calls?" + q.Encode())
}

type agentPerformanceView struct {
	Report report.AgentPerformance
	Chart  stateBars
	Export string
	// Reasons are every pause reason any agent paused with, for the
	// table's columns.
	Reasons []string
	Queues  []string
}

func (p *Pages) agentPerformancePage(w http.ResponseWriter, r *http.Request, s session) {
	var v agentPerformanceView
	var flt report.Filter
	form, status, ok := p.reportPage(w, r, s, func(f report.Filter) (err error) {
		flt = f
		v.Report, err = p.reports.AgentPerformance(r.Context(), s.actor, f)
		return err
	})
	if !ok {
		return
	}
	if form.Error == "" {
		v.Chart = drawAgentStates(v.Report.Agents)
		v.Export = "/api/v1/exports?report=agent-performance&" + form.query(flt)
		for _, a := range v.Report.Agents {
			for reason := range a.PausedByReason {
				if !slices.Contains(v.Reasons, reason) {
					v.Reasons = append(v.Reasons, reason)
				}
			}
			for q := range a.QueueShare {
				if !slices.Contains(v.Queues, q) {
					v.Queues = append(v.Queues, q)
				}
			}
		}
		slices.Sort(v.Reasons)
		slices.Sort(v.Queues)
	}
	p.render(w, r, status, "reports", view{Title: "Agent performance", Session: s, Data: reportsView{Tab: "agent-performance", Form: form, Agents: &v}})
}

func (p *Pages) conversationsPage(w http.ResponseWriter, r *http.Request, s session) {
	var c report.Conversations
	form, status, ok := p.reportPage(w, r, s, func(f report.Filter) (err error) {
		c, err = p.reports.Conversations(r.Context(), s.actor, f)
		return err
	})
	if ok {
		p.render(w, r, status, "reports", view{Title: "Conversations", Session: s, Data: reportsView{Tab: "conversations", Form: form, Conv: &c}})
	}
}
