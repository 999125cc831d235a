package service

import (
	"net/netip"
	"slices"
	"sync"
	"time"
)

// Login throttling. An attempt is counted when it begins, before the
// password is hashed, under the same lock as the check that lets it
// through: guesses sent together cannot all pass the check before any is
// counted. A right password gives its attempt back.
//
// Attempts are counted under three keys:
//   - the user at one address: the guesser's own limit, and the only one
//     a person mistyping meets;
//   - the address, whatever the user: a spray of user names;
//   - the user from any address that has not proved the password: a
//     guess spread over many addresses. An address that signed in as the
//     user before is not held by this key, so that a stranger's guesses
//     cannot lock the user out of where they work.
type limit struct {
	Limit  int
	Window time.Duration
	Block  time.Duration
}

// Scopes of a throttle, as logged.
const (
	scopePair = "user_at_address"
	scopeAddr = "address"
	scopeUser = "user"
)

// maxKeys bounds the memory a spray of user names or addresses can take;
// past it expired entries are dropped, then the oldest.
const maxKeys = 10000

// maxProven bounds the addresses remembered as proven; provenFor is how
// long one is remembered after its last sign-in.
const (
	maxProven = 10000
	provenFor = 30 * 24 * time.Hour
)

// strikes are a key's attempts within the window (failures and attempts
// still being checked) and the end of its block.
type strikes struct {
	attempts []time.Time
	blocked  time.Time // refused until then
}

type throttle struct {
	pair, addr, user limit

	// mu guards entries and proven, and makes a check and the counting
	// of the attempt it lets through one step.
	mu      sync.Mutex
	entries map[string]*strikes
	proven  map[string]time.Time // user and address key → last sign-in
}

func newThrottle() *throttle {
	return &throttle{
		// A person mistyping does not reach five in a quarter of an hour.
		pair: limit{Limit: 5, Window: 15 * time.Minute, Block: 15 * time.Minute},
		// One address may front several people (an office NAT).
		addr: limit{Limit: 20, Window: 15 * time.Minute, Block: 15 * time.Minute},
		// Guesses at one user from addresses it never signed in from,
		// however many: two guessers' worth.
		user:    limit{Limit: 10, Window: 15 * time.Minute, Block: 15 * time.Minute},
		entries: map[string]*strikes{},
		proven:  map[string]time.Time{},
	}
}

// key is one count an attempt is made under.
type key struct {
	name  string
	scope string
	l     limit
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

func pairKey(user string, a netip.Addr) string { return "pair:" + user + "\x00" + addrKey(a) }

// attempt is a login let through and counted, until it is known whether
// it failed.
type attempt struct {
	keys []key
	at   time.Time
}

// beginLogin counts an attempt to sign in as user from an address, or,
// when a key is blocked or full, says how long to wait and under which
// scope, without counting it.
func (t *throttle) beginLogin(now time.Time, user string, from netip.Addr) (attempt, time.Duration, string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	keys := []key{{pairKey(user, from), scopePair, t.pair}, {addrKey(from), scopeAddr, t.addr}}
	if !t.provenLocked(now, user, from) {
		keys = append(keys, key{userKey(user), scopeUser, t.user})
	}
	return t.beginLocked(now, keys)
}

// beginSetup counts an attempt at the setup token from an address.
func (t *throttle) beginSetup(now time.Time, from netip.Addr) (attempt, time.Duration, string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.beginLocked(now, []key{{addrKey(from), scopeAddr, t.addr}})
}

func (t *throttle) beginLocked(now time.Time, keys []key) (attempt, time.Duration, string) {
	var wait time.Duration
	scope := ""
	for _, k := range keys {
		s := t.entries[k.name]
		if s == nil {
			continue
		}
		s.attempts = recentAttempts(s.attempts, now, k.l.Window)
		w := time.Duration(0)
		if now.Before(s.blocked) {
			w = s.blocked.Sub(now)
		}
		if len(s.attempts) >= k.l.Limit {
			// Full of attempts still being checked, or failures not yet
			// blocking: wait for the oldest to leave the window.
			w = max(w, s.attempts[0].Add(k.l.Window).Sub(now))
		}
		if w > wait {
			wait, scope = w, k.scope
		}
	}
	if wait > 0 {
		return attempt{}, wait, scope
	}
	for _, k := range keys {
		s := t.entries[k.name]
		if s == nil {
			if len(t.entries) >= maxKeys {
				t.pruneLocked(now)
			}
			s = &strikes{}
			t.entries[k.name] = s
		}
		s.attempts = append(s.attempts, now)
	}
	return attempt{keys: keys, at: now}, 0, ""
}

// failed keeps the attempt counted and blocks every key it filled, from
// now; it returns the scopes blocked.
func (t *throttle) failed(now time.Time, a attempt) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var blocked []string
	for _, k := range a.keys {
		s := t.entries[k.name]
		if s == nil || !slices.Contains(s.attempts, a.at) {
			continue // pruned meanwhile
		}
		if len(recentAttempts(s.attempts, now, k.l.Window)) >= k.l.Limit {
			s.blocked = now.Add(k.l.Block)
			blocked = append(blocked, k.scope)
		}
	}
	return blocked
}

// succeeded gives the attempt back, forgets the user's failures at that
// address, and remembers the address as proven for the user. The other
// failures stay counted: signing in to one's own account must not make
// room for guesses at others, nor the real user's sign-in for a
// stranger's guesses.
func (t *throttle) succeeded(now time.Time, a attempt, user string, from netip.Addr) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.releaseLocked(a)
	delete(t.entries, pairKey(user, from))
	if len(t.proven) >= maxProven {
		t.pruneProvenLocked(now)
	}
	t.proven[user+"\x00"+addrKey(from)] = now
}

// release gives the attempt back uncounted: the check could not be made.
func (t *throttle) release(a attempt) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.releaseLocked(a)
}

func (t *throttle) releaseLocked(a attempt) {
	for _, k := range a.keys {
		s := t.entries[k.name]
		if s == nil {
			continue
		}
		if i := slices.Index(s.attempts, a.at); i >= 0 {
			s.attempts = slices.Delete(s.attempts, i, i+1)
		}
	}
}

func (t *throttle) provenLocked(now time.Time, user string, from netip.Addr) bool {
	last, ok := t.proven[user+"\x00"+addrKey(from)]
	return ok && now.Sub(last) < provenFor
}

func recentAttempts(times []time.Time, now time.Time, window time.Duration) []time.Time {
	kept := times[:0]
	for _, at := range times {
		if now.Sub(at) < window {
			kept = append(kept, at)
		}
	}
	return kept
}

func (t *throttle) pruneLocked(now time.Time) {
	window := max(t.pair.Window, t.addr.Window, t.user.Window)
	var oldestKey string
	var oldest time.Time
	for k, s := range t.entries {
		last := s.blocked
		if n := len(s.attempts); n > 0 && s.attempts[n-1].After(last) {
			last = s.attempts[n-1]
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

func (t *throttle) pruneProvenLocked(now time.Time) {
	var oldestKey string
	var oldest time.Time
	for k, last := range t.proven {
		if now.Sub(last) >= provenFor {
			delete(t.proven, k)
			continue
		}
		if oldestKey == "" || last.Before(oldest) {
			oldestKey, oldest = k, last
		}
	}
	if len(t.proven) >= maxProven && oldestKey != "" {
		delete(t.proven, oldestKey)
	}
}
