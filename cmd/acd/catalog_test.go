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

type reasonJSON struct {
	ID          int64
	Name        string
	Enabled     bool
	Number      int
	Provisioned bool
	Source      string
}

type reasonsJSON struct {
	PauseReasons []reasonJSON `json:"pause_reasons"`
}

// pauseReasonSource is FILE:LINE of the pause_reasons of a configuration
// written by writeConfig.
func pauseReasonSource(t *testing.T, cfg string) string {
	t.Helper()
	text, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(string(text), "\n") {
		if strings.HasPrefix(line, "pause_reasons:") {
			return fmt.Sprintf("%s:%d", cfg, i+1)
		}
	}
	t.Fatal("the configuration has no pause_reasons")
	return ""
}

// expectProblem sends a request that must be refused with status, as a
// problem naming location, and returns its text.
func expectProblem(t *testing.T, c *apiClient, method, path string, body any, status int, location string) string {
	t.Helper()
	got, data, _ := c.do(t, method, path, body)
	var p struct {
		Status int
		Errors []struct{ Location, Message string }
	}
	if err := json.Unmarshal(data, &p); err != nil || got != status || p.Status != status {
		t.Fatalf("%s %s: %d %s; want a %d problem", method, path, got, data, status)
	}
	if location != "" && (len(p.Errors) == 0 || p.Errors[0].Location != location) {
		t.Fatalf("%s %s: %s; want a problem naming %s", method, path, data, location)
	}
	return string(data)
}

func reasonNamed(t *testing.T, c *apiClient, name string) reasonJSON {
	t.Helper()
	var list reasonsJSON
	c.expect(t, "GET", "/pause-reasons", nil, 200, &list)
	for _, r := range list.PauseReasons {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no pause reason %q in %+v", name, list.PauseReasons)
	return reasonJSON{}
}

// pauseBy dials *52N (or *52) and waits for the server's answer to it.
func pauseBy(t *testing.T, ctx context.Context, s *server, p *testutil.Phone, code, prompt string) {
	t.Helper()
	featureCall(t, ctx, s, p, "1001", code)
	s.waitLog(t, 10*time.Second, "feature code", "agent=1001", "code="+code, "prompt="+prompt)
}

func agentReason(t *testing.T, c *apiClient) (string, string) {
	t.Helper()
	var st struct{ State, Reason string }
	c.expect(t, "GET", "/agents/1001/state", nil, 200, &st)
	return st.State, st.Reason
}

// TestPauseReasonsAtRunTime: a reason added through the API is one an
// agent's phone pauses with at once (*52N), a disabled one is refused,
// the file's reasons are enabled and disabled but neither renamed nor
// deleted, and with none enabled *52 still pauses.
func TestPauseReasonsAtRunTime(t *testing.T) {
	t.Parallel()
	cfg := writeConfig(t, apiYAML)
	source := pauseReasonSource(t, cfg)
	s := startAcd(t, "-config", cfg)
	admin := setupAdmin(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	var list reasonsJSON
	admin.expect(t, "GET", "/pause-reasons", nil, 200, &list)
	if len(list.PauseReasons) != 2 {
		t.Fatalf("the file's reasons: %+v", list.PauseReasons)
	}
	for i, r := range list.PauseReasons {
		if r.Name != []string{"Lunch", "Training"}[i] || !r.Provisioned || r.Source != source || r.Number != i+1 || !r.Enabled {
			t.Fatalf("the file's reason %d: %+v; want it provisioned from %s", i+1, r, source)
		}
	}

	phone := agentPhone(t, ctx, s, "1001", testutil.AnswerMode{After: 50 * time.Millisecond})
	var coaching reasonJSON
	admin.expect(t, "POST", "/pause-reasons", map[string]string{"name": "Coaching 1:1"}, 201, &coaching)
	if coaching.Number != 3 || coaching.Provisioned || coaching.Source != "" {
		t.Fatalf("created %+v; want the third, made through the API", coaching)
	}
	pauseBy(t, ctx, s, phone, "*523", "agent-paused")
	if st, reason := agentReason(t, admin); st != "paused" || reason != "Coaching 1:1" {
		t.Fatalf("after *523: %s %q; want paused with the new reason", st, reason)
	}
	pauseBy(t, ctx, s, phone, "*53", "agent-ready")

	// Disabled, it is refused by the phone and by the API alike.
	var disabled reasonJSON
	admin.expect(t, "PATCH", fmt.Sprintf("/pause-reasons/%d", coaching.ID), map[string]any{"enabled": false}, 200, &disabled)
	if disabled.Enabled || disabled.Number != 0 || disabled.Name != coaching.Name {
		t.Fatalf("disabled: %+v", disabled)
	}
	pauseBy(t, ctx, s, phone, "*523", "invalid-option")
	expectProblem(t, admin, "PUT", "/agents/1001/state", map[string]string{"action": "pause", "reason": "Coaching 1:1"}, 422, "body.reason")
	if st, _ := agentReason(t, admin); st != "ready" {
		t.Fatalf("after a refused *523 the agent is %s", st)
	}

	// The file's reasons: renaming and deleting are refused naming the
	// file and line; disabling renumbers the rest at once.
	lunch := reasonNamed(t, admin, "Lunch")
	text := expectProblem(t, admin, "PATCH", fmt.Sprintf("/pause-reasons/%d", lunch.ID), map[string]any{"name": "Brunch"}, 409, "body.name")
	if !strings.Contains(text, source) {
		t.Fatalf("renaming the file's reason: %s; want it to name %s", text, source)
	}
	if text := expectProblem(t, admin, "DELETE", fmt.Sprintf("/pause-reasons/%d", lunch.ID), nil, 409, ""); !strings.Contains(text, source) {
		t.Fatalf("deleting the file's reason: %s; want it to name %s", text, source)
	}
	admin.expect(t, "PATCH", fmt.Sprintf("/pause-reasons/%d", lunch.ID), map[string]any{"enabled": false}, 200, nil)
	pauseBy(t, ctx, s, phone, "*521", "agent-paused")
	if st, reason := agentReason(t, admin); st != "paused" || reason != "Training" {
		t.Fatalf("with Lunch disabled *521 paused the agent %s with %q; want Training", st, reason)
	}
	pauseBy(t, ctx, s, phone, "*53", "agent-ready")

	// With every reason disabled the phone still pauses, without one.
	admin.expect(t, "PATCH", fmt.Sprintf("/pause-reasons/%d", reasonNamed(t, admin, "Training").ID), map[string]any{"enabled": false}, 200, nil)
	pauseBy(t, ctx, s, phone, "*521", "invalid-option")
	pauseBy(t, ctx, s, phone, "*52", "agent-paused")
	if st, reason := agentReason(t, admin); st != "paused" || reason != "" {
		t.Fatalf("*52 with no reason enabled: %s %q", st, reason)
	}

	// Names the API refuses, naming the field.
	for _, tc := range []struct {
		name   string
		status int
	}{
		{"Tea\u0007break", 422},
		{"Tea\nbreak", 422},
		{"Pause\u200b", 422},
		{"Пауза", 422},
		{strings.Repeat("é", 256), 422},
		{" Lunch", 422},
		{"LUNCH", 409},
		{"coaching 1:1", 409},
		{"No answer", 409},
	} {
		text := expectProblem(t, admin, "POST", "/pause-reasons", map[string]string{"name": tc.name}, tc.status, "body.name")
		if tc.status == 422 && strings.Contains(text, tc.name) {
			t.Errorf("a refusal echoes the name sent: %s", text)
		}
	}
	var long reasonJSON
	admin.expect(t, "POST", "/pause-reasons", map[string]string{"name": strings.Repeat("é", 255)}, 201, &long)
	admin.expect(t, "DELETE", fmt.Sprintf("/pause-reasons/%d", long.ID), nil, 204, nil)
	admin.expect(t, "GET", fmt.Sprintf("/pause-reasons/%d", long.ID), nil, 404, nil)

	// Every change is in the audit trail, by its actor.
	var audit struct{ Events []store.Event }
	admin.expect(t, "GET", "/audit?type=audit.pause_reason.&actor=root", nil, 200, &audit)
	var actions []string
	for _, e := range audit.Events {
		var a event.Audit
		if err := json.Unmarshal(e.Data, &a); err != nil || a.Actor != event.User("root", "administrator") {
			t.Fatalf("audit event %s: %s", e.Type, e.Data)
		}
		actions = append(actions, strings.TrimPrefix(e.Type, "audit.pause_reason."))
	}
	if got := strings.Join(actions, ","); got != "created,updated,updated,updated,created,deleted" {
		t.Fatalf("the audit trail of pause reasons: %s", got)
	}
}

// TestCatalogSurvivesRestart: reasons and tags made through the API, and
// the enabled flag of the file's reasons, are in the database: after a
// restart on the same data directory they are as they were, and an agent
// paused with a reason made through the API is restored with it.
func TestCatalogSurvivesRestart(t *testing.T) {
	t.Parallel()
	cfg := writeConfig(t, apiYAML)
	data := t.TempDir()
	first := startAcd(t, "-config", cfg, "-data", data)
	admin := setupAdmin(t, first)
	as := users(t, first, admin)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	admin.expect(t, "PATCH", fmt.Sprintf("/pause-reasons/%d", reasonNamed(t, admin, "Training").ID), map[string]any{"enabled": false}, 200, nil)
	admin.expect(t, "POST", "/pause-reasons", map[string]string{"name": "Réunion d’équipe"}, 201, nil)
	var tag struct{ ID int64 }
	as["agent"].expect(t, "POST", "/tags", map[string]string{"name": "Réclamation"}, 201, nil)
	as["sup"].expect(t, "POST", "/tags", map[string]any{"name": "Old campaign", "enabled": false}, 201, &tag)
	as["agent"].expect(t, "POST", "/canned-messages", map[string]string{"shortcut": "/merci", "text": "Merci de votre appel."}, 201, nil)
	phone := agentPhone(t, ctx, first, "1001", testutil.AnswerMode{After: 50 * time.Millisecond})
	pauseBy(t, ctx, first, phone, "*522", "agent-paused") // Lunch, then the API's reason
	eventsOf(t, first, store.Filter{Agent: "1001"}, has("agent.state>paused:1001"))
	if err := first.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	_ = first.cmd.Wait()

	second := startAcd(t, "-config", cfg, "-data", data)
	second.waitLog(t, 10*time.Second, "agent restored", "agent=1001", "state=paused", "reason=\"Réunion d’équipe\"")
	admin = second.client(login(t, second, "root", testPassword))
	var list reasonsJSON
	admin.expect(t, "GET", "/pause-reasons", nil, 200, &list)
	got := []string{}
	for _, r := range list.PauseReasons {
		got = append(got, fmt.Sprintf("%s/%v/%d", r.Name, r.Enabled, r.Number))
	}
	if strings.Join(got, ",") != "Lunch/true/1,Training/false/0,Réunion d’équipe/true/2" {
		t.Fatalf("pause reasons after the restart: %v", got)
	}
	var tags struct {
		Tags []struct {
			Name      string
			Enabled   bool
			CreatedBy string `json:"created_by"`
		}
	}
	admin.expect(t, "GET", "/tags", nil, 200, &tags)
	if len(tags.Tags) != 2 || tags.Tags[0].Name != "Réclamation" || tags.Tags[0].CreatedBy != "1001" || tags.Tags[1].Enabled {
		t.Fatalf("tags after the restart: %+v", tags.Tags)
	}
	agent := second.client(login(t, second, "1001", testPassword))
	var tagsSeen struct{ Tags []struct{ Name string } }
	agent.expect(t, "GET", "/tags", nil, 200, &tagsSeen)
	if len(tagsSeen.Tags) != 1 {
		t.Fatalf("an agent sees %+v; want the enabled tag only", tagsSeen.Tags)
	}
	var canned struct {
		CannedMessages []struct{ Shortcut, Owner string } `json:"canned_messages"`
	}
	agent.expect(t, "GET", "/canned-messages", nil, 200, &canned)
	if len(canned.CannedMessages) != 1 || canned.CannedMessages[0].Shortcut != "/merci" || canned.CannedMessages[0].Owner != "1001" {
		t.Fatalf("canned messages after the restart: %+v", canned.CannedMessages)
	}
	// The restored reason is still *522 for the phone.
	pauseBy(t, ctx, second, phone, "*53", "agent-ready")
	pauseBy(t, ctx, second, phone, "*522", "agent-paused")
	if st, reason := agentReason(t, admin); st != "paused" || reason != "Réunion d’équipe" {
		t.Fatalf("*522 after the restart: %s %q", st, reason)
	}
}

// TestCannedMessagesArePrivate: an agent's private message is its own:
// another agent can neither read, edit nor delete it; public messages are
// for everyone to read and for their managers to change.
func TestCannedMessagesArePrivate(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	as := users(t, s, setupAdmin(t, s))
	alice, bob := as["agent"], s.client(login(t, s, "1002", testPassword))
	var mine struct{ ID int64 }
	alice.expect(t, "POST", "/canned-messages", map[string]string{"shortcut": "/hello", "text": "Hello, I am Alice.\nHow may I help?"}, 201, &mine)
	path := fmt.Sprintf("/canned-messages/%d", mine.ID)
	bob.expect(t, "GET", path, nil, 404, nil)
	bob.expect(t, "PATCH", path, map[string]string{"text": "Bob was here"}, 404, nil)
	bob.expect(t, "DELETE", path, nil, 404, nil)
	bob.expect(t, "GET", "/canned-messages?owner=1001", nil, 403, nil)
	as["sup"].expect(t, "PATCH", path, map[string]string{"text": "a supervisor was here"}, 404, nil)
	var got struct {
		Text string
	}
	alice.expect(t, "GET", path, nil, 200, &got)
	if !strings.HasPrefix(got.Text, "Hello, I am Alice.") {
		t.Fatalf("Alice's message became %q", got.Text)
	}
	// Bob may have a /hello of his own; a public one would clash with
	// both.
	bob.expect(t, "POST", "/canned-messages", map[string]string{"shortcut": "/HELLO", "text": "Hi, Bob here."}, 201, nil)
	expectProblem(t, as["admin"], "POST", "/canned-messages", map[string]string{"shortcut": "/Hello", "text": "Hello", "visibility": "public"}, 409, "body.shortcut")
	expectProblem(t, alice, "POST", "/canned-messages", map[string]string{"shortcut": "/hello", "text": "again"}, 409, "body.shortcut")
	expectProblem(t, alice, "POST", "/canned-messages", map[string]string{"shortcut": "hello", "text": "x"}, 422, "body.shortcut")
	expectProblem(t, alice, "POST", "/canned-messages", map[string]string{"shortcut": "/bell", "text": "ding\u0007"}, 422, "body.text")
	expectProblem(t, alice, "POST", "/canned-messages", map[string]string{"shortcut": "/x", "text": "x", "visibility": "team"}, 422, "body.visibility")

	// Public messages: agents read them, and change them only once
	// granted the permission.
	alice.expect(t, "POST", "/canned-messages", map[string]string{"shortcut": "/bye", "text": "Goodbye", "visibility": "public"}, 403, nil)
	var bye struct{ ID int64 }
	as["admin"].expect(t, "POST", "/canned-messages", map[string]string{"shortcut": "/bye", "text": "Goodbye", "visibility": "public"}, 201, &bye)
	byePath := fmt.Sprintf("/canned-messages/%d", bye.ID)
	var list struct {
		CannedMessages []struct{ Shortcut, Visibility string } `json:"canned_messages"`
	}
	bob.expect(t, "GET", "/canned-messages", nil, 200, &list)
	if len(list.CannedMessages) != 2 || list.CannedMessages[0].Shortcut != "/bye" || list.CannedMessages[1].Shortcut != "/HELLO" {
		t.Fatalf("Bob's list: %+v", list.CannedMessages)
	}
	bob.expect(t, "PATCH", byePath, map[string]any{"active": false}, 403, nil)
	as["admin"].expect(t, "PUT", "/permissions/agent/canned_messages.public.manage", nil, 204, nil)
	bob.expect(t, "PATCH", byePath, map[string]any{"active": false}, 200, nil)
	alice.expect(t, "GET", byePath, nil, 200, nil) // Alice manages public ones too now
	as["admin"].expect(t, "DELETE", "/permissions/agent/canned_messages.public.manage", nil, 204, nil)
	alice.expect(t, "GET", byePath, nil, 404, nil) // inactive: not offered to her
	as["sup"].expect(t, "GET", byePath, nil, 404, nil)

	var audit struct{ Events []store.Event }
	as["admin"].expect(t, "GET", "/audit?type=audit.canned_message.", nil, 200, &audit)
	var who []string
	for _, e := range audit.Events {
		var a event.Audit
		_ = json.Unmarshal(e.Data, &a)
		who = append(who, strings.TrimPrefix(e.Type, "audit.canned_message.")+":"+a.Actor.ID)
		if strings.Contains(string(e.Data), "Goodbye") {
			t.Fatalf("the audit trail holds a message's text: %s", e.Data)
		}
	}
	if got := strings.Join(who, ","); got != "created:1001,created:1002,created:root,updated:1002" {
		t.Fatalf("the audit trail of canned messages: %s", got)
	}
}
