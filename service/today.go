package service

import (
	"context"
	"sync"
	"time"

	"github.com/acdserver/acd/report"
)

// QueueToday is a queue's callers since midnight (the server's time
// zone), as the queue-caller report counts them, with its service-level
// objective: what a wallboard shows beside the live figures.
type QueueToday struct {
	report.QueueTotals
	// Threshold and Target are the queue's service-level objective:
	// Target of the callers answered within Threshold.
	Threshold time.Duration
	Target    float64
}

// BelowTarget says the service level today is under the queue's target.
func (q QueueToday) BelowTarget() bool {
	return q.ServiceLevel != nil && *q.ServiceLevel < q.Target
}

// todayFresh is how long one reading of today's figures serves every
// wallboard: pages redraw on every change, and the figures of a day move
// little in a few seconds.
const todayFresh = 5 * time.Second

// todayCache keeps the last reading of today's figures, for all queues.
type todayCache struct {
	mu      sync.Mutex // guards the fields below; held while reading, so that one reading serves those waiting
	at      time.Time  // when byQueue was read; zero: never
	day     time.Time  // the midnight byQueue counts from
	byQueue map[string]report.QueueTotals
}

// Today reads today's figures of the queues asked for, each of which the
// actor must be allowed to see in reports. One reading of the report
// projections serves every caller for todayFresh.
func (s *Service) Today(ctx context.Context, a *Actor, queues []string) (map[string]QueueToday, error) {
	now := s.now()
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	q := ReportQuery{From: midnight.Format(time.RFC3339Nano), To: now.Add(time.Second).Format(time.RFC3339Nano), Queues: queues}
	if _, err := s.reportFilter(a, q); err != nil {
		return nil, err
	}
	all, err := s.today.read(ctx, s.reports, midnight, now)
	if err != nil {
		return nil, reportError("today's", err)
	}
	out := make(map[string]QueueToday, len(queues))
	for _, id := range queues {
		t := QueueToday{QueueTotals: all[id], Threshold: report.DefaultThreshold, Target: report.DefaultTarget}
		if s.running != nil {
			if c, ok := s.running().Queues[id]; ok {
				t.Threshold, t.Target = c.ServiceLevelOf()
			}
		}
		out[id] = t
	}
	return out, nil
}

// read is today's figures of every queue, read again when older than
// todayFresh or of another day.
func (c *todayCache) read(ctx context.Context, r Reporter, midnight, now time.Time) (map[string]report.QueueTotals, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.at.IsZero() && c.day.Equal(midnight) && now.Sub(c.at) < todayFresh {
		return c.byQueue, nil
	}
	// To is a second ahead: a caller who joined this very instant counts.
	rep, err := r.QueueCallers(ctx, report.Filter{From: midnight, To: now.Add(time.Second), Location: now.Location()})
	if err != nil {
		return nil, err
	}
	byQueue := make(map[string]report.QueueTotals, len(rep.Queues))
	for _, row := range rep.Queues {
		byQueue[row.Queue] = row.QueueTotals
	}
	c.at, c.day, c.byQueue = now, midnight, byQueue
	return byQueue, nil
}
