package service

import (
	"errors"
	"testing"
	"time"

	"github.com/acdserver/acd/config"
)

// TestCheckCallback: a queue's callback settings refused name the
// setting at fault; settings left out take their defaults, and nothing
// but the syntax is checked while callback is off.
func TestCheckCallback(t *testing.T) {
	on := func(change func(*CallbackSpec)) *CallbackSpec {
		cb := &CallbackSpec{Enabled: true, Threshold: "2m", CallerID: "+14155550100", Trunk: "carrier"}
		change(cb)
		return cb
	}
	cases := []struct {
		name  string
		cb    *CallbackSpec
		field string // "" for accepted
	}{
		{"none", nil, ""},
		{"enabled with the defaults", on(func(*CallbackSpec) {}), ""},
		{"off, settings kept", &CallbackSpec{Threshold: "5m"}, ""},
		{"off, a bad duration", &CallbackSpec{RetryAfter: "soon"}, "callback.retry_after"},
		{"bad threshold", on(func(c *CallbackSpec) { c.Threshold = "soon" }), "callback.threshold"},
		{"zero threshold", on(func(c *CallbackSpec) { c.Threshold = "0s" }), "callback.threshold"},
		{"no threshold", on(func(c *CallbackSpec) { c.Threshold = "" }), "callback.threshold"},
		{"no caller id", on(func(c *CallbackSpec) { c.CallerID = " " }), "callback.caller_id"},
		{"caller id national form", on(func(c *CallbackSpec) { c.CallerID = "(415) 555-0100" }), ""},
		{"caller id not a number", on(func(c *CallbackSpec) { c.CallerID = "abc" }), "callback.caller_id"},
		{"caller id emergency", on(func(c *CallbackSpec) { c.CallerID = "911" }), "callback.caller_id"},
		{"caller id not of the plan", on(func(c *CallbackSpec) { c.CallerID = "+1 000 555 0100" }), "callback.caller_id"},
		{"no such trunk", on(func(c *CallbackSpec) { c.Trunk = "nope" }), "callback.trunk"},
		{"no trunk", on(func(c *CallbackSpec) { c.Trunk = "" }), "callback.trunk"},
		{"negative attempts", on(func(c *CallbackSpec) { c.Attempts = -1 }), "callback.attempts"},
		{"bad dial timeout", on(func(c *CallbackSpec) { c.DialTimeout = "10" + "µs" }), "callback.dial_timeout"},
		{"emergency numbers", on(func(c *CallbackSpec) { c.AllowedNumberTypes = []string{"local", "emergency"} }), "callback.allowed_number_types"},
		{"unknown number type", on(func(c *CallbackSpec) { c.AllowedNumberTypes = []string{"mobile"} }), "callback.allowed_number_types"},
	}
	running, err := config.Parse("t.yaml", []byte("trunks: {carrier: {address: 127.0.0.1:5080}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	s := &Service{running: func() *config.Config { return running }}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := s.checkCallback(c.cb)
			if c.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var se *Error
			if !errors.As(err, &se) || se.Kind != Invalid || se.Field != c.field {
				t.Fatalf("error %v; want an invalid %s", err, c.field)
			}
		})
	}
}

func TestDurationText(t *testing.T) {
	for _, tc := range []struct {
		in   time.Duration
		want string
	}{
		{0, ""},
		{90 * time.Second, "1m30s"},
		{2 * time.Minute, "2m"},
		{time.Hour, "1h"},
		{90 * time.Minute, "1h30m"},
		{time.Hour + 5*time.Second, "1h0m5s"},
		{1500 * time.Millisecond, "1.5s"},
	} {
		got := durationText(config.Duration(tc.in))
		if got != tc.want {
			t.Errorf("durationText(%v) = %q, want %q", tc.in, got, tc.want)
		}
		if tc.in > 0 {
			if back, err := config.ParseDuration(got); err != nil || back != tc.in {
				t.Errorf("%q reads back as %v, %v", got, back, err)
			}
		}
	}
}
