package api

import (
	"context"
	"time"

	"github.com/acdserver/acd/report"
	"github.com/acdserver/acd/service"
	"github.com/acdserver/acd/store"
)

// reportSource reads the exports' reports through the service, which
// checks the actor and narrows a restricted supervisor's filter.
type reportSource struct{ svc *service.Service }

func reportQuery(f report.Filter) service.ReportQuery {
	return service.ReportQuery{From: f.From.Format(time.RFC3339Nano), To: f.To.Format(time.RFC3339Nano),
		TZ: f.Location.String(), Queues: f.Queues, Agents: f.Agents}
}

func (r reportSource) QueueCallers(ctx context.Context, a *service.Actor, f report.Filter) (report.QueueCallers, error) {
	return r.svc.QueueCallersReport(ctx, a, reportQuery(f))
}

func (r reportSource) QueueCallerList(ctx context.Context, a *service.Actor, f report.Filter, outcome string) ([]report.Stint, error) {
	list, more, err := r.svc.ReportCalls(ctx, a, reportQuery(f), outcome, 0)
	if err == nil && more {
		err = service.InvalidField("to", "more than %d callers' stays in the period: export a shorter one", report.CallsLimit)
	}
	return list, err
}

func (r reportSource) AgentPerformance(ctx context.Context, a *service.Actor, f report.Filter) (report.AgentPerformance, error) {
	return r.svc.AgentPerformanceReport(ctx, a, reportQuery(f))
}

func (r reportSource) AgentIntervals(ctx context.Context, a *service.Actor, f report.Filter) ([]report.Interval, error) {
	list, more, err := r.svc.ReportIntervals(ctx, a, reportQuery(f), 0)
	if err == nil && more {
		err = service.InvalidField("to", "more than %d agent intervals in the period: export a shorter one", report.IntervalsLimit)
	}
	return list, err
}

func (r reportSource) QueueLogEvents(ctx context.Context, a *service.Actor, f report.Filter) ([]store.Event, error) {
	return r.svc.QueueLogEvents(ctx, a, reportQuery(f))
}
