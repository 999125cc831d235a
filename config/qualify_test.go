package config

import (
	"strings"
	"testing"
	"time"
)

// TestQualifySettings: the keep-alive is on with sane defaults, its
// fields are checked at their line, and it can be turned off.
func TestQualifySettings(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		on         bool
		interval   time.Duration
		timeout    time.Duration
		failures   int
		says       string
	}{
		{name: "defaults", yaml: "max_steps: 100\n", on: true, interval: 30 * time.Second, timeout: 5 * time.Second, failures: 2},
		{name: "short interval halves the timeout", yaml: "sip:\n  qualify: {interval: 2s}\n", on: true, interval: 2 * time.Second, timeout: time.Second, failures: 2},
		{name: "set", yaml: "sip:\n  qualify: {interval: 500ms, timeout: 300ms, failures: 3}\n", on: true, interval: 500 * time.Millisecond, timeout: 300 * time.Millisecond, failures: 3},
		{name: "off", yaml: "sip:\n  qualify: {enabled: false}\n", on: false, interval: 30 * time.Second, timeout: 5 * time.Second, failures: 2},
		{name: "timeout too long", yaml: "sip:\n  qualify:\n    interval: 10s\n    timeout: 10s\n", says: "x.yaml:3: sip.qualify.timeout 10s is not shorter than interval 10s"},
		{name: "failures", yaml: "sip:\n  qualify: {failures: 11}\n", says: "x.yaml:2: sip.qualify.failures 11: want 1 to 10"},
		{name: "zero", yaml: "sip:\n  qualify: {interval: 0}\n", says: `"0" must be positive`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse("x.yaml", []byte(tc.yaml))
			if tc.says != "" {
				if err == nil || !strings.Contains(err.Error(), tc.says) {
					t.Fatalf("got %v; want it to say %q", err, tc.says)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			q := c.SIP.Qualify
			if q.On() != tc.on || q.Interval.D() != tc.interval || q.Timeout.D() != tc.timeout || q.Failures != tc.failures {
				t.Fatalf("got on=%v interval=%v timeout=%v failures=%d", q.On(), q.Interval.D(), q.Timeout.D(), q.Failures)
			}
		})
	}
}
