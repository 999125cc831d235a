package testutil

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/store"
)

// MemLog is an event log in memory, for the distributor's tests: it
// numbers what is appended and wakes those awaiting an event.
type MemLog struct {
	mu     sync.Mutex
	events []store.Event
	grew   chan struct{} // closed and replaced on every Append
}

// NewMemLog is an empty log.
func NewMemLog() *MemLog { return &MemLog{grew: make(chan struct{})} }

// Append numbers e and keeps it.
func (l *MemLog) Append(e store.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e.Seq = int64(len(l.events) + 1)
	l.events = append(l.events, e)
	close(l.grew)
	l.grew = make(chan struct{})
}

// Flush has nothing to wait for: every event is kept as appended.
func (l *MemLog) Flush(context.Context) error { return nil }

// All is every event so far, in order.
func (l *MemLog) All() []store.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]store.Event(nil), l.events...)
}

// Await returns the events once one matches, or fails the test after
// five seconds, naming what it waited for.
func (l *MemLog) Await(t testing.TB, what string, match func(store.Event) bool) []store.Event {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		l.mu.Lock()
		evs := append([]store.Event(nil), l.events...)
		grew := l.grew
		l.mu.Unlock()
		for _, e := range evs {
			if match(e) {
				return evs
			}
		}
		select {
		case <-grew:
		case <-deadline:
			t.Fatalf("never saw %s; the log holds %v", what, Kinds(evs))
		}
	}
}

// Count is how many events of kind the log holds.
func (l *MemLog) Count(kind string) int {
	n := 0
	for _, e := range l.All() {
		if e.Type == kind {
			n++
		}
	}
	return n
}

// Kinds names each event as Key does.
func Kinds(evs []store.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = Key(e)
	}
	return out
}

// Key is "type:agent", or "agent.state>TO:agent" for an agent's move.
func Key(e store.Event) string {
	if e.Type == "agent.state" {
		if p, err := event.Decode(e); err == nil {
			return "agent.state>" + p.(event.AgentState).To + ":" + e.Agent
		}
	}
	return e.Type + ":" + e.Agent
}

// IsKind matches the events whose Key is k.
func IsKind(k string) func(store.Event) bool { return func(e store.Event) bool { return Key(e) == k } }
