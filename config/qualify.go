package config

import "time"

// Qualify is how the server asks registered phones whether they are still
// there: an OPTIONS to each contact every Interval, over the transport it
// registered on. A phone that misses Failures in a row is unreachable
// (no call is offered to it) until it answers again or registers anew.
type Qualify struct {
	// Enabled is on unless set to false.
	Enabled  *bool    `yaml:"enabled"`
	Interval Duration `yaml:"interval"`
	// Timeout bounds one OPTIONS; it must be shorter than Interval, so
	// that one contact never has two in flight.
	Timeout  Duration `yaml:"timeout"`
	Failures int      `yaml:"failures"`
	Line     Line
}

// Qualify defaults: a phone that vanished is noticed within about a
// minute, a lost datagram (UDP retransmits within the timeout too) never
// marks one unreachable alone, and a thousand phones cost some 33
// OPTIONS a second.
const (
	defaultQualifyInterval = 30 * time.Second
	defaultQualifyTimeout  = 5 * time.Second
	defaultQualifyFailures = 2
)

// On reports whether phones are qualified.
func (q Qualify) On() bool { return q.Enabled == nil || *q.Enabled }

func (q *Qualify) applyDefaults() {
	if q.Interval == 0 {
		q.Interval = Duration(defaultQualifyInterval)
	}
	if q.Timeout == 0 {
		q.Timeout = Duration(min(defaultQualifyTimeout, q.Interval.D()/2))
	}
	if q.Failures == 0 {
		q.Failures = defaultQualifyFailures
	}
}

func (q *Qualify) validate(file string, errs *Errors) {
	line := int(q.Line)
	if line == 0 {
		line = 1
	}
	if q.Timeout >= q.Interval {
		errs.Add(file, line, "sip.qualify.timeout %v is not shorter than interval %v: an OPTIONS must be answered before the next is due; shorten timeout or lengthen interval",
			q.Timeout.D(), q.Interval.D())
	}
	if q.Failures < 0 || q.Failures > 10 {
		errs.Add(file, line, "sip.qualify.failures %d: want 1 to 10 OPTIONS missed in a row before a phone is unreachable", q.Failures)
	}
}
