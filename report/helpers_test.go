package report

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/store"
)

// monday is 09:00 UTC on a Monday, where the synthetic histories start.
var monday = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// history builds a synthetic event sequence, each event at a number of
// seconds after its start.
type history struct {
	t0  time.Time
	evs []store.Event
}

func (h *history) at(s float64) time.Time { return h.t0.Add(time.Duration(s * float64(time.Second))) }

func (h *history) add(s float64, ref event.Ref, p event.Payload) {
	h.evs = append(h.evs, event.New(h.at(s), ref, p))
}

func (h *history) state(s float64, agent, from, to string, ref event.Ref, cause string) {
	ref.Agent = agent
	h.add(s, ref, event.AgentState{From: from, To: to, Cause: cause, Actor: event.System()})
}

// login logs an agent in to queues and makes it ready.
func (h *history) login(s float64, agent string, queues ...string) {
	for _, q := range queues {
		h.add(s, event.Ref{Queue: q, Agent: agent}, event.AgentLoggedIn{Actor: event.Phone(agent)})
	}
	h.state(s, agent, "logged-out", "ready", event.Ref{}, "login")
}

func (h *history) logout(s float64, agent, from string, queues ...string) {
	for _, q := range queues {
		h.add(s, event.Ref{Queue: q, Agent: agent}, event.AgentLoggedOut{Actor: event.Phone(agent)})
	}
	h.state(s, agent, from, "logged-out", event.Ref{}, "logout")
}

func (h *history) join(s float64, call, queue string) {
	h.add(s, event.Ref{Call: call, Interaction: call, Queue: queue}, event.CallerJoined{Caller: "+14155550123"})
}

// answered: a ready agent is rung at offer, answers at answer, talks
// until end, then wraps up until wrapEnd (none when wrapEnd is 0).
func (h *history) answered(call, queue, agent string, join, offer, answer, end, wrapEnd float64) {
	ref := event.Ref{Call: call, Interaction: call, Queue: queue}
	aref := ref
	aref.Agent = agent
	h.state(offer, agent, "ready", "offered", ref, "offer")
	h.add(offer, aref, event.CallerOffered{})
	h.state(answer, agent, "offered", "on-call", ref, "answer")
	h.add(answer, aref, event.AgentAnswered{WaitedMS: ms(answer - join)})
	h.add(end, aref, event.CallEnded{EndedBy: "caller", TalkMS: ms(end - answer)})
	if wrapEnd == 0 {
		h.state(end, agent, "on-call", "ready", ref, "call-ended")
		return
	}
	h.add(end, aref, event.AgentState{From: "on-call", To: "wrap-up", Cause: "call-ended", Actor: event.System(), WrapUpMS: 30000})
	h.state(wrapEnd, agent, "wrap-up", "ready", event.Ref{Queue: queue}, "wrap-up-ended")
}

// left: the caller's wait ends without an agent (p is the ending event).
func (h *history) left(s float64, call, queue string, p event.Payload) {
	h.add(s, event.Ref{Call: call, Interaction: call, Queue: queue}, p)
}

func ms(s float64) int64 { return int64(s * 1000) }

// bed is a log with its projector and reports.
type bed struct {
	log  *store.Log
	proj *Projector
	rep  *Reports
}

func newBed(t *testing.T, settings map[string]QueueSettings, now time.Time) *bed {
	t.Helper()
	l, err := store.Open(filepath.Join(t.TempDir(), "acd.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	p, err := NewProjector(ProjectorConfig{Log: l, DB: l.DB(), Batch: 7}) // small batches: many transactions
	if err != nil {
		t.Fatal(err)
	}
	r := New(Options{Projector: p, DB: l.Reader(), Now: func() time.Time { return now },
		Settings: func(q string) QueueSettings { return settings[q] }})
	return &bed{log: l, proj: p, rep: r}
}

func (b *bed) append(t *testing.T, evs []store.Event) {
	t.Helper()
	for _, e := range evs {
		b.log.Append(e)
	}
	if err := b.log.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func period(from, to time.Time) Filter { return Filter{From: from, To: to} }
