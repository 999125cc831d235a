package acd

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/acdserver/acd/config"
	"github.com/acdserver/acd/event"
)

// benchCenter builds a distributor with agents agents spread over
// queues queues and callers callers waiting, put in the lists directly:
// no goroutine per caller, so that only dispatch is measured.
func benchCenter(b *testing.B, agents, queues, callers int, registered bool) *Center {
	b.Helper()
	var y strings.Builder
	y.WriteString("sip_realm: test.local\nnumbers: {\"100\": main}\nagents:\n")
	for i := range agents {
		fmt.Fprintf(&y, "  \"%d\": {name: A%d, password: secret-%d, queues: [q%d]}\n", 10000+i, i, 10000+i, i%queues)
	}
	y.WriteString("queues:\n")
	for i := range queues {
		fmt.Fprintf(&y, "  q%d: {weight: %d, announce_every: 1h}\n", i, i%3)
	}
	y.WriteString("dialplans:\n  main:\n    entry: q\n    nodes:\n      q: {type: queue, queue: q0, timeout: 30s, on_timeout: bye, on_exit: bye}\n      bye: {type: hangup}\n")
	cfg, err := config.Parse("bench.yaml", []byte(y.String()))
	if err != nil {
		b.Fatal(err)
	}
	phones := &registrar{reg: map[string]bool{}}
	// Offers are recorded, never rung: only the decisions are measured.
	c := NewCenter(cfg, phones, nil, nil, make(offers, agents), slog.New(slog.NewTextHandler(io.Discard, nil)))
	start := time.Now()
	for i := range callers {
		q := c.queues[fmt.Sprintf("q%d", i%queues)]
		id := fmt.Sprintf("call-%d", i)
		e := &entry{id: id, in: &Interaction{ID: id, Kind: Voice, Queue: q.name}, joined: start.Add(time.Duration(i))}
		e.ctx, e.cancel = context.WithCancel(context.Background())
		q.insert(e)
	}
	for id := range c.agents {
		if registered {
			phones.reg[id] = true
		}
		if err := c.Login(id, event.Phone(id)); err != nil {
			b.Fatal(err)
		}
	}
	return c
}

// BenchmarkDispatch measures one dispatch, as every join, hang-up and
// agent change runs it, with 1 000 agents and 5 000 callers waiting:
// when every agent is busy (the usual state of a queue that has callers
// waiting), and when agents are ready but none can be rung (their phones
// are not registered), the worst case for the search.
func BenchmarkDispatch(b *testing.B) {
	for _, tc := range []struct {
		name       string
		registered bool
	}{{"all-busy", true}, {"ready-unreachable", false}} {
		b.Run(tc.name, func(b *testing.B) {
			c := benchCenter(b, 1000, 10, 5000, tc.registered)
			c.mu.Lock()
			defer c.mu.Unlock()
			if tc.registered {
				// Every agent is rung for a caller and answers: busy.
				for _, a := range c.agents {
					if a.state != Offered {
						b.Fatalf("agent %s is %v after the first dispatch", a.id, a.state)
					}
					c.move(a, OnCall, change{cause: "answer", by: event.System()})
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				c.dispatch()
			}
		})
	}
}

// BenchmarkWaiting measures the supervisor's waiting-list read of one
// queue holding 500 of the 5 000 callers: when the list is as the last
// read left it (shared), and when it changed since (made again).
func BenchmarkWaiting(b *testing.B) {
	c := benchCenter(b, 1000, 10, 5000, false)
	for _, changed := range []bool{false, true} {
		name := "unchanged"
		if changed {
			name = "changed"
		}
		b.Run(name, func(b *testing.B) {
			q := c.queues["q3"]
			b.ReportAllocs()
			for b.Loop() {
				if changed {
					c.mu.Lock()
					q.list = nil // as a join, a ring or a departure does
					c.mu.Unlock()
				}
				if w, err := c.Waiting("q3"); err != nil || len(w) != 500 {
					b.Fatal(len(w), err)
				}
			}
		})
	}
}
