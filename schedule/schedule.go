// Package schedule decides whether a weekly timetable with holidays is open
// at a moment, in the timetable's own time zone.
package schedule

import (
	"fmt"
	"sort"
	"strings"
	"time"

	_ "time/tzdata" // zones must resolve on hosts without a zoneinfo database
)

// Spec is a schedule as written in the configuration.
type Spec struct {
	Timezone string            `yaml:"timezone"`
	Hours    map[string]string `yaml:"hours"`
	Holidays []string          `yaml:"holidays"`
}

// span is an open interval within a day, in minutes from midnight.
type span struct{ from, to int }

// Schedule is a compiled Spec.
type Schedule struct {
	loc      *time.Location
	week     [7][]span // by time.Weekday
	holidays map[string]bool
}

var dayNames = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// Compile checks a Spec and returns every problem found.
func Compile(s Spec) (*Schedule, []error) {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	out := &Schedule{holidays: map[string]bool{}}
	if s.Timezone == "" {
		fail("timezone is missing: give an IANA zone like America/New_York or UTC")
	} else if loc, err := time.LoadLocation(s.Timezone); err != nil {
		fail("timezone %q is not an IANA zone name like America/New_York", s.Timezone)
	} else {
		out.loc = loc
	}
	if len(s.Hours) == 0 {
		fail("hours is empty: the schedule would never be open")
	}
	keys := make([]string, 0, len(s.Hours))
	for k := range s.Hours {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, days := range keys {
		wd, err := parseDays(days)
		if err != nil {
			fail("hours: %v", err)
			continue
		}
		spans, err := parseSpans(s.Hours[days])
		if err != nil {
			fail("hours %s: %v", days, err)
			continue
		}
		for _, d := range wd {
			out.week[d] = append(out.week[d], spans...)
		}
	}
	for _, h := range s.Holidays {
		if _, err := time.Parse(time.DateOnly, h); err != nil {
			fail("holiday %q: want a date like 2026-12-25", h)
			continue
		}
		out.holidays[h] = true
	}
	return out, errs
}

// parseDays reads "mon-fri", "sat", "mon,wed,fri" or "sat-sun".
func parseDays(s string) ([]time.Weekday, error) {
	var out []time.Weekday
	for _, part := range strings.Split(strings.ToLower(s), ",") {
		part = strings.TrimSpace(part)
		from, to, isRange := strings.Cut(part, "-")
		a, ok1 := dayNames[from]
		b, ok2 := dayNames[to]
		if !isRange {
			b, ok2 = a, ok1
		}
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("%q: want days like mon-fri, sat or mon,wed (sun mon tue wed thu fri sat)", s)
		}
		for d := a; ; d = (d + 1) % 7 {
			out = append(out, d)
			if d == b {
				break
			}
		}
	}
	return out, nil
}

// parseSpans reads "09:00-17:00" or "09:00-12:00, 13:00-17:30".
func parseSpans(s string) ([]span, error) {
	var out []span
	for _, part := range strings.Split(s, ",") {
		from, to, ok := strings.Cut(strings.TrimSpace(part), "-")
		a, err1 := parseClock(from)
		b, err2 := parseClock(to)
		if !ok || err1 != nil || err2 != nil {
			return nil, fmt.Errorf("%q: want opening hours like 09:00-17:00", s)
		}
		if b <= a {
			return nil, fmt.Errorf("%q: closing time must be after opening time (use 24:00 for midnight)", s)
		}
		out = append(out, span{a, b})
	}
	return out, nil
}

func parseClock(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "24:00" {
		return 24 * 60, nil
	}
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, err
	}
	return t.Hour()*60 + t.Minute(), nil
}

// Open reports whether the schedule is open at t.
func (s *Schedule) Open(t time.Time) bool {
	local := t.In(s.loc)
	if s.holidays[local.Format(time.DateOnly)] {
		return false
	}
	m := local.Hour()*60 + local.Minute()
	for _, sp := range s.week[local.Weekday()] {
		if m >= sp.from && m < sp.to {
			return true
		}
	}
	return false
}
