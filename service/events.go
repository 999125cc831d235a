package service

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/acdserver/acd/directory"
	"github.com/acdserver/acd/store"
)

// feed tells the event stream's readers that the log has grown. One
// poller (Service.Run) reads the last committed sequence number, so the
// cost of waiting does not grow with the number of readers.
type feed struct {
	mu   sync.Mutex
	last int64
	wake chan struct{} // closed, and replaced, when last grows
}

func newFeed() *feed { return &feed{wake: make(chan struct{})} }

func (f *feed) advance(seq int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if seq > f.last {
		f.last = seq
		close(f.wake)
		f.wake = make(chan struct{})
	}
}

// position is the last sequence number the feed knows of.
func (f *feed) position() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last
}

// wait returns once the log holds an event after seq, or ctx ends, or
// patience runs out (so a stream can send a keep-alive).
func (f *feed) wait(ctx context.Context, seq int64, patience time.Duration) {
	f.mu.Lock()
	last, wake := f.last, f.wake
	f.mu.Unlock()
	if last > seq {
		return
	}
	t := time.NewTimer(patience)
	defer t.Stop()
	select {
	case <-wake:
	case <-ctx.Done():
	case <-t.C:
	}
}

// pages shares reads of the log among the streams. A wake-up sends
// every stream after the same page at once; without sharing, each would
// read and decode it from the database, and with a few hundred streams
// that is most of the server's CPU. A page serves every stream that asks
// for it while it is being read, and after that while the feed has not
// moved (nothing new is known; an event committed meanwhile wakes the
// streams again, as it would have a moment after their own read), for
// at most one poll. A full page never changes (the log grows at its end
// only, without gaps), so it serves for as long as it is kept. Streams
// that read the same page go on from the same place, so they keep
// sharing.
type pages struct {
	mu      sync.Mutex
	entries map[pageKey]*page
	order   []pageKey // oldest first
}

type pageKey struct {
	after int64
	limit int
}

type page struct {
	ready  chan struct{} // closed once events and err are set
	events []store.Event
	err    error
	known  int64     // the feed's position when the read began
	began  time.Time // when it began
}

// keptPages bounds the pages kept: enough for streams a few pages apart,
// and at most a few thousand events in memory.
const keptPages = 16

func newPages() *pages { return &pages{entries: map[pageKey]*page{}} }

// serves says whether p answers a read made now, with the feed at known.
func (p *page) serves(limit int, known int64, now time.Time, fresh time.Duration) bool {
	select {
	case <-p.ready:
	default:
		return true // being read
	}
	switch {
	case p.err != nil:
		return false
	case len(p.events) == limit:
		return true
	}
	return known == p.known && now.Sub(p.began) < fresh
}

// read returns the page after after, at most limit events, shared with
// the other streams; the caller must not change it.
func (ps *pages) read(ctx context.Context, log EventLog, after int64, limit int, known int64, fresh time.Duration) ([]store.Event, error) {
	k := pageKey{after, limit}
	now := time.Now()
	ps.mu.Lock()
	p, ok := ps.entries[k]
	if !ok || !p.serves(limit, known, now, fresh) {
		if !ok {
			ps.order = append(ps.order, k)
			if len(ps.order) > keptPages {
				delete(ps.entries, ps.order[0])
				ps.order = slices.Delete(ps.order, 0, 1)
			}
		}
		p = &page{ready: make(chan struct{}), known: known, began: now}
		ps.entries[k] = p
		ps.mu.Unlock()
		// Not the asker's context: the others waiting on this read
		// must not fail because its own client went away.
		p.events, p.err = log.Page(context.WithoutCancel(ctx), store.Query{Filter: store.Filter{AfterSeq: after}, Limit: limit})
		close(p.ready)
		return p.events, p.err
	}
	ps.mu.Unlock()
	select {
	case <-p.ready:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return p.events, p.err
}

// visible decides whether an event may reach the actor. Administrators
// see everything, and they alone see audit events (administration:
// users, tokens, permissions; agents' state changes carry their actor in
// the distributor's own events). Otherwise supervisors see the
// whole log unless restricted; a restricted supervisor sees its queues'
// events, those about its agents that name no queue, and the server's;
// an agent sees its own and the server's.
func (s *Service) visible(a *Actor, e store.Event) bool {
	if a.is(directory.Administrator) {
		return true
	}
	if strings.HasPrefix(e.Type, "audit.") {
		return false // administration: for administrators
	}
	if strings.HasPrefix(e.Type, "server.") {
		return true
	}
	switch a.Role {
	case directory.Supervisor:
		if !a.Restricted {
			return true
		}
		if e.Queue != "" {
			return a.Queues[e.Queue]
		}
		return e.Agent != "" && s.controlsAgent(a, e.Agent)
	case directory.Agent:
		// A monitored agent is not told: monitoring is the supervisors'.
		return e.Agent == a.UserID && !strings.HasPrefix(e.Type, "monitor.")
	}
	return false
}

// Position is where a stream starts when the client names none: the
// current end of the log.
func (s *Service) Position(ctx context.Context) (int64, error) {
	return s.events.LastSeq(ctx)
}

// LivePosition is the end of the log as the service's one watcher of it
// last saw it (Run): what a live page redraws at once woken. Every open
// page asking the log itself at each wake-up would be one query a page;
// this is none. Before the watcher's first look, the log is asked.
func (s *Service) LivePosition(ctx context.Context) (int64, error) {
	if seq := s.feed.position(); seq > 0 {
		return seq, nil
	}
	seq, err := s.events.LastSeq(ctx)
	if err == nil {
		s.feed.advance(seq)
	}
	return seq, err
}

// StreamPage reads events after seq that the actor may see, at most
// limit scanned. next is the sequence number to continue after: past
// the events scanned, whether or not they were visible; more says the
// page was full, so there may be more at once. The events may be shared
// with other streams: the caller must not change them.
func (s *Service) StreamPage(ctx context.Context, a *Actor, after int64, limit int) (events []store.Event, next int64, more bool, err error) {
	if a == nil {
		return nil, after, false, errUnauthenticated
	}
	page, err := s.pages.read(ctx, s.events, after, limit, s.feed.position(), s.poll)
	if err != nil {
		return nil, after, false, err
	}
	next = after
	if n := len(page); n > 0 {
		next = page[n-1].Seq
	}
	if a.is(directory.Administrator) {
		return page, next, len(page) == limit, nil // everything is visible: no copy
	}
	for _, e := range page {
		if s.visible(a, e) {
			events = append(events, e)
		}
	}
	return events, next, len(page) == limit, nil
}

// WaitForEvents returns once the log holds an event after seq, ctx ends,
// or patience runs out.
func (s *Service) WaitForEvents(ctx context.Context, seq int64, patience time.Duration) {
	s.feed.wait(ctx, seq, patience)
}

// AuditQuery selects audit events.
type AuditQuery struct {
	Actor, Type, Agent string // Type: a prefix of the event type ("audit.user." or "agent.state")
	Since, Until       time.Time
	After              int64
	Limit              int // default 100, at most 1000
}

// Audit reads the audit trail (administrators only).
func (s *Service) Audit(ctx context.Context, a *Actor, q AuditQuery) ([]store.Event, error) {
	if err := requireAdmin(a); err != nil {
		if a != nil {
			return nil, forbidden("the audit trail is for administrators")
		}
		return nil, err
	}
	if err := checkText(q.Type, 0, 64); err != nil {
		return nil, invalid("type", "%v", err)
	}
	if q.Limit <= 0 {
		q.Limit = 100
	}
	q.Limit = min(q.Limit, 1000)
	if err := s.events.Flush(ctx); err != nil {
		return nil, fmt.Errorf("reading the audit trail: %w", err)
	}
	evs, err := s.events.Page(ctx, store.Query{
		Filter:     store.Filter{Agent: q.Agent, Since: q.Since, Until: q.Until, AfterSeq: q.After},
		TypePrefix: q.Type, Actor: q.Actor, Audit: true, Limit: q.Limit,
	})
	if err != nil {
		return nil, err
	}
	return slices.Clip(evs), nil
}
