package main

import (
	"context"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/store"
)

// TestAPIEventsResume: a stream dropped and resumed with Last-Event-ID
// carries every event once, in order: the administrator sees the whole
// log, so the ids are consecutive across both connections.
func TestAPIEventsResume(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	admin := setupAdmin(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	first, drop := context.WithCancel(ctx)
	stream := openStream(t, first, admin, "?after=0", "")
	for range 3 {
		admin.expect(t, "PUT", "/agents/1001/state", map[string]string{"action": "login"}, 200, nil)
		admin.expect(t, "PUT", "/agents/1001/state", map[string]string{"action": "pause"}, 200, nil)
	}
	got := readUntil(t, stream, stateBy("1001", "paused", "root"))
	drop()
	last := got[len(got)-1].id
	// Meanwhile, more happens.
	admin.expect(t, "PUT", "/agents/1002/state", map[string]string{"action": "login"}, 200, nil)
	admin.expect(t, "PUT", "/agents/1002/state", map[string]string{"action": "logout"}, 200, nil)
	resumed := openStream(t, ctx, admin, "", strconv.FormatInt(last, 10))
	got = append(got, readUntil(t, resumed, stateBy("1002", "logged-out", "root"))...)
	for i, e := range got {
		if e.id != int64(i+1) || e.event.Seq != e.id {
			ids := make([]int64, len(got))
			for j := range got {
				ids[j] = got[j].id
			}
			t.Fatalf("event %d has id %d (seq %d); ids %v: lost or repeated events", i, e.id, e.event.Seq, ids)
		}
	}
	// Without Last-Event-ID or after, a stream starts at the end of the log.
	live := openStream(t, ctx, admin, "", "")
	time.Sleep(500 * time.Millisecond)
	admin.expect(t, "PUT", "/agents/1002/state", map[string]string{"action": "login"}, 200, nil)
	next := readUntil(t, live, func(store.Event) bool { return true })
	if next[0].id <= got[len(got)-1].id {
		t.Fatalf("a fresh stream began with %d, before the end of the log", next[0].id)
	}
}

// TestAPIQueuesAndAgents: administrators make queues and agents through
// the API while the server runs. An agent made so registers with the SIP
// password given and is rung for a queue of the file at once; the file's
// objects stay the file's; a queue still used is not deleted; a logged-in
// agent is not deleted; and what was made survives a restart.
func TestAPIQueuesAndAgents(t *testing.T) {
	t.Parallel()
	cfg := writeConfig(t, apiYAML)
	data := t.TempDir()
	s := startAcd(t, "-config", cfg, "-data", data)
	admin := setupAdmin(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	var q struct{ ID, Extension, Source string }
	admin.expect(t, "POST", "/queues", map[string]any{"id": "billing", "name": "Billing", "strategy": "linear", "ring_timeout": "5s"}, 201, &q)
	if q.Extension != "602" || q.Source != "database" {
		t.Fatalf("the new queue: %+v; want the next free extension, 602, and the database as its source", q)
	}
	_, body, _ := admin.do(t, "POST", "/queues", map[string]any{"id": "later", "ring_timeout": "soon"})
	if !strings.Contains(string(body), "ring_timeout") {
		t.Fatalf("a bad duration: %s; want a 422 naming ring_timeout", body)
	}
	admin.expect(t, "POST", "/queues", map[string]any{"id": "billing"}, 409, nil)
	_, body, _ = admin.do(t, "PUT", "/queues/support", map[string]any{"strategy": "ring-all"})
	if !strings.Contains(string(body), "acd.yaml:") {
		t.Fatalf("changing the file's queue: %s; want a 409 naming the file", body)
	}

	admin.expect(t, "POST", "/agents", map[string]any{"id": "1003", "name": "Carol", "queues": []string{"support", "billing"}, "sip_password": "secret-1003"}, 201, nil)
	carol := testutil.NewPhone(t)
	if code, err := carol.Register(ctx, s.sip, "1003", "secret-1003", 300); err != nil || code != 200 {
		t.Fatalf("the new agent's REGISTER: %d %v", code, err)
	}
	carol.TakeCalls(testutil.AnswerMode{After: 50 * time.Millisecond})
	featureCall(t, ctx, s, carol, "1003", "*50")
	caller := dial(t, ctx, s) // 100: the file's support queue
	incoming(t, ctx, carol)
	_ = caller.Hangup(ctx)

	_, body, _ = admin.do(t, "DELETE", "/queues/billing", nil)
	if !strings.Contains(string(body), `still in use: agent \"1003\"`) {
		t.Fatalf("deleting a queue an agent belongs to: %s; want a 409 naming the agent", body)
	}
	admin.expect(t, "DELETE", "/agents/1003", nil, 409, nil) // logged in
	admin.expect(t, "PUT", "/agents/1003", map[string]any{"name": "Carol", "queues": []string{"support"}}, 200, nil)
	admin.expect(t, "DELETE", "/queues/billing", nil, 204, nil)
	admin.expect(t, "PUT", "/agents/1003/state", map[string]string{"action": "logout"}, 200, nil)
	admin.expect(t, "DELETE", "/agents/1003", nil, 204, nil)
	if code, _ := carol.Register(ctx, s.sip, "1003", "secret-1003", 300); code == 200 {
		t.Fatal("a deleted agent's phone registered")
	}

	// What was made through the API survives a restart.
	admin.expect(t, "POST", "/queues", map[string]any{"id": "night", "strategy": "ring-all"}, 201, nil)
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	_ = s.cmd.Wait()
	again := startAcd(t, "-config", cfg, "-data", data)
	root := again.client(login(t, again, "root", testPassword))
	var list struct{ Queues []struct{ ID, Source string } }
	root.expect(t, "GET", "/queues", nil, 200, &list)
	found := false
	for _, q := range list.Queues {
		found = found || (q.ID == "night" && q.Source == "database")
		if q.ID == "billing" {
			t.Fatal("the deleted queue came back")
		}
	}
	if !found {
		t.Fatalf("after a restart the queues are %+v", list.Queues)
	}
}
