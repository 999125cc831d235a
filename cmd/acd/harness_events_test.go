package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/store"
)

// eventsOf waits until the server's event log holds events satisfying
// done, and returns them as "type:agent" strings.
func eventsOf(t *testing.T, s *server, f store.Filter, done func([]string) bool) []string {
	t.Helper()
	l, err := store.Open(filepath.Join(s.data, "acd.db"), slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		evs, err := l.Events(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range evs {
			out = append(out, eventKey(e))
		}
		if done(out) {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("the event log never reached the expected state; it holds %v", out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// eventKey names an event for expectSequence: "type:agent", and for an
// agent's state change "agent.state>TO:agent".
func eventKey(e store.Event) string {
	if e.Type == "agent.state" {
		if p, err := event.Decode(e); err == nil {
			return "agent.state>" + p.(event.AgentState).To + ":" + e.Agent
		}
	}
	return e.Type + ":" + e.Agent
}

func has(want ...string) func([]string) bool {
	return func(got []string) bool {
		j := 0
		for _, g := range got {
			if j < len(want) && g == want[j] {
				j++
			}
		}
		return j == len(want)
	}
}

func expectSequence(t *testing.T, got []string, want ...string) {
	t.Helper()
	if !has(want...)(got) {
		t.Fatalf("event log\n got: %v\nwant in order: %v", got, want)
	}
}

// logEvents reads the server's whole event log.
func logEvents(t *testing.T, s *server) []store.Event {
	t.Helper()
	l, err := store.Open(filepath.Join(s.data, "acd.db"), slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	evs, err := l.Events(context.Background(), store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}
