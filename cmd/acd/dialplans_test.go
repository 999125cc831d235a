package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/store"
)

const planYAML = `numbers: {"100": main}
queues:
  support: {announce_every: 1h}
  sales: {announce_every: 1h}
dialplans:
  main:
    entry: welcome
    nodes:
      welcome: {type: play, prompt: welcome, next: menu}
      menu:
        type: menu
        prompt: main-menu
        choices: {"1": support, "2": account}
        timeout: 1s
        retries: 0
        on_timeout: sales
      account:
        type: collect
        prompt: enter-account
        variable: account
        digits: {min: 4, max: 8}
        terminator: "#"
        timeout: 3s
        next: sales
        on_timeout: sales
      support: {type: queue, queue: support, timeout: 60s, on_timeout: sorry, on_exit: goodbye}
      sales:   {type: queue, queue: sales, timeout: 1s, on_timeout: sorry, on_exit: goodbye}
      sorry:   {type: play, prompt: no-agents, next: bye}
      goodbye: {type: play, prompt: goodbye, next: bye}
      bye:     {type: hangup}
`

func TestDialPlanMenuQueueExit(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, planYAML), "-log-level", "debug")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	phone := dial(t, ctx, s)
	s.waitLog(t, 5*time.Second, `node=welcome`, `next=menu`)
	phone.SendDTMF('1', 101)
	s.waitLog(t, 5*time.Second, `node=menu`, `did="key 1"`, `next=support`)
	s.waitLog(t, 5*time.Second, `caller joined queue`, `queue=support`)
	phone.SendDTMF('*', 101)
	s.waitLog(t, 5*time.Second, `node=support`, `did="queue support: exit"`, `next=goodbye`)
	s.waitLog(t, 5*time.Second, `node=goodbye`, `next=bye`)
	waitBye(t, ctx, phone)
	if st := phone.Stats(); st.SpeechFrames < 20 {
		t.Fatalf("heard %d frames of sound, want the prompts", st.SpeechFrames)
	}
}

func TestDialPlanMenuAndQueueTimeouts(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, planYAML), "-log-level", "debug")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	phone := dial(t, ctx, s)
	s.waitLog(t, 10*time.Second, `node=menu`, `no key after 1 tries: on_timeout`, `next=sales`)
	s.waitLog(t, 10*time.Second, `node=sales`, `did="queue sales: timeout"`, `next=sorry`)
	s.waitLog(t, 10*time.Second, `node=sorry`, `next=bye`)
	waitBye(t, ctx, phone)
}

func TestDialPlanCollectReachesQueue(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, planYAML), "-log-level", "debug")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	phone := dial(t, ctx, s)
	s.waitLog(t, 5*time.Second, `node=welcome`)
	for _, k := range "24711#" {
		phone.SendDTMF(k, 101)
	}
	// The log says how many digits the caller typed, never which.
	lines := s.linesUntil(t, 5*time.Second, `caller joined queue`, `queue=sales`, `vars="map[account:(4 digits)]"`)
	if countLines(lines, `caller information collected`, `variable=account`, `value="(4 digits)"`) != 1 ||
		countLines(lines, `node=account`, `did="account=(4 digits)"`) != 1 {
		t.Errorf("the log does not say 4 digits were collected:\n%s", strings.Join(lines, "\n"))
	}
	if n := countLines(lines, "4711"); n > 0 {
		t.Errorf("%d log lines show the digits typed:\n%s", n, strings.Join(lines, "\n"))
	}
	// The queue has them.
	if vars := joinedVars(t, s); vars["account"] != "4711" {
		t.Errorf("the queue was given %v, want account 4711", vars)
	}
	waitBye(t, ctx, phone)
}

// joinedVars are the dial plan's variables a caller joined a queue with,
// as the event log has them.
func joinedVars(t *testing.T, s *server) map[string]string {
	t.Helper()
	eventsOf(t, s, store.Filter{}, has("caller.joined:")) // committed
	l, err := store.Open(filepath.Join(s.data, "acd.db"), slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	evs, err := l.Events(context.Background(), store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.Type == "caller.joined" {
			p, err := event.Decode(e)
			if err != nil {
				t.Fatal(err)
			}
			return p.(event.CallerJoined).Vars
		}
	}
	t.Fatal("no caller.joined event")
	return nil
}

// TestReloadKeepsCallsOnTheirVersion: a SIGHUP during a call applies the
// new plan to new calls only; an invalid file is rejected and changes
// nothing.
func TestReloadKeepsCallsOnTheirVersion(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, planYAML)
	s := startAcd(t, "-config", path, "-log-level", "debug")
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()

	first := dial(t, ctx, s)
	s.waitLog(t, 5*time.Second, `node=welcome`)
	first.SendDTMF('1', 101)
	joined := s.waitLog(t, 5*time.Second, `caller joined queue`, `queue=support`)
	_ = joined

	// The new version sends * to "sorry" instead of "goodbye".
	prompts := strings.Split(readFile(t, path), "\n")[0]
	changed := prompts + "\n" + strings.Replace(planYAML, "on_exit: goodbye}\n      sales", "on_exit: sorry}\n      sales", 1)
	if err := os.WriteFile(path, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = s.cmd.Process.Signal(syscall.SIGHUP)
	reloaded := s.waitLog(t, 5*time.Second, `configuration reloaded`)
	oldVersion := field(reloaded, "old_version")
	newVersion := field(reloaded, "version")
	if oldVersion == newVersion {
		t.Fatalf("reload kept version %s", newVersion)
	}

	first.SendDTMF('*', 101)
	s.waitLog(t, 5*time.Second, `node=support`, `config_version=`+oldVersion, `next=goodbye`)
	waitBye(t, ctx, first)

	second := dial(t, ctx, s)
	s.waitLog(t, 5*time.Second, `node=welcome`, `config_version=`+newVersion)
	second.SendDTMF('1', 101)
	s.waitLog(t, 5*time.Second, `caller joined queue`, `queue=support`)
	second.SendDTMF('*', 101)
	s.waitLog(t, 5*time.Second, `node=support`, `config_version=`+newVersion, `next=sorry`)
	waitBye(t, ctx, second)

	// A broken file is rejected with the check messages; the version stays.
	os.WriteFile(path, []byte(prompts+"\n"+planYAML+"      extra: {type: play, prompt: nope, next: bye}\n"), 0o644)
	_ = s.cmd.Process.Signal(syscall.SIGHUP)
	line := s.waitLog(t, 5*time.Second, `configuration reload rejected`)
	if !strings.Contains(line, `prompt \"nope\" does not exist`) || !strings.Contains(line, "version="+newVersion) {
		t.Fatalf("rejection line lacks the problem or the kept version: %s", line)
	}
}

// field reads key=value from a log line.
func field(line, key string) string {
	for _, f := range strings.Fields(line) {
		if v, ok := strings.CutPrefix(f, key+"="); ok {
			return v
		}
	}
	return ""
}

// patternYAML routes one exact number and a block of numbers by pattern,
// each to a dial plan of its own.
const patternYAML = `numbers:
  "100": main
  "+14155550100": main
  "_+1415555XXXX": sales
queues:
  support: {name: Support, announce_every: 1h}
dialplans:
  main:
    entry: bye
    nodes:
      bye: {type: hangup}
  sales:
    entry: welcome
    nodes:
      welcome: {type: play, prompt: welcome, next: q}
      q:       {type: queue, queue: support, timeout: 60s, on_timeout: bye, on_exit: goodbye}
      goodbye: {type: play, prompt: goodbye, next: bye}
      bye:     {type: hangup}
`

// arrivals waits until the event log holds n call.arrived events and
// returns them.
func arrivals(t *testing.T, s *server, n int) []event.CallArrived {
	t.Helper()
	l, err := store.Open(filepath.Join(s.data, "acd.db"), slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		evs, err := l.Events(context.Background(), store.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		var out []event.CallArrived
		for _, e := range evs {
			if e.Type != "call.arrived" {
				continue
			}
			p, err := event.Decode(e)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, p.(event.CallArrived))
		}
		if len(out) >= n {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("the event log holds %d call.arrived events, want %d", len(out), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSIPpCallToPatternNumber: SIPp calls a number that only a pattern
// of numbers: takes; the call runs that pattern's dial plan (it hears
// the welcome, waits in the queue, leaves with * and is said goodbye),
// and call.arrived names the number dialled and the pattern.
func TestSIPpCallToPatternNumber(t *testing.T) {
	t.Parallel()
	sipp := requireSIPp(t)
	s := startAcd(t, "-config", writeConfig(t, patternYAML))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	cmd := exec.CommandContext(ctx, sipp, "-sf", "../../bench/sipp/caller_star.xml", "-s", "+14155550123",
		"-i", "127.0.0.1", "-p", freeUDPPort(t), "-mp", freeUDPPort(t), "-m", "1", "-l", "1",
		"-timeout", "40s", "-timeout_error", "-nostdin", "-trace_err", "-error_file", filepath.Join(dir, "errors.log"),
		s.sip)
	out, err := cmd.CombinedOutput()
	if err != nil {
		errs, _ := os.ReadFile(filepath.Join(dir, "errors.log"))
		t.Fatalf("sipp failed: %v\n%s\n%s", err, lastLines(string(out), 30), errs)
	}
	s.waitLog(t, 10*time.Second, "caller left queue with *")
	got := arrivals(t, s, 1)[0]
	if got.To != "+14155550123" || got.Pattern != "_+1415555XXXX" || got.Plan != "sales" {
		t.Fatalf("call.arrived %+v; want to +14155550123 by pattern _+1415555XXXX, dial plan sales", got)
	}
}

// TestAPIPatternNumber: a pattern routed through the API takes calls at
// once, the exact number of the file still wins over it, and a bad
// pattern is a 422 naming the field and what to write.
func TestAPIPatternNumber(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, patternYAML))
	admin := setupAdmin(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	code, body, _ := admin.do(t, "PUT", "/numbers/_+1628%5B2-9%5DX.", map[string]string{"dialplan": "sales"})
	if code != 200 {
		t.Fatalf("PUT a pattern: %d %s", code, body)
	}
	for _, tc := range []struct{ path, says string }{
		{"/numbers/_9%5B1-5", "has no ]"},
		{"/numbers/_9.1", "must come last"},
		{"/numbers/+44X*", "a prefix is digits"},
	} {
		code, body, _ := admin.do(t, "PUT", tc.path, map[string]string{"dialplan": "sales"})
		if code != 422 || !strings.Contains(string(body), "number") || !strings.Contains(string(body), tc.says) {
			t.Errorf("PUT %s: %d %s; want 422 naming number and saying %q", tc.path, code, body, tc.says)
		}
	}
	var list struct {
		Numbers []struct{ Number, Dialplan, Source string }
	}
	admin.expect(t, "GET", "/numbers", nil, 200, &list)
	found := false
	for _, n := range list.Numbers {
		found = found || (n.Number == "_+1628[2-9]X." && n.Dialplan == "sales" && n.Source == "database")
	}
	if !found {
		t.Fatalf("GET /numbers: %+v; want the pattern", list.Numbers)
	}

	a := dialAs(t, ctx, s, "+16285550123", "+14155550177") // the API's pattern
	s.waitLog(t, 10*time.Second, "caller joined queue", "queue=support")
	_ = a.Hangup(ctx)
	b := dialAs(t, ctx, s, "+14155550100", "+14155550178") // the file's exact number, inside its pattern
	waitBye(t, ctx, b)
	got := arrivals(t, s, 2)
	if got[0].Plan != "sales" || got[0].Pattern != "_+1628[2-9]X." || got[0].To != "+16285550123" {
		t.Errorf("first call %+v; want dial plan sales by the API's pattern", got[0])
	}
	if got[1].Plan != "main" || got[1].Pattern != "" {
		t.Errorf("second call %+v; want dial plan main, by its own number", got[1])
	}
}

const billingPlan = `entry: q
nodes:
  q:   {type: queue, queue: billing, timeout: 30s, on_timeout: bye, on_exit: bye}
  bye: {type: hangup}
`

// TestAPIDialplans: a dial plan uploaded through the API, and a number
// routed to it, take callers to a queue made through the API at once; a
// broken upload is refused with the lines of the upload, as acd check
// words it, and changes nothing; every version is kept and an older one
// can be put back; what is in use is not removed; the file's plans and
// numbers are the file's.
func TestAPIDialplans(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	admin := setupAdmin(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	admin.expect(t, "POST", "/queues", map[string]any{"id": "billing", "strategy": "linear"}, 201, nil)

	_, body, _ := admin.do(t, "PUT", "/dialplans/billing", map[string]string{"yaml": strings.Replace(billingPlan, "on_exit: bye", "on_exit: nowhere", 1)})
	if !strings.Contains(string(body), "dialplan billing:3:") || !strings.Contains(string(body), "nowhere") {
		t.Fatalf("a broken upload: %s; want a 422 at the upload's line 3", body)
	}
	var up struct{ Version int }
	admin.expect(t, "PUT", "/dialplans/billing", map[string]string{"yaml": billingPlan}, 200, &up)
	if up.Version != 1 {
		t.Fatalf("the first good upload is version %d", up.Version)
	}
	admin.expect(t, "PUT", "/numbers/300", map[string]string{"dialplan": "billing"}, 200, nil)
	admin.expect(t, "POST", "/agents", map[string]any{"id": "1003", "name": "Carol", "queues": []string{"billing"}, "sip_password": "secret-1003"}, 201, nil)
	carol := testutil.NewPhone(t)
	if code, err := carol.Register(ctx, s.sip, "1003", "secret-1003", 300); err != nil || code != 200 {
		t.Fatalf("REGISTER: %d %v", code, err)
	}
	carol.TakeCalls(testutil.AnswerMode{After: 50 * time.Millisecond})
	// A caller waits in the queue on version 1 while version 2, which
	// hangs up at once, is put in force: the waiting call keeps its
	// version and reaches the agent; a new call gets version 2.
	caller := dialAs(t, ctx, s, "300", "+14155550177")
	s.waitLog(t, 10*time.Second, "caller joined queue", "queue=billing")
	admin.expect(t, "PUT", "/dialplans/billing", map[string]string{"yaml": "entry: bye\nnodes:\n  bye: {type: hangup}\n"}, 200, &up)
	late := dialAs(t, ctx, s, "300", "+14155550178")
	waitBye(t, ctx, late)
	featureCall(t, ctx, s, carol, "1003", "*50")
	incoming(t, ctx, carol)
	_ = caller.Hangup(ctx)
	_, body, _ = admin.do(t, "DELETE", "/queues/billing", nil)
	if !strings.Contains(string(body), "still in use") || !strings.Contains(string(body), "1003") {
		t.Fatalf("deleting a queue an agent belongs to: %s", body)
	}

	admin.expect(t, "POST", "/dialplans/billing/activate", map[string]int{"version": 1}, 204, nil)
	var plan struct {
		Version  int
		YAML     string
		Versions []struct{ Version int }
	}
	admin.expect(t, "GET", "/dialplans/billing", nil, 200, &plan)
	if plan.Version != 1 || len(plan.Versions) != 2 || plan.YAML != billingPlan {
		t.Fatalf("after putting version 1 back: %+v", plan)
	}

	// With no agent in it, the queue is still the plan's: its node is named.
	admin.expect(t, "PUT", "/agents/1003", map[string]any{"name": "Carol", "queues": []string{"support"}}, 200, nil)
	_, body, _ = admin.do(t, "DELETE", "/queues/billing", nil)
	if !strings.Contains(string(body), "still in use") || !strings.Contains(string(body), `node \"q\"`) {
		t.Fatalf("deleting a queue an uploaded plan uses: %s; want a 409 naming the node", body)
	}
	admin.expect(t, "DELETE", "/dialplans/billing", nil, 409, nil) // 300 routes to it
	admin.expect(t, "PUT", "/dialplans/support", map[string]string{"yaml": billingPlan}, 409, nil)
	admin.expect(t, "PUT", "/numbers/100", map[string]string{"dialplan": "billing"}, 409, nil)
	admin.expect(t, "DELETE", "/numbers/300", nil, 204, nil)
	admin.expect(t, "DELETE", "/dialplans/billing", nil, 204, nil)
	var list struct{ Dialplans []struct{ Name string } }
	admin.expect(t, "GET", "/dialplans", nil, 200, &list)
	if fmt.Sprint(list.Dialplans) != "[{sales} {support}]" {
		t.Fatalf("dial plans after the removal: %v", list.Dialplans)
	}
}

// TestSimulateSaysWhichZone: a moment without an offset is read in the
// machine's zone, and simulate says so rather than leaving it implied.
func TestSimulateSaysWhichZone(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		at   string
		note bool
	}{{"2026-11-24T10:00", true}, {"2026-11-24T10:00Z", false}, {"2026-11-24T10:00-05:00", false}} {
		out, err := exec.Command(acdBinary, "simulate", "-number", "100", "-at", tc.at).CombinedOutput()
		if err != nil {
			t.Fatalf("simulate -at %s: %v\n%s", tc.at, err, out)
		}
		if got := strings.Contains(string(out), "has no offset: read in this machine's time zone"); got != tc.note {
			t.Fatalf("simulate -at %s: note printed %v, want %v:\n%s", tc.at, got, tc.note, out)
		}
	}
}
