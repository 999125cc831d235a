package service

import (
	"net/netip"
	"sync"
	"time"
)

// Login throttling: after Limit failures within Window from one address,
// or for one user name, further attempts are refused for Block without
// checking the password, so that guessing costs an attacker time and
// the server no hashing.
type limit struct {
	Limit  int
	Window time.Duration
	Block  time.Duration
}

// maxKeys bounds the memory a spray of user names or addresses can take;
// past it expired entries are dropped, then the oldest.
const maxKeys = 10000

type strikes struct {
	fails   []time.Time
	blocked time.Time // refused until then
}

type throttle struct {
	user, addr limit

	mu      sync.Mutex
	entries map[string]*strikes
}

func newThrottle() *throttle {
	return &throttle{
		// A person mistyping does not reach five in a quarter of an hour.
		user: limit{Limit: 5, Window: 15 * time.Minute, Block: 15 * time.Minute},
		// One address may front several people (an office NAT).
		addr:    limit{Limit: 20, Window: 15 * time.Minute, Block: 15 * time.Minute},
		entries: map[string]*strikes{},
	}
}

func userKey(user string) string { return "user:" + user }

// addrKey counts IPv6 clients per /64, as the SIP rate limit does: one
// host can have a whole /64 to itself.
func addrKey(a netip.Addr) string {
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return "addr:" + p.String()
	}
	return "addr:" + a.String()
}

// blocked says how long until every key is free; 0 when none is blocked.
func (t *throttle) blocked(now time.Time, keys ...string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	var wait time.Duration
	for _, k := range keys {
		if s := t.entries[k]; s != nil && now.Before(s.blocked) {
			wait = max(wait, s.blocked.Sub(now))
		}
	}
	return wait
}

// fail records a failure against key and reports whether it is now
// blocked.
func (t *throttle) fail(now time.Time, key string, l limit) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.entries[key]
	if s == nil {
		if len(t.entries) >= maxKeys {
			t.pruneLocked(now)
		}
		s = &strikes{}
		t.entries[key] = s
	}
	recent := s.fails[:0]
	for _, f := range s.fails {
		if now.Sub(f) < l.Window {
			recent = append(recent, f)
		}
	}
	s.fails = append(recent, now)
	if len(s.fails) >= l.Limit {
		s.blocked = now.Add(l.Block)
		s.fails = s.fails[:0]
		return true
	}
	return false
}

// clear forgets key's failures (a user who got the password right).
func (t *throttle) clear(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.entries, key)
}

func (t *throttle) pruneLocked(now time.Time) {
	window := max(t.user.Window, t.addr.Window)
	var oldestKey string
	var oldest time.Time
	for k, s := range t.entries {
		last := s.blocked
		if n := len(s.fails); n > 0 && s.fails[n-1].After(last) {
			last = s.fails[n-1]
		}
		if now.After(s.blocked) && now.Sub(last) > window {
			delete(t.entries, k)
			continue
		}
		if oldestKey == "" || last.Before(oldest) {
			oldestKey, oldest = k, last
		}
	}
	if len(t.entries) >= maxKeys && oldestKey != "" {
		delete(t.entries, oldestKey)
	}
}
