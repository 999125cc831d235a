package flow

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/acdserver/acd/config"
	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/hangup"
	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/store"
)

const callbackRigYAML = `sip_realm: test.local
numbers: {"100": main}
trunks:
  carrier: {address: "127.0.0.1:5099"}
numbering: {region: US, local_prefixes: ["415"]}
agents:
  "1001": {name: A, password: secret-1001, queues: [support]}
queues:
  support:
    strategy: linear
    announce_every: 1h
    callback: {enabled: true, threshold: 1s, caller_id: "+14155550100", trunk: carrier, attempts: 2, retry_after: 1h}
dialplans:
  main:
    entry: q
    nodes:
      q:   {type: queue, queue: support, timeout: 30s, on_timeout: bye, on_exit: bye}
      bye: {type: hangup}
`

// TestCallbackAgentIsNotOfferedMore: while the customer of a callback is
// dialled, its agent is on that call and is offered nobody else; when the
// trunk answers nothing the attempt fails with a short cause, the agent's
// leg is hung up, and only then is the agent offered the next caller.
func TestCallbackAgentIsNotOfferedMore(t *testing.T) {
	cfg, err := config.Parse("cb.yaml", []byte(callbackRigYAML))
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(filepath.Join(t.TempDir(), "acd.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	callbacks, err := store.OpenCallbacks(db)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, _, err := callbacks.Request(ctx, store.CallbackRequest{Queue: "support", Number: "+14155550123", CallID: "first-call", Joined: time.Now()}); err != nil {
		t.Fatal(err)
	}
	r := newRigWith(cfg, callbacks, "1001")
	if err := r.c.LoadCallbacks(ctx); err != nil {
		t.Fatal(err)
	}
	login(t, r, "1001")
	leg := r.nextRing(t).answer()
	var dial ringing
	select {
	case dial = <-r.phones.dials:
	case <-time.After(5 * time.Second):
		t.Fatal("the customer was never dialled")
	}
	if dial.agent != "+14155550123" {
		t.Fatalf("dialled %s", dial.agent)
	}
	caller := newCaller("live")
	r.wait(ctx, caller, "support", time.Minute)
	r.log.Await(t, "the live caller queued", func(e store.Event) bool { return e.CallID == "live" })
	r.noRing(t, 200*time.Millisecond)

	dial.refuse(&causeErr{hangup.RingNoResponse})
	next := r.nextRing(t)
	if !leg.hungUp() {
		t.Fatal("the agent was offered a caller with the callback's leg still up")
	}
	if next.agent != "1001" {
		t.Fatalf("the live caller went to %s", next.agent)
	}
	evs := r.log.Await(t, "the failed attempt", testutil.IsKind("callback.attempt_failed:1001"))
	for _, e := range evs {
		if e.Type == "callback.attempt_failed" {
			p, _ := event.Decode(e)
			if f := p.(event.CallbackAttemptFailed); f.Cause != "no-response" || !f.Retry || e.Interaction != "first-call" {
				t.Fatalf("attempt_failed %+v (interaction %q)", f, e.Interaction)
			}
		}
	}
	chained(t, r.log.All())
	caller.hangup()
}
