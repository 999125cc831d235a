package report

import (
	"context"
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/acdserver/acd/event"
)

func near(got *float64, want float64) bool { return got != nil && math.Abs(*got-want) < 1e-6 }

func TestQueueCallers(t *testing.T) {
	day := period(monday.Add(-9*time.Hour), monday.Add(15*time.Hour)) // Monday, UTC
	tests := []struct {
		name     string
		settings map[string]QueueSettings
		history  func(h *history)
		filter   Filter
		check    func(t *testing.T, r QueueCallers)
	}{{
		name: "answered with talk and wrap-up",
		history: func(h *history) {
			h.login(0, "a", "support")
			h.join(10, "c1", "support")
			h.answered("c1", "support", "a", 10, 12, 15, 75, 90)
		},
		filter: day,
		check: func(t *testing.T, r QueueCallers) {
			tt := r.Totals
			if tt.Offered != 1 || tt.Answered != 1 || tt.AnsweredWithin != 1 || !near(tt.ServiceLevel, 1) {
				t.Errorf("totals %+v", tt)
			}
			if !near(tt.AvgWaitAnswered, 5) || !near(tt.P90WaitAnswered, 5) || !near(tt.AvgHandle, 60+15) || !near(tt.MaxWait, 5) {
				t.Errorf("waits and handle: avg %v p90 %v handle %v max %v", *tt.AvgWaitAnswered, *tt.P90WaitAnswered, *tt.AvgHandle, *tt.MaxWait)
			}
			if tt.AbandonRate == nil || *tt.AbandonRate != 0 || tt.ThresholdSeconds != 20 {
				t.Errorf("abandon rate %v threshold %d", tt.AbandonRate, tt.ThresholdSeconds)
			}
			c := r.Hours[0*24+9] // Monday 09:00
			if c.Offered != 1 || c.Occurrences != 1 || !near(c.AvgHandle, 75) {
				t.Errorf("Monday 09:00 cell %+v", c)
			}
			if r.Waits[0].Answered != 1 || *r.Waits[0].UpTo != 10 {
				t.Errorf("wait distribution %+v", r.Waits[0])
			}
		},
	}, {
		name: "callback requested is not abandoned",
		history: func(h *history) {
			h.join(0, "c1", "support")
			h.add(40, event.Ref{Call: "c1", Interaction: "c1", Queue: "support"}, event.CallbackRequested{Request: 7, Number: "+14155550123", WaitedMS: 40000})
			h.login(50, "a", "support")
			cb := event.Ref{Call: "callback-7", Interaction: "c1", Queue: "support", Agent: "a"}
			h.add(100, cb, event.CallbackAgentAnswered{Request: 7})
			h.add(200, cb, event.CallbackCompleted{Request: 7})
		},
		filter: day,
		check: func(t *testing.T, r QueueCallers) {
			tt := r.Totals
			if tt.Offered != 1 || tt.CallbackRequested != 1 || tt.Abandoned != 0 || tt.Missed != 0 || r.Outcomes[CallbackRequested] != 1 {
				t.Errorf("totals %+v", tt)
			}
			if tt.ServiceLevel != nil { // every caller left the denominator
				t.Errorf("service level %v, want null", *tt.ServiceLevel)
			}
			if tt.CallbacksDone != 1 || !near(tt.AvgCallbackWait, 60) {
				t.Errorf("callbacks done %d, wait %v", tt.CallbacksDone, tt.AvgCallbackWait)
			}
		},
	}, {
		name:     "short abandons excluded when set",
		settings: map[string]QueueSettings{"support": {ShortAbandon: 5 * time.Second}},
		history: func(h *history) {
			h.join(0, "c1", "support")
			h.left(3, "c1", "support", event.CallerAbandoned{WaitedMS: 3000})
			h.join(10, "c2", "support")
			h.left(40, "c2", "support", event.CallerAbandoned{WaitedMS: 30000})
			h.join(50, "c3", "sales")
			h.left(53, "c3", "sales", event.CallerAbandoned{WaitedMS: 3000})
		},
		filter: day,
		check: func(t *testing.T, r QueueCallers) {
			s := r.Queues[1] // support
			if s.Queue != "support" || s.Offered != 2 || s.Abandoned != 1 || s.ShortAbandoned != 1 || !near(s.AbandonRate, 1) || s.ShortAbandonBelow != 5 {
				t.Errorf("support %+v", s.QueueTotals)
			}
			if !near(s.AvgWaitAbandoned, 30) || s.ServiceLevel == nil || *s.ServiceLevel != 0 {
				t.Errorf("support abandon wait %v service level %v", s.AvgWaitAbandoned, s.ServiceLevel)
			}
			if q := r.Queues[0]; q.Queue != "sales" || q.Abandoned != 1 || q.ShortAbandoned != 0 { // off by default
				t.Errorf("sales %+v", q.QueueTotals)
			}
			if r.Totals.Abandoned != 2 || r.Totals.ShortAbandoned != 1 || r.Totals.ShortAbandonBelow != 0 {
				t.Errorf("totals %+v", r.Totals)
			}
		},
	}, {
		name: "a transferred call counts a stay in each queue",
		history: func(h *history) {
			h.login(0, "a", "support")
			h.login(0, "b", "sales")
			h.join(10, "c1", "support")
			h.answered("c1", "support", "a", 10, 11, 12, 42, 0)
			h.add(42, event.Ref{Call: "c1", Interaction: "c1", Queue: "support", Agent: "a"}, event.CallTransferred{To: "601", Target: "queue", ToQueue: "sales"})
			h.join(42, "c1", "sales")
			h.answered("c1", "sales", "b", 42, 43, 50, 110, 0)
		},
		filter: day,
		check: func(t *testing.T, r QueueCallers) {
			if r.Totals.Offered != 2 || r.Totals.Answered != 2 || len(r.Queues) != 2 {
				t.Fatalf("totals %+v queues %d", r.Totals, len(r.Queues))
			}
			sales, support := r.Queues[0], r.Queues[1]
			if sales.Answered != 1 || !near(sales.AvgWaitAnswered, 8) || !near(sales.AvgHandle, 60) {
				t.Errorf("sales %+v", sales.QueueTotals)
			}
			if support.Answered != 1 || !near(support.AvgWaitAnswered, 2) || !near(support.AvgHandle, 30) {
				t.Errorf("support %+v", support.QueueTotals)
			}
		},
	}, {
		name: "a stay spanning midnight counts on the day it joined",
		history: func(h *history) {
			h.login(0, "a", "support")
			h.join(15*3600-10, "c1", "support") // Monday 23:59:50
			h.answered("c1", "support", "a", 15*3600-10, 15*3600+20, 15*3600+30, 15*3600+90, 0)
		},
		filter: period(monday.Add(-9*time.Hour), monday.Add(39*time.Hour)), // Monday and Tuesday
		check: func(t *testing.T, r QueueCallers) {
			if len(r.Days) != 2 || r.Days[0].Date != "2026-11-23" || r.Days[0].Offered != 1 || r.Days[1].Offered != 0 {
				t.Errorf("days %+v", r.Days)
			}
			if !near(r.Totals.AvgWaitAnswered, 40) || r.Hours[23].Offered != 1 || r.Hours[23].Occurrences != 1 {
				t.Errorf("wait %v, Monday 23:00 %+v", r.Totals.AvgWaitAnswered, r.Hours[23])
			}
		},
	}, {
		name: "the period of a stay is its joining, in the report's zone",
		history: func(h *history) {
			h.join(15*3600-10, "c1", "support") // Monday 23:59:50 UTC, Tuesday 00:59:50 in Paris
			h.left(15*3600+5, "c1", "support", event.CallerTimedOut{WaitedMS: 15000})
		},
		filter: Filter{From: monday.Add(15 * time.Hour), To: monday.Add(39 * time.Hour)}, // Tuesday UTC
		check: func(t *testing.T, r QueueCallers) {
			if r.Totals.Offered != 0 || r.Totals.MaxWait != nil {
				t.Errorf("a stay that joined before the period counted: %+v", r.Totals)
			}
		},
	}, {
		name: "timed out, exited and server stopped",
		history: func(h *history) {
			h.join(0, "c1", "support")
			h.left(30, "c1", "support", event.CallerTimedOut{WaitedMS: 30000})
			h.join(1, "c2", "support")
			h.left(5, "c2", "support", event.CallerExited{WaitedMS: 4000})
			h.join(2, "c3", "support")
			h.left(100, "c3", "support", event.CallerStopped{WaitedMS: 98000})
			h.join(3, "c4", "support") // still waiting
		},
		filter: day,
		check: func(t *testing.T, r QueueCallers) {
			tt := r.Totals
			if tt.Offered != 4 || tt.TimedOut != 1 || tt.Exited != 1 || tt.ServerStopped != 1 || tt.Missed != 2 || r.Outcomes[Waiting] != 1 {
				t.Errorf("totals %+v outcomes %v", tt, r.Outcomes)
			}
			if !near(tt.ServiceLevel, 0) || !near(tt.MaxWait, 98) {
				t.Errorf("service level %v max wait %v", tt.ServiceLevel, tt.MaxWait)
			}
		},
	}, {
		name: "a crash stops the callers still waiting at the last event",
		history: func(h *history) {
			h.join(0, "c1", "support")
			h.join(10, "c2", "support")
			h.add(40, event.Ref{}, event.ServerDraining{}) // the last event before the crash
			h.add(1000, event.Ref{}, event.ServerStarted{Version: "test"})
		},
		filter: day,
		check: func(t *testing.T, r QueueCallers) {
			tt := r.Totals
			if tt.Offered != 2 || tt.ServerStopped != 2 || r.Outcomes[Waiting] != 0 || tt.Abandoned != 0 {
				t.Errorf("totals %+v outcomes %v", tt, r.Outcomes)
			}
			if !near(tt.MaxWait, 40) {
				t.Errorf("max wait %v, want 40 s: to the last event before the crash", tt.MaxWait)
			}
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := &history{t0: monday}
			tc.history(h)
			b := newBed(t, tc.settings, monday.Add(48*time.Hour))
			b.append(t, h.evs)
			r, err := b.rep.QueueCallers(context.Background(), tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Hours) != 7*24 {
				t.Fatalf("%d hour cells", len(r.Hours))
			}
			tc.check(t, r)
		})
	}
}

func TestCallsBehindACount(t *testing.T) {
	h := &history{t0: monday}
	h.login(0, "a", "support")
	h.join(10, "c1", "support")
	h.answered("c1", "support", "a", 10, 12, 15, 75, 90)
	h.join(20, "c2", "support")
	h.left(50, "c2", "support", event.CallerAbandoned{WaitedMS: 30000})
	h.join(30, "c3", "support")
	h.left(80, "c3", "support", event.CallerTimedOut{WaitedMS: 50000})
	b := newBed(t, nil, monday.Add(time.Hour))
	b.append(t, h.evs)
	f := period(monday, monday.Add(time.Hour))
	for _, tc := range []struct {
		outcome string
		want    []string
	}{
		{"", []string{"c1", "c2", "c3"}},
		{Answered, []string{"c1"}},
		{Abandoned, []string{"c2"}},
		{Missed, []string{"c2", "c3"}},
		{AnsweredWithin, []string{"c1"}},
		{CallbackRequested, nil},
	} {
		list, more, err := b.rep.Calls(context.Background(), f, tc.outcome, 0)
		if err != nil || more {
			t.Fatalf("%s: %v more=%v", tc.outcome, err, more)
		}
		var got []string
		for _, s := range list {
			got = append(got, s.CallID)
		}
		if len(got) != len(tc.want) || (len(got) > 0 && got[0] != tc.want[0]) || (len(got) > 1 && got[len(got)-1] != tc.want[len(tc.want)-1]) {
			t.Errorf("%q: %v, want %v", tc.outcome, got, tc.want)
		}
	}
	list, _, _ := b.rep.Calls(context.Background(), f, Answered, 0)
	if s := list[0]; s.Agent != "a" || s.WaitS != 5 || s.TalkS != 60 || s.WrapUpS != 15 || s.Offers != 1 || !s.Ended.Equal(h.at(15)) {
		t.Errorf("answered stay %+v", s)
	}
	if _, _, err := b.rep.Calls(context.Background(), f, "lost", 0); err == nil {
		t.Error("an unknown outcome was accepted")
	} else if fe, ok := IsFilterError(err); !ok || fe.Field != "outcome" {
		t.Errorf("unknown outcome: %v", err)
	}
	if list, more, _ := b.rep.Calls(context.Background(), f, "", 2); len(list) != 2 || !more {
		t.Errorf("limit 2: %d, more %v", len(list), more)
	}
}

func TestAgentPerformance(t *testing.T) {
	tests := []struct {
		name    string
		history func(h *history)
		filter  Filter
		now     time.Time
		check   func(t *testing.T, r AgentPerformance)
	}{{
		name: "intervals clipped at the boundaries",
		history: func(h *history) {
			h.login(0, "a", "support")                                                                                         // ready 09:00–11:00
			h.add(7200, event.Ref{Agent: "a"}, event.AgentState{From: "ready", To: "paused", Reason: "Lunch", Cause: "pause"}) // paused 11:00–13:00
			h.logout(4*3600, "a", "paused", "support")
		},
		filter: period(monday.Add(time.Hour), monday.Add(3*time.Hour)), // 10:00–12:00
		check: func(t *testing.T, r AgentPerformance) {
			a := r.Agents[0].AgentTotals
			if a.ReadyS != 3600 || a.PausedS != 3600 || a.PausedByReason["Lunch"] != 3600 || a.LoggedInS != 7200 {
				t.Errorf("agent %+v", a)
			}
			if a.Occupancy == nil || *a.Occupancy != 0 || a.AvgHandle != nil {
				t.Errorf("occupancy %v handle %v", a.Occupancy, a.AvgHandle)
			}
		},
	}, {
		name: "intervals over several days: whole days summed, edges clipped",
		history: func(h *history) {
			h.login(0, "a", "support") // ready from Monday 09:00 for three days
			h.logout(3*86400, "a", "ready", "support")
		},
		filter: period(monday.Add(3*time.Hour), monday.Add(2*86400*time.Second+5*time.Hour)), // Monday 12:00 – Wednesday 14:00
		check: func(t *testing.T, r AgentPerformance) {
			if got := r.Totals.ReadyS; got != 2*86400+2*3600 {
				t.Errorf("ready %v s, want %v", got, 2*86400+2*3600)
			}
		},
	}, {
		name: "the open interval runs to now",
		history: func(h *history) {
			h.login(0, "a", "support")
		},
		filter: period(monday, monday.Add(24*time.Hour)),
		now:    monday.Add(90 * time.Minute),
		check: func(t *testing.T, r AgentPerformance) {
			if r.Totals.ReadyS != 5400 {
				t.Errorf("ready %v", r.Totals.ReadyS)
			}
		},
	}, {
		name: "an agent in several queues",
		history: func(h *history) {
			h.login(0, "a", "support", "sales")
			h.join(10, "c1", "support")
			h.answered("c1", "support", "a", 10, 10, 20, 80, 100) // ring 10, talk 60, wrap 20
			h.join(200, "c2", "sales")
			h.answered("c2", "sales", "a", 200, 200, 210, 270, 290)
			h.join(300, "c3", "sales")
			ref := event.Ref{Call: "c3", Interaction: "c3", Queue: "sales"}
			h.state(300, "a", "ready", "offered", ref, "offer")
			h.add(300, event.Ref{Call: "c3", Interaction: "c3", Queue: "sales", Agent: "a"}, event.AgentMissed{Misses: 1, Cause: "no-answer"})
			h.state(305, "a", "offered", "ready", ref, "no-answer")
			h.logout(400, "a", "ready", "support", "sales")
		},
		filter: period(monday, monday.Add(time.Hour)),
		check: func(t *testing.T, r AgentPerformance) {
			a := r.Agents[0].AgentTotals
			if a.Offered != 3 || a.Answered != 2 || a.Missed != 1 {
				t.Errorf("offered %d answered %d missed %d", a.Offered, a.Answered, a.Missed)
			}
			if a.RingingS != 25 || a.OnCallS != 120 || a.WrapUpS != 40 || a.LoggedInS != 400 || a.ReadyS != 400-25-120-40 {
				t.Errorf("times %+v", a)
			}
			if !near(a.AvgHandle, 80) || !near(a.Occupancy, 185.0/400) {
				t.Errorf("handle %v occupancy %v", a.AvgHandle, a.Occupancy)
			}
			if !near(ptr(a.QueueShare["support"]), 90.0/185) || !near(ptr(a.QueueShare["sales"]), 95.0/185) {
				t.Errorf("queue share %v", a.QueueShare)
			}
		},
	}, {
		name: "a queue filter keeps that queue's calls and its members' other time",
		history: func(h *history) {
			h.login(0, "a", "support", "sales")
			h.login(0, "b", "support")
			h.join(10, "c1", "support")
			h.answered("c1", "support", "a", 10, 10, 20, 80, 100)
			h.join(200, "c2", "sales")
			h.answered("c2", "sales", "a", 200, 200, 210, 270, 290)
			h.logout(400, "a", "ready", "support", "sales")
			h.logout(400, "b", "ready", "support")
		},
		filter: Filter{From: monday, To: monday.Add(time.Hour), Queues: []string{"sales"}},
		check: func(t *testing.T, r AgentPerformance) {
			if len(r.Agents) != 1 || r.Agents[0].Agent != "a" {
				t.Fatalf("agents %+v", r.Agents)
			}
			a := r.Agents[0].AgentTotals
			if a.Answered != 1 || a.OnCallS != 60 || a.ReadyS != 400-20-120-40 || a.QueueShare["sales"] != 1 {
				t.Errorf("agent a in sales %+v", a)
			}
		},
	}, {
		name: "a restart ends what was open at the last event",
		history: func(h *history) {
			h.login(0, "a", "support")
			h.join(100, "c1", "support")
			h.add(1000, event.Ref{}, event.ServerStarted{Version: "test"}) // the server died at 100
			h.state(1000, "a", "logged-out", "ready", event.Ref{}, "restored")
			h.logout(1100, "a", "ready", "support")
		},
		filter: period(monday, monday.Add(time.Hour)),
		check: func(t *testing.T, r AgentPerformance) {
			if r.Totals.ReadyS != 200 {
				t.Errorf("ready %v, want 100 before the crash and 100 after", r.Totals.ReadyS)
			}
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := &history{t0: monday}
			tc.history(h)
			now := tc.now
			if now.IsZero() {
				now = monday.Add(7 * 24 * time.Hour)
			}
			b := newBed(t, nil, now)
			b.append(t, h.evs)
			r, err := b.rep.AgentPerformance(context.Background(), tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Agents) == 0 {
				t.Fatal("no agents")
			}
			tc.check(t, r)
			// The intervals listed add up to the report's time.
			list, _, err := b.rep.Intervals(context.Background(), tc.filter, 0)
			if err != nil {
				t.Fatal(err)
			}
			var sum float64
			for _, iv := range list {
				sum += iv.S
				if iv.From.Before(tc.filter.From) || iv.To.After(tc.filter.To) {
					t.Errorf("interval %+v outside the period", iv)
				}
			}
			if math.Abs(sum-r.Totals.LoggedInS) > 1e-6 {
				t.Errorf("intervals sum to %v s, the report says %v", sum, r.Totals.LoggedInS)
			}
		})
	}
}

// TestIncrementalEqualsRebuild: the projections kept in step batch by
// batch, across a restart of the projector, equal those rebuilt from
// the whole log.
func TestIncrementalEqualsRebuild(t *testing.T) {
	h := &history{t0: monday}
	h.login(0, "a", "support", "sales")
	h.login(0, "b", "support")
	for i := range 20 {
		s := float64(i * 300)
		call := "c" + string(rune('a'+i))
		q := []string{"support", "sales"}[i%2]
		h.join(s, call, q)
		if i%3 == 0 {
			h.left(s+float64(i), call, q, event.CallerAbandoned{WaitedMS: ms(float64(i))})
			continue
		}
		h.answered(call, q, "a", s, s+1, s+3, s+100, s+150)
	}
	ctx := context.Background()
	b := newBed(t, nil, monday.Add(48*time.Hour))
	f := period(monday.Add(-time.Hour), monday.Add(30*time.Hour))
	half := len(h.evs) / 2
	b.append(t, h.evs[:half])
	if err := b.proj.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	// A new projector carries on from the tables.
	p2, err := NewProjector(ProjectorConfig{Log: b.log, DB: b.log.DB(), Batch: 5})
	if err != nil {
		t.Fatal(err)
	}
	b.rep.o.Projector = p2
	b.append(t, h.evs[half:])
	snapshot := func() string {
		q, err := b.rep.QueueCallers(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		a, err := b.rep.AgentPerformance(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := json.Marshal([]any{q, a})
		return string(data)
	}
	incremental := snapshot()
	if err := p2.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	if rebuilt := snapshot(); rebuilt != incremental {
		t.Errorf("incremental\n%s\nrebuilt\n%s", incremental, rebuilt)
	}
	if pos, _ := p2.Position(ctx); pos != int64(len(h.evs)) {
		t.Errorf("position %d, want %d", pos, len(h.evs))
	}
}

func TestFilterChecked(t *testing.T) {
	b := newBed(t, nil, monday)
	for _, tc := range []struct {
		f     Filter
		field string
	}{
		{Filter{To: monday}, "from"},
		{Filter{From: monday}, "to"},
		{Filter{From: monday, To: monday}, "to"},
		{Filter{From: monday, To: monday.Add(MaxPeriod + time.Hour)}, "to"},
	} {
		_, err := b.rep.QueueCallers(context.Background(), tc.f)
		if fe, ok := IsFilterError(err); !ok || fe.Field != tc.field {
			t.Errorf("%+v: %v, want an error naming %s", tc.f, err, tc.field)
		}
	}
	c, err := b.rep.Conversations(context.Background(), period(monday, monday.Add(time.Hour)))
	if err != nil || c.Totals.Conversations != 0 || c.TimeZone != "UTC" {
		t.Errorf("conversations %+v %v", c, err)
	}
}

func TestHourOccurrences(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no time zone data")
	}
	for _, tc := range []struct {
		name      string
		f         Filter
		cell      int
		want, sum int
	}{
		{"a week in UTC", Filter{From: monday.Add(-9 * time.Hour), To: monday.Add(159 * time.Hour), Location: time.UTC}, 9, 1, 168},
		{"four weeks", Filter{From: monday.Add(-9 * time.Hour), To: monday.Add(-9*time.Hour + 28*24*time.Hour), Location: time.UTC}, 0, 4, 672},
		// 2026-10-25: clocks in Paris go back at 03:00, so 02:00 happens twice.
		{"the day clocks go back", Filter{From: time.Date(2026, 10, 25, 0, 0, 0, 0, paris), To: time.Date(2026, 10, 26, 0, 0, 0, 0, paris), Location: paris}, 6*24 + 2, 2, 25},
	} {
		got := hourOccurrences(tc.f)
		sum := 0
		for _, n := range got {
			sum += n
		}
		if got[tc.cell] != tc.want || sum != tc.sum {
			t.Errorf("%s: cell %d = %d (want %d), total %d (want %d)", tc.name, tc.cell, got[tc.cell], tc.want, sum, tc.sum)
		}
	}
}

// TestUnreadableEventPassedOver: an event whose data does not decode
// leaves its own figures out, and the projections go on past it.
func TestUnreadableEventPassedOver(t *testing.T) {
	h := &history{t0: monday}
	h.join(0, "c1", "support")
	h.left(5, "c1", "support", event.CallerAbandoned{WaitedMS: 5000})
	h.evs[1].Data = []byte(`{"waited_ms": "five"}`)
	h.join(10, "c2", "support")
	h.left(15, "c2", "support", event.CallerTimedOut{WaitedMS: 5000})
	b := newBed(t, nil, monday.Add(time.Hour))
	b.append(t, h.evs)
	r, err := b.rep.QueueCallers(context.Background(), period(monday, monday.Add(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	if r.Totals.Offered != 2 || r.Totals.TimedOut != 1 || r.Outcomes[Waiting] != 1 {
		t.Errorf("totals %+v outcomes %v", r.Totals, r.Outcomes)
	}
}
