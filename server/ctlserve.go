package server

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/acdserver/acd/acd"
	"github.com/acdserver/acd/internal/ratelog"
	"github.com/acdserver/acd/sip"
)

// CtlTokenFile is where the server writes the token acd ctl presents,
// in its data directory.
const CtlTokenFile = "ctl.token"

// CtlPrefix is where the ctl endpoints live on the HTTP listener.
const CtlPrefix = "/ctl/v1"

// writeCtlToken draws a fresh token and writes it, mode 0600, into the
// data directory: whoever may read the server's data may run acd ctl,
// and nobody else. It is renamed into place so that acd ctl never reads
// half of it. remove deletes it when the server stops.
func writeCtlToken(dir string) (token string, remove func(), err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("drawing the ctl token: %w", err)
	}
	token = "acdctl_" + base64.RawURLEncoding.EncodeToString(b)
	f, err := os.CreateTemp(dir, CtlTokenFile+".*")
	if err != nil {
		return "", nil, fmt.Errorf("writing the ctl token: %w", err)
	}
	tmp := f.Name()
	_, werr := f.WriteString(token + "\n")
	cerr := f.Close()
	if err := errors.Join(werr, cerr, os.Chmod(tmp, 0o600)); err != nil {
		_ = os.Remove(tmp)
		return "", nil, fmt.Errorf("writing the ctl token: %w", err)
	}
	path := filepath.Join(dir, CtlTokenFile)
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return "", nil, fmt.Errorf("writing the ctl token: %w", err)
	}
	return token, func() { _ = os.Remove(path) }, nil
}

// The ctl endpoints' JSON, which acd ctl prints as tables.
type (
	CtlQueue struct {
		ID                string  `json:"id"`
		Name              string  `json:"name"`
		Extension         string  `json:"extension"`
		Strategy          string  `json:"strategy"`
		Waiting           int     `json:"waiting"`
		Callbacks         int     `json:"callbacks"`
		OldestWaitSeconds float64 `json:"oldest_wait_seconds"`
		LoggedIn          int     `json:"logged_in"`
		Ready             int     `json:"ready"`
	}
	CtlWaiting struct {
		CallID        string  `json:"call_id"`
		Caller        string  `json:"caller"`
		WaitedSeconds float64 `json:"waited_seconds"`
		Ringing       bool    `json:"ringing"`
		Callback      bool    `json:"callback"`
	}
	CtlAgent struct {
		ID         string   `json:"id"`
		Name       string   `json:"name"`
		State      string   `json:"state"`
		Reason     string   `json:"reason,omitempty"`
		Queues     []string `json:"queues"` // logged in to
		Registered bool     `json:"registered"`
		// Unreachable: registered, but not answering OPTIONS.
		Unreachable bool `json:"unreachable,omitempty"`
		Calls       int  `json:"calls"`
	}
	CtlQueueDetail struct {
		Queue   CtlQueue     `json:"queue"`
		Waiting []CtlWaiting `json:"waiting"`
		Agents  []CtlAgent   `json:"agents"` // assigned to the queue
	}
	CtlCall struct {
		ID         string  `json:"call_id"`
		Kind       string  `json:"kind"` // in, agent or out
		Number     string  `json:"number"`
		Caller     string  `json:"caller,omitempty"`
		CallerName string  `json:"caller_name,omitempty"`
		Peer       string  `json:"peer"`
		Codec      string  `json:"codec"`
		Held       bool    `json:"held"`
		UpSeconds  float64 `json:"up_seconds"`
		BridgedTo  string  `json:"bridged_to,omitempty"` // a Call-ID of this list
		// Queue is where an inbound call waits, "" when it does not.
		Queue   string `json:"queue,omitempty"`
		Ringing bool   `json:"ringing,omitempty"`
	}
	CtlTrace struct {
		On      bool     `json:"on"`
		Peers   []string `json:"peers,omitempty"` // addresses, prefixes or users; none: every peer
		Sources []string `json:"sources"`
		Users   []string `json:"users"`
		// Hidden: the log level hides the trace's records.
		Hidden bool `json:"hidden,omitempty"`
	}
	CtlError struct {
		Error string `json:"error"`
	}
)

// ctlHandler serves acd ctl to a caller on this machine holding the
// token. It is not the API: it has no users, and reads the live state the
// API does not show (calls) or changes what only an operator should (the
// SIP trace).
type ctlHandler struct {
	live     *liveServer
	token    string
	security *ratelog.Limited
}

// mountCtl writes the token and mounts the ctl endpoints on mux; the
// returned function removes the token when the server stops.
func mountCtl(mux *http.ServeMux, live *liveServer) (func(), error) {
	token, remove, err := writeCtlToken(live.cfg().Server.DataDir)
	if err != nil {
		return nil, err
	}
	h := &ctlHandler{live: live, token: token, security: &ratelog.Limited{Log: live.log, Interval: time.Second}}
	mux.Handle("GET "+CtlPrefix+"/queues", h.guard(h.queues))
	mux.Handle("GET "+CtlPrefix+"/queues/{name}", h.guard(h.queue))
	mux.Handle("GET "+CtlPrefix+"/agents", h.guard(h.agents))
	mux.Handle("GET "+CtlPrefix+"/calls", h.guard(h.calls))
	mux.Handle("GET "+CtlPrefix+"/trunks", h.guard(h.trunks))
	mux.Handle("PUT "+CtlPrefix+"/sip/trace", h.guard(h.trace))
	return remove, nil
}

// guard lets through a request from this machine that carries the token.
// Same machine: over loopback, or from the very address it came to,
// which only the machine itself sends from; the token file is there.
func (h *ctlHandler) guard(serve func(w http.ResponseWriter, r *http.Request) (any, int)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		from := remoteAddr(r)
		if !sameMachine(r, from) {
			h.security.Warn("security: ctl request from another machine refused", "event", "ctl_remote", "source", from.String())
			writeJSON(w, http.StatusForbidden, CtlError{"acd ctl is served to this machine only"})
			return
		}
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(h.token)) != 1 {
			h.security.Warn("security: ctl request with a wrong token refused", "event", "ctl_token", "source", from.String())
			writeJSON(w, http.StatusUnauthorized, CtlError{"wrong ctl token"})
			return
		}
		body, status := serve(w, r)
		writeJSON(w, status, body)
	})
}

func remoteAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

func sameMachine(r *http.Request, from netip.Addr) bool {
	if from.IsLoopback() {
		return true
	}
	local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok {
		return false
	}
	ap, err := netip.ParseAddrPort(local.String())
	return err == nil && from.IsValid() && ap.Addr().Unmap() == from
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func agentView(a acd.AgentInfo) CtlAgent {
	return CtlAgent{ID: a.ID, Name: a.Name, State: a.State.String(), Reason: a.Reason, Queues: append([]string{}, a.Queues...),
		Registered: a.Registered, Unreachable: a.Unreachable, Calls: a.Calls}
}

// queueView sums up a queue from its waiting list and the agents.
func (h *ctlHandler) queueView(id string, waiting []acd.WaitingCaller, agents []acd.AgentInfo, now time.Time) CtlQueue {
	q := h.live.cfg().Queues[id]
	v := CtlQueue{ID: id, Name: q.Name, Extension: q.Extension, Strategy: q.Strategy}
	for _, w := range waiting {
		if w.Callback {
			v.Callbacks++
			continue
		}
		v.Waiting++
		v.OldestWaitSeconds = max(v.OldestWaitSeconds, now.Sub(w.Joined).Seconds())
	}
	for _, a := range agents {
		if slices.Contains(a.Queues, id) {
			v.LoggedIn++
			if a.State == acd.Ready {
				v.Ready++
			}
		}
	}
	return v
}

func (h *ctlHandler) queues(w http.ResponseWriter, r *http.Request) (any, int) {
	now, agents := time.Now(), h.live.center.Agents()
	out := []CtlQueue{}
	for _, id := range h.live.queueNames() {
		waiting, err := h.live.center.Waiting(id)
		if err != nil {
			return CtlError{fmt.Sprintf("reading queue %q: %v", id, err)}, http.StatusInternalServerError
		}
		out = append(out, h.queueView(id, waiting, agents, now))
	}
	return out, http.StatusOK
}

func (h *ctlHandler) queue(w http.ResponseWriter, r *http.Request) (any, int) {
	id := r.PathValue("name")
	if _, ok := h.live.cfg().Queues[id]; !ok {
		return CtlError{fmt.Sprintf("no queue %q", id)}, http.StatusNotFound
	}
	waiting, err := h.live.center.Waiting(id)
	if err != nil {
		return CtlError{fmt.Sprintf("reading queue %q: %v", id, err)}, http.StatusInternalServerError
	}
	now, agents := time.Now(), h.live.center.Agents()
	d := CtlQueueDetail{Queue: h.queueView(id, waiting, agents, now), Waiting: []CtlWaiting{}, Agents: []CtlAgent{}}
	for _, c := range waiting {
		d.Waiting = append(d.Waiting, CtlWaiting{CallID: c.CallID, Caller: c.Caller, WaitedSeconds: now.Sub(c.Joined).Seconds(),
			Ringing: c.Ringing, Callback: c.Callback})
	}
	for _, a := range agents {
		if cfg, ok := h.live.cfg().Agents[a.ID]; ok && slices.Contains(cfg.Queues, id) {
			d.Agents = append(d.Agents, agentView(a))
		}
	}
	return d, http.StatusOK
}

func (h *ctlHandler) agents(w http.ResponseWriter, r *http.Request) (any, int) {
	out := []CtlAgent{}
	for _, a := range h.live.center.Agents() {
		out = append(out, agentView(a))
	}
	return out, http.StatusOK
}

func (h *ctlHandler) calls(w http.ResponseWriter, r *http.Request) (any, int) {
	type place struct {
		queue   string
		ringing bool
	}
	waiting := map[string]place{}
	for _, q := range h.live.queueNames() {
		list, err := h.live.center.Waiting(q)
		if err != nil {
			continue
		}
		for _, c := range list {
			waiting[c.CallID] = place{q, c.Ringing}
		}
	}
	now := time.Now()
	out := []CtlCall{}
	for _, c := range h.live.srv.Calls() {
		v := CtlCall{ID: c.ID, Kind: c.Kind, Number: c.Number, Caller: c.Caller, CallerName: c.CallerName, Peer: c.Peer,
			Codec: c.Codec, Held: c.Held, UpSeconds: now.Sub(c.Started).Seconds(), BridgedTo: c.BridgedTo}
		if p, ok := waiting[c.ID]; ok && c.Kind == sip.CallInbound {
			v.Queue, v.Ringing = p.queue, p.ringing
		}
		out = append(out, v)
	}
	return out, http.StatusOK
}

// trace turns the SIP trace on for every peer (or those named), or back
// to the configuration's. The trace writes peers' messages in full, so
// each change is logged as loudly as the configuration's trace is.
func (h *ctlHandler) trace(w http.ResponseWriter, r *http.Request) (any, int) {
	var in CtlTrace
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&in); err != nil {
		return CtlError{"want a JSON body {\"on\": true|false, \"peers\": [...]}"}, http.StatusBadRequest
	}
	log := h.live.log
	var t sip.Trace
	if in.On {
		for _, p := range in.Peers {
			if prefix, ok := parsePeer(p); ok {
				t.Sources = append(t.Sources, prefix)
			} else if p != "" && !strings.ContainsAny(p, " \t@:;<>/") {
				t.Users = append(t.Users, p)
			} else {
				return CtlError{fmt.Sprintf("peer %q: want an address (192.0.2.7), a prefix (192.0.2.0/24) or a user (1001)", p)}, http.StatusBadRequest
			}
		}
		if len(in.Peers) == 0 {
			t.Sources = []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")}
		}
	} else {
		t = sipTrace(h.live.current.Load().cfg)
	}
	h.live.srv.SetTrace(t)
	out := CtlTrace{On: len(t.Sources)+len(t.Users) > 0, Sources: []string{}, Users: append([]string{}, t.Users...)}
	for _, p := range t.Sources {
		out.Sources = append(out.Sources, p.String())
	}
	sources, users := strings.Join(out.Sources, ","), strings.Join(out.Users, ",")
	switch {
	case in.On:
		log.Warn("SIP trace on by acd ctl: every message to and from these peers is logged in full", "sources", sources, "users", users)
	case out.On:
		log.Warn("SIP trace back to the configuration's by acd ctl: every message to and from these peers is logged in full", "sources", sources, "users", users)
	default:
		log.Info("SIP trace off by acd ctl")
	}
	out.Hidden = out.On && !log.Enabled(context.Background(), slog.LevelInfo)
	return out, http.StatusOK
}

// parsePeer reads an address or a prefix.
func parsePeer(s string) (netip.Prefix, bool) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), true
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), true
	}
	return netip.Prefix{}, false
}
