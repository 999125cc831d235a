package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/media"
	"github.com/acdserver/acd/store"
)

// Each phone of a monitored call sends a tone of its own, so that what a
// phone hears says who it hears.
const (
	customerHz   = 1000.0
	agentHz      = 440.0
	supervisorHz = 2000.0
)

const monitorYAML = `sip_realm: test.local
numbers: {"100": support, "200": sales}
agents:
  "1001": {name: Alice, password: secret-1001, queues: [support]}
  "1002": {name: Bob, password: secret-1002, queues: [sales]}
  "2001": {name: Sam desk, password: secret-2001, queues: [support]}
  "2002": {name: Sue desk, password: secret-2002, queues: [support]}
  "2003": {name: Pat desk, password: secret-2003, queues: [support]}
queues:
  support: {strategy: linear, ring_timeout: 5s, announce_every: 1h}
  sales:   {strategy: linear, ring_timeout: 5s, announce_every: 1h}
dialplans:
  support:
    entry: q
    nodes:
      q:   {type: queue, queue: support, timeout: 60s, on_timeout: bye, on_exit: bye}
      bye: {type: hangup}
  sales:
    entry: q
    nodes:
      q:   {type: queue, queue: sales, timeout: 60s, on_timeout: bye, on_exit: bye}
      bye: {type: hangup}
`

// monitored is a customer talking to agent 1001, each sending its tone.
type monitored struct {
	customer, agent *testutil.Phone
}

// monitoredCall logs agent 1001 in, calls the support queue, and returns
// once the customer and the agent hear each other's tones.
func monitoredCall(t *testing.T, ctx context.Context, s *server) monitored {
	t.Helper()
	agent := agentPhone(t, ctx, s, "1001", testutil.AnswerMode{})
	agent.Detect(customerHz, supervisorHz)
	customer := testutil.NewPhone(t)
	customer.Detect(agentHz, supervisorHz)
	dlg, err := customer.Invite(ctx, s.sip, "100", customer.SDP(101, media.PCMU))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := customer.Answered(ctx, dlg, nil); err != nil {
		t.Fatal(err)
	}
	customer.SendAudio(0)
	incoming(t, ctx, agent)
	eventsOf(t, s, store.Filter{}, has("agent.answered:1001"))
	for !agent.Remote().IsValid() {
		time.Sleep(10 * time.Millisecond)
	}
	customer.SendToneAt(ctx, media.PCMU, customerHz)
	agent.SendToneAt(ctx, media.PCMU, agentHz)
	hearsTone(t, ctx, agent, customerHz, "the agent hears the customer")
	hearsTone(t, ctx, customer, agentHz, "the customer hears the agent")
	return monitored{customer: customer, agent: agent}
}

// supervisorPhone registers a supervisor's desk phone, which answers at
// once, counts the customer's and the agent's tones, and does not log in.
func supervisorPhone(t *testing.T, ctx context.Context, s *server, id string) *testutil.Phone {
	t.Helper()
	p := testutil.NewPhone(t)
	if code, err := p.Register(ctx, s.sip, id, "secret-"+id, 300); err != nil || code != 200 {
		t.Fatalf("REGISTER %s: %d %v", id, code, err)
	}
	p.TakeCalls(testutil.AnswerMode{})
	p.Detect(customerHz, agentHz, supervisorHz)
	return p
}

// hearsTone waits until p has received 25 more frames carrying hz.
func hearsTone(t *testing.T, ctx context.Context, p *testutil.Phone, hz float64, what string) {
	t.Helper()
	start := p.Stats().Tones[hz]
	for p.Stats().Tones[hz] < start+25 {
		select {
		case <-ctx.Done():
			t.Fatalf("%s: %d frames of %v Hz", what, p.Stats().Tones[hz]-start, hz)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// hearsNoTone waits for 50 more audio frames at p (a second) and fails
// if any carries hz.
func hearsNoTone(t *testing.T, ctx context.Context, p *testutil.Phone, hz float64, what string) {
	t.Helper()
	start := p.Stats()
	for {
		now := p.Stats()
		if now.Tones[hz] > start.Tones[hz] {
			t.Fatalf("%s: %d frames of %v Hz", what, now.Tones[hz]-start.Tones[hz], hz)
		}
		if len(now.Timestamps) >= len(start.Timestamps)+50 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: no audio at all", what)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// settled waits until p has heard hz stop: a mode just changed leaves a
// few frames of the old mix on their way.
func settled(t *testing.T, ctx context.Context, p *testutil.Phone, hz float64) {
	t.Helper()
	for {
		before := p.Stats().Tones[hz]
		select {
		case <-ctx.Done():
			t.Fatalf("%v Hz never stopped", hz)
		case <-time.After(200 * time.Millisecond):
		}
		if p.Stats().Tones[hz] == before {
			return
		}
	}
}

// dtmfPT is the telephone-event payload type the server offered.
func dtmfPT(t *testing.T, in testutil.Incoming) uint8 {
	t.Helper()
	d, err := media.ParseSDP(in.Body)
	if err != nil || d.DTMFType == 0 {
		t.Fatalf("the server's offer has no telephone-event: %v\n%s", err, in.Body)
	}
	return d.DTMFType
}

type monitorSession struct {
	ID    string `json:"id"`
	Agent string `json:"agent"`
	Mode  string `json:"mode"`
	Phone string `json:"phone"`
}

// TestMonitoringListenWhisperBarge: supervisors monitor a live call from
// their desk phones, judged by the tones each phone actually receives.
// Listening, the supervisor hears the customer and the agent and neither
// hears it; whispering, the agent hears it and the customer does not;
// barging, both do; the phone's keys 1, 2 and 3 switch modes. A second
// supervisor listens at the same time. The supervisor hanging up leaves
// the call as it was; the customer hanging up hangs up the supervisor.
// Refused: a bad mode or phone, an agent on no call, a supervisor
// without calls.monitor, barging without calls.barge, a restricted
// supervisor on another queue's call.
func TestMonitoringListenWhisperBarge(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	s := startAcd(t, "-config", writeConfig(t, monitorYAML))
	admin := setupAdmin(t, s)
	for _, u := range []map[string]any{
		{"id": "2001", "role": "supervisor", "password": testPassword, "queues": []string{"support", "sales"}},
		{"id": "rsup", "role": "supervisor", "password": testPassword, "queues": []string{"sales"}, "restrict_to_assigned_queues": true},
	} {
		admin.expect(t, "POST", "/users", u, 201, nil)
	}
	sup := s.client(login(t, s, "2001", testPassword))
	rsup := s.client(login(t, s, "rsup", testPassword))
	sam := supervisorPhone(t, ctx, s, "2001")
	sue := supervisorPhone(t, ctx, s, "2002")
	call := monitoredCall(t, ctx, s)

	// Refusals, each naming what is wrong.
	for _, tc := range []struct {
		name   string
		c      *apiClient
		agent  string
		body   map[string]string
		status int
		says   string
	}{
		{"bad mode", sup, "1001", map[string]string{"mode": "shout"}, 422, "mode"},
		{"unknown phone", sup, "1001", map[string]string{"mode": "listen", "phone": "+15550100"}, 422, "phone"},
		{"the agent's own phone", sup, "1001", map[string]string{"mode": "listen", "phone": "1001"}, 422, "phone"},
		{"no phone of its own", rsup, "1001", map[string]string{"mode": "listen"}, 422, "phone"},
		{"agent on no call", sup, "1002", map[string]string{"mode": "listen"}, 409, "no call"},
		{"barge without calls.barge", sup, "1001", map[string]string{"mode": "barge"}, 403, "calls.barge"},
		{"restricted to another queue", rsup, "1001", map[string]string{"mode": "listen", "phone": "2002"}, 403, "support"},
	} {
		code, body, _ := tc.c.do(t, "POST", "/agents/"+tc.agent+"/monitor", tc.body)
		if code != tc.status || !strings.Contains(string(body), tc.says) {
			t.Errorf("%s: %d %s; want %d naming %q", tc.name, code, body, tc.status, tc.says)
		}
	}
	admin.expect(t, "DELETE", "/permissions/supervisor/calls.monitor", nil, 204, nil)
	if code, body, _ := sup.do(t, "POST", "/agents/1001/monitor", map[string]string{"mode": "listen"}); code != 403 || !strings.Contains(string(body), "calls.monitor") {
		t.Fatalf("monitoring without calls.monitor: %d %s", code, body)
	}
	admin.expect(t, "PUT", "/permissions/supervisor/calls.monitor", nil, 204, nil)

	// Listen, on the supervisor's own desk phone (its user id is its SIP user).
	var sess monitorSession
	sup.expect(t, "POST", "/agents/1001/monitor", map[string]string{"mode": "listen"}, 202, &sess)
	if sess.ID == "" || sess.Phone != "2001" || sess.Mode != "listen" {
		t.Fatalf("the session: %+v", sess)
	}
	in := incoming(t, ctx, sam)
	if in.From != "1001" || !strings.Contains(in.DisplayName, "Alice") {
		t.Errorf("the supervisor's phone shows %q <%s>; want the monitored agent", in.DisplayName, in.From)
	}
	for !sam.Remote().IsValid() {
		time.Sleep(10 * time.Millisecond)
	}
	hearsTone(t, ctx, sam, customerHz, "listening, the supervisor hears the customer")
	hearsTone(t, ctx, sam, agentHz, "listening, the supervisor hears the agent")
	st := sam.Stats()
	answered := sam.AnsweredAt()
	first := st.ToneFirst[customerHz]
	if a := st.ToneFirst[agentHz]; a.Before(first) {
		first = a
	}
	listenStart := first.Sub(answered)
	t.Logf("listening started %v after the supervisor's phone answered", listenStart)
	if listenStart > 2*time.Second {
		t.Errorf("listening started %v after the answer", listenStart)
	}
	sam.SendToneAt(ctx, media.PCMU, supervisorHz)
	hearsNoTone(t, ctx, call.customer, supervisorHz, "listening, the customer hears the supervisor")
	hearsNoTone(t, ctx, call.agent, supervisorHz, "listening, the agent hears the supervisor")
	eventsOf(t, s, store.Filter{}, has("monitor.started:1001"))

	// Whisper, from the API: the agent hears the supervisor, the customer does not.
	var changed monitorSession
	sup.expect(t, "PATCH", "/agents/1001/monitor/"+sess.ID, map[string]string{"mode": "whisper"}, 200, &changed)
	if changed.Mode != "whisper" {
		t.Fatalf("after PATCH: %+v", changed)
	}
	hearsTone(t, ctx, call.agent, supervisorHz, "whispering, the agent hears the supervisor")
	hearsNoTone(t, ctx, call.customer, supervisorHz, "whispering, the customer hears the supervisor")
	hearsTone(t, ctx, sam, customerHz, "whispering, the supervisor hears the customer")
	sup.expect(t, "PATCH", "/agents/1001/monitor/"+sess.ID, map[string]string{"mode": "barge"}, 403, nil)

	// Barge, by the phone's key 3 once the role may: both hear the supervisor.
	pt := dtmfPT(t, in)
	sam.SendDTMF('3', pt)
	hearsNoTone(t, ctx, call.customer, supervisorHz, "key 3 without calls.barge, the customer hears the supervisor")
	admin.expect(t, "PUT", "/permissions/supervisor/calls.barge", nil, 204, nil)
	// The session took the supervisor's rights as it started.
	sup.expect(t, "POST", "/agents/1001/monitor/"+sess.ID, map[string]string{"mode": "barge"}, 200, nil)
	hearsTone(t, ctx, call.customer, supervisorHz, "barging, the customer hears the supervisor")
	hearsTone(t, ctx, call.agent, supervisorHz, "barging, the agent hears the supervisor")

	// Key 1: listen again; key 2: whisper; key 3: barge.
	sam.SendDTMF('1', pt)
	settled(t, ctx, call.customer, supervisorHz)
	hearsNoTone(t, ctx, call.customer, supervisorHz, "key 1, the customer hears the supervisor")
	hearsNoTone(t, ctx, call.agent, supervisorHz, "key 1, the agent hears the supervisor")
	sam.SendDTMF('2', pt)
	hearsTone(t, ctx, call.agent, supervisorHz, "key 2, the agent hears the supervisor")
	hearsNoTone(t, ctx, call.customer, supervisorHz, "key 2, the customer hears the supervisor")
	eventsOf(t, s, store.Filter{}, has("monitor.mode_changed:1001", "monitor.mode_changed:1001", "monitor.mode_changed:1001", "monitor.mode_changed:1001"))

	// A second supervisor listens at the same time, on a phone named.
	var second monitorSession
	sup.expect(t, "POST", "/agents/1001/monitor", map[string]string{"mode": "listen", "phone": "2002"}, 202, &second)
	incoming(t, ctx, sue)
	hearsTone(t, ctx, sue, customerHz, "the second supervisor hears the customer")
	hearsTone(t, ctx, sue, agentHz, "the second supervisor hears the agent")
	var list struct{ Sessions []monitorSession }
	sup.expect(t, "GET", "/monitor", nil, 200, &list)
	if len(list.Sessions) != 2 {
		t.Fatalf("GET /monitor: %+v; want the two sessions", list)
	}
	rsup.expect(t, "GET", "/monitor", nil, 200, &list)
	if len(list.Sessions) != 0 {
		t.Fatalf("GET /monitor for a supervisor restricted to another queue: %+v", list)
	}

	// The first supervisor hangs up: the call goes on, nobody else is hung up.
	if err := sam.HangupIncoming(ctx); err != nil {
		t.Fatal(err)
	}
	eventsOf(t, s, store.Filter{}, has("monitor.stopped:1001"))
	settled(t, ctx, call.agent, supervisorHz)
	hearsTone(t, ctx, call.agent, customerHz, "after the supervisor hung up, the agent hears the customer")
	hearsTone(t, ctx, call.customer, agentHz, "after the supervisor hung up, the customer hears the agent")
	hearsTone(t, ctx, sue, customerHz, "after the first hung up, the second supervisor hears the customer")
	expectNoBye(t, call.customer, "the customer")
	expectNoBye(t, call.agent, "the agent")

	// The customer hangs up: the second supervisor's phone is hung up.
	if err := call.customer.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	waitBye(t, ctx, sue)
	got := eventsOf(t, s, store.Filter{}, has("monitor.stopped:1001", "monitor.stopped:1001"))
	expectSequence(t, got, "monitor.started:1001", "monitor.mode_changed:1001", "monitor.started:1001", "monitor.stopped:1001", "monitor.stopped:1001")
	causes := map[string]string{}
	for _, e := range logEvents(t, s) {
		if e.Type == "monitor.stopped" {
			var d struct {
				Session string
				Cause   string
			}
			decodeData(t, e, &d)
			causes[d.Session] = d.Cause
		}
	}
	if causes[sess.ID] != "supervisor-hung-up" || causes[second.ID] != "call-ended" {
		t.Errorf("monitor.stopped causes: %v", causes)
	}
	sup.expect(t, "GET", "/monitor", nil, 200, &list)
	if len(list.Sessions) != 0 {
		t.Errorf("sessions after the call ended: %+v", list)
	}
}

// TestMonitoringFeatureCode: *55 and the agent's id from a supervisor's
// desk phone makes that call the monitoring leg, listening at once; key 2
// whispers. A phone whose SIP user is no supervisor is refused with a
// prompt, and nothing joins the call.
func TestMonitoringFeatureCode(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s := startAcd(t, "-config", writeConfig(t, monitorYAML))
	admin := setupAdmin(t, s)
	admin.expect(t, "POST", "/users", map[string]any{"id": "2002", "role": "supervisor", "password": testPassword}, 201, nil)
	call := monitoredCall(t, ctx, s)

	// 2003's SIP user is no user of the directory.
	pat := testutil.NewPhone(t)
	if _, err := pat.Dial(ctx, s.sip, "*551001", "2003", "secret-2003"); err != nil {
		t.Fatal(err)
	}
	waitBye(t, ctx, pat)
	s.waitLog(t, 5*time.Second, "feature code", "code=*551001", "prompt=invalid-option", "phone=2003")
	for _, e := range logEvents(t, s) {
		if strings.HasPrefix(e.Type, "monitor.") {
			t.Fatalf("a refused phone monitors: %s", e.Type)
		}
	}

	sue := testutil.NewPhone(t)
	sue.Detect(customerHz, agentHz)
	if _, err := sue.Dial(ctx, s.sip, "*551001", "2002", "secret-2002"); err != nil {
		t.Fatal(err)
	}
	sue.SendToneAt(ctx, media.PCMU, supervisorHz)
	hearsTone(t, ctx, sue, customerHz, "by *55, the supervisor hears the customer")
	hearsTone(t, ctx, sue, agentHz, "by *55, the supervisor hears the agent")
	hearsNoTone(t, ctx, call.customer, supervisorHz, "by *55, the customer hears the supervisor")
	hearsNoTone(t, ctx, call.agent, supervisorHz, "by *55, the agent hears the supervisor")
	sue.SendDTMF('2', 101)
	hearsTone(t, ctx, call.agent, supervisorHz, "key 2, the agent hears the supervisor")
	hearsNoTone(t, ctx, call.customer, supervisorHz, "key 2, the customer hears the supervisor")
	if err := sue.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	eventsOf(t, s, store.Filter{}, has("monitor.started:1001", "monitor.mode_changed:1001", "monitor.stopped:1001"))
	hearsTone(t, ctx, call.agent, customerHz, "after *55 hung up, the agent hears the customer")
	expectNoBye(t, call.customer, "the customer")
	expectNoBye(t, call.agent, "the agent")
}

func decodeData(t *testing.T, e store.Event, out any) {
	t.Helper()
	if err := json.Unmarshal(e.Data, out); err != nil {
		t.Fatalf("event %d: %v", e.Seq, err)
	}
}

// TestConsoleMonitorListen: on a queue's page, a supervisor clicks
// Listen beside an agent on a call; its desk phone rings and hears the
// call, the session shows with its mode, Whisper switches it (the agent
// hears the supervisor) and Stop hangs the phone up, the call going on.
// Barge is not shown without calls.barge.
func TestConsoleMonitorListen(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s := startAcd(t, "-config", writeConfig(t, monitorYAML))
	admin := setupAdmin(t, s)
	admin.expect(t, "POST", "/users", map[string]any{"id": "2001", "role": "supervisor", "password": testPassword}, 201, nil)
	sam := supervisorPhone(t, ctx, s, "2001")
	call := monitoredCall(t, ctx, s)
	b := newBrowser(t, s)
	b.SignIn(t, "2001", testPassword)
	b.Open(t, "/supervisor/queues/support")
	b.WaitText(t, agentRow("1001"), "Listen", 2*time.Second)
	if b.Is(t, "Barge shown", `getComputedStyle(document.querySelector('`+agentRow("1001")+` [data-testid=barge]')).display != "none"`) {
		t.Error("the Barge button shows to a supervisor without calls.barge")
	}
	if got := b.Value(t, "#monitor-phone"); got != "2001" {
		t.Errorf("the phone offered first is %q; want the supervisor's own", got)
	}
	b.Click(t, agentRow("1001")+" [data-testid=listen]")
	incoming(t, ctx, sam)
	hearsTone(t, ctx, sam, customerHz, "from the console, the supervisor hears the customer")
	hearsTone(t, ctx, sam, agentHz, "from the console, the supervisor hears the agent")
	b.WaitText(t, "[data-monitor] [data-testid=monitor-mode]", "listen", 2*time.Second)
	sam.SendToneAt(ctx, media.PCMU, supervisorHz)
	b.Click(t, `[data-monitor] button[value="whisper"]`)
	hearsTone(t, ctx, call.agent, supervisorHz, "whispering from the console, the agent hears the supervisor")
	b.WaitText(t, "[data-monitor] [data-testid=monitor-mode]", "whisper", 2*time.Second)
	b.Click(t, "[data-monitor] [data-testid=monitor-stop]")
	waitBye(t, ctx, sam)
	hearsTone(t, ctx, call.agent, customerHz, "after Stop, the agent hears the customer")
	expectNoBye(t, call.customer, "the customer")
	b.Clean(t)
}
