package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/internal/browser"
	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/media"
	"github.com/acdserver/acd/report"
	"github.com/acdserver/acd/store"
)

func reportsYAML(trunk string) string {
	return fmt.Sprintf(`sip_realm: test.local
numbers: {"100": main}
trunks:
  carrier: {address: %s}
numbering:
  region: US
  local_prefixes: ["415"]
pause_reasons: [Lunch]
agents:
  "1001": {name: Alice, password: secret-1001, queues: [support]}
queues:
  support:
    ring_timeout: 5s
    wrap_up: 1s
    announce_every: 1h
    service_level: {threshold: 15s, target: 90%%}
    callback:
      enabled: true
      threshold: 1s
      caller_id: "+14155550100"
      trunk: carrier
      allowed_number_types: [local, national]
      attempts: 1
  other: {announce_every: 1h}
dialplans:
  main:
    entry: q
    nodes:
      q:   {type: queue, queue: support, timeout: 2s, on_timeout: bye, on_exit: bye}
      bye: {type: hangup}
`, trunk)
}

// count is how many of the events are of kind.
func count(got []string, kind string) int {
	n := 0
	for _, g := range got {
		if g == kind {
			n++
		}
	}
	return n
}

func atLeast(kind string, n int) func([]string) bool {
	return func(got []string) bool { return count(got, kind) >= n }
}

// TestReportsEndToEnd: a known history of real calls (timed out, two
// callbacks requested with #, left with *, abandoned, a callback the
// trunk refuses and one completed, answered with talk and wrap-up, a
// pause with a reason), then the reports
// through the API, every figure checked against what the event log says
// happened.
func TestReportsEndToEnd(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	trunk := testutil.NewPhone(t)
	trunk.TakeCalls(testutil.AnswerMode{Reject: 486})
	s := startAcd(t, "-config", writeConfig(t, reportsYAML(trunk.Addr())))
	admin := setupAdmin(t, s)

	// Timed out: no agent, the queue's 2 s timeout; its wait makes the
	// queue's average exceed the callback threshold.
	p := dial(t, ctx, s)
	waitBye(t, ctx, p)
	eventsOf(t, s, store.Filter{}, has("caller.timeout:"))

	// Callback requested with #.
	p = dial(t, ctx, s)
	eventsOf(t, s, store.Filter{}, has("callback.offered:"))
	p.SendDTMF('#', 101)
	eventsOf(t, s, store.Filter{}, has("callback.requested:"))
	waitBye(t, ctx, p)

	// A second callback request, from another number (one number's
	// requests merge).
	p = dialAs(t, ctx, s, "100", "+14155550188")
	eventsOf(t, s, store.Filter{}, atLeast("callback.offered:", 2))
	p.SendDTMF('#', 101)
	eventsOf(t, s, store.Filter{}, atLeast("callback.requested:", 2))
	waitBye(t, ctx, p)

	// Left with *.
	p = dial(t, ctx, s)
	eventsOf(t, s, store.Filter{}, atLeast("caller.joined:", 4))
	p.SendDTMF('*', 101)
	eventsOf(t, s, store.Filter{}, has("caller.exit:"))
	waitBye(t, ctx, p)

	// Abandoned: the caller hangs up while waiting.
	p = dial(t, ctx, s)
	eventsOf(t, s, store.Filter{}, atLeast("caller.joined:", 5))
	if err := p.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	eventsOf(t, s, store.Filter{}, has("caller.abandoned:"))

	// The agent logs in and is rung for the callbacks: the trunk refuses
	// the first customer's call, and that request fails; it answers the
	// second, which is completed when the customer hangs up.
	agent := agentPhone(t, ctx, s, "1001", testutil.AnswerMode{After: 100 * time.Millisecond})
	incoming(t, ctx, agent)
	incoming(t, ctx, trunk)
	trunk.TakeCalls(testutil.AnswerMode{After: 100 * time.Millisecond})
	eventsOf(t, s, store.Filter{}, has("callback.failed:"))
	incoming(t, ctx, agent)
	incoming(t, ctx, trunk)
	eventsOf(t, s, store.Filter{}, has("callback.connected:1001"))
	if err := trunk.HangupIncoming(ctx); err != nil {
		t.Fatal(err)
	}
	eventsOf(t, s, store.Filter{}, has("callback.completed:1001"))
	eventsOf(t, s, store.Filter{Agent: "1001"}, atLeast("agent.state>ready:1001", 3))

	// A pause with a reason, then ready again.
	featureCall(t, ctx, s, agent, "1001", "*521")
	eventsOf(t, s, store.Filter{Agent: "1001"}, has("agent.state>paused:1001"))
	featureCall(t, ctx, s, agent, "1001", "*53")
	eventsOf(t, s, store.Filter{Agent: "1001"}, atLeast("agent.state>ready:1001", 4))

	// Answered: the agent's phone answers, they talk, the caller hangs
	// up, the agent wraps up and is ready again.
	p = dial(t, ctx, s)
	incoming(t, ctx, agent)
	eventsOf(t, s, store.Filter{}, has("agent.answered:1001"))
	talk, stopTalk := context.WithCancel(ctx)
	p.SendTone(talk, media.PCMU)
	speechGrows(t, ctx, agent, "the agent") // the caller's audio reaches the agent
	stopTalk()
	if err := p.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	eventsOf(t, s, store.Filter{}, has("agent.answered:1001", "call.ended:1001", "agent.state>wrap-up:1001", "agent.state>ready:1001"))

	// What the log says, for the expected figures.
	l, err := store.Open(filepath.Join(s.data, "acd.db"), slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	evs, err := l.Events(ctx, store.Filter{})
	l.Close()
	if err != nil {
		t.Fatal(err)
	}
	from := evs[0].At.Add(-time.Hour).Truncate(time.Hour)
	to := evs[len(evs)-1].At.Add(time.Millisecond)
	want := expectFrom(t, evs, from, to)

	q := url.Values{"from": {from.Format(time.RFC3339Nano)}, "to": {to.Format(time.RFC3339Nano)}}
	var qc report.QueueCallers
	admin.expect(t, "GET", "/reports/queue-callers?"+q.Encode(), nil, 200, &qc)
	tt := qc.Totals
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"offered", tt.Offered, 6}, {"answered", tt.Answered, 1}, {"abandoned", tt.Abandoned, 1}, {"timed out", tt.TimedOut, 1},
		{"exited", tt.Exited, 1}, {"callback requested", tt.CallbackRequested, 2}, {"missed", tt.Missed, 3},
		{"answered within 15 s", tt.AnsweredWithin, 1}, {"short abandoned", tt.ShortAbandoned, 0}, {"server stopped", tt.ServerStopped, 0},
		{"callbacks failed", tt.CallbacksFailed, 1}, {"callbacks completed", tt.CallbacksDone, 1},
		{"threshold", tt.ThresholdSeconds, 15}, {"queues", len(qc.Queues), 1}, {"waiting", qc.Outcomes[report.Waiting], 0},
	} {
		if c.got != c.want {
			t.Errorf("queue callers: %s %d, want %d", c.name, c.got, c.want)
		}
	}
	// Times to the millisecond the events carry them in.
	const ms = 1e-3
	for _, c := range []struct {
		name string
		got  *float64
		want float64
	}{
		{"service level", tt.ServiceLevel, 1.0 / 4}, // 1 within 15 s of 6, less the 2 callback requests
		{"abandon rate", tt.AbandonRate, 1.0 / 6},
		{"average wait answered", tt.AvgWaitAnswered, want.answeredWait},
		{"p90 wait answered", tt.P90WaitAnswered, want.answeredWait},
		{"average wait abandoned", tt.AvgWaitAbandoned, want.abandonedWait},
		{"max wait", tt.MaxWait, want.maxWait},
		{"average handle", tt.AvgHandle, want.talk + want.wrapUp},
		{"callback wait", tt.AvgCallbackWait, want.callbackWait},
	} {
		if c.got == nil || math.Abs(*c.got-c.want) > ms {
			t.Errorf("queue callers: %s %v, want %v", c.name, deref(c.got), c.want)
		}
	}
	offered := 0
	for _, h := range qc.Hours {
		offered += h.Offered
	}
	if offered != 6 || len(qc.Hours) != 168 || len(qc.Days) == 0 {
		t.Errorf("hours hold %d callers (want 6), %d cells, %d days", offered, len(qc.Hours), len(qc.Days))
	}

	// The list behind the abandoned count.
	var calls struct {
		Calls []report.Stint `json:"calls"`
		More  bool           `json:"more"`
	}
	admin.expect(t, "GET", "/reports/queue-callers/calls?outcome=abandoned&"+q.Encode(), nil, 200, &calls)
	if len(calls.Calls) != 1 || calls.Calls[0].CallID != want.abandonedCall || calls.More {
		t.Errorf("abandoned calls %+v, want %s", calls, want.abandonedCall)
	}
	admin.expect(t, "GET", "/reports/queue-callers/calls?"+q.Encode(), nil, 200, &calls)
	if len(calls.Calls) != 6 {
		t.Errorf("%d stays listed, want 6", len(calls.Calls))
	}

	var ap report.AgentPerformance
	admin.expect(t, "GET", "/reports/agent-performance?agent=1001&"+q.Encode(), nil, 200, &ap)
	if len(ap.Agents) != 1 || ap.Agents[0].Agent != "1001" || ap.Agents[0].Name != "Alice" {
		t.Fatalf("agents %+v", ap.Agents)
	}
	a := ap.Agents[0].AgentTotals
	if a.Offered != want.offers || a.Answered != want.answers || a.Missed != 0 {
		t.Errorf("agent: offered %d answered %d missed %d; want %d %d 0", a.Offered, a.Answered, a.Missed, want.offers, want.answers)
	}
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"ready", a.ReadyS, want.state["ready"]}, {"ringing", a.RingingS, want.state["offered"]}, {"on call", a.OnCallS, want.state["on-call"]},
		{"wrap-up", a.WrapUpS, want.state["wrap-up"]}, {"paused", a.PausedS, want.state["paused"]},
		{"paused for Lunch", a.PausedByReason["Lunch"], want.state["paused"]},
		{"logged in", a.LoggedInS, want.state["ready"] + want.state["offered"] + want.state["on-call"] + want.state["wrap-up"] + want.state["paused"]},
	} {
		if math.Abs(c.got-c.want) > ms {
			t.Errorf("agent: %s %v s, want %v", c.name, c.got, c.want)
		}
	}
	if a.QueueShare["support"] != 1 {
		t.Errorf("queue share %v", a.QueueShare)
	}
	var ivs struct {
		Intervals []report.Interval `json:"intervals"`
	}
	admin.expect(t, "GET", "/reports/agent-performance/intervals?"+q.Encode(), nil, 200, &ivs)
	if len(ivs.Intervals) != want.intervals {
		t.Errorf("%d intervals, want %d", len(ivs.Intervals), want.intervals)
	}
	admin.expect(t, "GET", "/reports/conversations?"+q.Encode(), nil, 200, nil)

	// Who may see them, and parameters refused by name.
	for _, u := range []map[string]any{
		{"id": "sup", "role": "supervisor", "password": testPassword},
		{"id": "rsup", "role": "supervisor", "password": testPassword, "queues": []string{"support"}, "restrict_to_assigned_queues": true},
		{"id": "1001", "role": "agent", "password": testPassword},
	} {
		admin.expect(t, "POST", "/users", u, 201, nil)
	}
	clients := map[string]*apiClient{"sup": s.client(login(t, s, "sup", testPassword)), "rsup": s.client(login(t, s, "rsup", testPassword)),
		"agent": s.client(login(t, s, "1001", testPassword)), "admin": admin}
	for _, c := range []struct {
		who, path string
		status    int
		location  string
	}{
		{"sup", "/reports/queue-callers?" + q.Encode(), 200, ""},
		{"rsup", "/reports/queue-callers?queue=support&" + q.Encode(), 200, ""},
		{"rsup", "/reports/queue-callers?queue=other&" + q.Encode(), 403, ""},
		{"rsup", "/reports/agent-performance?" + q.Encode(), 200, ""},
		{"agent", "/reports/queue-callers?" + q.Encode(), 403, ""},
		{"agent", "/reports/agent-performance?" + q.Encode(), 403, ""},
		{"admin", "/reports/queue-callers?tz=Mars/Olympus&" + q.Encode(), 422, "query.tz"},
		{"admin", "/reports/queue-callers?from=yesterday&to=" + url.QueryEscape(to.Format(time.RFC3339)), 422, "query.from"},
		{"admin", "/reports/agent-performance?from=" + url.QueryEscape(to.Format(time.RFC3339)), 422, "query.to"},
		{"admin", "/reports/queue-callers/calls?outcome=lost&" + q.Encode(), 422, "query.outcome"},
		{"sup", "/reports/rebuild", 403, ""},
	} {
		method := "GET"
		if strings.HasSuffix(c.path, "/rebuild") {
			method = "POST"
		}
		got, data, _ := clients[c.who].do(t, method, c.path, nil)
		if got != c.status || (c.location != "" && !strings.Contains(string(data), `"location":"`+c.location+`"`)) {
			t.Errorf("%s %s as %s: %d %s; want %d naming %q", method, c.path, c.who, got, data, c.status, c.location)
		}
	}
	var rq report.QueueCallers
	clients["rsup"].expect(t, "GET", "/reports/queue-callers?"+q.Encode(), nil, 200, &rq)
	if rq.Totals.Offered != 6 || len(rq.Queues) != 1 || rq.Queues[0].Queue != "support" {
		t.Errorf("restricted supervisor's report %+v", rq.Totals)
	}

	// Rebuilt from the whole log, the report is the same.
	admin.expect(t, "POST", "/reports/rebuild", nil, 204, nil)
	var again report.QueueCallers
	admin.expect(t, "GET", "/reports/queue-callers?"+q.Encode(), nil, 200, &again)
	b1, _ := json.Marshal(qc)
	b2, _ := json.Marshal(again)
	if string(b1) != string(b2) {
		t.Errorf("after a rebuild\n%s\nbefore\n%s", b2, b1)
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// expected is what the event log says the reports must show.
type expected struct {
	answeredWait, abandonedWait, maxWait, talk, wrapUp, callbackWait float64
	abandonedCall                                                    string
	offers, answers, intervals                                       int
	state                                                            map[string]float64 // agent 1001's seconds in each state, clipped
}

// expectFrom reads the figures off the events themselves: the waits
// they carry, and the agent's state intervals between its consecutive
// agent.state events, clipped to [from, to).
func expectFrom(t *testing.T, evs []store.Event, from, to time.Time) expected {
	t.Helper()
	w := expected{state: map[string]float64{}}
	requested := map[int64]time.Time{}
	var callbackWaits []float64
	var state string
	var since time.Time
	clip := func(a, b time.Time) float64 {
		if a.Before(from) {
			a = from
		}
		if b.After(to) {
			b = to
		}
		return max(b.Sub(a).Seconds(), 0)
	}
	for _, e := range evs {
		p, err := event.Decode(e)
		if err != nil {
			continue
		}
		switch p := p.(type) {
		case event.AgentAnswered:
			w.answeredWait = float64(p.WaitedMS) / 1e3
		case event.CallerAbandoned:
			w.abandonedWait = float64(p.WaitedMS) / 1e3
			w.abandonedCall = e.CallID
		case event.CallerTimedOut:
			w.maxWait = max(w.maxWait, float64(p.WaitedMS)/1e3)
		case event.CallerExited:
			w.maxWait = max(w.maxWait, float64(p.WaitedMS)/1e3)
		case event.CallbackRequested:
			w.maxWait = max(w.maxWait, float64(p.WaitedMS)/1e3)
			requested[p.Request] = e.At
		case event.CallbackAgentAnswered:
			callbackWaits = append(callbackWaits, e.At.Sub(requested[p.Request]).Seconds())
		case event.CallEnded:
			if !strings.HasPrefix(e.CallID, "callback-") {
				w.talk = float64(p.TalkMS) / 1e3
			}
		case event.AgentState:
			if e.Agent != "1001" {
				continue
			}
			if state != "" && state != "logged-out" {
				w.state[state] += clip(since, e.At)
				w.intervals++
				if state == "wrap-up" {
					w.wrapUp = e.At.Sub(since).Seconds()
				}
			}
			state, since = p.To, e.At
			switch p.To {
			case "offered":
				w.offers++
			case "on-call":
				w.answers++
			}
		}
	}
	if state != "" && state != "logged-out" {
		w.state[state] += clip(since, to)
		w.intervals++
	}
	for _, cw := range callbackWaits {
		w.callbackWait += cw / float64(len(callbackWaits))
	}
	w.maxWait = max(w.maxWait, w.answeredWait, w.abandonedWait)
	return w
}

// TestQueueReportSettingsThroughAPIAndForm: a queue made through the API
// carries its own service level and short-abandon setting, as the file's
// queues do; a bad value is a 422 naming the field; the reports measure
// the queue's callers by them (a caller who hangs up within the
// short-abandon time is a short abandon); and the administrator's form
// edits them, refusing a bad one beside its field.
func TestQueueReportSettingsThroughAPIAndForm(t *testing.T) {
	t.Parallel()
	s, as, b := adminConsole(t)
	admin := as["admin"]
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	for _, bad := range []struct {
		field string
		body  map[string]any
	}{
		{"service_level.threshold", map[string]any{"id": "x1", "service_level": map[string]any{"threshold": "soon"}}},
		{"service_level.target", map[string]any{"id": "x2", "service_level": map[string]any{"target": 0.8}}},
		{"short_abandon", map[string]any{"id": "x3", "short_abandon": "brief"}},
	} {
		code, body, _ := admin.do(t, "POST", "/queues", bad.body)
		if code != 422 || !strings.Contains(string(body), bad.field) {
			t.Errorf("creating a queue with a bad %s: %d %s; want a 422 naming it", bad.field, code, body)
		}
	}
	admin.expect(t, "POST", "/queues", map[string]any{"id": "billing", "name": "Billing",
		"service_level": map[string]any{"threshold": "30s", "target": 90}, "short_abandon": "5s"}, 201, nil)
	var spec struct {
		ServiceLevel *struct {
			Threshold string
			Target    float64
		} `json:"service_level"`
		ShortAbandon string `json:"short_abandon"`
	}
	admin.expect(t, "GET", "/queues/billing", nil, 200, &spec)
	if spec.ServiceLevel == nil || spec.ServiceLevel.Threshold != "30s" || spec.ServiceLevel.Target != 90 || spec.ShortAbandon != "5s" {
		t.Fatalf("the API reads billing's report settings as %+v; want 30s, 90 and 5s", spec)
	}

	// A caller of billing who hangs up at once is a short abandon.
	admin.expect(t, "PUT", "/dialplans/billing", map[string]string{"yaml": "entry: q\nnodes:\n  q: {type: queue, queue: billing, timeout: 60s, on_timeout: bye, on_exit: bye}\n  bye: {type: hangup}\n"}, 200, nil)
	admin.expect(t, "PUT", "/numbers/300", map[string]string{"dialplan": "billing"}, 200, nil)
	caller := dialAs(t, ctx, s, "300", "+14155550123")
	eventsOf(t, s, store.Filter{Queue: "billing"}, has("caller.joined:"))
	if err := caller.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	eventsOf(t, s, store.Filter{Queue: "billing"}, has("caller.joined:", "caller.abandoned:"))
	from := time.Now().Add(-time.Hour).UTC()
	q := url.Values{"from": {from.Format(time.RFC3339)}, "to": {from.Add(2 * time.Hour).Format(time.RFC3339)}, "queue": {"billing"}}
	var qc report.QueueCallers
	admin.expect(t, "GET", "/reports/queue-callers?"+q.Encode(), nil, 200, &qc)
	if qc.Totals.Offered != 1 || qc.Totals.ShortAbandoned != 1 || qc.Totals.Abandoned != 0 || qc.Totals.ThresholdSeconds != 30 {
		t.Errorf("billing's report: %+v; want one caller, a short abandon, measured against 30 s", qc.Totals)
	}

	// The form: a bad target is refused beside its field, what was typed
	// kept; a good one is saved.
	form := `form[data-form="queue:billing"] `
	b.Open(t, "/admin/queues/billing")
	if v := b.Value(t, form+`input[name="service_level.threshold"]`); v != "30s" {
		t.Fatalf("billing's form holds threshold %q; want 30s", v)
	}
	b.Run(t, "typing a bad target",
		chromedp.SetValue(chromedp.CSS(form+`input[name="service_level.target"]`), "0.5"),
		chromedp.SetValue(chromedp.CSS(form+`input[name="short_abandon"]`), "3s"),
		browser.ClickOn(form+`button[type=submit]`))
	beside := form + `input[name="service_level.target"] + [data-testid=form-error]`
	b.WaitText(t, beside, "service_level.target", adminWait)
	if got := b.Value(t, form+`input[name="short_abandon"]`); got != "3s" {
		t.Errorf("after the refusal short_abandon holds %q; want 3s as typed", got)
	}
	b.Run(t, "correcting the target", chromedp.SetValue(chromedp.CSS(form+`input[name="service_level.target"]`), "85%"),
		browser.ClickOn(form+`button[type=submit]`))
	b.WaitJS(t, "the saved form", `document.querySelector('`+form+`input[name="service_level.target"]').value === "85" && !document.querySelector('`+form+`[data-testid=form-error]')`, adminWait)
	admin.expect(t, "GET", "/queues/billing", nil, 200, &spec)
	if spec.ServiceLevel == nil || spec.ServiceLevel.Target != 85 || spec.ServiceLevel.Threshold != "30s" || spec.ShortAbandon != "3s" {
		t.Errorf("after saving the form the API reads %+v; want 30s, 85 and 3s", spec)
	}
	b.Clean(t)
}

// TestHungUpTalkTimeMatchesCallEnded: a caller bridged to an agent for a
// known time, the call then ended by either side. call.hungup carries the
// talk time that call.ended measured for the same conversation, not 0
// because the caller's end was recorded before the agent's call was.
func TestHungUpTalkTimeMatchesCallEnded(t *testing.T) {
	t.Parallel()
	const talk = 600 * time.Millisecond
	for _, side := range []string{"caller", "agent"} {
		t.Run(side, func(t *testing.T) {
			t.Parallel()
			s := startAcd(t, "-config", writeConfig(t, agentsYAML))
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			agent := agentPhone(t, ctx, s, "1001", testutil.AnswerMode{After: 50 * time.Millisecond})
			caller := dial(t, ctx, s)
			incoming(t, ctx, agent)
			eventsOf(t, s, store.Filter{}, has("agent.answered:1001"))
			// The conversation itself: how long the two talk.
			time.Sleep(talk)
			var err error
			if side == "caller" {
				err = caller.Hangup(ctx)
			} else {
				err = agent.HangupIncoming(ctx)
			}
			if err != nil {
				t.Fatal(err)
			}
			eventsOf(t, s, store.Filter{}, func(evs []string) bool {
				return has("call.ended:1001")(evs) && has("call.hungup:")(evs)
			})
			ended := decoded[event.CallEnded](t, s, "call.ended")
			hungup := decoded[event.CallHungUp](t, s, "call.hungup")
			if ended.TalkMS < talk.Milliseconds() {
				t.Fatalf("call.ended talk_ms %d, but they talked %v", ended.TalkMS, talk)
			}
			if hungup.TalkMS != ended.TalkMS {
				t.Fatalf("call.hungup talk_ms %d, call.ended talk_ms %d for the same conversation (ended by the %s)", hungup.TalkMS, ended.TalkMS, side)
			}
		})
	}
}

// decoded reads the one event of type kind from the server's log.
func decoded[P event.Payload](t *testing.T, s *server, kind string) P {
	t.Helper()
	var found []P
	for _, e := range logEvents(t, s) {
		if e.Type != kind {
			continue
		}
		p, err := event.Decode(e)
		if err != nil {
			t.Fatal(err)
		}
		found = append(found, p.(P))
	}
	if len(found) != 1 {
		t.Fatalf("%d %s events, want 1", len(found), kind)
	}
	return found[0]
}
