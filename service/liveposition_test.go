package service

import (
	"context"
	"sync/atomic"
	"testing"
)

// lastSeqCounted counts how often the end of the log is asked of it.
type lastSeqCounted struct {
	*countedLog
	asked atomic.Int64
}

func (l *lastSeqCounted) LastSeq(ctx context.Context) (int64, error) {
	l.asked.Add(1)
	return l.countedLog.LastSeq(ctx)
}

// TestLivePagesDoNotEachAskTheLog: a hundred open pages woken by new
// events take the log's end from the service's one watcher, not each
// from the database; only before the watcher's first look is it asked.
func TestLivePagesDoNotEachAskTheLog(t *testing.T) {
	s, l := sharedPagesService(t)
	counted := &lastSeqCounted{countedLog: l}
	s.events = counted
	ctx := context.Background()

	first, err := s.LivePosition(ctx)
	if err != nil || first != 0 || counted.asked.Load() != 1 {
		t.Fatalf("before the watcher looks: position %d, %v, %d reads; want 0 from one read", first, err, counted.asked.Load())
	}
	appendEvents(t, s, l, 3)
	asked := counted.asked.Load()
	for range 100 {
		pos, err := s.LivePosition(ctx)
		if err != nil || pos != 3 {
			t.Fatalf("a page woken after 3 events reads position %d, %v; want 3", pos, err)
		}
	}
	if n := counted.asked.Load() - asked; n != 0 {
		t.Errorf("100 pages woken asked the log for its end %d times; want none", n)
	}
}
