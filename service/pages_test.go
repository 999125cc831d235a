package service

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acdserver/acd/directory"
	"github.com/acdserver/acd/store"
)

// countedLog counts reads of the log and can hold one until released.
type countedLog struct {
	EventLog
	reads atomic.Int64
	hold  chan struct{} // when not nil, a read waits for it to close
}

func (c *countedLog) Page(ctx context.Context, q store.Query) ([]store.Event, error) {
	c.reads.Add(1)
	if c.hold != nil {
		<-c.hold
	}
	if err := ctx.Err(); err != nil {
		return nil, err // the read was cancelled: the sharing streams would all fail
	}
	return c.EventLog.Page(ctx, q)
}

func sharedPagesService(t *testing.T) (*Service, *countedLog) {
	t.Helper()
	s, _, l := newTestService(t)
	cl := &countedLog{EventLog: l}
	s.events = cl
	return s, cl
}

// appendEvents commits n events and tells the feed, as its poller would.
func appendEvents(t *testing.T, s *Service, l *countedLog, n int) {
	t.Helper()
	for range n {
		l.Append(store.Event{Type: "server.test"})
	}
	if err := l.EventLog.(*store.Log).Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	seq, err := l.LastSeq(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s.feed.advance(seq)
}

func administrator() *Actor { return &Actor{UserID: "root", Role: directory.Administrator} }

func TestStreamsShareReads(t *testing.T) {
	s, l := sharedPagesService(t)
	ctx := context.Background()
	appendEvents(t, s, l, 3)
	for range 200 {
		evs, next, more, err := s.StreamPage(ctx, administrator(), 0, 500)
		if err != nil || len(evs) != 3 || next != 3 || more {
			t.Fatalf("a stream's page: %d events, next %d, more %v, %v", len(evs), next, more, err)
		}
	}
	if n := l.reads.Load(); n != 1 {
		t.Fatalf("200 streams at the same place read the log %d times, want once", n)
	}

	// The feed moves: the short page is read again, and nothing is missed.
	appendEvents(t, s, l, 2)
	evs, next, _, err := s.StreamPage(ctx, administrator(), 0, 500)
	if err != nil || len(evs) != 5 || next != 5 {
		t.Fatalf("after the feed moved: %d events, next %d, %v; want 5", len(evs), next, err)
	}
	if n := l.reads.Load(); n != 2 {
		t.Fatalf("after the feed moved the log was read %d times in all, want 2", n)
	}
}

func TestShortPagesExpire(t *testing.T) {
	s, l := sharedPagesService(t)
	s.poll = 20 * time.Millisecond
	ctx := context.Background()
	if evs, _, _, _ := s.StreamPage(ctx, administrator(), 0, 500); len(evs) != 0 {
		t.Fatalf("an empty log gave %d events", len(evs))
	}
	// Committed without the feed knowing (its poller is not running):
	// an empty page must not hide it for longer than a poll.
	l.Append(store.Event{Type: "server.test"})
	if err := l.EventLog.(*store.Log).Flush(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * s.poll)
	if evs, _, _, _ := s.StreamPage(ctx, administrator(), 0, 500); len(evs) != 1 {
		t.Fatalf("a poll later: %d events, want 1", len(evs))
	}
}

func TestFullPagesKept(t *testing.T) {
	s, l := sharedPagesService(t)
	ctx := context.Background()
	appendEvents(t, s, l, 25)
	for round := range 3 {
		pos := int64(0)
		for {
			evs, next, more, err := s.StreamPage(ctx, administrator(), pos, 10)
			if err != nil {
				t.Fatal(err)
			}
			for i, e := range evs {
				if e.Seq != pos+int64(i)+1 {
					t.Fatalf("round %d: event %d after %d has seq %d", round, i, pos, e.Seq)
				}
			}
			pos = next
			if !more {
				break
			}
		}
		if pos != 25 {
			t.Fatalf("round %d: stopped at %d, want 25", round, pos)
		}
	}
	// Three pages, the last short (kept for a poll): one read each.
	if n := l.reads.Load(); n != 3 {
		t.Fatalf("three streams reading 25 events 10 at a time read the log %d times, want 3", n)
	}
}

func TestSharedReadOutlivesItsStream(t *testing.T) {
	s, l := sharedPagesService(t)
	appendEvents(t, s, l, 4)
	l.hold = make(chan struct{})
	first, leave := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var firstErr, otherErr error
	var otherEvents int
	wg.Add(2)
	go func() {
		defer wg.Done()
		_, _, _, firstErr = s.StreamPage(first, administrator(), 0, 500)
	}()
	for l.reads.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	go func() {
		defer wg.Done()
		evs, _, _, err := s.StreamPage(context.Background(), administrator(), 0, 500)
		otherEvents, otherErr = len(evs), err
	}()
	time.Sleep(20 * time.Millisecond) // the second waits on the first's read
	leave()                           // the first stream's client goes away mid-read
	close(l.hold)
	wg.Wait()
	_ = firstErr // whatever the first got, its client is gone
	if otherErr != nil || otherEvents != 4 {
		t.Fatalf("a stream sharing a read whose own stream left: %d events, %v; want 4", otherEvents, otherErr)
	}
	if n := l.reads.Load(); n != 1 {
		t.Fatalf("two streams read the log %d times, want once", n)
	}
}

func TestRestrictedStreamsFilterSharedPages(t *testing.T) {
	s, l := sharedPagesService(t)
	ctx := context.Background()
	l.Append(store.Event{Type: "caller.joined", Queue: "sales"})
	l.Append(store.Event{Type: "caller.joined", Queue: "support"})
	appendEvents(t, s, l, 0)
	sup := &Actor{UserID: "sue", Role: directory.Supervisor, Restricted: true, Queues: map[string]bool{"support": true}}
	all, _, _, _ := s.StreamPage(ctx, administrator(), 0, 500)
	mine, next, _, _ := s.StreamPage(ctx, sup, 0, 500)
	if len(all) != 2 || len(mine) != 1 || mine[0].Queue != "support" || next != 2 {
		t.Fatalf("administrator: %d events; restricted supervisor: %v, next %d", len(all), mine, next)
	}
	if len(all) != 2 || all[0].Queue != "sales" {
		t.Fatalf("filtering for one stream changed the shared page: %v", all)
	}
	if n := l.reads.Load(); n != 1 {
		t.Fatalf("two streams read the log %d times, want once", n)
	}
}
