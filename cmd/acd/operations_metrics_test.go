package main

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	dto "github.com/prometheus/client_model/go"

	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/media"
)

// TestMetricsEndToEnd scrapes the running binary while a caller waits
// in a queue, then while an agent talks to it.
func TestMetricsEndToEnd(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, agentsYAML))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	families := scrape(t, s)
	for name, f := range families {
		if !strings.HasPrefix(name, "acd_") {
			continue
		}
		if counter := f.GetType() == dto.MetricType_COUNTER; counter != strings.HasSuffix(name, "_total") {
			t.Errorf("%s is a %v: counters, and only they, end in _total", name, f.GetType())
		}
		if f.GetHelp() == "" {
			t.Errorf("%s has no help", name)
		}
	}
	if n := sample(t, families, "acd_agents", "state", "logged-out"); n != 2 {
		t.Fatalf("acd_agents{state=\"logged-out\"} %v, want both agents", n)
	}

	refused := testutil.NewPhone(t)
	dlg, err := refused.Invite(ctx, s.sip, "999", refused.SDP(101, media.PCMU))
	if err != nil {
		t.Fatal(err)
	}
	var rejected *sipgo.ErrDialogResponse
	if _, err := refused.Answered(ctx, dlg, nil); !errors.As(err, &rejected) || rejected.Res.StatusCode != 404 {
		t.Fatalf("a call to 999: %v, want 404", err)
	}

	caller := dial(t, ctx, s)
	s.waitLog(t, 5*time.Second, "caller joined queue", "queue=support")
	families = scrape(t, s)
	for _, want := range []struct {
		name   string
		labels []string
		value  float64
	}{
		{"acd_queue_callers_waiting", []string{"queue", "support"}, 1},
		{"acd_queue_callers_waiting", []string{"queue", "sales"}, 0},
		{"acd_queue_callbacks_waiting", []string{"queue", "support"}, 0},
		{"acd_calls_in_progress", nil, 1},
		{"acd_legs_in_progress", nil, 0},
		{"acd_calls_refused_total", []string{"reason", "unknown_number"}, 1},
		{"acd_calls_refused_total", []string{"reason", "max_calls"}, 0},
	} {
		if got := sample(t, families, want.name, want.labels...); got != want.value {
			t.Errorf("%s%v = %v, want %v", want.name, want.labels, got, want.value)
		}
	}
	if got := sample(t, families, "acd_queue_oldest_wait_seconds", "queue", "support"); got <= 0 || got > 30 {
		t.Errorf("acd_queue_oldest_wait_seconds{queue=\"support\"} = %v, want the caller's few seconds", got)
	}
	if got := sample(t, families, "acd_sip_requests_received_total", "method", "INVITE"); got != 2 {
		t.Errorf("%v INVITEs counted, want the refused one and the caller's", got)
	}
	if got := sample(t, families, "acd_sip_responses_sent_total", "code", "404"); got != 1 {
		t.Errorf("%v 404s counted, want 1", got)
	}
	if got := sample(t, families, "acd_sip_responses_sent_total", "code", "200"); got < 1 {
		t.Errorf("%v 200s counted, want the caller's answer at least", got)
	}
	// Each scrape waits for the events appended before it to be committed.
	if got := sample(t, families, "acd_event_log_committed_sequence"); got < 2 {
		t.Errorf("the event log's last sequence is %v, want the server's start and the caller's joining", got)
	}

	// An agent logs in, is offered the caller and answers: the audio it
	// hears went through the server's media loops both ways.
	agent := agentPhone(t, ctx, s, "1001", testutil.AnswerMode{Codec: media.PCMU})
	incoming(t, ctx, agent)
	caller.SendTone(ctx, media.PCMU)
	speechGrows(t, ctx, agent, "the agent")
	families = scrape(t, s)
	if got := sample(t, families, "acd_queue_callers_waiting", "queue", "support"); got != 0 {
		t.Errorf("%v callers waiting once the agent answered, want 0", got)
	}
	if got := sample(t, families, "acd_agents", "state", "on-call"); got != 1 {
		t.Errorf("%v agents on a call, want 1", got)
	}
	if got := sample(t, families, "acd_legs_in_progress"); got != 1 {
		t.Errorf("%v legs up, want the agent's", got)
	}
	if got := sample(t, families, "acd_sip_registered_agents"); got != 1 {
		t.Errorf("%v agents registered, want 1", got)
	}
	if got := sample(t, families, "acd_sip_requests_received_total", "method", "REGISTER"); got < 1 {
		t.Errorf("%v REGISTERs counted, want the agent's", got)
	}
	if got := sample(t, families, "acd_sip_requests_sent_total", "method", "INVITE"); got != 1 {
		t.Errorf("%v INVITEs sent, want the one to the agent", got)
	}
	// The agent heard 25 frames of the caller's speech, each received
	// and relayed by the server.
	if got := sample(t, families, "acd_rtp_packets_received_total"); got < 25 {
		t.Errorf("%v RTP packets received, want the caller's 25 at least", got)
	}
	if got := sample(t, families, "acd_rtp_packets_sent_total"); got < 25 {
		t.Errorf("%v RTP packets sent, want the 25 relayed at least", got)
	}
	if got := sample(t, families, "go_goroutines"); got < 1 {
		t.Errorf("the Go runtime's metrics are missing: go_goroutines %v", got)
	}

	docsNameEveryMetric(t, families)

	// Hung up while both phones still answer, the server stops at once.
	if err := caller.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-agent.Byes:
	case <-ctx.Done():
		t.Fatal("the agent's leg was not hung up with the caller's")
	}
}

// docsNameEveryMetric checks the operations guide against a scrape (it
// names every acd_ family served, and no other) and the Grafana
// dashboard (dashboardQueriesServed).
func docsNameEveryMetric(t *testing.T, families map[string]*dto.MetricFamily) {
	t.Helper()
	names := regexp.MustCompile(`\bacd_[a-z_]+[a-z]`)
	guide, err := os.ReadFile("../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, n := range names.FindAllString(string(guide), -1) {
		documented[n] = true
	}
	for name := range families {
		if strings.HasPrefix(name, "acd_") && !documented[name] {
			t.Errorf("docs/operations.md does not name %s", name)
		}
	}
	for _, n := range names.FindAllString(string(guide), -1) {
		if _, ok := families[n]; !ok && !configuredOnly[n] {
			t.Errorf("docs/operations.md names %s, which /metrics does not serve", n)
		}
	}
	dashboardQueriesServed(t, families)
}

// notOnDashboard are the acd_ families the Grafana dashboard leaves out:
// a version as a label is no series to plot.
var notOnDashboard = map[string]bool{"acd_config_info": true}

// dashboardQueriesServed checks the Grafana dashboard against a scrape:
// every metric its panels and variables query (of any prefix: go_ and
// process_ too) is served, or served when configured; and every acd_
// family served is on it, but for notOnDashboard.
func dashboardQueriesServed(t *testing.T, families map[string]*dto.MetricFamily) {
	t.Helper()
	var dashboard struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
		Templating struct {
			List []struct {
				Name  string
				Query json.RawMessage
			}
		}
	}
	text, err := os.ReadFile("../../docs/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(text, &dashboard); err != nil {
		t.Fatalf("docs/grafana-dashboard.json: %v", err)
	}
	// A metric is queried as name{…}, or named by label_values(name, …).
	selector := regexp.MustCompile(`([a-zA-Z_:][a-zA-Z0-9_:]*)\{|label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)`)
	queried := map[string]bool{}
	check := func(where, expr string) {
		found := selector.FindAllStringSubmatch(expr, -1)
		if len(found) == 0 {
			t.Errorf("dashboard %s: %q queries no metric this test can read", where, expr)
		}
		for _, m := range found {
			name := m[1] + m[2]
			queried[name] = true
			if _, ok := families[name]; !ok && !configuredOnly[name] {
				t.Errorf("dashboard %s queries %s, which /metrics does not serve", where, name)
			}
		}
	}
	for _, p := range dashboard.Panels {
		for _, target := range p.Targets {
			check("panel "+strconv.Quote(p.Title), target.Expr)
		}
	}
	for _, v := range dashboard.Templating.List {
		var q struct{ Query string }
		if json.Unmarshal(v.Query, &q) == nil && q.Query != "" {
			check("variable "+v.Name, q.Query)
		}
	}
	served := maps.Clone(configuredOnly)
	for name := range families {
		if strings.HasPrefix(name, "acd_") {
			served[name] = true
		}
	}
	for name := range served {
		if !queried[name] && !notOnDashboard[name] {
			t.Errorf("no panel of docs/grafana-dashboard.json shows %s", name)
		}
	}
}

// configuredOnly are metric families served only when the configuration
// has what they measure (a trunk that registers): the operations guide
// names them, though a scrape of another configuration lacks them.
var configuredOnly = map[string]bool{
	"acd_trunk_registered":                   true,
	"acd_trunk_registration_expires_seconds": true,
}
