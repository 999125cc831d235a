package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/store"
)

const apiYAML = `sip_realm: test.local
numbers: {"100": support, "200": sales}
pause_reasons: [Lunch, Training]
agents:
  "1001": {name: Alice, password: secret-1001, queues: [support]}
  "1002": {name: Bob, password: secret-1002, queues: [sales]}
queues:
  support: {name: Support, extension: "600", strategy: linear, ring_timeout: 2s, announce_every: 1h}
  sales:   {name: Sales, extension: "601", type: icr, strategy: linear, ring_timeout: 2s, announce_every: 1h}
dialplans:
  support:
    entry: q
    nodes:
      q:   {type: queue, queue: support, timeout: 60s, on_timeout: bye, on_exit: bye}
      bye: {type: hangup}
  sales:
    entry: q
    nodes:
      q:   {type: queue, queue: sales, timeout: 60s, on_timeout: bye, on_exit: bye}
      bye: {type: hangup}
`

const testPassword = "correct horse battery staple"

// apiClient speaks to a running server's API as one caller.
type apiClient struct {
	t      *testing.T
	base   string
	token  string            // Authorization: Bearer, when set
	header map[string]string // sent on every request
}

func (s *server) client(token string) *apiClient {
	return &apiClient{base: "http://" + s.http + "/api/v1", token: token, header: map[string]string{}}
}

// do sends a request and returns the status and body. body is sent as
// JSON unless it is already bytes.
func (c *apiClient) do(t *testing.T, method, path string, body any) (int, []byte, http.Header) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 500 {
		t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, data)
	}
	return res.StatusCode, data, res.Header
}

// expect sends a request, checks its status, and decodes the body into
// out when out is not nil.
func (c *apiClient) expect(t *testing.T, method, path string, body any, status int, out any) {
	t.Helper()
	got, data, _ := c.do(t, method, path, body)
	if got != status {
		t.Fatalf("%s %s: %d %s; want %d", method, path, got, data, status)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: decoding %s: %v", method, path, data, err)
		}
	}
}

// setupAdmin creates the first administrator with the setup token the
// server logged, and returns a client signed in as it.
func setupAdmin(t *testing.T, s *server) *apiClient {
	t.Helper()
	line := s.waitLog(t, 10*time.Second, "setup_token=")
	_, token, _ := strings.Cut(line, "setup_token=")
	token = strings.Fields(token)[0]
	anon := s.client("")
	anon.expect(t, "POST", "/setup", map[string]string{"token": token, "user": "root", "password": testPassword}, 201, nil)
	// The token is void once used.
	anon.expect(t, "POST", "/setup", map[string]string{"token": token, "user": "root2", "password": testPassword}, 409, nil)
	return s.client(login(t, s, "root", testPassword))
}

func login(t *testing.T, s *server, user, password string) string {
	t.Helper()
	var out struct{ Token string }
	s.client("").expect(t, "POST", "/login", map[string]string{"user": user, "password": password}, 200, &out)
	if !strings.HasPrefix(out.Token, "acd_") {
		t.Fatalf("login gave token %q", out.Token)
	}
	return out.Token
}

// users creates a supervisor of both queues, one restricted to support,
// and the two agents, and signs each in.
func users(t *testing.T, s *server, admin *apiClient) map[string]*apiClient {
	t.Helper()
	for _, u := range []map[string]any{
		{"id": "sup", "role": "supervisor", "password": testPassword, "queues": []string{"support", "sales"}},
		{"id": "rsup", "role": "supervisor", "password": testPassword, "queues": []string{"support"}, "restrict_to_assigned_queues": true},
		{"id": "1001", "role": "agent", "password": testPassword},
		{"id": "1002", "role": "agent", "password": testPassword},
	} {
		admin.expect(t, "POST", "/users", u, 201, nil)
	}
	return map[string]*apiClient{
		"admin": admin,
		"sup":   s.client(login(t, s, "sup", testPassword)),
		"rsup":  s.client(login(t, s, "rsup", testPassword)),
		"agent": s.client(login(t, s, "1001", testPassword)),
		"anon":  s.client(""),
	}
}

// sseEvent is one event read off a stream.
type sseEvent struct {
	id    int64
	event store.Event
}

// openStream opens GET /events and sends what it reads on a channel
// until the connection ends.
func openStream(t *testing.T, ctx context.Context, c *apiClient, query, lastID string) <-chan sseEvent {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", c.base+"/events"+query, nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		res.Body.Close()
		t.Fatalf("GET /events: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	out := make(chan sseEvent, 1000)
	go func() {
		defer close(out)
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var cur sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "id: "):
				cur.id, _ = strconv.ParseInt(line[4:], 10, 64)
			case strings.HasPrefix(line, "data: "):
				_ = json.Unmarshal([]byte(line[6:]), &cur.event)
			case line == "" && cur.id != 0:
				select {
				case out <- cur:
				case <-ctx.Done():
					return
				}
				cur = sseEvent{}
			}
		}
	}()
	return out
}

// readUntil reads events until one satisfies stop.
func readUntil(t *testing.T, ch <-chan sseEvent, stop func(store.Event) bool) []sseEvent {
	t.Helper()
	var got []sseEvent
	timeout := time.After(15 * time.Second)
	for {
		select {
		case e, ok := <-ch:
			if !ok {
				t.Fatalf("the stream ended after %d events", len(got))
			}
			got = append(got, e)
			if stop(e.event) {
				return got
			}
		case <-timeout:
			t.Fatalf("the stream never carried the awaited event; it carried %d", len(got))
		}
	}
}

// stateBy matches the distributor's event of agent moving to state by
// user's action.
func stateBy(agent, to, user string) func(store.Event) bool {
	return func(e store.Event) bool {
		if e.Type != "agent.state" || e.Agent != agent {
			return false
		}
		p, err := event.Decode(e)
		if err != nil {
			return false
		}
		st := p.(event.AgentState)
		return st.To == to && st.Actor.Kind == event.ByUser && st.Actor.ID == user
	}
}

// scrape reads /metrics over HTTP as Prometheus does, with no
// credentials, and parses it with Prometheus's own text parser.
func scrape(t *testing.T, s *server) map[string]*dto.MetricFamily {
	t.Helper()
	res, err := http.Get("http://" + s.http + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: %s, Content-Type %q", res.Status, res.Header.Get("Content-Type"))
	}
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatalf("parsing /metrics: %v", err)
	}
	return families
}

// sample is the value of the sample of a family whose labels include
// every name=value pair given; it fails the test when there is none.
func sample(t *testing.T, families map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	t.Helper()
	f, ok := families[name]
	if !ok {
		t.Fatalf("/metrics has no %s", name)
	}
next:
	for _, m := range f.GetMetric() {
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, l := range m.GetLabel() {
				found = found || l.GetName() == labels[i] && l.GetValue() == labels[i+1]
			}
			if !found {
				continue next
			}
		}
		switch f.GetType() {
		case dto.MetricType_COUNTER:
			return m.GetCounter().GetValue()
		case dto.MetricType_GAUGE:
			return m.GetGauge().GetValue()
		}
		t.Fatalf("%s is a %v", name, f.GetType())
	}
	t.Fatalf("/metrics has no %s%v", name, labels)
	return 0
}
