package service

import (
	"context"
	"fmt"

	"github.com/acdserver/acd/report"
	"github.com/acdserver/acd/store"
)

// QueueLogEvents are the events of the period, narrowed to the filter's
// queues and agents as the queue_log needs them.
func (s *Service) QueueLogEvents(ctx context.Context, a *Actor, q ReportQuery) ([]store.Event, error) {
	f, err := s.reportFilter(a, q)
	if err != nil {
		return nil, err
	}
	evs, err := s.events.Page(ctx, store.Query{Filter: store.Filter{Since: f.From, Until: f.To}})
	if err != nil {
		return nil, fmt.Errorf("reading the queue_log's events: %w", err)
	}
	return report.QueueLogSelect(evs, f), nil
}
