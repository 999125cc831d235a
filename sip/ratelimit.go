package sip

import (
	"net/netip"
	"sync"
	"time"
)

// RateLimit caps how many SIP messages one source may send. Every request
// that reaches the transaction layer is held for up to 32 s over UDP
// (Timer J), so a single flooding host could otherwise hold the server's
// memory; beyond the cap its messages are dropped unread, as a
// congested server would.
type RateLimit struct {
	// PerSecond is the sustained rate per source; zero turns the cap off.
	PerSecond float64
	// Burst is how many messages a quiet source may send at once.
	Burst int
	// Exempt sources are never limited (trunks carry many callers).
	Exempt []netip.Prefix
}

// maxTracked bounds the sources remembered at once, so that a flood from
// spoofed UDP sources cannot grow the table without end; past it, new
// sources are let through untracked until the next sweep.
const maxTracked = 100_000

// sourceLimiter is a token bucket per source address. An IPv6 source is
// counted per /64, the block one subscriber is usually given.
type sourceLimiter struct {
	cfg    RateLimit
	trunks *prefixSet // exempt as well: trunks carry many callers
	now    func() time.Time

	mu        sync.Mutex // guards buckets and lastSweep
	buckets   map[netip.Addr]*bucket
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newSourceLimiter(cfg RateLimit, trunks *prefixSet, now func() time.Time) *sourceLimiter {
	if cfg.Burst < 1 {
		cfg.Burst = max(1, int(cfg.PerSecond))
	}
	return &sourceLimiter{cfg: cfg, trunks: trunks, now: now, buckets: map[netip.Addr]*bucket{}}
}

// allow takes one token from the source's bucket, or reports false when it
// is empty.
func (l *sourceLimiter) allow(src netip.Addr) bool {
	if l == nil || l.cfg.PerSecond <= 0 {
		return true
	}
	src = src.Unmap()
	for _, p := range l.cfg.Exempt {
		if p.Contains(src) {
			return true
		}
	}
	if l.trunks.contains(src) {
		return true
	}
	if src.Is6() {
		src = netip.PrefixFrom(src, 64).Masked().Addr()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.lastSweep) > 10*time.Second || len(l.buckets) >= maxTracked {
		l.sweepLocked(now)
	}
	b := l.buckets[src]
	if b == nil {
		if len(l.buckets) >= maxTracked {
			return true
		}
		b = &bucket{tokens: float64(l.cfg.Burst), last: now}
		l.buckets[src] = b
	}
	b.tokens = min(float64(l.cfg.Burst), b.tokens+now.Sub(b.last).Seconds()*l.cfg.PerSecond)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// sweepLocked forgets sources whose buckets have refilled: they would
// start full anyway.
func (l *sourceLimiter) sweepLocked(now time.Time) {
	l.lastSweep = now
	full := time.Duration(float64(l.cfg.Burst) / l.cfg.PerSecond * float64(time.Second))
	for a, b := range l.buckets {
		if now.Sub(b.last) >= full {
			delete(l.buckets, a)
		}
	}
}
