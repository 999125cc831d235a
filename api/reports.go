package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/acdserver/acd/report"
	"github.com/acdserver/acd/service"
)

// reportIn is what every report takes. The times are strings so that a
// bad one is refused naming its parameter, as the service words it.
type reportIn struct {
	From  string   `query:"from" maxLength:"40" doc:"the start of the period, RFC 3339 (inclusive); a caller's stay belongs to the period it joined in"`
	To    string   `query:"to" maxLength:"40" doc:"the end of the period, RFC 3339 (exclusive)"`
	TZ    string   `query:"tz" maxLength:"64" doc:"the IANA time zone days and hours are read in; default UTC"`
	Queue []string `query:"queue,explode" maxItems:"200" doc:"only these queues (repeat the parameter); none: every queue the caller may see"`
	Agent []string `query:"agent,explode" maxItems:"500" doc:"only these agents (repeat the parameter)"`
}

func (in *reportIn) query() service.ReportQuery {
	return service.ReportQuery{From: in.From, To: in.To, TZ: in.TZ, Queues: in.Queue, Agents: in.Agent}
}

func (in *callsIn) query() service.ReportQuery {
	return service.ReportQuery{From: in.From, To: in.To, TZ: in.TZ, Queues: in.Queue, Agents: in.Agent}
}

func (in *intervalsIn) query() service.ReportQuery {
	return service.ReportQuery{From: in.From, To: in.To, TZ: in.TZ, Queues: in.Queue, Agents: in.Agent}
}

// callsIn and intervalsIn repeat reportIn's fields: huma reads the
// parameters of a struct's own fields only.
type callsIn struct {
	From    string   `query:"from" maxLength:"40" doc:"the start of the period, RFC 3339 (inclusive); a caller's stay belongs to the period it joined in"`
	To      string   `query:"to" maxLength:"40" doc:"the end of the period, RFC 3339 (exclusive)"`
	TZ      string   `query:"tz" maxLength:"64" doc:"the IANA time zone days and hours are read in; default UTC"`
	Queue   []string `query:"queue,explode" maxItems:"200" doc:"only these queues (repeat the parameter); none: every queue the caller may see"`
	Agent   []string `query:"agent,explode" maxItems:"500" doc:"only these agents (repeat the parameter)"`
	Outcome string   `query:"outcome" maxLength:"32" doc:"answered, abandoned, short_abandoned, callback_requested, timed_out, exited, server_stopped, waiting, missed or answered_within_threshold; none: every stay"`
	Limit   int      `query:"limit" minimum:"0" maximum:"100000" doc:"at most this many (default and most: 100000)"`
}

type intervalsIn struct {
	From  string   `query:"from" maxLength:"40" doc:"the start of the period, RFC 3339 (inclusive); a caller's stay belongs to the period it joined in"`
	To    string   `query:"to" maxLength:"40" doc:"the end of the period, RFC 3339 (exclusive)"`
	TZ    string   `query:"tz" maxLength:"64" doc:"the IANA time zone days and hours are read in; default UTC"`
	Queue []string `query:"queue,explode" maxItems:"200" doc:"only these queues (repeat the parameter); none: every queue the caller may see"`
	Agent []string `query:"agent,explode" maxItems:"500" doc:"only these agents (repeat the parameter)"`
	Limit int      `query:"limit" minimum:"0" maximum:"100000" doc:"at most this many (default and most: 100000)"`
}

type queueCallersOut struct{ Body report.QueueCallers }

type callsOut struct {
	Body struct {
		Calls []report.Stint `json:"calls"`
		More  bool           `json:"more" doc:"the list was cut at limit"`
	}
}

type agentPerformanceOut struct{ Body report.AgentPerformance }

type intervalsOut struct {
	Body struct {
		Intervals []report.Interval `json:"intervals"`
		More      bool              `json:"more" doc:"the list was cut at limit"`
	}
}

type conversationsOut struct{ Body report.Conversations }

// reportFail reports a bad parameter of a report by its query name.
func (s *Server) reportFail(ctx context.Context, err error) error {
	var se *service.Error
	if errors.As(err, &se) && se.Kind == service.Invalid {
		return invalidParam("query", se.Field, se.Msg)
	}
	return s.fail(ctx, err)
}

func (s *Server) registerReports() {
	huma.Register(s.api, op("report-queue-callers", http.MethodGet, "/reports/queue-callers", "The queue-caller report: totals, per queue, per day, the week's hours, waits and outcomes (supervisors, administrators)", http.StatusOK, false, "reports"),
		func(ctx context.Context, in *reportIn) (*queueCallersOut, error) {
			r, err := s.svc.QueueCallersReport(ctx, actorOf(ctx), in.query())
			if err != nil {
				return nil, s.reportFail(ctx, err)
			}
			return &queueCallersOut{Body: r}, nil
		})
	huma.Register(s.api, op("report-queue-callers-calls", http.MethodGet, "/reports/queue-callers/calls", "The callers' stays behind a count of the queue-caller report, by outcome", http.StatusOK, false, "reports"),
		func(ctx context.Context, in *callsIn) (*callsOut, error) {
			list, more, err := s.svc.ReportCalls(ctx, actorOf(ctx), in.query(), in.Outcome, in.Limit)
			if err != nil {
				return nil, s.reportFail(ctx, err)
			}
			out := &callsOut{}
			out.Body.Calls, out.Body.More = list, more
			return out, nil
		})
	huma.Register(s.api, op("report-agent-performance", http.MethodGet, "/reports/agent-performance", "The agent-performance report: time in each state, offers, answers, handle time, occupancy (supervisors, administrators)", http.StatusOK, false, "reports"),
		func(ctx context.Context, in *reportIn) (*agentPerformanceOut, error) {
			r, err := s.svc.AgentPerformanceReport(ctx, actorOf(ctx), in.query())
			if err != nil {
				return nil, s.reportFail(ctx, err)
			}
			return &agentPerformanceOut{Body: r}, nil
		})
	huma.Register(s.api, op("report-agent-intervals", http.MethodGet, "/reports/agent-performance/intervals", "The agents' state intervals behind the agent-performance report, clipped to the period", http.StatusOK, false, "reports"),
		func(ctx context.Context, in *intervalsIn) (*intervalsOut, error) {
			list, more, err := s.svc.ReportIntervals(ctx, actorOf(ctx), in.query(), in.Limit)
			if err != nil {
				return nil, s.reportFail(ctx, err)
			}
			out := &intervalsOut{}
			out.Body.Intervals, out.Body.More = list, more
			return out, nil
		})
	huma.Register(s.api, op("report-conversations", http.MethodGet, "/reports/conversations", "The resolved-conversations report (chat queues; zeros until there are any)", http.StatusOK, false, "reports"),
		func(ctx context.Context, in *reportIn) (*conversationsOut, error) {
			r, err := s.svc.ConversationsReport(ctx, actorOf(ctx), in.query())
			if err != nil {
				return nil, s.reportFail(ctx, err)
			}
			return &conversationsOut{Body: r}, nil
		})
	huma.Register(s.api, op("report-rebuild", http.MethodPost, "/reports/rebuild", "Drop the reports' projections and build them again from the whole event log (administrators); answers once done", http.StatusNoContent, false, "reports"),
		func(ctx context.Context, _ *struct{}) (*struct{}, error) {
			if err := s.svc.RebuildReports(ctx, actorOf(ctx)); err != nil {
				return nil, s.fail(ctx, err)
			}
			return nil, nil
		})
}
