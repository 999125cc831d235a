package report

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"
)

func closeTo(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %.6f, want %.4f (±%g)", what, got, want, tol)
	}
}

// TestErlangCCallCentreHelperExample: Call Centre Helper's "Erlang C
// formula – made simple with an easy worked example": 100 calls in 30
// minutes, an average handle time of 180 s, 80 % to be answered within
// 20 s. Traffic intensity 10 erlangs; with 11 agents the probability of
// waiting is 68.21 % and the service level 39.0 %; 12 agents give 64.0 %,
// 13 give 79.6 % (short of 80 %) and 14 give 88.8 %: 14 agents are needed.
func TestErlangCCallCentreHelperExample(t *testing.T) {
	a := 100.0 / 1800 * 180
	closeTo(t, "A", a, 10, 1e-12)
	closeTo(t, "C(11, 10)", ErlangC(11, a), 0.6821, 0.0005)
	closeTo(t, "SL(11)", ServiceLevel(11, a, 180, 20), 0.390, 0.0005)
	closeTo(t, "SL(12)", ServiceLevel(12, a, 180, 20), 0.640, 0.0005)
	closeTo(t, "SL(13)", ServiceLevel(13, a, 180, 20), 0.796, 0.0005)
	closeTo(t, "SL(14)", ServiceLevel(14, a, 180, 20), 0.888, 0.0005)
	if n := AgentsNeeded(200, 180, 20, 0.8); n != 14 {
		t.Errorf("AgentsNeeded(200/h, 180 s, 20 s, 80%%) = %d, want 14", n)
	}
}

// TestErlangCWestbayExample: the Westbay Engineers' (erlang.com) step by
// step "The Erlang-C formula": 360 calls per half hour, calls of 4
// minutes, 55 agents, a target answer time of 15 s. Traffic intensity 48
// erlangs, occupancy 0.873, E_C = 0.2387, an average speed of answer of
// 0.1364 minutes (8.2 s) and a service level of 0.8459 (84.6 % answered
// within 15 s).
func TestErlangCWestbayExample(t *testing.T) {
	a := 360.0 / 30 * 4
	closeTo(t, "A", a, 48, 1e-12)
	closeTo(t, "occupancy", a/55, 0.873, 0.0005)
	c := ErlangC(55, a)
	closeTo(t, "E_C(55, 48)", c, 0.2387, 0.0005)
	closeTo(t, "ASA in minutes", c*4/(55-a), 0.1364, 0.0005)
	closeTo(t, "SL(55, 15 s)", ServiceLevel(55, a, 240, 15), 0.846, 0.0005)
	// 54 agents fall short of 84.5 %: 55 is the fewest that reach it.
	if n := AgentsNeeded(720, 240, 15, 0.845); n != 55 {
		t.Errorf("AgentsNeeded(720/h, 240 s, 15 s, 84.5%%) = %d, want 55", n)
	}
}

func TestAgentsNeededEdges(t *testing.T) {
	for _, tt := range []struct {
		name                    string
		calls, aht, thr, target float64
		want                    int
	}{
		{"no calls", 0, 180, 20, 0.8, 0},
		{"no handle time", 100, 0, 20, 0.8, 0},
		{"negative calls", -5, 180, 20, 0.8, 0},
		{"NaN", math.NaN(), 180, 20, 0.8, 0},
		{"infinite", math.Inf(1), 180, 20, 0.8, 0},
		// One call an hour of 3 minutes: 0.05 erlangs; one agent answers
		// 95 % of callers at once.
		{"one call", 1, 180, 20, 0.8, 1},
		// A target of nothing is met by the fewest agents that keep the
		// queue stable: more than A = 10.
		{"no target", 200, 180, 20, 0, 11},
	} {
		if got := AgentsNeeded(tt.calls, tt.aht, tt.thr, tt.target); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
		}
	}
}

// TestAgentsNeededHugeLoad: tens of thousands of erlangs, where a^n/n!
// would have overflowed long before; the answer is the smallest that
// meets the target.
func TestAgentsNeededHugeLoad(t *testing.T) {
	for _, calls := range []float64{100_000, 1_000_000} {
		a := calls / 3600 * 300
		n := AgentsNeeded(calls, 300, 20, 0.8)
		if float64(n) <= a || float64(n) > a*1.1 {
			t.Fatalf("%.0f calls/h (A = %.0f): %d agents", calls, a, n)
		}
		if sl := ServiceLevel(n, a, 300, 20); sl < 0.8 || math.IsNaN(sl) {
			t.Errorf("A = %.0f: SL(%d) = %v", a, n, sl)
		}
		if sl := ServiceLevel(n-1, a, 300, 20); sl >= 0.8 {
			t.Errorf("A = %.0f: %d agents already meet it (%v)", a, n-1, sl)
		}
	}
	if n := AgentsNeeded(1000, 180, 20, 1); n <= 50 {
		t.Errorf("target 100%%: %d", n)
	}
}

func TestErlangCBounds(t *testing.T) {
	if c := ErlangC(10, 10); c != 1 {
		t.Errorf("n = A: %v", c)
	}
	if c := ErlangC(5, 0); c != 0 {
		t.Errorf("no traffic: %v", c)
	}
	if sl := ServiceLevel(9, 10, 180, 20); sl != 0 {
		t.Errorf("overloaded: %v", sl)
	}
	prev := 1.0
	for n := 11; n < 40; n++ {
		c := ErlangC(n, 10)
		if c < 0 || c > prev {
			t.Fatalf("C(%d, 10) = %v after %v", n, c, prev)
		}
		prev = c
	}
}

// TestHoursSizedPerObjective: queues sharing a service-level objective
// are sized together, as one pool; queues with different objectives are
// each sized by their own and added up.
func TestHoursSizedPerObjective(t *testing.T) {
	h := &history{t0: monday}
	// In Monday's 09:00 hour: 40 calls to support and 20 to sales, each
	// answered at once and handled for 180 s.
	for i := range 60 {
		q := "support"
		if i%3 == 2 {
			q = "sales"
		}
		call := fmt.Sprintf("c%d", i)
		at := float64(i * 50)
		h.join(at, call, q)
		h.answered(call, q, fmt.Sprintf("a%d", i), at, at, at+1, at+181, 0)
	}
	for _, tc := range []struct {
		name     string
		settings map[string]QueueSettings
		want     int
	}{
		{"one objective", map[string]QueueSettings{
			"support": {Threshold: 20 * time.Second, Target: 0.8}, "sales": {Threshold: 20 * time.Second, Target: 0.8}},
			AgentsNeeded(60, 181, 20, 0.8)},
		{"two objectives", map[string]QueueSettings{
			"support": {Threshold: 20 * time.Second, Target: 0.8}, "sales": {Threshold: 60 * time.Second, Target: 0.9}},
			AgentsNeeded(40, 181, 20, 0.8) + AgentsNeeded(20, 181, 60, 0.9)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBed(t, tc.settings, monday.Add(7*24*time.Hour))
			b.append(t, h.evs)
			rep := New(Options{Projector: b.proj, DB: b.log.Reader(), Now: func() time.Time { return monday.Add(7 * 24 * time.Hour) },
				Settings: func(q string) QueueSettings { return tc.settings[q] }, AgentsNeeded: AgentsNeeded})
			r, err := rep.QueueCallers(context.Background(), period(monday.Add(-9*time.Hour), monday.Add(15*time.Hour)))
			if err != nil {
				t.Fatal(err)
			}
			cell := r.Hours[9] // Monday 09:00
			if cell.Offered != 60 || cell.AgentsNeeded == nil || *cell.AgentsNeeded != tc.want {
				t.Fatalf("Monday 09:00: %d offered, agents needed %v; want 60 and %d", cell.Offered, cell.AgentsNeeded, tc.want)
			}
		})
	}
}
