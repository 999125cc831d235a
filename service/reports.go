package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/acdserver/acd/directory"
	"github.com/acdserver/acd/report"
)

// Reporter makes the historical reports (report.Reports) and rebuilds
// their projections.
type Reporter interface {
	QueueCallers(ctx context.Context, f report.Filter) (report.QueueCallers, error)
	Calls(ctx context.Context, f report.Filter, outcome string, limit int) ([]report.Stint, bool, error)
	AgentPerformance(ctx context.Context, f report.Filter) (report.AgentPerformance, error)
	Intervals(ctx context.Context, f report.Filter, limit int) ([]report.Interval, bool, error)
	Conversations(ctx context.Context, f report.Filter) (report.Conversations, error)
	Rebuild(ctx context.Context) error
}

// ReportQuery is a report's request as the API receives it: the period
// in RFC 3339, the time zone's IANA name ("" for UTC), and the queues and
// agents to narrow it to (none: all the caller may see).
type ReportQuery struct {
	From, To, TZ   string
	Queues, Agents []string
}

// reportFilter checks that the actor may see reports and the queues and
// agents asked for, in the one place every report goes through:
// administrators and supervisors see reports, a restricted supervisor
// only of its assigned queues (the filter is narrowed to them; a queue
// or agent outside them is refused), agents none.
func (s *Service) reportFilter(a *Actor, q ReportQuery) (report.Filter, error) {
	if a == nil {
		return report.Filter{}, errUnauthenticated
	}
	if !a.is(directory.Administrator) && !a.is(directory.Supervisor) {
		return report.Filter{}, forbidden("reports are for supervisors and administrators")
	}
	if s.reports == nil {
		return report.Filter{}, conflict("reports are not available in this process")
	}
	var f report.Filter
	var err error
	for _, t := range []struct {
		name string
		v    string
		dst  *time.Time
	}{{"from", q.From, &f.From}, {"to", q.To, &f.To}} {
		if t.v == "" {
			return report.Filter{}, invalid(t.name, "missing: a time in RFC 3339, like 2026-11-24T00:00:00Z")
		}
		if *t.dst, err = time.Parse(time.RFC3339Nano, t.v); err != nil {
			return report.Filter{}, invalid(t.name, "%q is not a time in RFC 3339, like 2026-11-24T00:00:00Z", t.v)
		}
	}
	f.Location = time.UTC
	if q.TZ != "" {
		// LoadLocation also reads files by relative path: only names.
		if strings.Contains(q.TZ, "..") || strings.HasPrefix(q.TZ, "/") {
			return report.Filter{}, invalid("tz", "%q is not a time zone name", q.TZ)
		}
		if f.Location, err = time.LoadLocation(q.TZ); err != nil {
			return report.Filter{}, invalid("tz", "%q is not a time zone: want an IANA name like Europe/Paris", q.TZ)
		}
	}
	f.Queues = slices.Compact(slices.Sorted(slices.Values(q.Queues)))
	f.Agents = slices.Compact(slices.Sorted(slices.Values(q.Agents)))
	if a.is(directory.Supervisor) && a.Restricted {
		for _, queue := range f.Queues {
			if !a.Queues[queue] {
				return report.Filter{}, forbidden("queue %q is not one of your assigned queues", queue)
			}
		}
		for _, agent := range f.Agents {
			if !s.controlsAgent(a, agent) {
				return report.Filter{}, forbidden("agent %q is in none of your assigned queues", agent)
			}
		}
		if len(f.Queues) == 0 {
			for queue := range a.Queues {
				f.Queues = append(f.Queues, queue)
			}
			if len(f.Queues) == 0 {
				return report.Filter{}, forbidden("you have no assigned queues to report on")
			}
			slices.Sort(f.Queues)
		}
	}
	return f, nil
}

// reportError turns a report's refusal of its filter into the field's.
func reportError(what string, err error) error {
	if fe, ok := report.IsFilterError(err); ok {
		return invalid(fe.Field, "%s", fe.Msg)
	}
	var se *Error
	if errors.As(err, &se) {
		return err
	}
	return fmt.Errorf("making the %s report: %w", what, err)
}

// QueueCallersReport is the queue-caller report.
func (s *Service) QueueCallersReport(ctx context.Context, a *Actor, q ReportQuery) (report.QueueCallers, error) {
	f, err := s.reportFilter(a, q)
	if err != nil {
		return report.QueueCallers{}, err
	}
	r, err := s.reports.QueueCallers(ctx, f)
	if err != nil {
		return report.QueueCallers{}, reportError("queue-caller", err)
	}
	return r, nil
}

// ReportCalls lists the callers' stays behind a count of the queue-caller
// report; more says the list was cut at limit.
func (s *Service) ReportCalls(ctx context.Context, a *Actor, q ReportQuery, outcome string, limit int) ([]report.Stint, bool, error) {
	f, err := s.reportFilter(a, q)
	if err != nil {
		return nil, false, err
	}
	list, more, err := s.reports.Calls(ctx, f, outcome, limit)
	if err != nil {
		return nil, false, reportError("queue-caller", err)
	}
	return list, more, nil
}

// AgentPerformanceReport is the agent-performance report.
func (s *Service) AgentPerformanceReport(ctx context.Context, a *Actor, q ReportQuery) (report.AgentPerformance, error) {
	f, err := s.reportFilter(a, q)
	if err != nil {
		return report.AgentPerformance{}, err
	}
	r, err := s.reports.AgentPerformance(ctx, f)
	if err != nil {
		return report.AgentPerformance{}, reportError("agent-performance", err)
	}
	return r, nil
}

// ReportIntervals lists the agents' state intervals behind the
// agent-performance report.
func (s *Service) ReportIntervals(ctx context.Context, a *Actor, q ReportQuery, limit int) ([]report.Interval, bool, error) {
	f, err := s.reportFilter(a, q)
	if err != nil {
		return nil, false, err
	}
	list, more, err := s.reports.Intervals(ctx, f, limit)
	if err != nil {
		return nil, false, reportError("agent-performance", err)
	}
	return list, more, nil
}

// ConversationsReport is the resolved-conversations report.
func (s *Service) ConversationsReport(ctx context.Context, a *Actor, q ReportQuery) (report.Conversations, error) {
	f, err := s.reportFilter(a, q)
	if err != nil {
		return report.Conversations{}, err
	}
	r, err := s.reports.Conversations(ctx, f)
	if err != nil {
		return report.Conversations{}, reportError("conversations", err)
	}
	return r, nil
}

// RebuildReports drops the reports' projections and builds them again
// from the whole event log (administrators).
func (s *Service) RebuildReports(ctx context.Context, a *Actor) error {
	if a == nil {
		return errUnauthenticated
	}
	if !a.is(directory.Administrator) {
		return forbidden("only administrators rebuild the reports")
	}
	if s.reports == nil {
		return conflict("reports are not available in this process")
	}
	s.audit(a, "reports.rebuilt", "", nil)
	if err := s.reports.Rebuild(ctx); err != nil {
		return fmt.Errorf("rebuilding the reports: %w", err)
	}
	return nil
}
