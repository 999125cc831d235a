package web

import (
	"fmt"
	"html/template"
	"testing"
	"time"

	"github.com/acdserver/acd/service"
)

// BenchmarkQueueRedraw draws the queue page's three live fragments, as
// each open page does at every redraw, for a queue with 300 callers
// waiting and 100 agents.
func BenchmarkQueueRedraw(b *testing.B) {
	p := &Pages{pages: map[string]*template.Template{}, livePages: map[string]*template.Template{}, views: map[string]liveView{}}
	p.parseWith("supervisor_queue", figuresFile)
	joined := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	v := queueView{CSRF: "tok", QueueOverview: service.QueueOverview{Queue: service.Queue{ID: "bench", Name: "Bench"}}}
	for i := range 300 {
		v.Waiting = append(v.Waiting, service.WaitingCaller{Position: i + 1, CallID: fmt.Sprint("c", i), Number: "+14155550123", Joined: joined})
	}
	for i := range 100 {
		v.Agents = append(v.Agents, service.QueueAgent{AgentState: service.AgentState{ID: fmt.Sprint(3000 + i), State: "logged-out",
			StateSince: joined, Queues: []string{"bench"}}, Assigned: true})
	}
	v.Callers, v.Oldest = 300, joined
	b.ReportAllocs()
	size := 0
	for b.Loop() {
		size = 0
		for _, name := range []string{"queue-figures", "queue-waiting", "queue-agents"} {
			var data any = v
			if name == "queue-figures" {
				data = v.QueueOverview
			}
			s, err := p.fragment("supervisor_queue", name, data)
			if err != nil {
				b.Fatal(err)
			}
			size += len(s)
		}
	}
	b.ReportMetric(float64(size)/1024, "KiB/redraw")
}
