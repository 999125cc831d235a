package api

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/danielgtaylor/huma/v2"

	"github.com/acdserver/acd/report"
)

// maxReportPeriod bounds a report's period: a little over a year, as the
// reports' own check does (report.MaxPeriod), said here too so that a
// refusal names the parameter before any work is done.
const maxReportPeriod = 400 * 24 * time.Hour

// Bounds of the list parameters: names are ids (64 characters at most)
// and a filter naming more queues or agents than a centre has is a
// mistake, not a report.
const (
	maxFilterName  = 64
	maxFilterNames = 500
)

// ParseReportFilter reads the period and narrowing every report takes
// from a query: from and to (RFC 3339, or a date YYYY-MM-DD meaning that
// day's midnight in tz; to is exclusive), tz (an IANA zone, default UTC),
// and queue and agent (repeated, or comma-separated). Every problem is
// reported at once, each naming its parameter, as a 422 the JSON
// endpoints can return as it is.
func ParseReportFilter(q url.Values) (report.Filter, error) {
	var f report.Filter
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, &huma.ErrorDetail{Location: "query." + name, Message: fmt.Sprintf(format, args...)})
	}
	single := func(name string) string {
		vs := q[name]
		if len(vs) > 1 {
			bad(name, "give it once")
		}
		if len(vs) == 0 {
			return ""
		}
		return strings.TrimSpace(vs[0])
	}

	f.Location = time.UTC
	if tz := single("tz"); tz != "" {
		loc, err := loadZone(tz)
		if err != nil {
			bad("tz", "%s", err)
		} else {
			f.Location = loc
		}
	}
	instant := func(name string) time.Time {
		v := single(name)
		if v == "" {
			bad(name, "missing: an RFC 3339 time like 2026-11-24T00:00:00+01:00, or a date like 2026-11-24")
			return time.Time{}
		}
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			return t
		}
		if t, err := time.ParseInLocation(time.DateOnly, v, f.Location); err == nil {
			return t
		}
		bad(name, "%q is neither an RFC 3339 time (2026-11-24T00:00:00Z) nor a date (2026-11-24)", v)
		return time.Time{}
	}
	f.From, f.To = instant("from"), instant("to")
	if !f.From.IsZero() && !f.To.IsZero() {
		switch {
		case !f.To.After(f.From):
			bad("to", "must be after from (the period is [from, to))")
		case f.To.Sub(f.From) > maxReportPeriod:
			bad("to", "the period may be at most %d days", int(maxReportPeriod.Hours()/24))
		}
	}
	var msg string
	if f.Queues, msg = names(q["queue"]); msg != "" {
		bad("queue", "%s", msg)
	}
	if f.Agents, msg = names(q["agent"]); msg != "" {
		bad("agent", "%s", msg)
	}
	if len(errs) > 0 {
		return report.Filter{}, huma.Error422UnprocessableEntity("validation failed", errs...)
	}
	return f, nil
}

// loadZone accepts IANA zone names only: "Local" would be the server's
// own zone, which the reader cannot know, and names are bounded before
// they reach the zone database.
func loadZone(name string) (*time.Location, error) {
	if len(name) > 64 || name == "Local" {
		return nil, fmt.Errorf("%q: want an IANA time zone like Europe/Berlin or UTC", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("%q: unknown time zone: want an IANA name like Europe/Berlin or UTC", name)
	}
	return loc, nil
}

// names reads a list parameter: each value may hold several names
// separated by commas. Duplicates are dropped, the order kept; the
// message says what is wrong, "" when nothing is.
func names(values []string) ([]string, string) {
	var out []string
	for _, v := range values {
		for n := range strings.SplitSeq(v, ",") {
			n = strings.TrimSpace(n)
			switch {
			case n == "":
				return nil, "an empty name"
			case len(n) > maxFilterName:
				return nil, fmt.Sprintf("names are at most %d characters", maxFilterName)
			case strings.ContainsFunc(n, unicode.IsControl):
				return nil, "a name with a control character"
			}
			if !slices.Contains(out, n) {
				out = append(out, n)
			}
			if len(out) > maxFilterNames {
				return nil, fmt.Sprintf("at most %d names", maxFilterNames)
			}
		}
	}
	return out, ""
}
