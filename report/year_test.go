package report

import (
	"container/heap"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/acdserver/acd/store"
)

// TestYearOfACentre measures the reports over a year of a 300-agent
// centre (over 20 million events), written straight into a log file:
// building the projections, a month's and the year's reports, and
// appending and projecting calls as fast as the log takes them. It runs
// only when ACD_REPORT_BENCH names a directory; the log made there is
// kept, so a second run goes straight to the measurements:
//
//	ACD_REPORT_BENCH=/tmp/acd-year go test -run TestYearOfACentre -v -timeout 2h ./report
//
// ACD_REPORT_BENCH_DAYS makes a shorter history (default 365);
// ACD_REPORT_BENCH_REBUILD=1 rebuilds the projections of a kept log.
func TestYearOfACentre(t *testing.T) {
	dir := os.Getenv("ACD_REPORT_BENCH")
	if dir == "" {
		t.Skip("set ACD_REPORT_BENCH=DIR to run the year benchmark")
	}
	days := 365
	if s := os.Getenv("ACD_REPORT_BENCH_DAYS"); s != "" {
		var err error
		if days, err = strconv.Atoi(s); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, fmt.Sprintf("acd-%d.db", days))
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := os.Stat(path); err != nil {
		began := time.Now()
		n, calls := generateYear(t, path, start, days)
		t.Logf("generated %d days: %d events, %d calls in %v", days, n, calls, time.Since(began).Round(time.Second))
	}
	l, err := store.Open(path, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	proj, err := NewProjector(ProjectorConfig{Log: l, DB: l.DB()})
	if err != nil {
		t.Fatal(err)
	}
	last, _ := l.LastSeq(ctx)
	if pos, _ := proj.Position(ctx); pos < last || os.Getenv("ACD_REPORT_BENCH_REBUILD") == "1" {
		began := time.Now()
		if err := proj.Rebuild(ctx); err != nil {
			t.Fatal(err)
		}
		d := time.Since(began)
		t.Logf("projections built from %d events in %v (%.0f events/s)", last, d.Round(time.Second), float64(last)/d.Seconds())
	}
	var stints, intervals int
	l.Reader().QueryRow(`SELECT COUNT(*) FROM report_stints`).Scan(&stints)
	l.Reader().QueryRow(`SELECT COUNT(*) FROM report_intervals`).Scan(&intervals)
	t.Logf("projections: %d stays, %d intervals", stints, intervals)

	rep := New(Options{Projector: proj, DB: l.Reader(), Now: func() time.Time { return start.AddDate(0, 0, days) },
		AgentsNeeded: func(float64, float64, float64, float64) int { return 1 }})
	month := Filter{From: start.AddDate(0, 0, days/2), To: start.AddDate(0, 1, days/2), Location: time.UTC}
	year := Filter{From: start, To: start.AddDate(0, 0, days), Location: time.UTC}
	paris, _ := time.LoadLocation("Europe/Paris")
	for _, m := range []struct {
		name string
		run  func() (int, error)
	}{
		{"month: queue callers", func() (int, error) { r, err := rep.QueueCallers(ctx, month); return r.Totals.Offered, err }},
		{"month: agent performance", func() (int, error) { r, err := rep.AgentPerformance(ctx, month); return r.Totals.Answered, err }},
		{"year: queue callers", func() (int, error) { r, err := rep.QueueCallers(ctx, year); return r.Totals.Offered, err }},
		{"year: agent performance", func() (int, error) { r, err := rep.AgentPerformance(ctx, year); return r.Totals.Answered, err }},
		{"year, Paris time, one queue: queue callers", func() (int, error) {
			f := year
			f.Location, f.Queues = paris, []string{"q1"}
			r, err := rep.QueueCallers(ctx, f)
			return r.Totals.Offered, err
		}},
	} {
		var times []time.Duration
		var n int
		for range 5 {
			began := time.Now()
			var err error
			if n, err = m.run(); err != nil {
				t.Fatal(err)
			}
			times = append(times, time.Since(began))
		}
		slices.Sort(times)
		t.Logf("%s: median %v (min %v, max %v) over %d", m.name, times[2].Round(time.Millisecond), times[0].Round(time.Millisecond), times[4].Round(time.Millisecond), n)
	}

	// Appending and projecting: calls appended as fast as the log takes
	// them, with the projector running as the server runs it.
	const calls = 30000
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if os.Getenv("ACD_REPORT_BENCH_LOGONLY") == "1" {
			return // the log's own rate, for comparison
		}
		proj.Run(runCtx)
	}()
	defer func() { stop(); <-done }()
	evs := liveCalls(start.AddDate(0, 0, days).Add(time.Hour), calls)
	began := time.Now()
	for _, e := range evs {
		l.Append(e)
	}
	if err := l.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	appended := time.Since(began)
	want, _ := l.LastSeq(ctx)
	for os.Getenv("ACD_REPORT_BENCH_LOGONLY") != "1" {
		pos, err := proj.Position(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if pos >= want {
			break
		}
		time.Sleep(10 * time.Millisecond) // polling a figure to measure, not synchronising a test
	}
	d := time.Since(began)
	t.Logf("append + project: %d calls (%d events) committed in %v, projected in %v: %.0f calls/s", calls, len(evs), appended.Round(time.Millisecond), d.Round(time.Millisecond), calls/d.Seconds())
}

// row is one event as the generator writes it.
type row struct {
	at                            int64
	typ, call, queue, agent, data string
}

type simAgent struct {
	id    string
	free  int64 // when it is next ready
	lunch bool
	i     int
}

type agentHeap []*simAgent

func (h agentHeap) Len() int           { return len(h) }
func (h agentHeap) Less(i, j int) bool { return h[i].free < h[j].free }
func (h agentHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *agentHeap) Push(x any)        { *h = append(*h, x.(*simAgent)) }
func (h *agentHeap) Pop() any {
	old := *h
	a := old[len(old)-1]
	*h = old[:len(old)-1]
	return a
}

// generateYear writes days of a 300-agent, five-queue centre: agents
// work 08:00–20:00 UTC with a half-hour pause, about 6 000 calls a day
// arrive, most are answered after ringing, some ring unanswered first,
// some callers give up or time out.
func generateYear(t *testing.T, path string, start time.Time, days int) (events int64, calls int) {
	t.Helper()
	l, err := store.Open(path, slog.New(slog.DiscardHandler)) // the log's own schema and indexes
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_synchronous=OFF")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	rng := rand.New(rand.NewPCG(1, 2))
	queues := []string{"q1", "q2", "q3", "q4", "q5"}
	agents := make([]*simAgent, 300)
	for i := range agents {
		agents[i] = &simAgent{id: fmt.Sprintf("a%03d", i)}
	}
	const s = int64(time.Second)
	var seq int64
	for d := range days {
		day := start.AddDate(0, 0, d).UnixNano()
		var rows []row
		add := func(at int64, typ, call, queue, agent, data string) {
			rows = append(rows, row{at, typ, call, queue, agent, data})
		}
		state := func(at int64, a *simAgent, from, to, cause, call, queue, extra string) {
			add(at, "agent.state", call, queue, a.id, `{"from":"`+from+`","to":"`+to+`","cause":"`+cause+`","actor":{"kind":"system"}`+extra+`}`)
		}
		h := agentHeap{}
		for i, a := range agents {
			a.free, a.lunch, a.i = day+8*3600*s+int64(i)*s, false, i
			for _, q := range queues {
				add(a.free, "agent.logged_in", "", q, a.id, `{"actor":{"kind":"phone","id":"`+a.id+`"}}`)
			}
			state(a.free, a, "logged-out", "ready", "login", "", "", "")
			heap.Push(&h, a)
		}
		n := 5500 + rng.IntN(1000)
		arrivals := make([]int64, n)
		for i := range arrivals {
			// Busier late morning and mid-afternoon.
			hour := 8 + min(int(rng.NormFloat64()*2.5+5), 11)
			hour = max(hour, 8)
			arrivals[i] = day + int64(hour)*3600*s + rng.Int64N(3600*s)
		}
		slices.Sort(arrivals)
		for i, at := range arrivals {
			call := fmt.Sprintf("c%d-%d", d, i)
			q := queues[rng.IntN(len(queues))]
			add(at, "call.arrived", call, "", "", `{"from":"+14155550123","to":"100","dialplan":"main","config_version":"v1"}`)
			add(at, "call.step", call, "", "", `{"dialplan":"main","node":"q","node_type":"queue","next":""}`)
			joined := at + 10*int64(time.Millisecond)
			add(joined, "caller.joined", call, q, "", `{"caller":"+14155550123"}`)
			patience := (20 + rng.Int64N(200)) * s
			if rng.IntN(20) == 0 {
				patience = (1 + rng.Int64N(8)) * s
			}
			var a *simAgent
			for {
				a = heap.Pop(&h).(*simAgent)
				lunchAt := day + 11*3600*s + int64(a.i%120)*60*s
				if a.lunch || max(a.free, joined) < lunchAt {
					break
				}
				p := max(a.free, lunchAt)
				add(p, "agent.state", "", "", a.id, `{"from":"ready","to":"paused","reason":"Lunch","cause":"pause","actor":{"kind":"phone","id":"`+a.id+`"}}`)
				state(p+1800*s, a, "paused", "ready", "ready", "", "", "")
				a.free, a.lunch = p+1800*s, true
				heap.Push(&h, a)
			}
			offer := max(joined, a.free) + int64(time.Millisecond)
			if offer-joined > patience {
				heap.Push(&h, a)
				end := joined + patience
				typ := "caller.abandoned"
				if patience > 180*s {
					end, typ = joined+180*s, "caller.timeout"
				}
				add(end, typ, call, q, "", `{"waited_ms":`+strconv.FormatInt((end-joined)/1e6, 10)+`}`)
				add(end, "call.hungup", call, "", "", `{"by":"caller","cause":"caller-hangup","duration_ms":`+strconv.FormatInt((end-at)/1e6, 10)+`,"talk_ms":0}`)
				calls++
				continue
			}
			if rng.IntN(30) == 0 { // rings out first
				state(offer, a, "ready", "offered", "offer", call, q, "")
				add(offer, "caller.offered", call, q, a.id, `{}`)
				add(offer+15*s, "agent.missed", call, q, a.id, `{"misses":1,"cause":"no-answer"}`)
				state(offer+15*s, a, "offered", "ready", "no-answer", call, q, "")
				offer += 15*s + int64(time.Millisecond)
			}
			state(offer, a, "ready", "offered", "offer", call, q, "")
			add(offer, "caller.offered", call, q, a.id, `{}`)
			answer := offer + (2+rng.Int64N(7))*s
			state(answer, a, "offered", "on-call", "answer", call, q, "")
			add(answer, "agent.answered", call, q, a.id, `{"waited_ms":`+strconv.FormatInt((answer-joined)/1e6, 10)+`}`)
			talk := (30 + rng.Int64N(570)) * s
			end := answer + talk
			add(end, "call.ended", call, q, a.id, `{"ended_by":"caller","talk_ms":`+strconv.FormatInt(talk/1e6, 10)+`}`)
			state(end, a, "on-call", "wrap-up", "call-ended", call, q, `,"wrap_up_ms":30000`)
			add(end, "call.hungup", call, "", "", `{"by":"caller","cause":"caller-hangup","duration_ms":`+strconv.FormatInt((end-at)/1e6, 10)+`,"talk_ms":`+strconv.FormatInt(talk/1e6, 10)+`}`)
			a.free = end + (5+rng.Int64N(25))*s
			state(a.free, a, "wrap-up", "ready", "wrap-up-time", "", q, "")
			heap.Push(&h, a)
			calls++
		}
		for _, a := range agents {
			out := max(a.free, day+20*3600*s) + int64(a.i)*int64(time.Millisecond)
			for _, q := range queues {
				add(out, "agent.logged_out", "", q, a.id, `{"actor":{"kind":"phone","id":"`+a.id+`"}}`)
			}
			state(out, a, "ready", "logged-out", "logout", "", "", "")
		}
		// The log's order is time's; one agent's events keep theirs.
		sort.SliceStable(rows, func(i, j int) bool { return rows[i].at < rows[j].at })
		tx, err := db.Begin()
		if err != nil {
			t.Fatal(err)
		}
		stmt, err := tx.Prepare(`INSERT INTO events(seq, at, at_ns, type, v, call_id, interaction, queue, agent, data) VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?)`)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			seq++
			inter := r.call
			if _, err := stmt.Exec(seq, time.Unix(0, r.at).UTC().Format(time.RFC3339Nano), r.at, r.typ, r.call, inter, r.queue, r.agent, r.data); err != nil {
				t.Fatal(err)
			}
		}
		stmt.Close()
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	return seq, calls
}

// liveCalls is n answered calls in a row, as the log would get them,
// spread over 100 agents.
func liveCalls(from time.Time, n int) []store.Event {
	var out []store.Event
	t0 := from.UnixNano()
	ev := func(at int64, typ, call, queue, agent, data string) {
		out = append(out, store.Event{At: time.Unix(0, at), Type: typ, Version: 1, CallID: call, Interaction: call, Queue: queue, Agent: agent, Data: []byte(data)})
	}
	for i := range 100 {
		a := fmt.Sprintf("live%03d", i)
		ev(t0, "agent.logged_in", "", "q1", a, `{"actor":{"kind":"phone","id":"`+a+`"}}`)
		ev(t0, "agent.state", "", "", a, `{"from":"logged-out","to":"ready","cause":"login","actor":{"kind":"phone"}}`)
	}
	ms := int64(time.Millisecond)
	for i := range n {
		at := t0 + int64(i+1)*10*ms
		call := fmt.Sprintf("live-%d", i)
		a := fmt.Sprintf("live%03d", i%100)
		ev(at, "call.arrived", call, "", "", `{"from":"+14155550123","to":"100","dialplan":"main","config_version":"v1"}`)
		ev(at, "caller.joined", call, "q1", "", `{"caller":"+14155550123"}`)
		ev(at+ms, "agent.state", call, "q1", a, `{"from":"ready","to":"offered","cause":"offer","actor":{"kind":"system"}}`)
		ev(at+ms, "caller.offered", call, "q1", a, `{}`)
		ev(at+2*ms, "agent.state", call, "q1", a, `{"from":"offered","to":"on-call","cause":"answer","actor":{"kind":"system"}}`)
		ev(at+2*ms, "agent.answered", call, "q1", a, `{"waited_ms":2}`)
		ev(at+3*ms, "call.ended", call, "q1", a, `{"ended_by":"caller","talk_ms":1}`)
		ev(at+3*ms, "agent.state", call, "q1", a, `{"from":"on-call","to":"wrap-up","cause":"call-ended","actor":{"kind":"system"},"wrap_up_ms":1000}`)
		ev(at+3*ms, "call.hungup", call, "", "", `{"by":"caller","cause":"caller-hangup","duration_ms":3,"talk_ms":1}`)
		ev(at+4*ms, "agent.state", "", "q1", a, `{"from":"wrap-up","to":"ready","cause":"wrap-up-time","actor":{"kind":"system"}}`)
	}
	return out
}
