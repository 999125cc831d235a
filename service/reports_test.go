package service

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/acdserver/acd/directory"
	"github.com/acdserver/acd/report"
)

// fakeReports records the filter each report was asked for.
type fakeReports struct {
	got report.Filter
}

func (f *fakeReports) QueueCallers(_ context.Context, fl report.Filter) (report.QueueCallers, error) {
	f.got = fl
	return report.QueueCallers{}, nil
}
func (f *fakeReports) Calls(_ context.Context, fl report.Filter, outcome string, _ int) ([]report.Stint, bool, error) {
	f.got = fl
	if outcome == "lost" {
		return nil, false, &report.FilterError{Field: "outcome", Msg: "unknown"}
	}
	return nil, false, nil
}
func (f *fakeReports) AgentPerformance(_ context.Context, fl report.Filter) (report.AgentPerformance, error) {
	f.got = fl
	return report.AgentPerformance{}, nil
}
func (f *fakeReports) Intervals(_ context.Context, fl report.Filter, _ int) ([]report.Interval, bool, error) {
	f.got = fl
	return nil, false, nil
}
func (f *fakeReports) Conversations(_ context.Context, fl report.Filter) (report.Conversations, error) {
	f.got = fl
	return report.Conversations{}, nil
}
func (f *fakeReports) Rebuild(context.Context) error { return nil }

func TestReportPermissions(t *testing.T) {
	s, _, _ := newTestService(t)
	fr := &fakeReports{}
	s.reports = fr
	admin := &Actor{UserID: "root", Role: directory.Administrator}
	sup := &Actor{UserID: "sup", Role: directory.Supervisor, Queues: map[string]bool{"support": true}}
	rsup := &Actor{UserID: "rsup", Role: directory.Supervisor, Queues: map[string]bool{"support": true}, Restricted: true}
	none := &Actor{UserID: "nsup", Role: directory.Supervisor, Queues: map[string]bool{}, Restricted: true}
	agent := &Actor{UserID: "1001", Role: directory.Agent, Queues: map[string]bool{"support": true}}
	day := ReportQuery{From: "2026-11-24T00:00:00Z", To: "2026-11-25T00:00:00Z"}
	with := func(f func(q *ReportQuery)) ReportQuery { q := day; f(&q); return q }
	tests := []struct {
		name       string
		actor      *Actor
		q          ReportQuery
		kind       Kind
		field      string
		wantQueues []string
	}{
		{"administrator: all queues", admin, day, 0, "", nil},
		{"supervisor: all queues", sup, day, 0, "", nil},
		{"restricted supervisor: narrowed to its queues", rsup, day, 0, "", []string{"support"}},
		{"restricted supervisor: its queue", rsup, with(func(q *ReportQuery) { q.Queues = []string{"support", "support"} }), 0, "", []string{"support"}},
		{"restricted supervisor: another queue", rsup, with(func(q *ReportQuery) { q.Queues = []string{"sales"} }), Forbidden, "", nil},
		{"restricted supervisor: another queue's agent", rsup, with(func(q *ReportQuery) { q.Agents = []string{"1002"} }), Forbidden, "", nil},
		{"restricted supervisor: its agent", rsup, with(func(q *ReportQuery) { q.Agents = []string{"1001"} }), 0, "", []string{"support"}},
		{"restricted supervisor without queues", none, day, Forbidden, "", nil},
		{"agent", agent, day, Forbidden, "", nil},
		{"nobody", nil, day, Unauthenticated, "", nil},
		{"bad from", admin, with(func(q *ReportQuery) { q.From = "yesterday" }), Invalid, "from", nil},
		{"missing to", admin, with(func(q *ReportQuery) { q.To = "" }), Invalid, "to", nil},
		{"bad tz", admin, with(func(q *ReportQuery) { q.TZ = "Mars/Olympus" }), Invalid, "tz", nil},
		{"tz as a path", admin, with(func(q *ReportQuery) { q.TZ = "../../etc/passwd" }), Invalid, "tz", nil},
	}
	ctx := context.Background()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fr.got = report.Filter{}
			calls := []func() error{
				func() error { _, err := s.QueueCallersReport(ctx, tc.actor, tc.q); return err },
				func() error { _, _, err := s.ReportCalls(ctx, tc.actor, tc.q, "", 0); return err },
				func() error { _, err := s.AgentPerformanceReport(ctx, tc.actor, tc.q); return err },
				func() error { _, _, err := s.ReportIntervals(ctx, tc.actor, tc.q, 0); return err },
				func() error { _, err := s.ConversationsReport(ctx, tc.actor, tc.q); return err },
			}
			for i, call := range calls {
				err := call()
				if kindOf(err) != tc.kind {
					t.Fatalf("report %d: %v, want kind %d", i, err, tc.kind)
				}
				if tc.field != "" {
					if e := err.(*Error); e.Field != tc.field {
						t.Fatalf("report %d: field %q, want %q", i, e.Field, tc.field)
					}
				}
				if tc.kind == 0 && !slices.Equal(fr.got.Queues, tc.wantQueues) {
					t.Fatalf("report %d: queues %v, want %v", i, fr.got.Queues, tc.wantQueues)
				}
			}
		})
	}
	// The report's own refusals name their field.
	if _, _, err := s.ReportCalls(ctx, admin, day, "lost", 0); kindOf(err) != Invalid || err.(*Error).Field != "outcome" {
		t.Errorf("unknown outcome: %v", err)
	}
	q := with(func(q *ReportQuery) { q.TZ = "Europe/Paris" })
	if _, err := s.QueueCallersReport(ctx, admin, q); err != nil || fr.got.Location.String() != "Europe/Paris" || !fr.got.From.Equal(time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("tz: %v %v %v", err, fr.got.Location, fr.got.From)
	}
	if err := s.RebuildReports(ctx, sup); kindOf(err) != Forbidden {
		t.Errorf("a supervisor rebuilt the reports: %v", err)
	}
	if err := s.RebuildReports(ctx, admin); err != nil {
		t.Errorf("rebuild: %v", err)
	}
}
