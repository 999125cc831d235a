package schedule

import (
	"strings"
	"testing"
	"time"
)

func TestOpen(t *testing.T) {
	s, errs := Compile(Spec{
		Timezone: "America/New_York",
		Hours:    map[string]string{"mon-fri": "09:00-17:00", "sat": "10:00-13:00", "sun": "22:00-24:00"},
		Holidays: []string{"2026-12-25"},
	})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	tests := []struct {
		at   string // UTC
		open bool
	}{
		{"2026-11-24T14:00:00Z", true},  // Tue 09:00 EST
		{"2026-11-24T13:59:00Z", false}, // Tue 08:59 EST
		{"2026-11-24T21:59:00Z", true},  // Tue 16:59 EST
		{"2026-11-24T22:00:00Z", false}, // Tue 17:00 EST: closing time is exclusive
		{"2026-11-28T15:30:00Z", true},  // Sat 10:30 EST
		{"2026-11-28T18:00:00Z", false}, // Sat 13:00 EST
		{"2026-12-25T15:00:00Z", false}, // Fri 10:00 EST, a holiday
		{"2026-11-30T04:59:00Z", true},  // Sun 23:59 EST
		// DST: on Mon 2026-03-09 New York is on EDT (UTC-4), 09:00 local is 13:00Z.
		{"2026-03-09T13:00:00Z", true},
		{"2026-03-06T13:00:00Z", false}, // Fri before the change: 08:00 EST
		// The holiday is a local date: 2026-12-25 00:30 EST is still 05:30Z.
		{"2026-12-26T04:30:00Z", false},
	}
	for _, tt := range tests {
		at, _ := time.Parse(time.RFC3339, tt.at)
		if got := s.Open(at); got != tt.open {
			t.Errorf("Open(%s = %s local) = %v, want %v", tt.at, at.In(s.loc).Format("Mon 15:04 MST"), got, tt.open)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		spec Spec
		want string
	}{
		{Spec{Hours: map[string]string{"mon": "09:00-10:00"}}, "timezone is missing"},
		{Spec{Timezone: "Mars/Olympus", Hours: map[string]string{"mon": "09:00-10:00"}}, `timezone "Mars/Olympus"`},
		{Spec{Timezone: "UTC"}, "hours is empty"},
		{Spec{Timezone: "UTC", Hours: map[string]string{"mon-fry": "09:00-10:00"}}, `"mon-fry": want days like`},
		{Spec{Timezone: "UTC", Hours: map[string]string{"mon": "9-5"}}, `"9-5": want opening hours like 09:00-17:00`},
		{Spec{Timezone: "UTC", Hours: map[string]string{"mon": "17:00-09:00"}}, "closing time must be after opening time"},
		{Spec{Timezone: "UTC", Hours: map[string]string{"mon": "09:00-10:00"}, Holidays: []string{"25/12/2026"}}, `holiday "25/12/2026"`},
	}
	for _, tt := range tests {
		_, errs := Compile(tt.spec)
		if len(errs) != 1 || !strings.Contains(errs[0].Error(), tt.want) {
			t.Errorf("Compile(%+v) = %v, want one error with %q", tt.spec, errs, tt.want)
		}
	}
}
