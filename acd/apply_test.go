package acd

import (
	"errors"
	"testing"
	"time"

	"github.com/acdserver/acd/config"
	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/internal/testutil"
)

const applyBefore = `sip_realm: test.local
numbers: {"100": main}
agents:
  "1001": {name: A, password: secret-1001, queues: [support, sales]}
  "1002": {name: B, password: secret-1002, queues: [support]}
queues:
  support: {strategy: linear, announce_every: 1h}
  sales:   {strategy: linear, announce_every: 1h}
dialplans:
  main:
    entry: q
    nodes:
      q:   {type: queue, queue: sales, timeout: 30s, on_timeout: bye, on_exit: bye}
      bye: {type: hangup}
`

const applyAfter = `sip_realm: test.local
numbers: {"100": main, "300": billing}
agents:
  "1001": {name: Alice, password: secret-1001, queues: [support]}
  "1003": {name: C, password: secret-1003, queues: [billing]}
queues:
  support: {strategy: linear, ring_timeout: 7s, announce_every: 1h}
  billing: {strategy: linear, announce_every: 1h}
dialplans:
  main:
    entry: q
    nodes:
      q:   {type: queue, queue: support, timeout: 30s, on_timeout: bye, on_exit: bye}
      bye: {type: hangup}
  billing:
    entry: q
    nodes:
      q:   {type: queue, queue: billing, timeout: 30s, on_timeout: bye, on_exit: bye}
      bye: {type: hangup}
`

// TestApply: a configuration applied while calls go on adds queues and
// agents, changes settings, logs out and forgets a removed agent, and
// keeps a removed queue until its last caller has left.
func TestApply(t *testing.T) {
	r := newRig(t, applyBefore) // no phone registered: nobody is rung
	login(t, r, "1001", "1002")
	call := r.join(t, "c1", "sales")
	r.log.Await(t, "the caller queued", testutil.IsKind("caller.joined:"))

	next, err := config.Parse("after.yaml", []byte(applyAfter))
	if err != nil {
		t.Fatal(err)
	}
	r.c.Apply(next)
	if _, err := r.c.Agent("1002"); !errors.Is(err, ErrUnknownAgent) {
		t.Fatalf("a removed agent is still there: %v", err)
	}
	r.log.Await(t, "1002 logged out", testutil.IsKind("agent.state>logged-out:1002"))
	if w, err := r.c.Waiting("sales"); err != nil || len(w) != 1 {
		t.Fatalf("the removed queue went with its caller still waiting: %v %v", w, err)
	}
	r.c.mu.Lock()
	ring := r.c.queues["support"].cfg.RingTimeout.D()
	r.c.mu.Unlock()
	if ring != 7*time.Second {
		t.Fatalf("support's ring timeout is %v after the change", ring)
	}
	if err := r.c.Login("1003", event.Phone("1003")); err != nil {
		t.Fatal(err)
	}
	if info, _ := r.c.Agent("1003"); info.State != Ready || len(info.Queues) != 1 || info.Queues[0] != "billing" {
		t.Fatalf("the new agent: %+v", info)
	}
	if info, _ := r.c.Agent("1001"); info.Name != "Alice" || len(info.Queues) != 2 {
		t.Fatalf("1001 after the change: %+v (keeps the queues it is logged in to)", info)
	}

	if !r.c.Leave(call, Abandoned) {
		t.Fatal("the caller could not leave")
	}
	if _, err := r.c.Waiting("sales"); !errors.Is(err, ErrUnknownQueue) {
		t.Fatalf("the removed queue outlived its last caller: %v", err)
	}
	if info, _ := r.c.Agent("1001"); len(info.Queues) != 1 || info.Queues[0] != "support" || info.State != Ready {
		t.Fatalf("1001 once sales is gone: %+v", info)
	}
	chained(t, r.log.All())
}
