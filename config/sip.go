package config

import (
	"net/netip"
	"strings"
	"time"
)

// SIP bounds what SIP clients may hold of the server: TCP connections and
// the rate of messages from one source; and says whose SIP is traced.
type SIP struct {
	TCP       TCPLimits `yaml:"tcp"`
	RateLimit RateLimit `yaml:"rate_limit"`
	Trace     Trace     `yaml:"trace"`
	// Qualify asks registered phones with OPTIONS whether they are there.
	Qualify Qualify `yaml:"qualify"`
	// AllowCallsFrom are the networks that may call in besides trunks
	// and registered phones. Unset, loopback.
	AllowCallsFrom []string `yaml:"allow_calls_from"`
	// DNSServers resolve trunks' host names instead of /etc/resolv.conf's.
	DNSServers []string `yaml:"dns_servers"`
	Line       Line
}

// Trace writes every SIP message to and from some peers to the log, for
// an administrator to follow a phone's SIP on a live server; it is
// reloaded on SIGHUP.
type Trace struct {
	// Sources are prefixes of peer addresses (a phone: 192.0.2.10/32).
	Sources []string `yaml:"sources"`
	// Users are agent ids or numbers, matched against the user of a
	// message's From or To URI.
	Users []string `yaml:"users"`
	Line  Line
}

// SourcePrefixes are the trace's sources, parsed (validated at load).
func (t Trace) SourcePrefixes() []netip.Prefix {
	var out []netip.Prefix
	for _, cidr := range t.Sources {
		if p, err := netip.ParsePrefix(cidr); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// TCPLimits bound SIP TCP connections.
type TCPLimits struct {
	// MaxConnections caps connections in total, MaxPerSource those from
	// one address; past either, a new connection is closed at once.
	MaxConnections int `yaml:"max_connections"`
	MaxPerSource   int `yaml:"max_connections_per_source"`
	// IdleTimeout closes a quiet connection, unless a phone registered
	// through it or a call is up over it.
	IdleTimeout Duration `yaml:"idle_timeout"`
	// MessageTimeout is how long a message may take from its first byte
	// to its last, and a new connection to send its first.
	MessageTimeout Duration `yaml:"message_timeout"`
	Line           Line
}

// RateLimit caps SIP messages per source address (per /64 for IPv6).
type RateLimit struct {
	// PerSecond is the sustained rate; 0 turns the limit off. Unset, it
	// is 100.
	PerSecond *int `yaml:"per_second"`
	Burst     int  `yaml:"burst"`
	// Exempt are prefixes never limited, besides the trunks' inbound_from.
	Exempt []string `yaml:"exempt"`
	Line   Line
}

// SIP defaults: a few phones' worth of messages per address, connections
// enough for an office behind one NAT address, and timeouts that close
// what an attacker leaves open while keeping what phones use.
const (
	defaultRatePerSecond  = 100
	defaultMaxConnections = 1024
	defaultMaxPerSource   = 64
	defaultIdleTimeout    = 2 * time.Minute
	defaultMessageTimeout = 10 * time.Second
)

func (s *SIP) applyDefaults() {
	s.applyAdmissionDefaults()
	s.Qualify.applyDefaults()
	if s.RateLimit.PerSecond == nil {
		n := defaultRatePerSecond
		s.RateLimit.PerSecond = &n
	}
	if s.RateLimit.Burst == 0 && *s.RateLimit.PerSecond > 0 {
		s.RateLimit.Burst = 2 * *s.RateLimit.PerSecond
	}
	t := &s.TCP
	if t.MaxConnections == 0 {
		t.MaxConnections = defaultMaxConnections
	}
	if t.MaxPerSource == 0 {
		t.MaxPerSource = defaultMaxPerSource
	}
	if t.IdleTimeout == 0 {
		t.IdleTimeout = Duration(defaultIdleTimeout)
	}
	if t.MessageTimeout == 0 {
		t.MessageTimeout = Duration(defaultMessageTimeout)
	}
}

func (s *SIP) validate(file string, errs *Errors) {
	s.validateAdmission(file, errs)
	s.Qualify.validate(file, errs)
	s.validateDNS(file, errs)
	r := &s.RateLimit
	if *r.PerSecond < 0 {
		errs.Add(file, int(r.Line), "sip.rate_limit.per_second: %d: want 0 (no limit) or more", *r.PerSecond)
	}
	if r.Burst < 0 {
		errs.Add(file, int(r.Line), "sip.rate_limit.burst: %d: want a positive number", r.Burst)
	}
	for _, cidr := range r.Exempt {
		if _, err := netip.ParsePrefix(cidr); err != nil {
			errs.Add(file, int(r.Line), "sip.rate_limit.exempt: %q: want a prefix like 192.0.2.0/24", cidr)
		}
	}
	tr := &s.Trace
	for _, cidr := range tr.Sources {
		if _, err := netip.ParsePrefix(cidr); err != nil {
			errs.Add(file, int(tr.Line), "sip.trace.sources: %q: want a prefix like 192.0.2.10/32", cidr)
		}
	}
	for _, u := range tr.Users {
		if u == "" || strings.ContainsAny(u, " \t@:;<>") {
			errs.Add(file, int(tr.Line), "sip.trace.users: %q: want the user part of a SIP URI, like an agent's id \"1001\"", u)
		}
	}
	t := &s.TCP
	if t.MaxConnections < 0 {
		errs.Add(file, int(t.Line), "sip.tcp.max_connections: %d: want a positive number", t.MaxConnections)
	}
	if t.MaxPerSource < 0 {
		errs.Add(file, int(t.Line), "sip.tcp.max_connections_per_source: %d: want a positive number", t.MaxPerSource)
	}
	if t.MaxPerSource > t.MaxConnections && t.MaxConnections > 0 {
		errs.Add(file, int(t.Line), "sip.tcp.max_connections_per_source (%d) is more than max_connections (%d)", t.MaxPerSource, t.MaxConnections)
	}
}

// ExemptPrefixes are the rate limit's exempt sources, parsed (validated
// at load).
func (r RateLimit) ExemptPrefixes() []netip.Prefix {
	var out []netip.Prefix
	for _, cidr := range r.Exempt {
		if p, err := netip.ParsePrefix(cidr); err == nil {
			out = append(out, p)
		}
	}
	return out
}
