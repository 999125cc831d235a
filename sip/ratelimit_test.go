package sip

import (
	"net/netip"
	"testing"
	"time"
)

func TestSourceLimiter(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	l := newSourceLimiter(RateLimit{PerSecond: 10, Burst: 5, Exempt: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}},
		nil, func() time.Time { return now })
	take := func(addr string, n int) int {
		ok := 0
		for range n {
			if l.allow(netip.MustParseAddr(addr)) {
				ok++
			}
		}
		return ok
	}
	tests := []struct {
		name    string
		advance time.Duration
		addr    string
		send    int
		want    int
	}{
		{"a burst is let through", 0, "198.51.100.1", 8, 5},
		{"then nothing until it refills", 0, "198.51.100.1", 3, 0},
		{"a tenth of a second refills one", 100 * time.Millisecond, "198.51.100.1", 3, 1},
		{"other sources have their own bucket", 0, "198.51.100.2", 8, 5},
		{"an IPv4-mapped address is the same source", 0, "::ffff:198.51.100.2", 1, 0},
		{"exempt sources are never limited", 0, "192.0.2.7", 100, 100},
		{"IPv6 counts per /64", 0, "2001:db8::1", 3, 3},
		{"the same /64 shares the bucket", 0, "2001:db8::ffff:2", 3, 2},
		{"a long quiet refills to the burst only", time.Hour, "198.51.100.1", 8, 5},
	}
	for _, tc := range tests {
		now = now.Add(tc.advance)
		if got := take(tc.addr, tc.send); got != tc.want {
			t.Fatalf("%s: %d of %d let through, want %d", tc.name, got, tc.send, tc.want)
		}
	}
	if len(l.buckets) > 3 {
		t.Fatalf("%d sources remembered after an hour, want the quiet ones forgotten", len(l.buckets))
	}
	var off *sourceLimiter
	if !off.allow(netip.MustParseAddr("198.51.100.1")) || !newSourceLimiter(RateLimit{}, nil, time.Now).allow(netip.MustParseAddr("198.51.100.1")) {
		t.Fatal("no limit configured, yet a message was refused")
	}
}
