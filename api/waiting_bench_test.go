package api

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/acdserver/acd/acd"
	"github.com/acdserver/acd/config"
	"github.com/acdserver/acd/directory"
	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/service"
	"github.com/acdserver/acd/store"
)

// noPhones: no agent's phone is registered, so nobody is rung.
type noPhones struct{}

func (noPhones) Registered(string) bool { return false }

// noOffers: never called, as nobody can be rung.
type noOffers struct{}

func (noOffers) Offer(*acd.Offer) {}

// BenchmarkWaitingListRead is one supervisor's GET
// /api/v1/queues/bench/waiting through the whole server path but the
// socket (authentication, huma, the service, the distributor, the
// encoding), with 5 000 callers waiting in the queue and 1 000 agents
// logged in and paused: with the list unchanged between reads, and with
// one caller leaving and another joining before each read. cpu-ms/read is
// the process's CPU (user + system, every thread, so the GC too) per
// read. It uses only what the server had before the list was written by
// hand, so that the same file measures both.
func BenchmarkWaitingListRead(b *testing.B) {
	const agents, callers = 1000, 5000
	var y strings.Builder
	y.WriteString("sip_realm: test.local\nnumbers: {\"100\": main}\nagents:\n")
	for i := range agents {
		fmt.Fprintf(&y, "  \"%d\": {password: secret-%d, queues: [bench]}\n", 3000+i, i)
	}
	y.WriteString("queues:\n  bench: {announce_every: 45s}\n")
	y.WriteString("dialplans:\n  main:\n    entry: q\n    nodes:\n      q: {type: queue, queue: bench, timeout: 1h, on_timeout: bye, on_exit: bye}\n      bye: {type: hangup}\n")
	cfg, err := config.Parse("bench.yaml", []byte(y.String()))
	if err != nil {
		b.Fatal(err)
	}
	quiet := slog.New(slog.DiscardHandler)
	center := acd.NewCenter(cfg, noPhones{}, nil, nil, noOffers{}, quiet)
	b.Cleanup(center.Close)
	for i := range agents {
		id := fmt.Sprint(3000 + i)
		if err := center.Login(id, event.Phone(id)); err != nil {
			b.Fatal(err)
		}
		if err := center.Pause(id, "", event.Phone(id)); err != nil {
			b.Fatal(err)
		}
	}
	var tickets []*acd.Ticket
	joined := 0
	join := func() {
		joined++
		in := &acd.Interaction{ID: fmt.Sprintf("%d-%d@127.0.0.1", joined, 4000+joined), Kind: acd.Voice, Queue: "bench", Party: acd.Party{Number: "sipp"}}
		t, err := center.Join(context.Background(), in)
		if err != nil {
			b.Fatal(err)
		}
		tickets = append(tickets, t)
	}
	for range callers {
		join()
	}

	l, users := openStores(b)
	ctx := context.Background()
	if err := users.Create(ctx, store.User{ID: "sup", Role: string(directory.Supervisor), Created: time.Now(), Updated: time.Now()}); err != nil {
		b.Fatal(err)
	}
	svc := service.New(service.Config{Users: users, Events: l, Distributor: center, Queues: []service.Queue{{ID: "bench"}}, Log: quiet})
	_, secret, err := svc.CreateToken(ctx, &service.Actor{UserID: "sup", Role: directory.Supervisor}, "bench", 0)
	if err != nil {
		b.Fatal(err)
	}
	mux := http.NewServeMux()
	Mount(mux, svc, Options{Version: "bench", Log: quiet})

	read := func(b *testing.B) {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/queues/bench/waiting", nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		rec := &discardRecorder{header: http.Header{}}
		mux.ServeHTTP(rec, req)
		if rec.status != http.StatusOK || rec.n < callers*100 {
			b.Fatalf("status %d, %d bytes", rec.status, rec.n)
		}
	}
	for _, churn := range []bool{false, true} {
		name := "unchanged"
		if churn {
			name = "a-caller-leaves-and-one-joins"
		}
		b.Run(name, func(b *testing.B) {
			read(b) // the first read after the callers joined is not the usual one
			cpu0 := cpuTime()
			b.ResetTimer()
			for b.Loop() {
				if churn {
					center.Leave(tickets[0], acd.Abandoned)
					tickets = tickets[1:]
					join()
				}
				read(b)
			}
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/read")
		})
	}
}

// discardRecorder is a ResponseWriter that counts the body and keeps
// none of it, as a socket would take it.
type discardRecorder struct {
	header http.Header
	status int
	n      int
}

func (r *discardRecorder) Header() http.Header { return r.header }
func (r *discardRecorder) WriteHeader(s int) {
	if r.status == 0 {
		r.status = s
	}
}
func (r *discardRecorder) Write(p []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	r.n += len(p)
	return len(p), nil
}

var _ io.Writer = (*discardRecorder)(nil)

// cpuTime is the process's user and system time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
