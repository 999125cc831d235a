package config

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestHTTPLimits(t *testing.T) {
	d, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	l := d.Server.HTTPLimits
	if l.MaxConnections != 1024 || l.MaxPerSource != 256 || l.ReadTimeout.D() != 30*time.Second || l.IdleTimeout.D() != 2*time.Minute || l.StreamsPerUser != 8 {
		t.Fatalf("defaults: %+v", l)
	}
	if got := d.Server.HTTPHostNames(); !slices.Equal(got, []string{"127.0.0.1", "localhost", "::1", "127.0.0.1"}) {
		t.Fatalf("host names by default: %v", got)
	}
	c, err := Parse("t.yaml", []byte("server:\n  http: 0.0.0.0:8080\n  plain_http_beyond_loopback: true\n  http_hosts: [ACD.example.com, \"[2001:db8::1]\"]\n  http_limits: {idle_timeout: 5s, streams_per_user: 2}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Server.HTTPHostNames(); !slices.Equal(got, []string{"127.0.0.1", "localhost", "::1", "acd.example.com", "2001:db8::1"}) {
		t.Fatalf("host names: %v; want loopback's and http_hosts, not the wildcard", got)
	}
	if c.Server.HTTPLimits.IdleTimeout.D() != 5*time.Second || c.Server.HTTPLimits.StreamsPerUser != 2 || c.Server.HTTPLimits.MaxConnections != 1024 {
		t.Fatalf("read as %+v", c.Server.HTTPLimits)
	}
	_, err = Parse("t.yaml", []byte("server:\n  http_hosts: [\"acd.example.com:8080\", \"https://acd.example.com\"]\n  http_limits:\n    max_connections: -1\n    streams_per_user: -2\n    wait: 1s\n"))
	for _, want := range []string{
		`t.yaml:2: server.http_hosts: "acd.example.com:8080": want a host name`,
		`server.http_hosts: "https://acd.example.com"`,
		`t.yaml:4: server.http_limits.max_connections: -1: want a positive number`,
		`server.http_limits.streams_per_user: -2`,
		`server.http_limits: unknown field "wait"`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("errors lack %q:\n%v", want, err)
		}
	}
}
