package main

import (
	"context"
	"strconv"
	"testing"
	"time"

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
