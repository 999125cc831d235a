package sip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// RegistrationConfig is a registration of ours with a carrier's
// registrar, so that the carrier knows where to send the trunk's calls
// and accepts ours (RFC 3261 §10).
type RegistrationConfig struct {
	Trunk string // the trunk's name, for logs and State
	// Registrar is where REGISTER goes: IP:PORT, HOST:PORT or a domain
	// (RFC 3263). Its host is the domain registered in.
	Registrar string
	// Transport and Secure are the trunk's (see Trunk): over TLS, the
	// registrar's certificate must be valid for its host or domain.
	Transport          string
	Secure             bool
	Username, Password string
	ContactUser        string
	Expires            time.Duration // asked for; the registrar may grant less
	// RetryMin and RetryMax bound the back-off after a failure.
	RetryMin, RetryMax time.Duration
}

// RegistrationState is what a registration is now.
type RegistrationState struct {
	Registered bool
	Expires    time.Duration // granted, while registered
	Error      string        // the last failure, while not registered
	Since      time.Time     // of the last change
}

// Registration keeps one registration up until Stop or the server's end,
// then removes it (Expires: 0).
type Registration struct {
	cfg    RegistrationConfig
	srv    *Server
	log    *slog.Logger
	cancel context.CancelFunc
	done   chan struct{}

	// Read and written by the loop alone.
	callID  string
	fromTag string
	cseq    uint32
	chal    *digest.Challenge // the registrar's last challenge, answered again until refused
	proxy   bool              // chal came in a 407: answered in Proxy-Authorization
	// minExpires is the registrar's Min-Expires, once it answered 423.
	minExpires time.Duration
	nc         int
	rnd        *rand.Rand

	mu    sync.Mutex
	state RegistrationState
}

// Registration timing.
const (
	// refreshMargin: a registration is refreshed this long before it
	// expires, or at half its life when that is shorter, so that a lost
	// REGISTER or two is retransmitted in time (RFC 3261 §10.2.4 leaves
	// the choice to the UA).
	refreshMargin = time.Minute
	// unregisterTimeout bounds the Expires: 0 at shutdown: a carrier that
	// is gone must not hold the server up.
	unregisterTimeout = 3 * time.Second
)

// Register starts keeping a registration up. Its goroutine belongs to
// the server: it ends at Stop, or when the server stops, after
// unregistering.
func (s *Server) Register(cfg RegistrationConfig) (*Registration, error) {
	if cfg.Expires <= 0 {
		cfg.Expires = time.Hour
	}
	if cfg.RetryMin <= 0 {
		cfg.RetryMin = 30 * time.Second
	}
	if cfg.RetryMax < cfg.RetryMin {
		cfg.RetryMax = max(cfg.RetryMin, 10*time.Minute)
	}
	if cfg.ContactUser == "" {
		cfg.ContactUser = cfg.Username
	}
	ctx, cancel := context.WithCancel(s.life)
	r := &Registration{
		cfg: cfg, srv: s, cancel: cancel, done: make(chan struct{}),
		log:     s.log.With("trunk", cfg.Trunk, "registrar", cfg.Registrar, "user", cfg.Username),
		callID:  sip.GenerateTagN(24) + "@acd",
		fromTag: sip.GenerateTagN(12),
		cseq:    1,
		rnd:     rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0x5eed)),
		state:   RegistrationState{Since: time.Now(), Error: "not yet registered"},
	}
	if !s.background(func() { defer close(r.done); r.run(ctx) }) {
		cancel()
		return nil, errors.New("registering: the server is shutting down")
	}
	return r, nil
}

// Stop removes the registration (Expires: 0) and returns once its
// goroutine has ended.
func (r *Registration) Stop() {
	r.cancel()
	<-r.done
}

// State is the registration's state now.
func (r *Registration) State() RegistrationState {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state
}

func (r *Registration) set(st RegistrationState) {
	r.mu.Lock()
	old := r.state
	st.Since = old.Since
	if st.Registered != old.Registered || st.Error != old.Error {
		st.Since = time.Now()
	}
	r.state = st
	r.mu.Unlock()
	switch {
	case st.Registered && !old.Registered:
		r.log.Info("trunk registered", "expires", st.Expires)
	case !st.Registered && old.Registered:
		r.log.Warn("trunk registration lost", "error", st.Error)
	}
}

func (r *Registration) run(ctx context.Context) {
	select {
	case <-r.srv.listening.ready:
	case <-ctx.Done():
		r.set(RegistrationState{Error: "stopped"})
		return
	}
	failures := 0
	registered := false // ever, by this registration
	for {
		granted, err := r.register(ctx, max(r.cfg.Expires, r.minExpires))
		var wait time.Duration
		if err == nil {
			registered = true
			failures = 0
			r.set(RegistrationState{Registered: true, Expires: granted})
			wait = refreshIn(granted)
			r.log.Debug("trunk registration refreshed", "expires", granted, "refresh_in", wait)
		} else {
			if ctx.Err() != nil {
				break
			}
			// registered stays as it was: a binding once made may live
			// on at the carrier until it expires, and is removed at Stop.
			wait = r.backoff(failures)
			failures++
			r.set(RegistrationState{Error: err.Error()})
			r.log.Warn("trunk registration failed", "error", err, "attempt", failures, "retry_in", wait.Round(time.Millisecond))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
		if ctx.Err() != nil {
			break
		}
	}
	if registered {
		// ctx has ended: the removal gets its own short deadline, while
		// the server's transport is still up (Serve waits for us).
		bg, cancel := context.WithTimeout(context.Background(), unregisterTimeout)
		defer cancel()
		if _, err := r.register(bg, 0); err != nil {
			r.log.Warn("trunk unregistration failed", "error", err)
		} else {
			r.log.Info("trunk unregistered")
		}
	}
	r.set(RegistrationState{Error: "stopped"})
}

// refreshIn is when to refresh a registration granted for d.
func refreshIn(d time.Duration) time.Duration {
	return d - min(d/2, refreshMargin)
}

// backoff is the wait after the n-th failure in a row (from 0): RetryMin
// doubled n times, capped at RetryMax, less up to a quarter at random,
// so that servers restarted together do not register in step.
func (r *Registration) backoff(n int) time.Duration {
	d := r.cfg.RetryMin
	for i := 0; i < n && d < r.cfg.RetryMax; i++ {
		d *= 2
	}
	d = min(d, r.cfg.RetryMax)
	return d - time.Duration(r.rnd.Int64N(int64(d/4)+1))
}

// register sends one REGISTER (expires 0 removes the binding), answering
// digest challenges, to the registrar's targets in turn while one does
// not answer. It returns the expiry granted.
func (r *Registration) register(ctx context.Context, expires time.Duration) (time.Duration, error) {
	s := r.srv
	if r.cfg.Secure || strings.EqualFold(r.cfg.Transport, "TLS") {
		var granted time.Duration
		err := s.overTLS(ctx, r.cfg.Registrar, r.cfg.Transport, r.cfg.Secure, func(dest string, peer netip.Addr) error {
			var err error
			granted, err = r.registerAt(ctx, dest, peer, "TLS", expires)
			return err
		})
		if why, refused := certificateRefused(err); refused {
			return 0, fmt.Errorf("registrar's TLS certificate refused: %s", why)
		}
		return granted, err
	}
	targets, err := s.trunkTargets(ctx, r.cfg.Registrar, strings.ToUpper(r.cfg.Transport), false)
	if err != nil {
		return 0, fmt.Errorf("resolving the registrar: %w", err)
	}
	var last error
	for i, target := range targets {
		granted, err := r.registerAt(ctx, target.Addr.String(), target.Addr.Addr(), target.Transport, expires)
		if err == nil || ctx.Err() != nil || !tryNext(err) {
			return granted, err
		}
		last = err
		s.markDown(target)
		if i+1 < len(targets) {
			r.log.Info("registrar target did not answer; trying the next", "target", target.String(), "next", targets[i+1].String(), "error", err)
		}
	}
	return 0, last
}

// registerAt sends REGISTER to dest (an address, or HOST:PORT over TLS)
// over transport, peer the address it reaches.
func (r *Registration) registerAt(ctx context.Context, dest string, peer netip.Addr, transport string, expires time.Duration) (time.Duration, error) {
	domain := registrarDomain(r.cfg.Registrar)
	contact := r.contact(peer, transport)
	retried423 := false
	challenged := 0
	for {
		req := r.request(domain, contact, dest, transport, expires)
		if r.chal != nil {
			r.nc++
			creds, err := digest.Digest(r.chal, digest.Options{Method: "REGISTER", URI: req.Recipient.String(),
				Username: r.cfg.Username, Password: r.cfg.Password, Count: r.nc})
			if err != nil {
				return 0, fmt.Errorf("answering the registrar's challenge: %w", err)
			}
			name := "Authorization"
			if r.proxy {
				name = "Proxy-Authorization"
			}
			req.AppendHeader(sip.NewHeader(name, creds.String()))
		}
		res, err := r.srv.requestFinal(ctx, req)
		if err != nil {
			return 0, err
		}
		switch {
		case res.StatusCode >= 200 && res.StatusCode < 300:
			granted := grantedExpiry(res, contact, expires)
			if expires > 0 && granted <= 0 {
				return 0, errors.New("registrar answered 200 but granted no time")
			}
			return granted, nil
		case res.StatusCode == 401 || res.StatusCode == 407:
			// RFC 3261 §22.2: answer the challenge. One answer of ours
			// refused with a fresh nonce that is not stale means the
			// credentials are wrong: stop, rather than guess again.
			chal, err := parseChallenge(res)
			if err != nil {
				return 0, fmt.Errorf("registrar answered %d with an unreadable challenge: %w", res.StatusCode, err)
			}
			answered := r.chal != nil
			r.chal, r.nc, r.proxy = chal, 0, res.StatusCode == 407
			challenged++
			if answered && !chal.Stale && challenged > 1 {
				r.chal = nil
				return 0, fmt.Errorf("registrar refused the credentials: %w", &RingError{Code: res.StatusCode})
			}
			if challenged > 3 {
				return 0, fmt.Errorf("registrar keeps challenging: %w", &RingError{Code: res.StatusCode})
			}
		case res.StatusCode == 423 && !retried423 && expires > 0:
			// RFC 3261 §10.2.8: ask again for at least Min-Expires.
			retried423 = true
			h := res.GetHeader("Min-Expires")
			n, err := 0, errors.New("no Min-Expires")
			if h != nil {
				n, err = strconv.Atoi(strings.TrimSpace(h.Value()))
			}
			if err != nil || n <= 0 {
				return 0, fmt.Errorf("registrar answered 423 without a usable Min-Expires")
			}
			expires = time.Duration(n) * time.Second
			r.minExpires = expires // and for the refreshes
		default:
			return 0, fmt.Errorf("registrar %w (%s)", &RingError{Code: res.StatusCode}, res.Reason)
		}
	}
}

// request builds a REGISTER: the Request-URI names the registrar's
// domain, To and From the address of record, the Call-ID stays the same
// for every registration of this one (RFC 3261 §10.2), and the CSeq
// grows by one with each.
func (r *Registration) request(domain string, contact sip.Uri, dest, transport string, expires time.Duration) *sip.Request {
	recipient := sip.Uri{Scheme: "sip", Host: domain}
	if host, port, err := net.SplitHostPort(domain); err == nil {
		recipient.Host = host
		recipient.Port, _ = strconv.Atoi(port)
	}
	aor := sip.Uri{Scheme: "sip", User: r.cfg.Username, Host: recipient.Host}
	req := sip.NewRequest(sip.REGISTER, recipient)
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", r.fromTag)
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: aor, Params: sip.NewParams()})
	callID := sip.CallIDHeader(r.callID)
	req.AppendHeader(&callID)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: r.cseq, MethodName: sip.REGISTER})
	r.cseq++
	req.AppendHeader(&sip.ContactHeader{Address: contact})
	req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(int(expires.Seconds()))))
	req.AppendHeader(sip.NewHeader("Allow", allowed))
	req.SetTransport(transport)
	req.SetDestination(dest)
	return req
}

// contact is where the carrier is to send the trunk's calls: our address
// as the registrar sees it (public_address beyond local_networks), on
// the TLS listener's port over TLS.
func (r *Registration) contact(peer netip.Addr, transport string) sip.Uri {
	s := r.srv
	u := sip.Uri{Scheme: "sip", User: r.cfg.ContactUser, Host: s.advertise(peer).String(),
		Port: s.dialogLayer(transport).ContactHDR.Address.Port}
	if transport != "UDP" {
		u.UriParams = sip.NewParams()
		u.UriParams.Add("transport", strings.ToLower(transport))
	}
	return u
}

// registrarDomain is the host (and port, when given) of a registrar
// address, as the Request-URI names it.
func registrarDomain(address string) string {
	return strings.TrimSuffix(address, ".")
}

// grantedExpiry reads what the registrar granted (RFC 3261 §10.2.4): our
// Contact's expires parameter in the 200, else its Expires header, else
// what we asked.
func grantedExpiry(res *sip.Response, contact sip.Uri, asked time.Duration) time.Duration {
	for _, h := range res.GetHeaders("Contact") {
		c, ok := h.(*sip.ContactHeader)
		if !ok {
			var parsed sip.ContactHeader
			parsed.Params = sip.NewParams()
			if _, err := sip.ParseAddressValue(h.Value(), &parsed.Address, &parsed.Params); err != nil {
				continue
			}
			c = &parsed
		}
		if c.Address.User != contact.User || c.Address.Host != contact.Host || (c.Address.Port != 0 && c.Address.Port != contact.Port) {
			continue
		}
		if v, ok := c.Params.Get("expires"); ok {
			if n, err := strconv.Atoi(v); err == nil && n >= 0 {
				return time.Duration(n) * time.Second
			}
		}
	}
	if h := res.GetHeader("Expires"); h != nil {
		if n, err := strconv.Atoi(strings.TrimSpace(h.Value())); err == nil && n >= 0 {
			return time.Duration(n) * time.Second
		}
	}
	return asked
}

// parseChallenge reads a 401's WWW-Authenticate or a 407's
// Proxy-Authenticate, taking the first digest challenge we can answer
// (MD5 or SHA-256, RFC 8760).
func parseChallenge(res *sip.Response) (*digest.Challenge, error) {
	name := "WWW-Authenticate"
	if res.StatusCode == 407 {
		name = "Proxy-Authenticate"
	}
	var last error = errors.New("no " + name + " header")
	for _, h := range res.GetHeaders(name) {
		c, err := digest.ParseChallenge(h.Value())
		if err != nil {
			last = err
			continue
		}
		switch strings.ToUpper(c.Algorithm) {
		case "", "MD5", "SHA-256":
			return c, nil
		}
		last = fmt.Errorf("digest algorithm %s not supported", c.Algorithm)
	}
	return nil, last
}

// errNoReply is a request that got no response at all.
var errNoReply = errors.New("no response")

// requestFinal sends req in a client transaction and returns its final
// response. A target that answers nothing at all within
// trunkResponseTimeout is taken as down (ErrNoResponse), rather than
// waiting out Timer F's 32 s; once it has answered, it gets them.
func (s *Server) requestFinal(ctx context.Context, req *sip.Request) (*sip.Response, error) {
	ctx, cancel := context.WithTimeout(ctx, 64*sip.T1)
	defer cancel()
	tx, err := s.clientFor(req.Transport()).TransactionRequest(ctx, req)
	if err != nil {
		return nil, unsentError{fmt.Errorf("sending %s: %w", req.Method, err)}
	}
	defer tx.Terminate()
	silent := time.NewTimer(trunkResponseTimeout)
	defer silent.Stop()
	for {
		select {
		case res := <-tx.Responses():
			silent.Stop()
			if res.IsProvisional() {
				continue
			}
			return res, nil
		case <-silent.C:
			return nil, fmt.Errorf("%s to %s: %w", req.Method, req.Destination(), errNoReply)
		case <-tx.Done():
			if err := tx.Err(); err != nil && errors.Is(err, sip.ErrTransactionTimeout) {
				return nil, fmt.Errorf("%s to %s: %w", req.Method, req.Destination(), errNoReply)
			}
			return nil, unsentError{fmt.Errorf("%s transaction ended: %w", req.Method, tx.Err())}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
