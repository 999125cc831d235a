package sip

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// Secrets gives an agent's credentials: a password, or an MD5 HA1
// (MD5(user:realm:password)) when only a hash is configured.
type Secrets func(user string) (password, ha1md5 string, ok bool)

// Digest authentication parameters.
const (
	nonceLifetime   = 5 * time.Minute
	failureWindow   = time.Minute
	failuresAllowed = 10
	blockFor        = time.Minute
)

// authenticator checks SIP digest credentials (RFC 8760: MD5 and SHA-256,
// qop=auth) with stateless nonces that expire, and throttles addresses
// that keep failing. Unknown users and wrong passwords get the same
// answer, so that user names cannot be discovered.
type authenticator struct {
	realm   string
	algs    []string
	secrets Secrets
	key     [32]byte
	log     *slog.Logger
	now     func() time.Time

	mu       sync.Mutex
	failures map[netip.Addr][]time.Time
	blocked  map[netip.Addr]time.Time
}

func newAuthenticator(realm string, algs []string, secrets Secrets, log *slog.Logger) *authenticator {
	if len(algs) == 0 {
		algs = []string{"MD5"} // what every phone answers; see Config.AuthAlgorithms
	}
	a := &authenticator{realm: realm, algs: algs, secrets: secrets, log: log, now: time.Now,
		failures: map[netip.Addr][]time.Time{}, blocked: map[netip.Addr]time.Time{}}
	_, _ = rand.Read(a.key[:])
	return a
}

func (a *authenticator) nonce() string {
	var ts [8]byte
	binary.BigEndian.PutUint64(ts[:], uint64(a.now().Unix()))
	mac := hmac.New(sha256.New, a.key[:])
	mac.Write(ts[:])
	return hex.EncodeToString(ts[:]) + hex.EncodeToString(mac.Sum(nil)[:16])
}

// nonceState: 0 forged, 1 fresh, 2 expired (answer with stale=true).
func (a *authenticator) nonceState(n string) int {
	raw, err := hex.DecodeString(n)
	if err != nil || len(raw) != 24 {
		return 0
	}
	mac := hmac.New(sha256.New, a.key[:])
	mac.Write(raw[:8])
	if !hmac.Equal(mac.Sum(nil)[:16], raw[8:]) {
		return 0
	}
	issued := time.Unix(int64(binary.BigEndian.Uint64(raw[:8])), 0)
	if a.now().Sub(issued) > nonceLifetime {
		return 2
	}
	return 1
}

// challenges builds one WWW-Authenticate header per algorithm, in order
// of preference (RFC 8760 §2.4).
func (a *authenticator) challenges(stale bool) []sip.Header {
	nonce := a.nonce()
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
	throttled // too many failures from this address: 403
)

// check authenticates req; on acceptance it returns the user.
func (a *authenticator) check(req *sip.Request) (verdict, string, bool) {
	src := sourceAddr(req)
	if a.isBlocked(src) {
		return throttled, "", false
	}
	h := req.GetHeader("Authorization")
	if h == nil {
		return challenge, "", false
	}
	creds, err := digest.ParseCredentials(h.Value())
	if err != nil {
		a.fail(req, src, "", "unreadable Authorization header")
		return rejected, "", false
	}
	switch a.nonceState(creds.Nonce) {
	case 0:
		a.fail(req, src, creds.Username, "nonce not issued by this server")
		return rejected, "", false
	case 2:
		return challenge, "", true // stale: the phone retries with a new nonce
	}
	if creds.Realm != a.realm || (creds.QOP != "" && creds.QOP != "auth") || !a.offered(creds.Algorithm) {
		a.fail(req, src, creds.Username, "wrong realm or qop")
		return rejected, "", false
	}
	password, ha1, known := a.secrets(creds.Username)
	opts := digest.Options{Method: string(req.Method), URI: creds.URI, Count: creds.Nc, Cnonce: creds.Cnonce, Username: creds.Username}
	alg := strings.ToUpper(creds.Algorithm)
	switch {
	case password != "":
		opts.Password = password
	case ha1 != "" && (alg == "" || alg == "MD5"):
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
	return accepted, creds.Username, false
}

// respondChallenge answers a request that needs (new) credentials.
func (a *authenticator) respond(tx sip.ServerTransaction, req *sip.Request, v verdict, stale bool) {
	if v == throttled {
		respond(tx, req, 403, "Forbidden")
		return
	}
	respond(tx, req, 401, "Unauthorized", a.challenges(stale)...)
}

func (a *authenticator) isBlocked(src netip.Addr) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	until, ok := a.blocked[src]
	if ok && a.now().Before(until) {
		return true
	}
	delete(a.blocked, src)
	return false
}

// fail counts a failure and logs one structured security line for it; the
// password or response is never logged.
func (a *authenticator) fail(req *sip.Request, src netip.Addr, user, why string) {
	now := a.now()
	a.mu.Lock()
	recent := a.failures[src][:0]
	for _, t := range a.failures[src] {
		if now.Sub(t) < failureWindow {
			recent = append(recent, t)
		}
	}
	recent = append(recent, now)
	a.failures[src] = recent
	block := len(recent) >= failuresAllowed
	if block {
		a.blocked[src] = now.Add(blockFor)
		delete(a.failures, src)
	}
	a.mu.Unlock()
	a.log.Warn("security: SIP authentication failed", "event", "auth_failure", "source", src.String(),
		"user", user, "method", string(req.Method), "reason", why, "blocked", block)
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
