package api

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/report"
	"github.com/acdserver/acd/service"
	"github.com/acdserver/acd/store"
)

// fakeAuth knows one secret.
type fakeAuth struct{ fail error }

const goodSecret = "acd_test_secret"

func (f fakeAuth) Authenticate(_ context.Context, secret string) (*service.Actor, error) {
	if f.fail != nil {
		return nil, f.fail
	}
	if secret != goodSecret {
		return nil, &service.Error{Kind: service.Unauthenticated, Msg: "no"}
	}
	return &service.Actor{UserID: "sue"}, nil
}

// fakeSource answers fixed reports and records what it was asked.
type fakeSource struct {
	err     error
	filters []report.Filter
	actors  []*service.Actor
}

func (s *fakeSource) seen(a *service.Actor, f report.Filter) error {
	s.filters = append(s.filters, f)
	s.actors = append(s.actors, a)
	return s.err
}

func (s *fakeSource) QueueCallers(_ context.Context, a *service.Actor, f report.Filter) (report.QueueCallers, error) {
	sl := 0.5
	return report.QueueCallers{Queues: []report.QueueRow{{Queue: "sales", QueueTotals: report.QueueTotals{Offered: 2, Answered: 1, ServiceLevel: &sl}}},
		Totals: report.QueueTotals{Offered: 2, Answered: 1, ServiceLevel: &sl}}, s.seen(a, f)
}

func (s *fakeSource) QueueCallerList(_ context.Context, a *service.Actor, f report.Filter, outcome string) ([]report.Stint, error) {
	if outcome != "" {
		return nil, errors.New("the export wants every stay")
	}
	j := time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)
	return []report.Stint{
		{CallID: "c1", Queue: "sales", Caller: "+4930111", Joined: j, Ended: j.Add(5 * time.Second), Outcome: report.Answered, WaitS: 5, Agent: "1001"},
		{CallID: "c2", Queue: "sales", Caller: "=1+1", Joined: j.Add(time.Minute), Ended: j.Add(70 * time.Second), Outcome: report.Abandoned, WaitS: 10},
	}, s.seen(a, f)
}

func (s *fakeSource) AgentPerformance(_ context.Context, a *service.Actor, f report.Filter) (report.AgentPerformance, error) {
	return report.AgentPerformance{Agents: []report.AgentRow{{Agent: "1001", Name: "Ann", AgentTotals: report.AgentTotals{ReadyS: 60, LoggedInS: 60}}},
		Totals: report.AgentTotals{ReadyS: 60, LoggedInS: 60}}, s.seen(a, f)
}

func (s *fakeSource) AgentIntervals(_ context.Context, a *service.Actor, f report.Filter) ([]report.Interval, error) {
	t := time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)
	return []report.Interval{{Agent: "1001", State: "ready", From: t, To: t.Add(time.Minute), S: 60}}, s.seen(a, f)
}

func (s *fakeSource) QueueLogEvents(_ context.Context, a *service.Actor, f report.Filter) ([]store.Event, error) {
	at := time.Unix(1800000000, 0)
	return []store.Event{
		event.New(at, event.Ref{Call: "c1", Interaction: "c1", Queue: "sales"}, event.CallerJoined{Caller: "+4930111"}),
		event.New(at.Add(5*time.Second), event.Ref{Call: "c1", Interaction: "c1", Queue: "sales"}, event.CallerAbandoned{WaitedMS: 5000}),
	}, s.seen(a, f)
}

func exportServer(t *testing.T, auth Authenticator, src ReportSource) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("GET "+Prefix+"/exports", ExportsHandler(auth, src, nil))
	mux.Handle("GET "+Prefix+"/exports/queue_log", QueueLogHandler(auth, src, nil))
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return ts
}

func get(t *testing.T, ts *httptest.Server, path string, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, ts.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = header
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, body
}

func bearer() http.Header { return http.Header{"Authorization": {"Bearer " + goodSecret}} }

type problem struct {
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Location string `json:"location"`
		Message  string `json:"message"`
	} `json:"errors"`
}

func readProblem(t *testing.T, res *http.Response, body []byte) problem {
	t.Helper()
	if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("content type %q: %s", ct, body)
	}
	var p problem
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	return p
}

func (p problem) locations() []string {
	var out []string
	for _, e := range p.Errors {
		out = append(out, e.Location)
	}
	slices.Sort(out)
	return out
}

const period = "from=2026-11-01T00:00:00%2B01:00&to=2026-12-01&tz=Europe/Berlin"

// TestExportsSignIn: the exports sign in as the API does — a bearer
// token, or the session cookie (a GET needs no CSRF token) — and answer
// 401 in the API's form otherwise.
func TestExportsSignIn(t *testing.T) {
	src := &fakeSource{}
	ts := exportServer(t, fakeAuth{}, src)
	for name, h := range map[string]http.Header{
		"no credentials": {},
		"wrong token":    {"Authorization": {"Bearer acd_nope"}},
		"basic":          {"Authorization": {"Basic c3VlOnB3"}},
		"wrong cookie":   {"Cookie": {SessionCookie + "=acd_nope"}},
	} {
		for _, path := range []string{"/api/v1/exports?report=queue-callers&" + period, "/api/v1/exports/queue_log?" + period} {
			res, body := get(t, ts, path, h)
			if res.StatusCode != 401 || res.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s %s: %d %s", name, path, res.StatusCode, body)
				continue
			}
			readProblem(t, res, body)
		}
	}
	if len(src.filters) != 0 {
		t.Fatalf("the source was read without credentials: %d", len(src.filters))
	}
	res, body := get(t, ts, "/api/v1/exports/queue_log?"+period, http.Header{"Cookie": {SessionCookie + "=" + goodSecret}})
	if res.StatusCode != 200 {
		t.Fatalf("cookie: %d %s", res.StatusCode, body)
	}
	// The service failing to check credentials is the server's fault.
	ts = exportServer(t, fakeAuth{fail: errors.New("disk")}, src)
	if res, body := get(t, ts, "/api/v1/exports/queue_log?"+period, bearer()); res.StatusCode != 500 || strings.Contains(string(body), "disk") {
		t.Errorf("auth failure: %d %s", res.StatusCode, body)
	}
}

// TestExportsValidation: every bad parameter is named in one 422.
func TestExportsValidation(t *testing.T) {
	src := &fakeSource{}
	ts := exportServer(t, fakeAuth{}, src)
	for _, tt := range []struct {
		query string
		want  []string
	}{
		{"", []string{"query.from", "query.report", "query.to"}},
		{"report=queue-callers&from=yesterday&to=2026-12-01", []string{"query.from"}},
		{"report=calls&" + period, []string{"query.report"}},
		{"report=queue-callers,agent-performance&from=2026-12-01&to=2026-11-01", []string{"query.to"}},
		{"report=queue-callers&from=2026-01-01&to=2027-12-01", []string{"query.to"}},
		{"report=queue-callers&from=2026-11-01&to=2026-12-01&tz=Mars/Olympus", []string{"query.tz"}},
		{"report=queue-callers&from=2026-11-01&to=2026-12-01&tz=Local", []string{"query.tz"}},
		{"report=queue-callers&from=2026-11-01&from=2026-11-02&to=2026-12-01", []string{"query.from"}},
		{"report=queue-callers&" + period + "&queue=sales,,support", []string{"query.queue"}},
		{"report=queue-callers&" + period + "&agent=" + strings.Repeat("x", 65), []string{"query.agent"}},
	} {
		res, body := get(t, ts, "/api/v1/exports?"+tt.query, bearer())
		if res.StatusCode != 422 {
			t.Errorf("%q: %d %s", tt.query, res.StatusCode, body)
			continue
		}
		if got := readProblem(t, res, body).locations(); !slices.Equal(got, tt.want) {
			t.Errorf("%q: errors at %v, want %v (%s)", tt.query, got, tt.want, body)
		}
	}
	res, body := get(t, ts, "/api/v1/exports/queue_log?to=2026-12-01", bearer())
	if res.StatusCode != 422 || !slices.Equal(readProblem(t, res, body).locations(), []string{"query.from"}) {
		t.Errorf("queue_log: %d %s", res.StatusCode, body)
	}
	if len(src.filters) != 0 {
		t.Fatalf("the source was read for a bad request")
	}
}

// TestExportsZip: the archive holds each report's summary and detail, in
// a fixed order, and the definitions of exactly those files; the filter
// reaches the source as parsed.
func TestExportsZip(t *testing.T) {
	src := &fakeSource{}
	ts := exportServer(t, fakeAuth{}, src)
	res, body := get(t, ts, "/api/v1/exports?report=agent-performance&report=queue-callers&"+period+"&queue=sales&queue=support,sales&agent=1001", bearer())
	if res.StatusCode != 200 {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	if ct, cd := res.Header.Get("Content-Type"), res.Header.Get("Content-Disposition"); ct != "application/zip" ||
		cd != `attachment; filename="acd-reports_2026-11-01_2026-12-01.zip"` || res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("headers: %q %q %q", ct, cd, res.Header.Get("Cache-Control"))
	}
	z, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	var names []string
	for _, f := range z.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r)
		files[f.Name] = string(b)
		names = append(names, f.Name)
	}
	want := []string{report.QueueCallersSummaryCSV, report.QueueCallersDetailCSV, report.AgentPerformanceSummaryCSV, report.AgentPerformanceDetailCSV, report.DefinitionsCSV}
	if !slices.Equal(names, want) {
		t.Fatalf("files %v, want %v", names, want)
	}
	detail, err := csv.NewReader(strings.NewReader(files[report.QueueCallersDetailCSV])).ReadAll()
	if err != nil || len(detail) != 3 {
		t.Fatalf("detail: %v %v", detail, err)
	}
	// Times in the report's zone; a formula neutralised.
	if detail[1][4] != "2026-11-24T09:00:00.000+01:00" || detail[2][3] != "'=1+1" {
		t.Errorf("detail rows: %q", detail[1:])
	}
	defs, err := csv.NewReader(strings.NewReader(files[report.DefinitionsCSV])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	described := map[string]bool{}
	for _, d := range defs[1:] {
		described[d[0]] = true
	}
	if len(described) != 4 || described[report.DefinitionsCSV] {
		t.Errorf("definitions cover %v", described)
	}
	if len(src.filters) != 4 {
		t.Fatalf("%d reads", len(src.filters))
	}
	f := src.filters[0]
	from, _ := time.Parse(time.RFC3339, "2026-11-01T00:00:00+01:00")
	if !f.From.Equal(from) || !f.To.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, f.Location)) || f.Location.String() != "Europe/Berlin" ||
		!slices.Equal(f.Queues, []string{"sales", "support"}) || !slices.Equal(f.Agents, []string{"1001"}) || src.actors[0].UserID != "sue" {
		t.Errorf("filter %+v, actor %+v", f, src.actors[0])
	}

	// One report: its two files and the definitions.
	res, body = get(t, ts, "/api/v1/exports?report=agent-performance&"+period, bearer())
	z, err = zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil || res.StatusCode != 200 || len(z.File) != 3 || z.File[0].Name != report.AgentPerformanceSummaryCSV {
		t.Fatalf("one report: %d %v", res.StatusCode, err)
	}
}

// TestExportsSourceErrors: the service's refusals keep their status;
// anything else is a 500 that says nothing of the cause.
func TestExportsSourceErrors(t *testing.T) {
	for _, tt := range []struct {
		err    error
		status int
	}{
		{&service.Error{Kind: service.Forbidden, Msg: "not your queues"}, 403},
		{&service.Error{Kind: service.Invalid, Field: "queue", Msg: "no such queue"}, 422},
		{errors.New("database is locked"), 500},
	} {
		ts := exportServer(t, fakeAuth{}, &fakeSource{err: tt.err})
		for _, path := range []string{"/api/v1/exports?report=queue-callers&" + period, "/api/v1/exports/queue_log?" + period} {
			res, body := get(t, ts, path, bearer())
			if res.StatusCode != tt.status || strings.Contains(string(body), "locked") || res.Header.Get("Content-Disposition") != "" {
				t.Errorf("%v %s: %d %s", tt.err, path, res.StatusCode, body)
			}
			readProblem(t, res, body)
		}
	}
}

// TestQueueLogExport: the period's events as queue_log text.
func TestQueueLogExport(t *testing.T) {
	ts := exportServer(t, fakeAuth{}, &fakeSource{})
	res, body := get(t, ts, "/api/v1/exports/queue_log?from=2026-11-24T10:00:00Z&to=2026-11-24T12:30:00Z", bearer())
	want := "1800000000|c1|sales|NONE|ENTERQUEUE||+4930111|1\n1800000005|c1|sales|NONE|ABANDON|1|1|5\n"
	if res.StatusCode != 200 || string(body) != want {
		t.Fatalf("%d %q", res.StatusCode, body)
	}
	if ct, cd := res.Header.Get("Content-Type"), res.Header.Get("Content-Disposition"); ct != "text/plain; charset=utf-8" ||
		cd != `attachment; filename="queue_log_2026-11-24T1000_2026-11-24T1230"` {
		t.Errorf("headers %q %q", ct, cd)
	}
}

// TestExportsMethod: the handlers answer reads only, whatever mounts them.
func TestExportsMethod(t *testing.T) {
	h := ExportsHandler(fakeAuth{}, &fakeSource{}, nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/api/v1/exports", nil))
	if w.Code != 405 || w.Header().Get("Allow") != "GET, HEAD" {
		t.Errorf("%d %v", w.Code, w.Header())
	}
}

// TestParseReportFilter: dates read in the zone, lists split and
// deduplicated, UTC by default.
func TestParseReportFilter(t *testing.T) {
	q, _ := url.ParseQuery("from=2026-03-29&to=2026-03-30&tz=Europe/Berlin&queue=a,b&queue=b&agent=1001")
	f, err := ParseReportFilter(q)
	if err != nil {
		t.Fatal(err)
	}
	// The day clocks go forward in Berlin is 23 hours long.
	if f.To.Sub(f.From) != 23*time.Hour || f.From.UTC().Hour() != 23 || !slices.Equal(f.Queues, []string{"a", "b"}) || !slices.Equal(f.Agents, []string{"1001"}) {
		t.Errorf("%+v", f)
	}
	q, _ = url.ParseQuery("from=2026-11-24T09:00:00.5Z&to=2026-11-24T10:00:00Z")
	f, err = ParseReportFilter(q)
	if err != nil || f.Location != time.UTC || f.From.Nanosecond() != 5e8 || f.Queues != nil {
		t.Errorf("%+v %v", f, err)
	}
}
