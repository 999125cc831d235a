package acd

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/acdserver/acd/config"
	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/hangup"
	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/media"
	"github.com/acdserver/acd/sip"
	"github.com/acdserver/acd/store"
)

// The core, tested without phones: its offers are handed to the test,
// which reports facts back as the flows would.

var phone1001 = event.Phone("1001")

// offers records the core's offers for the test; it never blocks.
type offers chan *Offer

func (o offers) Offer(x *Offer) { o <- x }

// registrar says which agents' phones are reachable.
type registrar struct {
	mu  sync.Mutex
	reg map[string]bool
}

func (r *registrar) Registered(agent string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reg[agent]
}

// stubLeg is an agent's answered leg, as far as the core sees it.
type stubLeg struct{ agent string }

func (l stubLeg) ID() string                                 { return "leg-" + l.agent }
func (l stubLeg) Party() Party                               { return Party{Number: l.agent} }
func (l stubLeg) Play(*media.Sound, bool) <-chan struct{}    { return nil }
func (l stubLeg) Digits() <-chan rune                        { return nil }
func (l stubLeg) Done() <-chan struct{}                      { return nil }
func (l stubLeg) Hangup(hangup.Reason)                       {}
func (l stubLeg) EndCause() hangup.Cause                     { return hangup.Cause{} }
func (l stubLeg) BridgeEnd() *sip.BridgeEnd                  { return nil }
func (l stubLeg) OnTransfer(func(string) sip.TransferAnswer) {}

// memLog keeps events in memory and wakes waiters on each.

// chained checks the log's agent.state events: each agent's moves form
// one chain (every move starts where the last ended), each is allowed by
// the state machine, and every one names a cause and an actor.
func chained(t *testing.T, evs []store.Event) {
	t.Helper()
	last := map[string]string{}
	for _, e := range evs {
		if e.Type != "agent.state" {
			continue
		}
		p, err := event.Decode(e)
		if err != nil {
			t.Fatal(err)
		}
		st := p.(event.AgentState)
		from, _ := ParseState(st.From)
		to, _ := ParseState(st.To)
		if was, ok := last[e.Agent]; (ok && was != st.From) || (!ok && st.From != "logged-out") {
			t.Fatalf("agent %s moved from %s, but was %q: %v", e.Agent, st.From, was, testutil.Kinds(evs))
		}
		if !allowed(from, to) || st.Cause == "" || st.Actor.Kind == "" {
			t.Fatalf("agent %s: move %+v is not a valid change", e.Agent, st)
		}
		last[e.Agent] = st.To
	}
}

// rig is a core whose offers go to the test.
type rig struct {
	c      *Center
	offers offers
	log    *testutil.MemLog
}

func newRig(t *testing.T, yaml string, agents ...string) *rig {
	t.Helper()
	cfg, err := config.Parse("test.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	reg := &registrar{reg: map[string]bool{}}
	for _, a := range agents {
		reg.reg[a] = true
	}
	r := &rig{offers: make(offers, 64), log: testutil.NewMemLog()}
	r.c = NewCenter(cfg, reg, r.log, nil, r.offers, slog.New(slog.NewTextHandler(io.Discard, nil)))
	t.Cleanup(r.c.Close)
	return r
}

// join puts a voice caller in queue.
func (r *rig) join(t *testing.T, id, queue string) *Ticket {
	t.Helper()
	tk, err := r.c.Join(context.Background(), &Interaction{ID: id, Kind: Voice, Queue: queue, Party: Party{Number: "+14155550100"}})
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

// nextOffer waits for the core to offer someone.
func (r *rig) nextOffer(t *testing.T) *Offer {
	t.Helper()
	select {
	case o := <-r.offers:
		return o
	case <-time.After(5 * time.Second):
		t.Fatal("nothing was offered")
	}
	return nil
}

func login(t *testing.T, r *rig, agents ...string) {
	t.Helper()
	for _, a := range agents {
		if err := r.c.Login(a, event.Phone(a)); err != nil {
			t.Fatal(err)
		}
	}
}

func mustState(t *testing.T, c *Center, agent string, want State) {
	t.Helper()
	info, err := c.Agent(agent)
	if err != nil || info.State != want {
		t.Fatalf("agent %s is %v (%v), want %v", agent, info.State, err, want)
	}
}
