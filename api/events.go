package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/acdserver/acd/service"
	"github.com/acdserver/acd/store"
)

// Stream tuning: how many events one read takes, how long a quiet
// stream waits before a keep-alive comment (proxies close idle
// connections), and how often a stream checks its credentials have not
// expired (a revocation wakes it to check at once).
const (
	streamPage      = 500
	streamKeepAlive = 15 * time.Second
	streamRecheck   = 30 * time.Second
)

// frames keeps the encoded frames of recent events. Every stream sends
// the same events, the same bytes whoever receives them; encoded once
// each rather than once per stream, a few hundred streams cost little
// more than one. A slot holds the frame of one sequence number at a time.
type frames struct {
	slots [4096]atomic.Pointer[frame]
}

type frame struct {
	seq  int64
	text []byte // "id: SEQ\ndata: JSON\n\n"
}

func (fs *frames) get(e store.Event) ([]byte, error) {
	slot := &fs.slots[uint64(e.Seq)%uint64(len(fs.slots))]
	if f := slot.Load(); f != nil && f.seq == e.Seq {
		return f.text, nil
	}
	data, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	text := fmt.Appendf(nil, "id: %d\ndata: %s\n\n", e.Seq, data)
	slot.Store(&frame{seq: e.Seq, text: text})
	return text, nil
}

type eventsIn struct {
	LastEventID string `header:"Last-Event-ID" maxLength:"20" doc:"resume after this sequence number (what a browser's EventSource sends by itself on reconnecting)"`
	After       string `query:"after" maxLength:"20" doc:"start after this sequence number; 0 for the whole log; absent: from now"`
}

type auditIn struct {
	Actor string    `query:"actor" maxLength:"64" doc:"the user who acted"`
	Type  string    `query:"type" maxLength:"64" doc:"a prefix of the event type, e.g. audit.user. or agent.state"`
	Agent string    `query:"agent" maxLength:"64" doc:"the agent acted on"`
	Since time.Time `query:"since" doc:"RFC 3339; inclusive"`
	Until time.Time `query:"until" doc:"RFC 3339; exclusive"`
	After int64     `query:"after" minimum:"0" doc:"events after this sequence number, for paging"`
	Limit int       `query:"limit" minimum:"0" maximum:"1000" doc:"at most this many (default 100)"`
}

type auditOut struct {
	Body struct {
		Events []store.Event `json:"events"`
		Next   int64         `json:"next" doc:"pass as after for the next page; 0 when this one was the last"`
	}
}

func (s *Server) registerEvents() {
	o := op("events", http.MethodGet, "/events", "The event log as Server-Sent Events, as it grows, filtered by what the caller may see", http.StatusOK, false, "events")
	o.Description = "Each event is sent as `id: SEQ` and `data: JSON` (the event). Reconnecting with Last-Event-ID resumes after that event: nothing lost, nothing repeated."
	o.Responses = map[string]*huma.Response{
		"200": {Description: "an endless stream of events", Content: map[string]*huma.MediaType{
			"text/event-stream": {Schema: &huma.Schema{Type: "string"}},
		}},
	}
	huma.Register(s.api, o, func(ctx context.Context, in *eventsIn) (*huma.StreamResponse, error) {
		a := actorOf(ctx)
		start, err := s.streamStart(ctx, in)
		if err != nil {
			return nil, err
		}
		release, err := s.svc.OpenStream(a)
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		return &huma.StreamResponse{Body: func(hctx huma.Context) {
			defer release()
			s.stream(hctx, a, start)
		}}, nil
	})

	huma.Register(s.api, op("audit", http.MethodGet, "/audit", "The audit trail: every action taken through the API, with its actor (administrators)", http.StatusOK, false, "events"),
		func(ctx context.Context, in *auditIn) (*auditOut, error) {
			q := service.AuditQuery{Actor: in.Actor, Type: in.Type, Agent: in.Agent, Since: in.Since, Until: in.Until, After: in.After, Limit: in.Limit}
			evs, err := s.svc.Audit(ctx, actorOf(ctx), q)
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			out := &auditOut{}
			out.Body.Events = evs
			if out.Body.Events == nil {
				out.Body.Events = []store.Event{}
			}
			limit := in.Limit
			if limit <= 0 {
				limit = 100
			}
			if len(evs) == limit {
				out.Body.Next = evs[len(evs)-1].Seq
			}
			return out, nil
		})
}

func (s *Server) streamStart(ctx context.Context, in *eventsIn) (int64, error) {
	for _, p := range []struct{ where, name, v string }{{"header", "Last-Event-ID", in.LastEventID}, {"query", "after", in.After}} {
		if p.v == "" {
			continue
		}
		n, err := strconv.ParseInt(p.v, 10, 64)
		if err != nil || n < 0 {
			return 0, invalidParam(p.where, p.name, "want a sequence number (a whole number, 0 or more)")
		}
		return n, nil
	}
	seq, err := s.svc.Position(ctx)
	if err != nil {
		return 0, s.fail(ctx, err)
	}
	return seq, nil
}

// stream writes events after pos until the client goes, the server
// stops, or the caller's credentials are revoked.
func (s *Server) stream(hctx huma.Context, a *service.Actor, pos int64) {
	_, w := humago.Unwrap(hctx)
	rc := http.NewResponseController(w)
	ctx, cancel := context.WithCancel(hctx.Context())
	defer cancel()
	stop := context.AfterFunc(s.streams, cancel)
	defer stop()
	secret, _ := hctx.Context().Value(secretKey).(string)
	// The server's read timeout is for requests arriving; a stream lasts
	// as long as its client.
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	revocations := s.svc.Revocations()

	hctx.SetHeader("Content-Type", "text/event-stream")
	hctx.SetHeader("Cache-Control", "no-cache")
	hctx.SetHeader("X-Accel-Buffering", "no")
	hctx.SetStatus(http.StatusOK)
	body := hctx.BodyWriter()
	if _, err := fmt.Fprint(body, "retry: 2000\n\n"); err != nil {
		return
	}
	_ = rc.Flush()
	lastWrite, lastCheck := time.Now(), time.Now()
	for ctx.Err() == nil {
		evs, next, more, err := s.svc.StreamPage(ctx, a, pos, streamPage)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("event stream: reading the event log", "user", a.UserID, "error", err)
			}
			return
		}
		for _, e := range evs {
			f, err := s.frames.get(e)
			if err != nil {
				s.log.Error("event stream: encoding an event", "seq", e.Seq, "error", err)
				return
			}
			if _, err := body.Write(f); err != nil {
				return
			}
		}
		pos = next
		if len(evs) > 0 {
			if rc.Flush() != nil {
				return
			}
			lastWrite = time.Now()
		}
		if more {
			continue
		}
		// A revocation wakes the stream: its credentials, and what they
		// may see, are checked again then, and now and then besides for
		// expiry.
		if n := s.svc.Revocations(); n != revocations || time.Since(lastCheck) > streamRecheck {
			revocations, lastCheck = n, time.Now()
			fresh, err := s.svc.Authenticate(ctx, secret)
			if err != nil {
				s.log.Info("event stream ended: credentials no longer valid", "user", a.UserID)
				return
			}
			a = fresh
		}
		if time.Since(lastWrite) >= streamKeepAlive {
			if _, err := fmt.Fprint(body, ": keep-alive\n\n"); err != nil || rc.Flush() != nil {
				return
			}
			lastWrite = time.Now()
		}
		s.svc.WaitForEvents(ctx, pos, streamKeepAlive)
	}
}
