package config

import (
	"net"
	"strings"
	"time"
)

// HTTPLimits bound what HTTP clients may hold of the server: connections,
// how long a request may take to arrive and a connection stay idle, and
// how many live streams one user may keep open. The connection caps are
// lowered at start to what the descriptor limit leaves beside the calls.
type HTTPLimits struct {
	// MaxConnections caps connections in total, MaxPerSource those from
	// one address; past either, a new connection is closed at once.
	MaxConnections int `yaml:"max_connections"`
	MaxPerSource   int `yaml:"max_connections_per_source"`
	// ReadTimeout is how long a request, headers and body, may take to
	// arrive; live streams are exempt once they start.
	ReadTimeout Duration `yaml:"read_timeout"`
	// IdleTimeout closes a keep-alive connection with no request.
	IdleTimeout Duration `yaml:"idle_timeout"`
	// StreamsPerUser caps the live streams (the API's event stream and
	// the consoles' live pages) one user may hold open at once.
	StreamsPerUser int `yaml:"streams_per_user"`
	Line           Line
}

// HTTP defaults: enough connections for a large centre's consoles (a
// browser holds a few per user), per address enough for an office behind
// one NAT address, and timeouts well above a form's or an API call's.
const (
	defaultHTTPMaxConnections = 1024
	defaultHTTPMaxPerSource   = 256
	defaultHTTPReadTimeout    = 30 * time.Second
	defaultHTTPIdleTimeout    = 2 * time.Minute
	defaultStreamsPerUser     = 8
)

func (l *HTTPLimits) applyDefaults() {
	if l.MaxConnections == 0 {
		l.MaxConnections = defaultHTTPMaxConnections
	}
	if l.MaxPerSource == 0 {
		l.MaxPerSource = defaultHTTPMaxPerSource
	}
	if l.ReadTimeout == 0 {
		l.ReadTimeout = Duration(defaultHTTPReadTimeout)
	}
	if l.IdleTimeout == 0 {
		l.IdleTimeout = Duration(defaultHTTPIdleTimeout)
	}
	if l.StreamsPerUser == 0 {
		l.StreamsPerUser = defaultStreamsPerUser
	}
}

func (l *HTTPLimits) validate(file string, errs *Errors) {
	for _, n := range []struct {
		name string
		v    int
	}{{"max_connections", l.MaxConnections}, {"max_connections_per_source", l.MaxPerSource}, {"streams_per_user", l.StreamsPerUser}} {
		if n.v < 0 {
			errs.Add(file, int(l.Line), "server.http_limits.%s: %d: want a positive number", n.name, n.v)
		}
	}
	for _, d := range []struct {
		name string
		v    Duration
	}{{"read_timeout", l.ReadTimeout}, {"idle_timeout", l.IdleTimeout}} {
		if d.v < 0 {
			errs.Add(file, int(l.Line), "server.http_limits.%s: %v: want a positive duration", d.name, d.v.D())
		}
	}
}

// loopbackHosts are the names the HTTP server answers to whatever
// http_hosts says: a browser on the server's own machine.
var loopbackHosts = []string{"127.0.0.1", "localhost", "::1"}

// HTTPHostNames are the host names (without port) the HTTP server
// answers to: loopback's, the listening address's when it is one, and
// http_hosts. Any other Host is refused, so that a page whose name an
// attacker points at the server (DNS rebinding) cannot read it.
func (s Server) HTTPHostNames() []string {
	names := append([]string(nil), loopbackHosts...)
	if host, _, err := net.SplitHostPort(s.HTTP); err == nil {
		if ip := net.ParseIP(host); ip != nil && !ip.IsUnspecified() {
			names = append(names, host)
		}
	}
	for _, h := range s.HTTPHosts {
		names = append(names, strings.ToLower(strings.Trim(h, "[]")))
	}
	return names
}

func validateHTTPHosts(s *Server, file string, errs *Errors) {
	for _, h := range s.HTTPHosts {
		if h == "" || strings.ContainsAny(h, "/ \t@") || strings.Count(h, ":") == 1 {
			errs.Add(file, int(s.Line), "server.http_hosts: %q: want a host name or address without port or scheme, like acd.example.com", h)
		}
	}
}
