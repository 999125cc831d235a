package report

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// QueueSettings are a queue's settings that figures depend on.
type QueueSettings struct {
	// Threshold is the service level's: answered within it counts as met.
	Threshold time.Duration
	// Target is the share of callers to answer within Threshold (0.8);
	// Erlang C sizes the hours for it.
	Target float64
	// ShortAbandon: callers who hang up having waited less are short
	// abandons, left out of the service level and abandon rate; 0: off.
	ShortAbandon time.Duration
}

// Defaults of a queue's service level: the "80/20" most centres use.
const (
	DefaultThreshold = 20 * time.Second
	DefaultTarget    = 0.8
)

// Options configure Reports.
type Options struct {
	// Projector brings the projections up to the log before each report.
	Projector *Projector
	// DB reads the projections: the log's read-only connections, so that
	// a report never holds up the writer.
	DB *sql.DB
	// Settings gives a queue's settings (the running configuration's);
	// nil or a zero Threshold: the defaults.
	Settings func(queue string) QueueSettings
	// Names gives an agent's display name.
	Names func(agent string) string
	// AgentsNeeded is Erlang C: the agents an hour with that arrival
	// rate and handle time needs to answer target of its callers within
	// threshold seconds. Nil leaves the hours' agents_needed null.
	AgentsNeeded func(callsPerHour, ahtSeconds, thresholdSeconds, target float64) int
	// Now is the time open intervals run to (default time.Now).
	Now func() time.Time
}

// Reports makes the reports from the projections.
type Reports struct {
	o Options
}

// New builds Reports.
func New(o Options) *Reports {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Names == nil {
		o.Names = func(string) string { return "" }
	}
	return &Reports{o: o}
}

// FilterError is a filter a report cannot be made for; Field names the
// parameter at fault.
type FilterError struct {
	Field, Msg string
}

func (e *FilterError) Error() string { return e.Field + ": " + e.Msg }

// MaxPeriod bounds a report's period: a little over a year.
const MaxPeriod = 400 * 24 * time.Hour

// check validates a filter and fills in its defaults.
func (f *Filter) check() error {
	switch {
	case f.From.IsZero():
		return &FilterError{"from", "missing: the start of the period, RFC 3339"}
	case f.To.IsZero():
		return &FilterError{"to", "missing: the end of the period (exclusive), RFC 3339"}
	case !f.To.After(f.From):
		return &FilterError{"to", "must be after from"}
	case f.To.Sub(f.From) > MaxPeriod:
		return &FilterError{"to", fmt.Sprintf("the period may be at most %d days", int(MaxPeriod.Hours()/24))}
	}
	if f.Location == nil {
		f.Location = time.UTC
	}
	return nil
}

// settings is a queue's settings with the defaults filled in.
func (r *Reports) settings(queue string) QueueSettings {
	var s QueueSettings
	if r.o.Settings != nil {
		s = r.o.Settings(queue)
	}
	if s.Threshold <= 0 {
		s.Threshold = DefaultThreshold
	}
	if s.Target <= 0 || s.Target > 1 {
		s.Target = DefaultTarget
	}
	return s
}

// prepare checks the filter and brings the projections up to the log.
func (r *Reports) prepare(ctx context.Context, f *Filter) error {
	if err := f.check(); err != nil {
		return err
	}
	if r.o.Projector != nil {
		if err := r.o.Projector.Sync(ctx); err != nil {
			return fmt.Errorf("bringing the reports up to the event log: %w", err)
		}
	}
	return nil
}

// in adds "AND col IN (?, …)" for a non-empty list.
func in(q string, args []any, col string, list []string) (string, []any) {
	if len(list) == 0 {
		return q, args
	}
	q += " AND " + col + " IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(list)), ", ") + ")"
	for _, v := range list {
		args = append(args, v)
	}
	return q, args
}

// ratio is a/b, null when b is 0 (as the established systems report an
// empty denominator).
func ratio(a, b float64) *float64 {
	if b == 0 {
		return nil
	}
	v := a / b
	return &v
}

func ptr[T any](v T) *T { return &v }

// IsFilterError says whether err is a bad filter, and which field.
func IsFilterError(err error) (*FilterError, bool) {
	var fe *FilterError
	ok := errors.As(err, &fe)
	return fe, ok
}

// Rebuild drops the projections and builds them again from the whole
// log (Projector.Rebuild).
func (r *Reports) Rebuild(ctx context.Context) error {
	if r.o.Projector == nil {
		return errors.New("rebuilding the reports: no projector")
	}
	return r.o.Projector.Rebuild(ctx)
}
