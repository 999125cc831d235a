package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"sort"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/acdserver/acd/acd"
	"github.com/acdserver/acd/config"
	"github.com/acdserver/acd/media"
	"github.com/acdserver/acd/recording"
	"github.com/acdserver/acd/sip"
	"github.com/acdserver/acd/store"
)

// liveServer is what the operating views (/metrics and acd ctl) read from
// a running server, through the methods its parts already have.
type liveServer struct {
	srv    *sip.Server
	engine *media.Engine
	center *acd.Center
	events *store.Log
	// current is the configuration version in force: its queues and
	// agents are the distributor's.
	current *atomic.Pointer[Program]
	log     *slog.Logger
	trunks  *trunkRegistrations
	http    *connLimiter // the HTTP listener's connections
	version string       // the build's, for acd_build_info
	// recorder is nil until the recordings have started.
	recorder *atomic.Pointer[recording.Recorder]
}

// queueNames are the queues the server runs, sorted.
func (l *liveServer) queueNames() []string { return sortedKeys(l.cfg().Queues) }

// cfg is the configuration version in force.
func (l *liveServer) cfg() *config.Config { return l.current.Load().cfg }

// commitLagCap bounds how long a scrape waits on the event log.
const commitLagCap = 2 * time.Second

// metricsHandler serves the Prometheus text format. Everything is read at
// scrape time from counters the server keeps anyway, so that monitoring
// adds no work, and no lock, to calls.
func metricsHandler(live *liveServer) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		newCollector(live),
		newTrunkCollector(live.trunks),
	)
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:      slogPrinter{live.log},
		ErrorHandling: promhttp.ContinueOnError, // a failed reading must not hide the others
	})
}

// slogPrinter takes promhttp's error lines into the server's log.
type slogPrinter struct{ log *slog.Logger }

func (p slogPrinter) Println(v ...any) { p.log.Warn("metrics: " + fmt.Sprint(v...)) }

// metric is one family the collector reports.
type metric struct {
	desc *prometheus.Desc
	typ  prometheus.ValueType
}

func gauge(name, help string, labels ...string) metric {
	return metric{prometheus.NewDesc(name, help, labels, nil), prometheus.GaugeValue}
}

func counter(name, help string, labels ...string) metric {
	return metric{prometheus.NewDesc(name, help, labels, nil), prometheus.CounterValue}
}

// collector reads the server's state at each scrape.
type collector struct {
	live *liveServer

	buildInfo, configInfo, draining                        metric
	calls, legs, refused                                   metric
	sipReqIn, sipReqOut, sipResIn, sipResOut, sipLimited   metric
	tcpConns, tlsConns, registered, httpConns, httpRefused metric
	unreachable, qualifyProbes                             metric
	agents, waiting, callbacks, oldest                     metric
	rtpIn, rtpOut, rtpDropped, rtpStray, srtpDropped       metric
	eventSeq, eventPending, eventLag                       metric
	recordings, recordLost                                 metric
}

func newCollector(live *liveServer) *collector {
	return &collector{
		live:       live,
		buildInfo:  gauge("acd_build_info", "The server's version, as labels; always 1.", "version", "goversion"),
		configInfo: gauge("acd_config_info", "The running configuration version (a hash of its text), as a label; always 1.", "config_version"),
		draining:   gauge("acd_draining", "1 while the server drains: new calls get 503, calls in progress may finish."),

		calls:   gauge("acd_calls_in_progress", "Inbound calls up now, set-up included."),
		legs:    gauge("acd_legs_in_progress", "Answered outbound legs up now: to agents' phones and to customers called back."),
		refused: counter("acd_calls_refused_total", "Inbound calls turned away since start, by reason.", "reason"),

		sipReqIn:   counter("acd_sip_requests_received_total", "SIP requests received on the server's sockets since start (past the rate limit), by method; unlisted methods count as other.", "method"),
		sipReqOut:  counter("acd_sip_requests_sent_total", "SIP requests sent on the server's sockets since start, by method.", "method"),
		sipResIn:   counter("acd_sip_responses_received_total", "SIP responses received on the server's sockets since start, by status code.", "code"),
		sipResOut:  counter("acd_sip_responses_sent_total", "SIP responses sent on the server's sockets since start, by status code.", "code"),
		sipLimited: counter("acd_sip_rate_limited_messages_total", "SIP messages dropped since start because their source was over its rate limit."),
		tcpConns:   gauge("acd_sip_tcp_connections", "SIP TCP connections open now."),
		tlsConns:   gauge("acd_sip_tls_connections", "SIP TLS connections open now."),
		httpConns:  gauge("acd_http_connections", "HTTP connections open now."),
		httpRefused: counter("acd_http_connections_refused_total",
			"HTTP connections closed as soon as accepted since start, their address or the server being at its cap (server.http_limits)."),
		registered: gauge("acd_sip_registered_agents", "Agents whose phone has a live registration now."),
		unreachable: gauge("acd_sip_unreachable_phones",
			"Registered phones (contacts) that left sip.qualify.failures OPTIONS in a row unanswered now: no call is offered through them until they answer or register again."),
		qualifyProbes: counter("acd_sip_qualify_probes_total",
			"OPTIONS sent to registered phones (sip.qualify) since start, by result: ok (any final response), timeout or error (the transport failed).", "result"),

		agents:    gauge("acd_agents", "Agents by state now.", "state"),
		waiting:   gauge("acd_queue_callers_waiting", "Callers on the line waiting in a queue now, ringing ones included.", "queue"),
		callbacks: gauge("acd_queue_callbacks_waiting", "Callback requests keeping a caller's place in a queue now.", "queue"),
		oldest:    gauge("acd_queue_oldest_wait_seconds", "How long the longest-waiting caller on the line has waited in a queue; 0 when none waits.", "queue"),

		rtpIn:      counter("acd_rtp_packets_received_total", "Datagrams read from RTP sockets since start, strays included."),
		rtpOut:     counter("acd_rtp_packets_sent_total", "RTP packets sent since start: prompts, music, silence and relayed audio."),
		rtpDropped: counter("acd_rtp_packets_dropped_total", "RTP packets the kernel refused or had no buffer for on the raw send path since start."),
		rtpStray:   counter("acd_rtp_packets_stray_total", "RTP packets dropped since start because they came from another source than their call's."),
		srtpDropped: counter("acd_srtp_packets_dropped_total",
			"SRTP packets dropped since start, by reason: auth (failed authentication: forged, damaged, or plain RTP where SRTP was agreed) or replay (taken before, or older than the replay window).", "reason"),

		eventSeq:     gauge("acd_event_log_committed_sequence", "Sequence number of the last event committed to the event log."),
		eventPending: gauge("acd_event_log_pending_events", "Events appended but not yet committed to the event log."),
		recordings:   gauge("acd_recordings_in_progress", "Calls being recorded now."),
		recordLost:   counter("acd_recording_frames_lost_total", "20 ms periods recordings lost since start because the disk fell behind (each is silence in its file; recording.frames_lost says which)."),
		eventLag:     gauge("acd_event_log_commit_lag_seconds", "How long the scrape waited for every event appended before it to be committed; the cap, 2, means 2 or more."),
	}
}

func (c *collector) all() []metric {
	return []metric{c.buildInfo, c.configInfo, c.draining, c.calls, c.legs, c.refused,
		c.sipReqIn, c.sipReqOut, c.sipResIn, c.sipResOut, c.sipLimited, c.tcpConns, c.tlsConns, c.registered, c.unreachable, c.qualifyProbes,
		c.agents, c.waiting, c.callbacks, c.oldest,
		c.rtpIn, c.rtpOut, c.rtpDropped, c.rtpStray, c.srtpDropped, c.eventSeq, c.eventPending, c.eventLag, c.recordings, c.recordLost}
}

// Describe implements prometheus.Collector.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range c.all() {
		ch <- m.desc
	}
}

// Collect implements prometheus.Collector.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	emit := func(m metric, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(m.desc, m.typ, v, labels...)
	}
	live := c.live
	emit(c.buildInfo, 1, c.live.version, runtime.Version())
	emit(c.configInfo, 1, live.current.Load().plan.Version)
	emit(c.draining, bool01(live.srv.Draining()))

	emit(c.calls, float64(live.srv.ActiveCalls()))
	emit(c.legs, float64(live.srv.ActiveLegs()))
	st := live.srv.Stats()
	for _, reason := range sortedKeys(st.Refused) {
		emit(c.refused, float64(st.Refused[reason]), reason)
	}
	for _, method := range sortedKeys(st.RequestsReceived) {
		emit(c.sipReqIn, float64(st.RequestsReceived[method]), method)
		emit(c.sipReqOut, float64(st.RequestsSent[method]), method)
	}
	for _, code := range sortedKeys(st.ResponsesReceived) {
		emit(c.sipResIn, float64(st.ResponsesReceived[code]), strconv.Itoa(code))
	}
	for _, code := range sortedKeys(st.ResponsesSent) {
		emit(c.sipResOut, float64(st.ResponsesSent[code]), strconv.Itoa(code))
	}
	emit(c.sipLimited, float64(st.RateLimited))
	emit(c.tcpConns, float64(live.srv.TCPConnections()))
	emit(c.tlsConns, float64(live.srv.TLSConnections()))
	if live.http != nil {
		emit(c.httpConns, float64(live.http.Open()))
		emit(c.httpRefused, float64(live.http.refused.Load()))
	}
	emit(c.unreachable, float64(live.srv.UnreachablePhones()))
	probes := live.srv.QualifyCounts()
	for _, result := range sortedKeys(probes) {
		emit(c.qualifyProbes, float64(probes[result]), result)
	}

	byState := map[acd.State]int{}
	registered := 0
	for _, a := range live.center.Agents() {
		byState[a.State]++
		if a.Registered {
			registered++
		}
	}
	emit(c.registered, float64(registered))
	for s := acd.LoggedOut; s <= acd.Paused; s++ {
		emit(c.agents, float64(byState[s]), s.String())
	}

	now := time.Now()
	for _, q := range live.queueNames() {
		list, err := live.center.Waiting(q)
		if err != nil {
			continue // a queue the distributor does not know: nothing waits in it
		}
		calls, callbacks, oldest := 0, 0, 0.0
		for _, w := range list {
			if w.Callback {
				callbacks++
				continue
			}
			calls++
			oldest = max(oldest, now.Sub(w.Joined).Seconds())
		}
		emit(c.waiting, float64(calls), q)
		emit(c.callbacks, float64(callbacks), q)
		emit(c.oldest, oldest, q)
	}

	rtp := live.engine.Counts()
	emit(c.rtpIn, float64(rtp.Received))
	emit(c.rtpOut, float64(rtp.Sent))
	emit(c.rtpDropped, float64(rtp.Dropped))
	emit(c.rtpStray, float64(rtp.Stray))
	emit(c.srtpDropped, float64(rtp.SRTPAuth), "auth")
	emit(c.srtpDropped, float64(rtp.SRTPReplay), "replay")
	var recording int
	var lost uint64
	if rec := live.recorder.Load(); rec != nil {
		recording, lost = rec.Stats()
	}
	emit(c.recordings, float64(recording))
	emit(c.recordLost, float64(lost))

	emit(c.eventPending, float64(live.events.Pending()))
	flush, cancel := context.WithTimeout(context.Background(), commitLagCap)
	defer cancel()
	start := time.Now()
	_ = live.events.Flush(flush) // on timeout, the lag is the cap
	emit(c.eventLag, min(time.Since(start), commitLagCap).Seconds())
	read, cancelRead := context.WithTimeout(context.Background(), commitLagCap)
	defer cancelRead()
	if seq, err := live.events.LastSeq(read); err == nil {
		emit(c.eventSeq, float64(seq))
	} else {
		ch <- prometheus.NewInvalidMetric(c.eventSeq.desc, fmt.Errorf("reading the event log: %w", err))
	}
}

func bool01(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func sortedKeys[K string | int, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	return keys
}
