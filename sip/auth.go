package sip

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// Secrets gives an agent's credentials: a password, or, when only hashes
// are kept, the HA1s H(user:realm:password) per algorithm, written
// "md5:HEX sha256:HEX" (either or both).
type Secrets func(user string) (password, hashes string, ok bool)

// Digest authentication parameters.
const (
	nonceLifetime = 5 * time.Minute
	failureWindow = time.Minute
	// Only wrong answers count: a digest response that does not match, an
	// unreadable Authorization header, a wrong realm. The challenge of a
	// request sent without credentials, and of one whose nonce is stale
	// or was issued to another address, is the normal round trip and
	// counts for nothing, however many phones make it at once.
	//
	// pairFailures wrong answers for one user name from one address within
	// failureWindow throttle that user at that address for throttleFor:
	// more than a phone with a wrong password sends before it gives up.
	pairFailures = 10
	// userFailures wrong answers for one user name from addresses that
	// never authenticated as it throttle the user at every such address:
	// guessing a password is slow from any number of places. An address
	// that did authenticate as the user, or holds its live registration,
	// is not held by it, so that a stranger's guesses cannot keep the
	// agent's phone out.
	userFailures = 10
	// addressFailures within failureWindow block the address they come
	// from. A throttled user's requests are no longer checked, so one
	// misconfigured phone never gets there: it takes failures for many
	// user names, as a scan makes.
	addressFailures = 100
	throttleFor     = time.Minute
	// maxProven bounds the user names and addresses remembered as having
	// authenticated; provenFor is how long one is remembered after.
	maxProven = 100_000
	provenFor = 24 * time.Hour
	// One security line per user and address every refusalLogEvery, and
	// at most refusalLinesPerSecond in all: a flood of guesses must not
	// become a flood of log lines, nor hide another user's refusals.
	refusalLogEvery       = 10 * time.Second
	refusalLinesPerSecond = 20
)

// authenticator checks SIP digest credentials (RFC 8760: MD5 and SHA-256,
// qop=auth) with stateless nonces that expire, and throttles user names
// at an address, user names from anywhere unproven, and addresses that
// keep failing, each on its own. Unknown users and wrong passwords get
// the same answer, so that user names cannot be discovered.
type authenticator struct {
	realm   string
	algs    []string
	secrets Secrets
	key     [32]byte
	log     *securityLog
	now     func() time.Time
	// registeredFrom reports whether user holds a live registration made
	// from src; nil: none is known. It takes the registrar's lock, so it
	// is called without mu.
	registeredFrom func(user string, src netip.Addr) bool

	mu     sync.Mutex // guards the maps below and swept
	pairs  map[userAt]*failures
	users  map[string]*failures // failures from unproven addresses only
	addrs  map[netip.Addr]*failures
	proven map[userAt]time.Time // last authenticated
	swept  time.Time
}

// userAt is a user name at an address.
type userAt struct {
	user string
	src  netip.Addr
}

// failures are the recent failures of a user name or an address, and
// when its throttle (if any) ends.
type failures struct {
	times []time.Time
	until time.Time
}

func newAuthenticator(realm string, algs []string, secrets Secrets, log *slog.Logger) *authenticator {
	if len(algs) == 0 {
		algs = []string{"MD5"} // what every phone answers; see Config.AuthAlgorithms
	}
	a := &authenticator{realm: realm, algs: algs, secrets: secrets, now: time.Now,
		log:   newSecurityLog(log, refusalLogEvery, refusalLinesPerSecond),
		pairs: map[userAt]*failures{}, users: map[string]*failures{}, addrs: map[netip.Addr]*failures{},
		proven: map[userAt]time.Time{}}
	_, _ = rand.Read(a.key[:])
	return a
}

// nonce is issued to src: a failure is then counted against the address
// it really came from, since a forged source cannot see the nonce sent
// to the real one.
func (a *authenticator) nonce(src netip.Addr) string {
	var ts [8]byte
	binary.BigEndian.PutUint64(ts[:], uint64(a.now().Unix()))
	return hex.EncodeToString(ts[:]) + hex.EncodeToString(a.nonceMAC(ts[:], src))
}

func (a *authenticator) nonceMAC(ts []byte, src netip.Addr) []byte {
	mac := hmac.New(sha256.New, a.key[:])
	mac.Write(ts)
	addr := src.As16()
	mac.Write(addr[:])
	return mac.Sum(nil)[:16]
}

// nonceState of a nonce sent back from src.
type nonceState int

const (
	nonceFresh   nonceState = iota
	nonceExpired            // answer with stale=true
	nonceForeign            // forged, or issued to another address
)

func (a *authenticator) nonceState(n string, src netip.Addr) nonceState {
	raw, err := hex.DecodeString(n)
	if err != nil || len(raw) != 24 || !hmac.Equal(a.nonceMAC(raw[:8], src), raw[8:]) {
		return nonceForeign
	}
	issued := time.Unix(int64(binary.BigEndian.Uint64(raw[:8])), 0)
	if a.now().Sub(issued) > nonceLifetime {
		return nonceExpired
	}
	return nonceFresh
}

// challenges builds one WWW-Authenticate header per algorithm, in order
// of preference (RFC 8760 §2.4).
func (a *authenticator) challenges(src netip.Addr, stale bool) []sip.Header {
	nonce := a.nonce(src)
	var out []sip.Header
	for _, alg := range a.algs {
		c := digest.Challenge{Realm: a.realm, Nonce: nonce, Algorithm: alg, QOP: []string{"auth"}, Stale: stale}
		out = append(out, sip.NewHeader("WWW-Authenticate", c.String()))
	}
	return out
}

// verdict of an authentication attempt.
type verdict int

const (
	challenge verdict = iota // no or stale credentials: send a challenge
	accepted
	rejected  // wrong credentials: a fresh challenge, and the failure counted
	throttled // the user or the address has failed too often: 403
)

// check authenticates req; on acceptance it returns the user.
func (a *authenticator) check(req *sip.Request) (verdict, string, bool) {
	src := sourceAddr(req)
	h := req.GetHeader("Authorization")
	var creds *digest.Credentials
	var err error
	if h != nil {
		creds, err = digest.ParseCredentials(h.Value())
	}
	if isThrottled(a, a.addrs, src) {
		user := ""
		if creds != nil {
			user = creds.Username
		} else if from := req.From(); from != nil {
			user = from.Address.User
		}
		a.refuse(req, src, user, fmt.Sprintf("address blocked: %d failures within %v", addressFailures, failureWindow))
		return throttled, "", false
	}
	if h == nil {
		return challenge, "", false
	}
	if err != nil {
		a.fail(req, src, "", "unreadable Authorization header")
		return rejected, "", false
	}
	if why := a.userThrottle(creds.Username, src); why != "" {
		a.refuse(req, src, creds.Username, why)
		return throttled, "", false
	}
	switch a.nonceState(creds.Nonce, src) {
	case nonceForeign:
		// Not a failure: whoever sent it may be forging the source, and
		// the phone that really has this address gets a nonce of its own.
		// Stale, so that a phone whose address changed retries at once.
		a.log.debug("SIP digest nonce from another address, or forged: challenged afresh", "source", src.String(), "user", logUser(creds.Username))
		return challenge, "", true
	case nonceExpired:
		return challenge, "", true // the phone retries with a new nonce
	}
	if creds.Realm != a.realm || (creds.QOP != "" && creds.QOP != "auth") || !a.offered(creds.Algorithm) {
		a.fail(req, src, creds.Username, "wrong realm or qop")
		return rejected, "", false
	}
	password, hashes, known := a.secrets(creds.Username)
	opts := digest.Options{Method: string(req.Method), URI: creds.URI, Count: creds.Nc, Cnonce: creds.Cnonce, Username: creds.Username}
	ha1 := hashFor(hashes, creds.Algorithm)
	switch {
	case password != "":
		opts.Password = password
	case ha1 != "":
		opts.A1 = ha1
	default:
		opts.Password = "\x00unknown user\x00" // compute anyway: same work, same answer
		known = false
	}
	chal := &digest.Challenge{Realm: a.realm, Nonce: creds.Nonce, Algorithm: creds.Algorithm}
	if creds.QOP != "" {
		chal.QOP = []string{creds.QOP}
	}
	want, err := digest.Digest(chal, opts)
	if err != nil || !known || subtle.ConstantTimeCompare([]byte(want.Response), []byte(creds.Response)) != 1 {
		a.fail(req, src, creds.Username, "wrong credentials")
		return rejected, "", false
	}
	a.remember(creds.Username, src)
	return accepted, creds.Username, false
}

// userThrottle says why user is refused unchecked at src; "" if it is not:
// throttled at that address, or throttled for the addresses it never
// authenticated from when src is one.
func (a *authenticator) userThrottle(user string, src netip.Addr) string {
	now := a.now()
	a.mu.Lock()
	atSrc := throttledLocked(a.pairs, userAt{user, src}, now)
	anywhere := throttledLocked(a.users, user, now)
	a.mu.Unlock()
	switch {
	case atSrc:
		return fmt.Sprintf("user throttled at this address: %d failures within %v", pairFailures, failureWindow)
	case anywhere && !a.proved(user, src, now):
		return fmt.Sprintf("user throttled at addresses it never authenticated from: %d failures within %v", userFailures, failureWindow)
	}
	return ""
}

// proved reports whether src authenticated as user lately, or holds its
// live registration (which outlives a restart, unlike the memory).
func (a *authenticator) proved(user string, src netip.Addr, now time.Time) bool {
	a.mu.Lock()
	last, ok := a.proven[userAt{user, src}]
	a.mu.Unlock()
	if ok && now.Sub(last) < provenFor {
		return true
	}
	return a.registeredFrom != nil && a.registeredFrom(user, src)
}

// remember marks src as proven for user.
func (a *authenticator) remember(user string, src netip.Addr) {
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	k := userAt{user, src}
	if _, ok := a.proven[k]; !ok && len(a.proven) >= maxProven {
		a.pruneProvenLocked(now)
	}
	a.proven[k] = now
}

// pruneProvenLocked forgets what is too old to count, then, if still
// full, the oldest.
func (a *authenticator) pruneProvenLocked(now time.Time) {
	var oldestKey userAt
	var oldest time.Time
	for k, last := range a.proven {
		if now.Sub(last) >= provenFor {
			delete(a.proven, k)
			continue
		}
		if oldest.IsZero() || last.Before(oldest) {
			oldestKey, oldest = k, last
		}
	}
	if len(a.proven) >= maxProven {
		delete(a.proven, oldestKey)
	}
}

// respond answers a request that needs (new) credentials.
func (a *authenticator) respond(tx sip.ServerTransaction, req *sip.Request, v verdict, stale bool) {
	if v == throttled {
		respond(tx, req, 403, "Forbidden")
		return
	}
	respond(tx, req, 401, "Unauthorized", a.challenges(sourceAddr(req), stale)...)
}

// isThrottled reports whether an address is throttled now.
func isThrottled[K comparable](a *authenticator, m map[K]*failures, key K) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return throttledLocked(m, key, a.now())
}

func throttledLocked[K comparable](m map[K]*failures, key K, now time.Time) bool {
	f, ok := m[key]
	return ok && now.Before(f.until)
}

// fail counts a failure against the user name at the address and, unless
// the address proved itself for the user, against the user name (when
// there is one), and against the address; it logs one security line for
// it. The password or response is never logged.
func (a *authenticator) fail(req *sip.Request, src netip.Addr, user, why string) {
	now := a.now()
	proven := user != "" && a.proved(user, src, now)
	a.mu.Lock()
	a.sweepLocked(now)
	var throttle string
	if user != "" && count(a.pairs, userAt{user, src}, now, pairFailures) {
		throttle = "user"
	}
	if user != "" && !proven && count(a.users, user, now, userFailures) {
		throttle = "user"
	}
	if count(a.addrs, src, now, addressFailures) {
		throttle = "address"
	}
	a.mu.Unlock()
	args := []any{"event", "auth_failure", "source", src.String(), "user", logUser(user), "method", string(req.Method), "reason", why}
	if throttle != "" {
		args = append(args, "throttled", throttle, "for", throttleFor)
	}
	a.log.warn(now, user, src, throttle != "", "security: SIP authentication failed", args...)
}

// refuse logs a request turned away unchecked, its user or address
// throttled.
func (a *authenticator) refuse(req *sip.Request, src netip.Addr, user, why string) {
	a.log.warn(a.now(), user, src, false, "security: SIP authentication refused", "event", "auth_refused",
		"source", src.String(), "user", logUser(user), "method", string(req.Method), "reason", why)
}

// count records a failure of key and reports whether it throttles key.
func count[K comparable](m map[K]*failures, key K, now time.Time, limit int) bool {
	f := m[key]
	if f == nil {
		f = &failures{}
		m[key] = f
	}
	f.times = recent(f.times, now)
	f.times = append(f.times, now)
	if len(f.times) < limit {
		return false
	}
	f.times, f.until = nil, now.Add(throttleFor)
	return true
}

func recent(times []time.Time, now time.Time) []time.Time {
	kept := times[:0]
	for _, t := range times {
		if now.Sub(t) < failureWindow {
			kept = append(kept, t)
		}
	}
	return kept
}

// sweepLocked forgets, once a window, the user names and addresses with
// neither a recent failure nor a throttle, so that a scan of made-up
// names holds no memory after it.
func (a *authenticator) sweepLocked(now time.Time) {
	if now.Sub(a.swept) < failureWindow {
		return
	}
	a.swept = now
	forget(a.pairs, now)
	forget(a.users, now)
	forget(a.addrs, now)
}

func forget[K comparable](m map[K]*failures, now time.Time) {
	for k, f := range m {
		if f.times = recent(f.times, now); len(f.times) == 0 && !now.Before(f.until) {
			delete(m, k)
		}
	}
}

// logUser is a user name as logged: whoever sends it chooses it.
func logUser(u string) string {
	if len(u) > 64 {
		return u[:64] + "…"
	}
	return u
}

func sourceAddr(req *sip.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(req.Source())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// offered reports whether the algorithm is one we challenge with; an
// absent algorithm means MD5 (RFC 3261).
func (a *authenticator) offered(alg string) bool {
	if alg == "" {
		alg = "MD5"
	}
	for _, x := range a.algs {
		if strings.EqualFold(x, alg) {
			return true
		}
	}
	return false
}

// securityLog writes the security lines of authentication. Every refusal
// gets one, except that one user at one address gets at most one line of
// a kind every interval, and all together at most perSecond lines a
// second; a line says how many were left out for its user and address
// before it, and how many for others since the last line.
type securityLog struct {
	log       *slog.Logger
	interval  time.Duration
	perSecond int

	mu      sync.Mutex
	keys    map[securityKey]*securityLine
	second  time.Time // the second being counted
	written int       // lines written in it
	swept   time.Time
	dropped int // left out for keys forgotten since the last line
}

// securityKey: a failure and a refusal are told apart, so that a
// throttled user's first refusal is logged at once.
type securityKey struct {
	msg, user string
	src       netip.Addr
}

type securityLine struct {
	last time.Time // written
	left int       // left out since
}

func newSecurityLog(log *slog.Logger, interval time.Duration, perSecond int) *securityLog {
	return &securityLog{log: log, interval: interval, perSecond: perSecond, keys: map[securityKey]*securityLine{}}
}

// warn writes a line for user at src, unless bounds hold it back; a
// notable one (a throttle beginning) is held back by the overall bound
// only.
func (l *securityLog) warn(now time.Time, user string, src netip.Addr, notable bool, msg string, args ...any) {
	l.mu.Lock()
	l.sweepLocked(now)
	if sec := now.Truncate(time.Second); !sec.Equal(l.second) {
		l.second, l.written = sec, 0
	}
	k := securityKey{msg, user, src}
	st := l.keys[k]
	switch {
	case st != nil && now.Sub(st.last) < l.interval && !notable:
		st.left++
		l.mu.Unlock()
		return
	case l.written >= l.perSecond:
		// No new key either: a flood of made-up names holds no memory.
		if st != nil {
			st.left++
		} else {
			l.dropped++
		}
		l.mu.Unlock()
		return
	case st == nil:
		st = &securityLine{}
		l.keys[k] = st
	}
	if st.left > 0 {
		args = append(args, "suppressed", st.left)
	}
	if l.dropped > 0 {
		args = append(args, "suppressed_others", l.dropped)
	}
	st.last, st.left, l.dropped = now, 0, 0
	l.written++
	l.mu.Unlock()
	l.log.Warn(msg, args...)
}

func (l *securityLog) debug(msg string, args ...any) { l.log.Debug(msg, args...) }

// sweepLocked forgets, once an interval, the users and addresses whose
// last line is old enough that the next would be written anyway; those
// with lines left out are kept an interval longer, for their next line to
// count them.
func (l *securityLog) sweepLocked(now time.Time) {
	if now.Sub(l.swept) < l.interval {
		return
	}
	l.swept = now
	for k, st := range l.keys {
		if age := now.Sub(st.last); age >= l.interval && st.left == 0 || age >= 2*l.interval {
			l.dropped += st.left
			delete(l.keys, k)
		}
	}
}

// hashFor picks the HA1 for a digest algorithm out of "md5:HEX
// sha256:HEX"; "" when none is kept for it.
func hashFor(hashes, algorithm string) string {
	want := "md5:"
	if strings.EqualFold(algorithm, "SHA-256") {
		want = "sha256:"
	}
	for _, h := range strings.Fields(hashes) {
		if v, ok := strings.CutPrefix(strings.ToLower(h), want); ok {
			return v
		}
	}
	return ""
}
