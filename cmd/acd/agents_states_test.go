package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/store"
)

// TestAPIPausedAgentIsNotRung: an agent paused through the API is in the
// paused state, the event log says so and who did it, and a caller is
// not offered to it until it is ready again.
func TestAPIPausedAgentIsNotRung(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	as := users(t, s, setupAdmin(t, s))
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	phone := testutil.NewPhone(t)
	if code, err := phone.Register(ctx, s.sip, "1001", "secret-1001", 300); err != nil || code != 200 {
		t.Fatalf("REGISTER: %d %v", code, err)
	}
	phone.TakeCalls(testutil.AnswerMode{After: 100 * time.Millisecond})
	var st struct{ State, Reason string }
	as["agent"].expect(t, "PUT", "/agents/1001/state", map[string]string{"action": "login"}, 200, &st)
	if st.State != "ready" {
		t.Fatalf("after login: %+v", st)
	}
	as["sup"].expect(t, "PUT", "/agents/1001/state", map[string]string{"action": "pause", "reason": "lunch"}, 200, &st)
	as["agent"].expect(t, "GET", "/agents/1001/state", nil, 200, &st)
	if st.State != "paused" || st.Reason != "Lunch" {
		t.Fatalf("state after pausing: %+v; want paused with Lunch", st)
	}
	got := eventsOf(t, s, store.Filter{Agent: "1001"}, has("agent.state>paused:1001"))
	expectSequence(t, got, "agent.logged_in:1001", "agent.state>ready:1001", "agent.state>paused:1001")
	// One event per change, naming who made it: the audit trail of an
	// agent's state is the distributor's own record.
	var audit struct{ Events []store.Event }
	as["admin"].expect(t, "GET", "/audit?agent=1001&type=agent.state&actor=sup", nil, 200, &audit)
	if len(audit.Events) != 1 {
		t.Fatalf("the audit of the pause: %+v", audit.Events)
	}
	var paused event.AgentState
	if err := json.Unmarshal(audit.Events[0].Data, &paused); err != nil || paused.To != "paused" || paused.Reason != "Lunch" ||
		paused.From != "ready" || paused.Cause != "pause" || paused.Actor != event.User("sup", "supervisor") {
		t.Fatalf("the audit of the pause: %s (%v)", audit.Events[0].Data, err)
	}

	caller := dialAs(t, ctx, s, "100", "+14155550123")
	defer caller.Hangup(context.Background())
	s.waitLog(t, 10*time.Second, "caller joined queue", "queue=support")
	var waiting struct {
		Waiting []struct {
			Position int
			Number   string
		}
	}
	as["rsup"].expect(t, "GET", "/queues/support/waiting", nil, 200, &waiting)
	if len(waiting.Waiting) != 1 || waiting.Waiting[0].Position != 1 || waiting.Waiting[0].Number != "+14155550123" {
		t.Fatalf("waiting list %+v", waiting.Waiting)
	}
	select {
	case <-phone.IncomingCalls():
		t.Fatal("a paused agent was rung")
	case <-time.After(2 * time.Second):
	}
	as["agent"].expect(t, "PUT", "/agents/1001/state", map[string]string{"action": "ready"}, 200, nil)
	incoming(t, ctx, phone)
}

// TestAPIUnassignedLogin: the organisation setting lets agents log in to
// queues they are not assigned to; turned off, an agent already in such a
// queue keeps it until logging out, and cannot log in to it again; a
// supervisor may always log an agent in to an unassigned queue. Set in the
// configuration file, the setting is the file's.
func TestAPIUnassignedLogin(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	as := users(t, s, setupAdmin(t, s))
	var st struct {
		State  string
		Queues []string
	}
	var set struct {
		Allow  bool   `json:"allow_unassigned_login"`
		Source string `json:"allow_unassigned_login_source"`
	}
	as["admin"].expect(t, "GET", "/settings", nil, 200, &set)
	if set.Allow || set.Source != "default" {
		t.Fatalf("settings at first: %+v", set)
	}
	as["agent"].expect(t, "PUT", "/agents/1001/state", map[string]string{"action": "login", "queue": "sales"}, 403, nil)
	as["admin"].expect(t, "PUT", "/settings", map[string]bool{"allow_unassigned_login": true}, 200, &set)
	if !set.Allow || set.Source != "database" {
		t.Fatalf("settings once allowed: %+v", set)
	}
	as["agent"].expect(t, "PUT", "/agents/1001/state", map[string]string{"action": "login", "queue": "sales"}, 200, &st)
	if st.State != "ready" || fmt.Sprint(st.Queues) != "[sales]" {
		t.Fatalf("after logging in to sales: %+v", st)
	}
	as["admin"].expect(t, "PUT", "/settings", map[string]bool{"allow_unassigned_login": false}, 200, nil)
	as["agent"].expect(t, "GET", "/agents/1001/state", nil, 200, &st)
	if fmt.Sprint(st.Queues) != "[sales]" {
		t.Fatalf("the setting turned off took the agent out of sales: %+v", st)
	}
	as["agent"].expect(t, "PUT", "/agents/1001/state", map[string]string{"action": "logout"}, 200, nil)
	as["agent"].expect(t, "PUT", "/agents/1001/state", map[string]string{"action": "login", "queue": "sales"}, 403, nil)
	as["sup"].expect(t, "PUT", "/agents/1001/state", map[string]string{"action": "login", "queue": "sales"}, 200, &st)
	if fmt.Sprint(st.Queues) != "[sales]" {
		t.Fatalf("the supervisor's login to an unassigned queue: %+v", st)
	}
	// The event names the supervisor and says the queue is not the agent's.
	got := eventsOf(t, s, store.Filter{Agent: "1001", Queue: "sales"}, func(evs []string) bool { return len(evs) >= 3 })
	expectSequence(t, got, "agent.logged_in:1001", "agent.logged_out:1001", "agent.logged_in:1001")

	// The supervisor's view of its agents shows the state, since when,
	// and the queues logged in to; logging out of one queue leaves the
	// others.
	as["sup"].expect(t, "PUT", "/agents/1001/state", map[string]string{"action": "login"}, 200, nil)
	var agents struct {
		Agents []struct {
			ID   string
			Live struct {
				State      string
				Queues     []string
				StateSince time.Time `json:"state_since"`
			}
		}
	}
	as["sup"].expect(t, "GET", "/agents", nil, 200, &agents)
	if len(agents.Agents) == 0 || agents.Agents[0].ID != "1001" || agents.Agents[0].Live.State != "ready" ||
		fmt.Sprint(agents.Agents[0].Live.Queues) != "[sales support]" || agents.Agents[0].Live.StateSince.IsZero() {
		t.Fatalf("the supervisor's view of its agents: %+v", agents.Agents)
	}
	as["sup"].expect(t, "PUT", "/agents/1001/state", map[string]string{"action": "logout", "queue": "sales"}, 200, &st)
	if st.State != "ready" || fmt.Sprint(st.Queues) != "[support]" {
		t.Fatalf("after logging out of sales alone: %+v", st)
	}
	as["sup"].expect(t, "PUT", "/agents/1001/state", map[string]string{"action": "logout", "queue": "sales"}, 409, nil)

	// Set in the file, it is the file's.
	s2 := startAcd(t, "-config", writeConfig(t, "allow_unassigned_login: true\n"+apiYAML))
	admin2 := setupAdmin(t, s2)
	admin2.expect(t, "GET", "/settings", nil, 200, &set)
	if !set.Allow || !strings.Contains(set.Source, "acd.yaml:") {
		t.Fatalf("a file setting: %+v", set)
	}
	_, body, _ := admin2.do(t, "PUT", "/settings", map[string]bool{"allow_unassigned_login": false})
	if !strings.Contains(string(body), set.Source) {
		t.Fatalf("changing the file's setting: %s; want a 409 naming %s", body, set.Source)
	}
}

func TestWrapUpBlocksOffersUntilEnded(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, agentsYAML))
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	agent := agentPhone(t, ctx, s, "1001", testutil.AnswerMode{After: 100 * time.Millisecond})

	first := dial(t, ctx, s)
	incoming(t, ctx, agent)
	eventsOf(t, s, store.Filter{}, has("agent.answered:1001"))
	_ = first.Hangup(ctx)
	eventsOf(t, s, store.Filter{}, has("agent.state>wrap-up:1001"))

	second := dial(t, ctx, s)
	s.waitLog(t, 5*time.Second, "caller joined queue")
	select {
	case <-agent.IncomingCalls():
		t.Fatal("an agent in wrap-up was offered a call")
	case <-time.After(1500 * time.Millisecond):
	}
	featureCall(t, ctx, s, agent, "1001", "*54")
	incoming(t, ctx, agent)
	got := eventsOf(t, s, store.Filter{}, has("agent.state>wrap-up:1001", "caller.joined:", "agent.state>ready:1001", "caller.offered:1001", "agent.answered:1001"))
	expectSequence(t, got, "agent.state>wrap-up:1001", "caller.joined:", "agent.state>ready:1001",
		"caller.offered:1001", "agent.answered:1001")
	_ = second.Hangup(ctx)
}

func TestEndWrapUpNeedsPermission(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, strings.Replace(agentsYAML, "end_wrap_up: true", "end_wrap_up: false", 1)))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	agent := agentPhone(t, ctx, s, "1001", testutil.AnswerMode{After: 100 * time.Millisecond})
	caller := dial(t, ctx, s)
	incoming(t, ctx, agent)
	eventsOf(t, s, store.Filter{}, has("agent.answered:1001"))
	_ = caller.Hangup(ctx)
	waitBye(t, ctx, agent) // the agent's leg: each feature call below waits for its own BYE
	eventsOf(t, s, store.Filter{}, has("agent.state>wrap-up:1001"))
	// Neither ending it (*54) nor ready (*53) nor a pause (*52) gets the
	// agent out of a wrap-up the queue does not let agents end.
	for _, code := range []string{"*54", "*53", "*52"} {
		featureCall(t, ctx, s, agent, "1001", code)
		s.waitLog(t, 5*time.Second, "feature code", "code="+code, "prompt=wrap-up-not-ended")
	}
	got := eventsOf(t, s, store.Filter{Agent: "1001"}, has("agent.state>wrap-up:1001"))
	if last := got[len(got)-1]; last != "agent.state>wrap-up:1001" {
		t.Fatalf("after the refused codes the log ends with %s; want the agent still in wrap-up: %v", last, got)
	}
}

// TestReloadPutsPauseReasonsInForce: a SIGHUP with a reason removed from
// the file and one added changes what agents may pause with at once, as
// a restart would.
func TestReloadPutsPauseReasonsInForce(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, apiYAML)
	s := startAcd(t, "-config", path)
	as := users(t, s, setupAdmin(t, s))
	next := strings.Replace(apiYAML, "pause_reasons: [Lunch, Training]", "pause_reasons: [Lunch, Meeting]", 1)
	if next == apiYAML {
		t.Fatal("apiYAML no longer has the pause reasons this test changes")
	}
	if err := os.WriteFile(path, []byte(next), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = s.cmd.Process.Signal(syscall.SIGHUP)
	s.waitLog(t, 5*time.Second, "configuration reloaded")
	var list struct {
		Reasons []struct {
			Name        string
			Enabled     bool
			Provisioned bool
		} `json:"pause_reasons"`
	}
	as["admin"].expect(t, "GET", "/pause-reasons", nil, 200, &list)
	var names []string
	for _, r := range list.Reasons {
		if !r.Provisioned || !r.Enabled {
			t.Errorf("reason %+v: want the file's, enabled", r)
		}
		names = append(names, r.Name)
	}
	if strings.Join(names, ",") != "Lunch,Meeting" {
		t.Fatalf("pause reasons after the reload: %v; want Lunch, Meeting", names)
	}
	as["agent"].expect(t, "PUT", "/agents/1001/state", map[string]string{"action": "login"}, 200, nil)
	as["agent"].expect(t, "PUT", "/agents/1001/state", map[string]string{"action": "pause", "reason": "Meeting"}, 200, nil)
	as["agent"].expect(t, "PUT", "/agents/1001/state", map[string]string{"action": "pause", "reason": "Training"}, 422, nil)
}

// TestAgentStatesSurviveRestart: agents are back after a restart as they
// were: one who was ready is rung for the first caller at once, without
// dialling *50 again; one who was paused stays paused with the reason.
func TestAgentStatesSurviveRestart(t *testing.T) {
	t.Parallel()
	cfg := writeConfig(t, agentsYAML)
	data := t.TempDir()
	first := startAcd(t, "-config", cfg, "-data", data)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	ready := agentPhone(t, ctx, first, "1001", testutil.AnswerMode{After: 50 * time.Millisecond})
	paused := agentPhone(t, ctx, first, "1002", testutil.AnswerMode{After: 50 * time.Millisecond})
	featureCall(t, ctx, first, paused, "1002", "*522") // Training
	eventsOf(t, first, store.Filter{Agent: "1002"}, has("agent.state>paused:1002"))
	if err := first.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	_ = first.cmd.Wait()

	second := startAcd(t, "-config", cfg, "-data", data)
	second.waitLog(t, 10*time.Second, "agent restored", "agent=1002", "state=paused", "reason=Training")
	caller := dial(t, ctx, second)
	incoming(t, ctx, ready)
	select {
	case <-paused.IncomingCalls():
		t.Fatal("the paused agent was rung after the restart")
	default:
	}
	got := eventsOf(t, second, store.Filter{}, has("server.started:", "agent.state>ready:1001", "agent.answered:1001"))
	expectSequence(t, got, "server.started:", "server.started:", "agent.logged_in:1001", "agent.state>ready:1001", "agent.state>paused:1002")
	_ = caller.Hangup(ctx)
}

// TestRenamePauseReasonWhilePaused: an agent paused with a reason that is
// renamed stays paused, with the reason it gave, and is rung for nobody;
// the next pause by that number takes the new name.
func TestRenamePauseReasonWhilePaused(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	admin := setupAdmin(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	phone := agentPhone(t, ctx, s, "1001", testutil.AnswerMode{After: 50 * time.Millisecond})
	var coaching reasonJSON
	admin.expect(t, "POST", "/pause-reasons", map[string]string{"name": "Coaching"}, 201, &coaching)
	pauseBy(t, ctx, s, phone, "*523", "agent-paused")
	admin.expect(t, "PATCH", fmt.Sprintf("/pause-reasons/%d", coaching.ID), map[string]any{"name": "Team coaching"}, 200, nil)
	if st, reason := agentReason(t, admin); st != "paused" || reason != "Coaching" {
		t.Fatalf("after the rename the agent is %s with %q; want still paused with the reason given", st, reason)
	}
	caller := dial(t, ctx, s)
	s.waitLog(t, 5*time.Second, "caller joined queue", "queue=support")
	select {
	case <-phone.IncomingCalls():
		t.Fatal("a paused agent was rung after its reason was renamed")
	default:
	}
	_ = caller.Hangup(ctx)
	pauseBy(t, ctx, s, phone, "*53", "agent-ready")
	pauseBy(t, ctx, s, phone, "*523", "agent-paused")
	if _, reason := agentReason(t, admin); reason != "Team coaching" {
		t.Fatalf("*523 after the rename paused with %q", reason)
	}
}
