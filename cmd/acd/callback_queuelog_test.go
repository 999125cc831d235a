package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/store"
)

// TestServedCallbackInQueueLog: a callback served over SIP (the customer
// reached through the trunk, talking to the agent, then hanging up) is in
// the queue_log export as a call of its own: ENTERQUEUE with the
// customer's number, CONNECT to the agent, COMPLETECALLER with the talk
// time, after the caller's EXITWITHKEY #.
func TestServedCallbackInQueueLog(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	trunk := testutil.NewPhone(t)
	trunk.TakeCalls(testutil.AnswerMode{After: 100 * time.Millisecond})
	s := startAcd(t, "-config", writeConfig(t, callbackYAML(trunk.Addr())))
	admin := setupAdmin(t, s)
	warmUp(t, ctx, s)

	requestCallback(t, ctx, s)
	agent := agentPhone(t, ctx, s, "1001", testutil.AnswerMode{After: 100 * time.Millisecond})
	incoming(t, ctx, agent)
	incoming(t, ctx, trunk)
	eventsOf(t, s, store.Filter{}, has("callback.connected:1001"))
	time.Sleep(1100 * time.Millisecond) // the conversation: at least a whole second
	if err := trunk.HangupIncoming(ctx); err != nil {
		t.Fatal(err)
	}
	eventsOf(t, s, store.Filter{}, has("callback.completed:1001", "call.ended:1001"))

	day := time.Now()
	q := url.Values{"from": {day.AddDate(0, 0, -1).Format(time.DateOnly)}, "to": {day.AddDate(0, 0, 2).Format(time.DateOnly)}}
	status, body, _ := admin.do(t, "GET", "/exports/queue_log?"+q.Encode(), nil)
	if status != 200 {
		t.Fatalf("queue_log export: %d %s", status, body)
	}
	var lines []string // the verbs and data of the callback's own call
	callID := ""
	for _, l := range strings.Split(strings.TrimSpace(string(body)), "\n") {
		f := strings.Split(l, "|")
		if len(f) < 5 || !strings.HasPrefix(f[1], "callback-") {
			continue
		}
		callID = f[1]
		lines = append(lines, strings.Join(f[2:], "|"))
	}
	want := []string{
		"support|NONE|ENTERQUEUE||+14155550123|1",
		"support|Agent/1001|CONNECT|0||", // then the agent's ring time
		"support|Agent/1001|COMPLETECALLER|0|",
	}
	if len(lines) != len(want) {
		t.Fatalf("the callback's queue_log lines:\n%s\nwant %d lines like %q; the whole file:\n%s", strings.Join(lines, "\n"), len(want), want, body)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Fatalf("line %d of %s: %q, want %q…", i+1, callID, lines[i], w)
		}
	}
	var talk, opos int
	if _, err := fmt.Sscanf(strings.TrimPrefix(lines[2], want[2]), "%d|%d", &talk, &opos); err != nil || talk < 1 || opos != 1 {
		t.Fatalf("COMPLETECALLER %q: want the talk time (at least 1 s) and position 1 (%v)", lines[2], err)
	}
}
