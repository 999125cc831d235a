package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	sipmsg "github.com/emiago/sipgo/sip"
	dto "github.com/prometheus/client_model/go"

	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/store"
)

// qualifyYAML asks phones every half second, so that a phone that stops
// answering is found within a second or two.
const qualifyYAML = "sip:\n  qualify: {interval: 500ms, timeout: 300ms, failures: 2}\n" + agentsYAML

// phoneCauses lists an agent's agent.registered and agent.unregistered
// events as "+cause" and "-cause", in order.
func phoneCauses(t *testing.T, s *server, agent string) []string {
	t.Helper()
	var out []string
	for _, e := range logEvents(t, s) {
		if e.Agent != agent {
			continue
		}
		p, err := event.Decode(e)
		if err != nil {
			t.Fatal(err)
		}
		switch p := p.(type) {
		case event.PhoneRegistered:
			out = append(out, "+"+p.Cause)
		case event.PhoneUnregistered:
			out = append(out, "-"+p.Cause)
		}
	}
	return out
}

// TestQualifyBaresip: a real phone, baresip, registers as agent 1001 and
// logs in. Frozen with SIGSTOP, it stops answering the server's OPTIONS:
// the server marks it unreachable (event, log line, API, acd ctl), and a
// caller who queues meanwhile is not offered to it. Thawed with SIGCONT,
// it answers again, is reachable, and is offered the caller, whom it
// answers.
func TestQualifyBaresip(t *testing.T) {
	modules := requireBaresip(t)
	s := startAcd(t, "-config", writeConfig(t, qualifyYAML))
	admin := setupAdmin(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	phone := startBaresip(t, modules, "<sip:1001@"+s.sip+">;auth_pass=secret-1001;answermode=auto")
	pid := phone.cmd.Process.Pid
	eventsOf(t, s, store.Filter{}, has("agent.registered:1001"))
	phone.command(t, "/dial *50")
	s.waitLog(t, 15*time.Second, "feature code", "agent=1001", "code=*50", "prompt=agent-logged-in")
	s.waitLog(t, 10*time.Second, `msg="call ended"`, `why="server hung up`) // after its confirmation

	// Frozen: it cannot answer anything. Thawed at the end whatever
	// happens, before its own cleanup asks it to quit (this runs first).
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGCONT) })
	eventsOf(t, s, store.Filter{}, has("agent.registered:1001", "agent.logged_in:1001", "agent.unregistered:1001"))
	s.waitLog(t, 10*time.Second, "agent's phone does not answer OPTIONS: unreachable", "agent=1001", "transport=UDP")
	var state struct {
		State       string
		Registered  bool
		Unreachable bool
	}
	admin.expect(t, "GET", "/agents/1001/state", nil, 200, &state)
	if state.State != "ready" || state.Registered || !state.Unreachable {
		t.Fatalf("the frozen phone's agent: %+v; want ready, not registered, unreachable", state)
	}
	if shown := ctlPhone(t, s, "1001"); shown != "unreachable" {
		t.Fatalf("acd ctl agents shows 1001's phone as %q, want unreachable", shown)
	}

	// A caller queues while the phone is unreachable: it waits, unoffered.
	caller := dialAs(t, ctx, s, "200", "+14155550123")
	eventsOf(t, s, store.Filter{}, has("agent.unregistered:1001", "caller.joined:"))
	var waiting struct {
		Waiting []struct{ Ringing bool }
	}
	admin.expect(t, "GET", "/queues/sales/waiting", nil, 200, &waiting)
	if len(waiting.Waiting) != 1 || waiting.Waiting[0].Ringing {
		t.Fatalf("sales' waiting list %+v; want the caller, not ringing", waiting.Waiting)
	}

	// Thawed: it answers the next OPTIONS, is reachable, is offered the
	// caller and answers.
	if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	got := eventsOf(t, s, store.Filter{}, has("caller.joined:", "agent.registered:1001", "caller.offered:1001", "agent.answered:1001"))
	s.waitLog(t, 10*time.Second, "agent's phone answers OPTIONS again: reachable", "agent=1001")
	// Not offered in between: the first offer to 1001 after the caller
	// joined comes after its phone answered again.
	joined := slices.Index(got, "caller.joined:")
	back := joined + slices.Index(got[joined:], "agent.registered:1001")
	offered := joined + slices.Index(got[joined:], "caller.offered:1001")
	if offered < back {
		t.Fatalf("the caller was offered to the unreachable phone: %v", got)
	}
	if causes := phoneCauses(t, s, "1001"); !slices.Equal(causes, []string{"+registered", "-no-response", "+responding"}) {
		t.Fatalf("1001's phone changes %v; want registered, no-response, responding", causes)
	}
	admin.expect(t, "GET", "/agents/1001/state", nil, 200, &state)
	if !state.Registered || state.Unreachable {
		t.Fatalf("the thawed phone's agent: %+v; want registered, reachable", state)
	}
	if err := caller.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestQualifyReload: a server starts with qualify off; a phone registers
// as agent 1001 and answers no OPTIONS, and none comes. The file turns
// qualify on and SIGHUP puts it in force: the phone is asked, found
// unreachable (event, log line, API, acd ctl, acd_sip_unreachable_phones
// 1, the OPTIONS counted as timeouts), then answers and is reachable
// again (the gauge 0, an answer counted). Found silent once more, a
// reload turning qualify off makes it reachable (cause qualify-off), and
// no OPTIONS follow. The registration, and a caller waiting in a queue,
// stay through every reload.
func TestQualifyReload(t *testing.T) {
	t.Parallel()
	on := "sip:\n  qualify: {interval: 500ms, timeout: 300ms, failures: 2}\n" + agentsYAML
	off := strings.Replace(on, "{interval:", "{enabled: false, interval:", 1)
	path := writeConfig(t, off)
	s := startAcd(t, "-config", path)
	admin := setupAdmin(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	reloadWith := func(text, logged string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := s.cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		s.waitLog(t, 5*time.Second, logged)
	}
	phone := testutil.NewRawPhone(t)
	phone.Register(ctx, s.sip, "1001", "secret-1001", "qualify-reload@raw", 300)
	eventsOf(t, s, store.Filter{Agent: "1001"}, has("agent.registered:1001"))
	caller := dialAs(t, ctx, s, "200", "+14155550123")
	eventsOf(t, s, store.Filter{}, has("caller.joined:"))
	options := testutil.Request(sipmsg.OPTIONS)
	next := func() *sipmsg.Request {
		t.Helper()
		m, err := phone.Next(ctx, options)
		if err != nil {
			t.Fatalf("no OPTIONS came: %v", err)
		}
		return m.(*sipmsg.Request)
	}
	// Two intervals of the settings turned on below: the first OPTIONS
	// would have come.
	if !phone.Quiet(time.Second, options) {
		t.Fatal("an OPTIONS came with sip.qualify.enabled false")
	}
	probes := func(m map[string]*dto.MetricFamily) (ok, timeout float64) {
		return sample(t, m, "acd_sip_qualify_probes_total", "result", "ok"), sample(t, m, "acd_sip_qualify_probes_total", "result", "timeout")
	}
	m := scrape(t, s)
	if ok, timeout := probes(m); ok+timeout != 0 || sample(t, m, "acd_sip_unreachable_phones") != 0 {
		t.Fatalf("with qualify off: %v OPTIONS answered, %v timed out, %v phones unreachable; want none", ok, timeout, sample(t, m, "acd_sip_unreachable_phones"))
	}

	reloadWith(on, "sip.qualify reloaded")
	next()
	next()
	s.waitLog(t, 5*time.Second, "agent's phone does not answer OPTIONS: unreachable", "agent=1001")
	var state struct {
		Registered  bool
		Unreachable bool
	}
	admin.expect(t, "GET", "/agents/1001/state", nil, 200, &state)
	if state.Registered || !state.Unreachable {
		t.Fatalf("the silent phone's agent: %+v; want not registered, unreachable", state)
	}
	if shown := ctlPhone(t, s, "1001"); shown != "unreachable" {
		t.Fatalf("acd ctl agents shows 1001's phone as %q, want unreachable", shown)
	}
	m = scrape(t, s)
	if n := sample(t, m, "acd_sip_unreachable_phones"); n != 1 {
		t.Fatalf("acd_sip_unreachable_phones %v while the phone is silent, want 1", n)
	}
	if ok, timeout := probes(m); ok != 0 || timeout < 2 {
		t.Fatalf("%v OPTIONS answered and %v timed out, want none and the 2 unanswered", ok, timeout)
	}

	phone.Forget(ctx, s.sip, options) // asked while the checks above ran: too late to answer
	phone.Respond(next(), 200, "OK")
	s.waitLog(t, 5*time.Second, "agent's phone answers OPTIONS again: reachable", "agent=1001")
	m = scrape(t, s)
	if n := sample(t, m, "acd_sip_unreachable_phones"); n != 0 {
		t.Fatalf("acd_sip_unreachable_phones %v once the phone answered, want 0", n)
	}
	if ok, _ := probes(m); ok != 1 {
		t.Fatalf("%v OPTIONS answered, want the one", ok)
	}

	// Silent again, then qualify turned off: reachable, and asked no more.
	next()
	next()
	s.waitLog(t, 5*time.Second, "agent's phone does not answer OPTIONS: unreachable", "agent=1001")
	reloadWith(off, "sip.qualify reloaded: off")
	eventsOf(t, s, store.Filter{Agent: "1001"}, has("agent.registered:1001", "agent.unregistered:1001", "agent.registered:1001", "agent.unregistered:1001", "agent.registered:1001"))
	if causes := phoneCauses(t, s, "1001"); !slices.Equal(causes, []string{"+registered", "-no-response", "+responding", "-no-response", "+qualify-off"}) {
		t.Fatalf("1001's phone changes %v; want registered, no-response, responding, no-response, qualify-off", causes)
	}
	admin.expect(t, "GET", "/agents/1001/state", nil, 200, &state)
	if !state.Registered || state.Unreachable {
		t.Fatalf("with qualify off, the agent: %+v; want registered, reachable", state)
	}
	if n := sample(t, scrape(t, s), "acd_sip_unreachable_phones"); n != 0 {
		t.Fatalf("acd_sip_unreachable_phones %v with qualify off, want 0", n)
	}
	phone.Forget(ctx, s.sip, options) // sent before the reload
	if !phone.Quiet(time.Second, options) {
		t.Fatal("an OPTIONS came once a reload turned qualify off")
	}

	var waiting struct{ Waiting []struct{ Ringing bool } }
	admin.expect(t, "GET", "/queues/sales/waiting", nil, 200, &waiting)
	if len(waiting.Waiting) != 1 {
		t.Fatalf("sales' waiting list %+v after the reloads; want the caller still there", waiting.Waiting)
	}
	if err := caller.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
}

// ctlPhone is what `acd ctl agents` shows of an agent's phone.
func ctlPhone(t *testing.T, s *server, agent string) string {
	t.Helper()
	for _, r := range table(t, ctlOK(t, s, "agents")) {
		if r["AGENT"] == agent {
			return r["PHONE"]
		}
	}
	return ""
}

func TestRegisterAuthentication(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, agentsYAML))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p := testutil.NewPhone(t)
	for _, tc := range []struct {
		user, password string
		want           int
	}{
		{"1001", "hunter2-not-it", 401}, // a fresh challenge: same as for an unknown user
		{"9999", "whatever", 401},
		{"1001", "secret-1001", 200},
	} {
		code, err := p.Register(ctx, s.sip, tc.user, tc.password, 300)
		if err != nil || code != tc.want {
			t.Fatalf("REGISTER %s/%s: %d %v; want %d", tc.user, tc.password, code, err, tc.want)
		}
	}
	line := s.waitLog(t, 5*time.Second, "security: SIP authentication failed", "user=1001")
	if strings.Contains(line, "hunter2") {
		t.Fatalf("a password reached the log: %s", line)
	}
	// Repeated failures from one address are throttled.
	var last int
	for i := range 12 {
		last, _ = p.Register(ctx, s.sip, "1002", fmt.Sprint("guess-", i), 300)
	}
	if last != 403 {
		t.Fatalf("after 12 failures the answer is %d, want 403", last)
	}
}

// TestRegistrationSurvivesRestart: a phone registered before the server
// restarts is rung after it, without registering again (phones do so only
// when their registration nears its end, often an hour later).
func TestRegistrationSurvivesRestart(t *testing.T) {
	t.Parallel()
	cfg := writeConfig(t, agentsYAML)
	data := t.TempDir()
	first := startAcd(t, "-config", cfg, "-data", data)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	agent := testutil.NewPhone(t)
	if code, err := agent.Register(ctx, first.sip, "1001", "secret-1001", 3600); err != nil || code != 200 {
		t.Fatalf("REGISTER: %d %v", code, err)
	}
	agent.TakeCalls(testutil.AnswerMode{After: 50 * time.Millisecond})
	if err := first.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	_ = first.cmd.Wait()

	second := startAcd(t, "-config", cfg, "-data", data)
	second.waitLog(t, 10*time.Second, "registration restored", "agent=1001")
	featureCall(t, ctx, second, agent, "1001", "*50")
	dial(t, ctx, second)
	incoming(t, ctx, agent)
}

// TestAPIAgentAnswersSHA256: an agent made through the API keeps both
// digests of its password, so its phone registers where the server
// challenges with SHA-256 alone.
func TestAPIAgentAnswersSHA256(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, "sip_auth_algorithms: [SHA-256]\n"+apiYAML))
	admin := setupAdmin(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	admin.expect(t, "POST", "/agents", map[string]any{"id": "1003", "name": "Carol", "queues": []string{"support"}, "sip_password": "secret-1003"}, 201, nil)
	carol := testutil.NewPhone(t)
	if code, err := carol.Register(ctx, s.sip, "1003", "secret-1003", 300); err != nil || code != 200 {
		t.Fatalf("REGISTER of an API-made agent against SHA-256 challenges: %d %v", code, err)
	}
	if code, _ := testutil.NewPhone(t).Register(ctx, s.sip, "1003", "wrong", 300); code == 200 {
		t.Fatal("a wrong password registered")
	}
}
