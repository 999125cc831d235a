// Command apibench drives the server's HTTP API for the management-plane
// load scenarios (bench/api.sh): it creates the first administrator and
// the users a scenario needs, then times the supervisor's waiting list,
// follows the event stream with many subscribers, or signs users in.
// It talks to loopback only, and every run is bounded in count and time.
//
//	apibench setup   -log bench/out/acd.log -users 8        # prints an administrator's API token
//	apibench agents  -token T -first 3000 -n 1000 -state paused  # prints how many are in that state
//	apibench waiting -token T -queue bench -n 500 -want 5000
//	apibench events  -token T -subs 200 -after 0 -for 2m
//	apibench login   -users 8 -clients 4 -n 200
//	apibench pages   -token T -pages 50 -for 2m
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// The users the scenarios create share this password: it only ever
// exists on a throw-away data directory on loopback.
const benchPassword = "bench password 1234"

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: apibench setup|agents|waiting|events|login|pages [flags]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	base := fs.String("api", "http://127.0.0.1:8090/api/v1", "the API's base URL (loopback)")
	var run func(context.Context, *client) error
	switch os.Args[1] {
	case "setup":
		logFile := fs.String("log", "bench/out/acd.log", "the server's log, which holds the setup token")
		users := fs.Int("users", 0, "supervisors bench-1 … bench-N to create, for the login scenario")
		run = func(ctx context.Context, c *client) error { return setup(ctx, c, *logFile, *users) }
	case "agents":
		token := fs.String("token", "", "an administrator's token")
		first := fs.Int("first", 3000, "the first agent's id; the others follow it")
		n := fs.Int("n", 1000, "agents to log in")
		state := fs.String("state", "paused", "paused (logged in, not taking calls) or ready (logged in and ready, but with no phone registered: never rung)")
		limit := fs.Duration("for", 2*time.Minute, "give up after this long")
		run = func(ctx context.Context, c *client) error {
			c.token = *token
			return logIn(ctx, c, *first, *n, *state, *limit)
		}
	case "waiting":
		token := fs.String("token", "", "an administrator's or supervisor's token")
		queue := fs.String("queue", "bench", "the queue whose waiting list is read")
		n := fs.Int("n", 500, "requests")
		limit := fs.Duration("for", time.Minute, "stop early after this long")
		want := fs.Int("want", 0, "callers each list must hold; 0: any")
		run = func(ctx context.Context, c *client) error {
			c.token = *token
			return waiting(ctx, c, *queue, *n, *limit, *want)
		}
	case "events":
		token := fs.String("token", "", "an administrator's token: administrators see every event, so ids must be consecutive")
		subs := fs.Int("subs", 200, "subscribers")
		after := fs.Int64("after", 0, "every subscriber starts after this sequence number")
		limit := fs.Duration("for", 2*time.Minute, "stop after this long whatever happens")
		quiet := fs.Duration("quiet", 3*time.Second, "once events have flowed, stop after this long without one")
		run = func(ctx context.Context, c *client) error {
			c.token = *token
			return events(ctx, c, *subs, *after, *limit, *quiet)
		}
	case "pages":
		token := fs.String("token", "", "a supervisor's or administrator's token, sent as the console's session cookie")
		pages := fs.Int("pages", 50, "open queue pages")
		view := fs.String("view", "view=queue&queue=bench", "the live view each page follows")
		limit := fs.Duration("for", 2*time.Minute, "stop after this long whatever happens")
		quiet := fs.Duration("quiet", 3*time.Second, "once redraws have flowed, stop after this long without one")
		run = func(ctx context.Context, c *client) error {
			c.token = *token
			return livePages(ctx, c, *pages, *view, *limit, *quiet)
		}
	case "login":
		users := fs.Int("users", 8, "users bench-1 … bench-N exist (apibench setup -users)")
		clients := fs.Int("clients", 1, "clients signing in at once, each as its own user")
		n := fs.Int("n", 100, "logins in all")
		limit := fs.Duration("for", time.Minute, "stop early after this long")
		run = func(ctx context.Context, c *client) error { return login(ctx, c, *users, *clients, *n, *limit) }
	default:
		fmt.Fprintf(os.Stderr, "apibench: unknown scenario %q\n", os.Args[1])
		os.Exit(2)
	}
	_ = fs.Parse(os.Args[2:])
	c, err := newClient(*base)
	if err == nil {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err = run(ctx, c)
		stop()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "apibench:", err)
		os.Exit(1)
	}
}

type client struct {
	base  string
	token string
	http  *http.Client
}

func newClient(base string) (*client, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	// Load goes to this machine only.
	if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("%s is not a loopback address", u.Hostname())
	}
	// One connection per subscriber or client, kept between requests, so
	// that connection set-up is not what is timed.
	tr := &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, DisableCompression: true}
	return &client{base: base, http: &http.Client{Transport: tr}}, nil
}

// do sends a JSON request and decodes a JSON answer into out (when not
// nil); any status but want is an error carrying the body.
func (c *client) do(ctx context.Context, method, path string, in, out any, want int) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(b))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

var setupToken = regexp.MustCompile(`setup_token=(acd_[A-Za-z0-9_-]+)`)

// setup creates the administrator "bench" with the one-time token from
// the server's log, and the supervisors the login scenario signs in as,
// and prints an API token of the administrator.
func setup(ctx context.Context, c *client, logFile string, users int) error {
	var token string
	for range 100 { // the line is written as the server starts
		b, err := os.ReadFile(logFile)
		if err != nil {
			return err
		}
		if m := setupToken.FindSubmatch(b); m != nil {
			token = string(m[1])
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if token == "" {
		return fmt.Errorf("no setup token in %s: does the data directory already have users?", logFile)
	}
	if err := c.do(ctx, http.MethodPost, "/setup", map[string]string{"token": token, "user": "bench", "password": benchPassword}, nil, http.StatusCreated); err != nil {
		return err
	}
	var sess struct{ Token string }
	if err := c.do(ctx, http.MethodPost, "/login", map[string]string{"user": "bench", "password": benchPassword}, &sess, http.StatusOK); err != nil {
		return err
	}
	c.token = sess.Token
	for i := 1; i <= users; i++ {
		u := map[string]any{"id": fmt.Sprintf("bench-%d", i), "role": "supervisor", "password": benchPassword}
		if err := c.do(ctx, http.MethodPost, "/users", u, nil, http.StatusCreated); err != nil {
			return err
		}
	}
	var api struct{ Token string }
	if err := c.do(ctx, http.MethodPost, "/tokens", map[string]string{"name": "bench"}, &api, http.StatusCreated); err != nil {
		return err
	}
	fmt.Println(api.Token)
	return nil
}

// logIn logs agents first … first+n-1 in through the API, as a
// supervisor would, and leaves them paused, or ready (with no phone
// registered, so never rung): either way callers keep waiting. It prints
// how many agents the server then reports in that state, and fails
// unless all n are.
func logIn(ctx context.Context, c *client, first, n int, state string, limit time.Duration) error {
	if state != "paused" && state != "ready" {
		return fmt.Errorf("state %q: want paused or ready", state)
	}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	const workers = 8
	var next atomic.Int64
	var in atomic.Int64
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1) - 1; i < int64(n) && ctx.Err() == nil; i = next.Add(1) - 1 {
				path := fmt.Sprintf("/agents/%d/state", first+int(i))
				var st struct{ State string }
				err := c.do(ctx, http.MethodPut, path, map[string]string{"action": "login"}, &st, http.StatusOK)
				if err == nil && state == "paused" {
					err = c.do(ctx, http.MethodPut, path, map[string]string{"action": "pause"}, &st, http.StatusOK)
				}
				if err != nil {
					errs[w] = err
					return
				}
				if st.State == state {
					in.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	fmt.Println(in.Load())
	if got := in.Load(); got != int64(n) {
		return fmt.Errorf("%d of %d agents %s", got, n, state)
	}
	return nil
}

// waiting reads a queue's waiting list n times, one request after the
// other, timing each from the request sent to the last byte of the
// answer read.
func waiting(ctx context.Context, c *client, queue string, n int, limit time.Duration, want int) error {
	path := "/queues/" + url.PathEscape(queue) + "/waiting"
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	var took []time.Duration
	var rows, size int
	for range n {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+c.token)
		t0 := time.Now()
		resp, err := c.http.Do(req)
		if err != nil {
			if ctx.Err() != nil && len(took) > 0 {
				break // out of time: report what was measured
			}
			return err
		}
		b, err := io.ReadAll(resp.Body)
		d := time.Since(t0)
		resp.Body.Close()
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %s: %s", path, resp.Status, bytes.TrimSpace(b))
		}
		// Counting rows without decoding keeps the client's CPU, which
		// the server shares, out of the way.
		rows, size = bytes.Count(b, []byte(`"position":`)), len(b)
		if want > 0 && rows != want {
			return fmt.Errorf("GET %s: %d callers listed, want %d", path, rows, want)
		}
		took = append(took, d)
	}
	if len(took) == 0 {
		return errors.New("no request completed")
	}
	slices.Sort(took)
	// requests rows kib p50_ms p99_ms max_ms
	fmt.Printf("%d %d %.0f %.2f %.2f %.2f\n", len(took), rows, float64(size)/1024,
		ms(pct(took, 0.50)), ms(pct(took, 0.99)), ms(took[len(took)-1]))
	return nil
}

// subscriber is one client of the event stream and what it saw.
type subscriber struct {
	last      int64 // the newest sequence number received
	received  int
	gaps      int   // an id more than one past the previous: events missed
	missed    int64 // how many ids the gaps skipped
	reordered int   // an id not past the previous: repeated or out of order
	delays    []time.Duration
	err       error
}

// events follows the stream with subs subscribers, all starting after
// the same sequence number, and measures each event's delay from its
// "at" to its arrival at each subscriber, for events that happened once
// every subscriber was connected. It prints "ready" on standard error
// once they all are, and stops after quiet without events (once some
// have come), or when interrupted, or after limit.
func events(ctx context.Context, c *client, subs int, after int64, limit, quiet time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	var connected sync.WaitGroup
	connected.Add(subs)
	var lastEvent atomic.Int64 // unix ns of the newest arrival at any subscriber
	var since atomic.Int64     // unix ns once all are connected; delays count from then
	since.Store(1<<63 - 1)
	all := make([]*subscriber, subs)
	var done sync.WaitGroup
	for i := range all {
		s := &subscriber{}
		all[i] = s
		done.Add(1)
		go func() {
			defer done.Done()
			s.err = s.follow(ctx, c, after, &connected, &since, &lastEvent)
		}()
	}
	firstErr := func() error {
		for _, s := range all {
			if s.err != nil {
				return s.err
			}
		}
		return nil
	}
	if err := untilQuiet(ctx, cancel, &connected, &done, &lastEvent, quiet, firstErr, func(start time.Time) { since.Store(start.UnixNano()) }); err != nil {
		return err
	}

	var delays []time.Duration
	var received, gaps, reordered, failed int
	var missed int64
	minLast, maxLast := int64(1<<63-1), int64(0)
	for _, s := range all {
		if s.err != nil && !errors.Is(s.err, context.Canceled) && !errors.Is(s.err, context.DeadlineExceeded) {
			failed++
			fmt.Fprintln(os.Stderr, "apibench: subscriber:", s.err)
		}
		received += s.received
		gaps += s.gaps
		missed += s.missed
		reordered += s.reordered
		minLast, maxLast = min(minLast, s.last), max(maxLast, s.last)
		delays = append(delays, s.delays...)
	}
	if len(delays) == 0 {
		return errors.New("no event arrived while all subscribers were connected")
	}
	slices.Sort(delays)
	// behind: subscribers whose last event is not the newest any got
	behind := 0
	for _, s := range all {
		if s.last != maxLast {
			behind++
		}
	}
	// subs events_each deliveries gaps missed reordered behind failed p50_ms p99_ms max_ms
	fmt.Printf("%d %d %d %d %d %d %d %d %.1f %.1f %.1f\n", subs, maxLast-after, received, gaps, missed, reordered, behind, failed,
		ms(pct(delays, 0.50)), ms(pct(delays, 0.99)), ms(delays[len(delays)-1]))
	if gaps > 0 || reordered > 0 || behind > 0 || failed > 0 {
		return fmt.Errorf("events lost or out of order: %d gaps (%d ids), %d reordered, %d subscribers behind, %d failed", gaps, missed, reordered, behind, failed)
	}
	return nil
}

var (
	idPrefix   = []byte("id: ")
	dataPrefix = []byte("data: ")
	atField    = []byte(`"at":"`)
)

// follow reads one event stream until ctx ends. It parses only the id
// line and the event's "at", so that 200 subscribers on the same two
// cores as the server take as little as they can.
func (s *subscriber) follow(ctx context.Context, c *client, after int64, connected *sync.WaitGroup, since, lastEvent *atomic.Int64) error {
	once := sync.OnceFunc(connected.Done)
	defer once() // a subscriber that failed must not hold the others
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/events?after="+strconv.FormatInt(after, 10), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("GET /events: %s: %s", resp.Status, bytes.TrimSpace(b))
	}
	r := bufio.NewReaderSize(resp.Body, 64<<10)
	if _, err := r.ReadSlice('\n'); err != nil { // "retry:": the stream is open
		return err
	}
	once()
	s.last = after
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return err
		}
		now := time.Now()
		switch {
		case bytes.HasPrefix(line, idPrefix):
			seq, err := strconv.ParseInt(string(bytes.TrimSpace(line[len(idPrefix):])), 10, 64)
			if err != nil {
				return fmt.Errorf("bad id line %q", line)
			}
			switch {
			case seq == s.last+1:
			case seq > s.last+1:
				s.gaps++
				s.missed += seq - s.last - 1
			default:
				s.reordered++
			}
			s.last = max(s.last, seq)
			s.received++
			lastEvent.Store(now.UnixNano())
		case bytes.HasPrefix(line, dataPrefix):
			i := bytes.Index(line, atField)
			if i < 0 {
				return fmt.Errorf("event without at: %q", line)
			}
			v := line[i+len(atField):]
			j := bytes.IndexByte(v, '"')
			if j < 0 {
				return fmt.Errorf("event with a broken at: %q", line)
			}
			at, err := time.Parse(time.RFC3339Nano, string(v[:j]))
			if err != nil {
				return fmt.Errorf("event at %q: %w", v[:j], err)
			}
			if at.UnixNano() >= since.Load() {
				s.delays = append(s.delays, now.Sub(at))
			}
		}
	}
}

// login signs users in, clients at a time, each client as its own user
// (bench-1 … bench-users), n times in all. The throttle counts failures
// only, so right passwords never trip it; one user per client keeps
// each one's sessions apart all the same.
func login(ctx context.Context, c *client, users, clients, n int, limit time.Duration) error {
	if clients > users {
		return fmt.Errorf("%d clients but only %d users", clients, users)
	}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	var next atomic.Int64
	took := make([][]time.Duration, clients)
	errs := make([]error, clients)
	var wg sync.WaitGroup
	t0 := time.Now()
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := map[string]string{"user": fmt.Sprintf("bench-%d", i+1), "password": benchPassword}
			for next.Add(1) <= int64(n) && ctx.Err() == nil {
				t := time.Now()
				err := c.do(ctx, http.MethodPost, "/login", body, nil, http.StatusOK)
				if err != nil {
					if ctx.Err() == nil {
						errs[i] = err
					}
					return
				}
				took[i] = append(took[i], time.Since(t))
			}
		}()
	}
	wg.Wait()
	wall := time.Since(t0)
	if err := errors.Join(errs...); err != nil {
		return err
	}
	all := slices.Concat(took...)
	if len(all) == 0 {
		return errors.New("no login completed")
	}
	slices.Sort(all)
	// clients logins logins/s p50_ms p99_ms max_ms
	fmt.Printf("%d %d %.1f %.1f %.1f %.1f\n", clients, len(all), float64(len(all))/wall.Seconds(),
		ms(pct(all, 0.50)), ms(pct(all, 0.99)), ms(all[len(all)-1]))
	return nil
}

// pct is the nearest-rank percentile of sorted durations.
func pct(sorted []time.Duration, p float64) time.Duration {
	i := int(float64(len(sorted))*p+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// untilQuiet waits for every stream to open (connected), says "ready" on
// standard error, then lets them run until ctx ends or, once something
// has arrived (last, unix ns), nothing has for quiet; it returns once all
// have stopped (done). opened is told when they all were open.
func untilQuiet(ctx context.Context, cancel func(), connected, done *sync.WaitGroup, last *atomic.Int64, quiet time.Duration,
	firstErr func() error, opened func(time.Time)) error {
	ready := make(chan struct{})
	go func() { connected.Wait(); close(ready) }()
	select {
	case <-ready:
	case <-ctx.Done():
		cancel()
		done.Wait()
		if err := firstErr(); err != nil {
			return fmt.Errorf("opening the streams: %w", err)
		}
		return errors.New("the streams did not all open in time")
	}
	start := time.Now()
	opened(start)
	fmt.Fprintln(os.Stderr, "ready")
	tick := time.NewTicker(100 * time.Millisecond)
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-tick.C:
			if at := last.Load(); at > start.UnixNano() && time.Since(time.Unix(0, at)) > quiet {
				cancel()
			}
		}
	}
	tick.Stop()
	done.Wait()
	return nil
}
