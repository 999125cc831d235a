// Package sip answers calls: a SIP user agent server on github.com/emiago/sipgo
// that screens malformed input, negotiates SDP, owns each call's dialog and
// RTP session, and hands answered calls to the application.
package sip

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/acdserver/acd/hangup"
	"github.com/acdserver/acd/internal/ratelog"
	"github.com/acdserver/acd/media"
)

// raiseUDPLimit guards the one write to sipgo's process-wide UDP size limit.
var raiseUDPLimit sync.Once

// allowed is our Allow header value.
const allowed = "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE, REFER, REGISTER"

// Handler runs an answered call until it ends; the call is hung up, if
// still up, when it returns.
type Handler func(ctx context.Context, c *Call)

// Router finds the handler for a dialled number, or false for 404. agent
// is the authenticated agent calling, or "" for an unauthenticated caller;
// numbers starting with * (feature codes) are only routed for agents.
type Router func(number, agent string) (Handler, bool)

// Config is what the SIP side needs to know.
type Config struct {
	// PublicAddress is advertised in SDP and Contact instead of the local
	// address (behind NAT) to peers outside LocalNetworks; may be zero.
	PublicAddress  netip.Addr
	LocalNetworks  []netip.Prefix
	RTPTimeout     time.Duration
	RTPHoldTimeout time.Duration
	// RingTime is how long callers hear ringing before the answer; zero
	// answers at once.
	RingTime time.Duration
	// MaxCalls caps inbound calls in progress; past it an INVITE gets 503
	// with Retry-After, so that overload sheds new calls instead of
	// degrading the audio of every call up. Zero means no cap.
	MaxCalls int
	Ports    *media.Ports
	Media    *media.Engine
	Route    Router
	Log      *slog.Logger
	// Trace is the SIP trace in force at start; SetTrace replaces it.
	Trace Trace
	// Realm and Secrets authenticate agents' phones (REGISTER, and calls
	// to feature codes). Without Secrets, REGISTER gets 405.
	Realm   string
	Secrets Secrets
	// AuthAlgorithms are the digest algorithms offered, preferred first.
	AuthAlgorithms []string
	// Trusted are the sources (trunks' inbound_from) whose
	// P-Asserted-Identity is taken as the caller's number and name.
	Trusted []netip.Prefix
	// Admission says who may call in besides Trusted sources and
	// registered phones; nil admits every source.
	Admission *Admission
	// Registered is told when an agent's phone becomes reachable or not,
	// and why: one of the Cause constants.
	Registered func(agent string, reachable bool, cause string)
	// Qualify asks registered phones with OPTIONS whether they are
	// there; a zero Interval never asks. These are the settings at
	// start; SetQualify replaces them.
	Qualify Qualify
	// Bindings keeps registrations across restarts; nil keeps them in
	// memory only.
	Bindings BindingStore
	// Stream bounds TCP connections; zero values mean no bound.
	Stream StreamLimits
	// RateLimit caps the messages one source may send; Trusted sources
	// are exempt. A zero PerSecond turns it off.
	RateLimit RateLimit
	// MinSessionExpires is the shortest session interval (RFC 4028) a
	// phone may ask for; zero is the RFC's 90 s. Shorter is for tests.
	MinSessionExpires time.Duration
	// Resolver finds trunks given by host name (RFC 3263); nil takes
	// numeric addresses only.
	Resolver *Resolver
	// TLSListener, when set, takes SIP over TLS, each connection's
	// handshake made with TLSServer (tls.go).
	TLSListener net.Listener
	TLSServer   *tls.Config
	// TLSClient verifies the peers we dial over TLS (trunks): its roots,
	// its minimum version; nil is the system's roots. The name checked is
	// the host dialled.
	TLSClient *tls.Config
	// SRTP gives the SRTP policy of a phone or trunk, asked for each call
	// as it starts (so a reload is in force for the next); nil is off for
	// all.
	SRTP func(SRTPParty) SRTPPolicy
}

// Server is the SIP side of the ACD.
type Server struct {
	cfg     Config
	ua      *sipgo.UserAgent
	srv     *sipgo.Server
	client  *sipgo.Client
	dialogs *sipgo.DialogUA
	// streamClient sends on the connection to the destination (see
	// clientFor); tlsDialogs use it, with a Contact on the TLS listener,
	// and so do tcpDialogs, with a Contact of transport=tcp on the TCP
	// listener, which shares the UDP port.
	streamClient *sipgo.Client
	tlsDialogs   *sipgo.DialogUA
	tcpDialogs   *sipgo.DialogUA
	tlsRaw       net.Listener // Config.TLSListener
	tlsConfig    *tls.Config
	tlsStream    *streamListener // nil until Serve, or without TLS
	handed       *handedConns    // TLS connections we dial to trunks by domain (tlsdial.go); nil without TLS
	screen       *screen
	// trunkSources are the trunks' inbound_from: see SetTrusted.
	trunkSources *prefixSet
	trace        *tracer
	log          *slog.Logger
	udp          net.PacketConn
	listening    *listeningConn  // s.udp: says when sipgo reads it
	stream       *streamListener // nil until Serve, or without TCP
	mediaIP      netip.Addr
	sessionID    uint64

	// joinMu orders turning a bridge into a conference (ConferenceOf).
	joinMu sync.Mutex

	auth      *authenticator
	registrar *registrar
	qualify   qualifier // Config.Qualify at start; SetQualify replaces it

	counts *messageCounts
	// Inbound calls refused since start, by reason, besides max_calls
	// (refused) and draining (the screen's).
	refusedNumber, refusedOffer, refusedMedia atomic.Uint64

	mu       sync.Mutex
	closing  bool             // set once Serve is shutting down: no new call handlers
	calls    map[string]*Call // inbound, by dialog id
	admitted int              // inbound calls counted against MaxCalls, set-up included
	refused  int              // inbound calls turned away by MaxCalls since start
	full     *ratelog.Limited
	legs     map[string]*Leg // outbound to agents, by dialog id
	wg       sync.WaitGroup
	ctx      context.Context

	// life ends when Serve has hung up every call; what runs in the
	// background (see background) stops with it, and Serve waits for it.
	life     context.Context
	endLife  context.CancelFunc
	settling sync.WaitGroup
	settled  bool // set under mu once Serve waits for settling: no more background work
}

// NewServer prepares a server on a bound UDP socket (and, optionally, a TCP
// listener on the same address); Serve starts it.
func NewServer(cfg Config, udp *net.UDPConn) (*Server, error) {
	local := udp.LocalAddr().(*net.UDPAddr).AddrPort()
	// A burst of INVITEs must queue in the kernel, not be dropped.
	_ = udp.SetReadBuffer(4 << 20)
	raiseUDPLimit.Do(func() {
		// sipgo refuses UDP messages over 1300 bytes; a 404 to an INVITE
		// with many Via headers is larger, and IP fragments carry it whole.
		sip.UDPMTUSize = 65000
	})
	s := &Server{
		cfg:       cfg,
		log:       cfg.Log,
		udp:       udp,
		calls:     map[string]*Call{},
		legs:      map[string]*Leg{},
		mediaIP:   local.Addr().Unmap(),
		sessionID: uint64(time.Now().Unix()),
		counts:    &messageCounts{},
	}
	s.life, s.endLife = context.WithCancel(context.Background())
	s.qualify.q = cfg.Qualify.normalized()
	s.full = &ratelog.Limited{Log: cfg.Log, Interval: 10 * time.Second}
	s.trace = newTracer(cfg.Log, cfg.Trace)
	traced := &tracedPacketConn{PacketConn: udp, trace: s.trace, counts: s.counts, local: local}
	s.listening = newListeningConn(traced)
	s.udp = s.listening // sipgo's datagrams and the screen's go out traced
	s.trunkSources = newPrefixSet(cfg.Trusted)
	limit := cfg.RateLimit
	s.screen = &screen{
		parser:  sip.NewParser(),
		conn:    traced,
		trace:   s.trace,
		counts:  s.counts,
		log:     &ratelog.Limited{Log: cfg.Log, Interval: time.Second},
		limiter: newSourceLimiter(limit, s.trunkSources, time.Now),
		flood:   &ratelog.Limited{Log: cfg.Log, Interval: 10 * time.Second},
		handled: map[string]bool{"INVITE": true, "ACK": true, "BYE": true, "CANCEL": true, "OPTIONS": true, "INFO": true, "UPDATE": true, "REFER": true},
	}
	advertised := s.mediaIP
	if cfg.PublicAddress.IsValid() {
		advertised = cfg.PublicAddress
	}
	uaOptions := []sipgo.UserAgentOption{
		sipgo.WithUserAgent("acd"),
		sipgo.WithUserAgentHostname(advertised.String()),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerReadFilter(s.screen.filter)),
	}
	if cfg.TLSClient != nil {
		uaOptions = append(uaOptions, sipgo.WithUserAgenTLSConfig(cfg.TLSClient))
	}
	ua, err := sipgo.NewUA(uaOptions...)
	if err != nil {
		return nil, fmt.Errorf("sip user agent: %w", err)
	}
	s.ua = ua
	quiet := slog.New(levelFloor{cfg.Log.Handler(), slog.LevelWarn})
	if s.srv, err = sipgo.NewServer(ua, sipgo.WithServerLogger(quiet)); err != nil {
		return nil, fmt.Errorf("sip server: %w", err)
	}
	if s.client, err = sipgo.NewClient(ua,
		sipgo.WithClientLogger(quiet),
		sipgo.WithClientHostname(advertised.String()),
		sipgo.WithClientConnectionAddr(local.String()),
	); err != nil {
		return nil, fmt.Errorf("sip client: %w", err)
	}
	if s.streamClient, err = sipgo.NewClient(ua,
		sipgo.WithClientLogger(quiet),
		sipgo.WithClientHostname(advertised.String()),
	); err != nil {
		return nil, fmt.Errorf("sip stream client: %w", err)
	}
	s.dialogs = &sipgo.DialogUA{
		Client:         s.client,
		ContactHDR:     sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "acd", Host: advertised.String(), Port: int(local.Port())}},
		RewriteContact: true,
	}
	tcpContact := s.dialogs.ContactHDR.Clone()
	tcpContact.Address.UriParams = sip.NewParams()
	tcpContact.Address.UriParams.Add("transport", "tcp")
	s.tcpDialogs = &sipgo.DialogUA{Client: s.streamClient, ContactHDR: *tcpContact, RewriteContact: true}
	if cfg.TLSListener != nil {
		s.listenTLS(cfg.TLSListener, cfg.TLSServer)
	}
	s.srv.OnInvite(s.guard(s.onInvite))
	s.srv.OnAck(s.guard(s.onAck))
	s.srv.OnBye(s.guard(s.onBye))
	s.srv.OnCancel(s.guard(func(req *sip.Request, tx sip.ServerTransaction) {
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
	}))
	s.srv.OnOptions(s.guard(s.onOptions))
	s.srv.OnInfo(s.guard(s.onInfo))
	s.srv.OnUpdate(s.guard(s.onUpdate))
	s.srv.OnRefer(s.guard(s.onRefer))
	s.srv.OnNoRoute(s.guard(s.onNoRoute))
	s.registrar = newRegistrar(cfg.Registered, cfg.Bindings, cfg.Log)
	if cfg.Secrets != nil {
		s.auth = newAuthenticator(cfg.Realm, cfg.AuthAlgorithms, cfg.Secrets, cfg.Log)
		s.auth.registeredFrom = s.registrar.registeredFrom
		s.srv.OnRegister(s.guard(s.onRegister))
		s.screen.handled["REGISTER"] = true
	}
	if cfg.Admission != nil {
		s.screen.admit = newAdmission(s.trunkSources, *cfg.Admission, s.registrar.fromAddress,
			newSecurityLog(cfg.Log, admissionLogEvery, admissionLinesPerSecond))
	}
	return s, nil
}

// Serve answers SIP on the UDP socket and, if tcp is not nil, on TCP,
// until ctx ends; then it hangs up every call and waits for them.
func (s *Server) Serve(ctx context.Context, tcp net.Listener) error {
	s.ctx = ctx
	s.registrar.restore()
	stopQualify := s.startQualify(ctx)
	defer stopQualify() // on a transport's failure; idempotent
	errc := make(chan error, 3)
	go func() { errc <- s.srv.ServeUDP(s.udp) }()
	tlsListener := s.serveTLS(errc)
	if h := s.serveHanded(); h != nil {
		defer h.Close() // after the transports: nothing is handed once Serve ends
	}
	if tcp != nil {
		s.mu.Lock()
		s.stream = newStreamListener(tcp, s.cfg.Stream, s.screen, func(src netip.AddrPort) bool { return s.keepStream("TCP", src) }, s.log)
		tcp = s.stream
		s.mu.Unlock()
		go func() { errc <- s.srv.ServeTCP(tcp) }()
	}
	sweep := time.NewTicker(10 * time.Second)
	defer sweep.Stop()
wait:
	for {
		select {
		case <-ctx.Done():
			break wait
		case <-sweep.C:
			s.registrar.sweep()
		case err := <-errc:
			if err != nil && !errors.Is(err, net.ErrClosed) {
				return fmt.Errorf("sip transport: %w", err)
			}
			break wait
		}
	}
	stopQualify() // no OPTIONS once the server stops, none left in flight
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	// Hang up every call at once: a BYE to a peer that has gone away takes
	// 32 s to time out, and shutdown must not take that per call.
	for _, c := range s.activeCalls() {
		go c.Hangup(hangup.Shutdown)
	}
	s.wg.Wait()
	// Legs without an inbound call of their own (a callback's agent and
	// customer) are hung up too, while the transport can still carry the
	// BYE; a peer that does not answer gets a few seconds, not Timer F.
	var legs sync.WaitGroup
	for _, l := range s.activeLegs() {
		legs.Add(1)
		go func() {
			defer legs.Done()
			l.Hangup(hangup.Shutdown)
		}()
	}
	byes := make(chan struct{})
	go func() { legs.Wait(); close(byes) }()
	select {
	case <-byes:
	case <-time.After(5 * time.Second):
		s.log.Warn("shutting down with legs whose BYE was not answered")
	}
	s.mu.Lock()
	s.settled = true
	s.mu.Unlock()
	s.endLife()
	s.settling.Wait()
	_ = s.udp.Close()
	if tcp != nil {
		_ = tcp.Close()
	}
	if tlsListener != nil {
		_ = tlsListener.Close()
	}
	return s.ua.Close()
}

// background runs f on a goroutine that Serve waits for when it stops,
// or reports false once Serve has stopped waiting.
func (s *Server) background(f func()) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.settled {
		return false
	}
	s.settling.Add(1) // under s.mu: never concurrent with Serve's Wait
	go func() {
		defer s.settling.Done()
		f()
	}()
	return true
}

// ActiveCalls is the number of calls up now.
func (s *Server) ActiveCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.calls)
}

// RefusedCalls counts inbound calls turned away with 503 because
// MaxCalls calls were in progress.
func (s *Server) RefusedCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refused
}

// TCPConnections is the number of SIP TCP connections open now.
func (s *Server) TCPConnections() int {
	s.mu.Lock()
	l := s.stream
	s.mu.Unlock()
	if l == nil {
		return 0
	}
	return l.Open()
}

// RateLimited counts the messages dropped because their source was over
// its rate limit.
func (s *Server) RateLimited() uint64 { return s.screen.limited.Load() }

// SetTrace puts a SIP trace in force at once, for messages on every
// connection; the zero Trace ends it.
func (s *Server) SetTrace(t Trace) { s.trace.set(t) }

// keepStream reports whether a quiet connection over transport (TCP or
// TLS) from src still matters: a phone registered through it, or a call
// up over it.
func (s *Server) keepStream(transport string, src netip.AddrPort) bool {
	addr := src.String()
	if s.registrar.fromSource(transport, addr) {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.calls {
		if c.dlg.InviteRequest.Transport() == transport && c.dlg.InviteRequest.Source() == addr {
			return true
		}
	}
	return false
}

// guard wraps a handler: a request reaching it lacks none of the headers
// the screen guarantees, even over a connection the screen did not see
// (one we dialled), and a fault in one request is logged and answered
// with 500 instead of stopping the server and every call on it.
func (s *Server) guard(h sipgo.RequestHandler) sipgo.RequestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		for _, name := range required {
			if req.GetHeader(name) == nil {
				s.screen.log.Warn("rejected a SIP request", "from", req.Source(), "error", "no "+name+" header")
				if name != "Via" && !req.IsAck() {
					respond(tx, req, 400, "Missing "+name)
				}
				return
			}
		}
		defer func() {
			if r := recover(); r != nil {
				s.log.Error("SIP handler failed", "method", string(req.Method), "call_id", req.CallID().Value(),
					"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				if !req.IsAck() {
					respond(tx, req, 500, "Server Internal Error")
				}
			}
		}()
		h(req, tx)
	}
}

// ActiveLegs is the number of answered calls to agents and customers up now.
func (s *Server) ActiveLegs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.legs)
}

func (s *Server) activeLegs() []*Leg {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Leg, 0, len(s.legs))
	for _, l := range s.legs {
		out = append(out, l)
	}
	return out
}

// Drain stops taking new calls — an INVITE or an OPTIONS outside a dialog
// is answered 503 with Retry-After, so that trunks and proxies send calls
// elsewhere — and returns once the calls and legs in progress have ended,
// or when ctx ends. Registrations and requests within calls go on as
// before. Serve, stopped after it, hangs up whatever is left.
func (s *Server) Drain(ctx context.Context) error {
	s.screen.draining.Store(true)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for s.ActiveCalls()+s.ActiveLegs() > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
	return nil
}

// Draining reports whether Drain has begun.
func (s *Server) Draining() bool { return s.screen.draining.Load() }

func (s *Server) activeCalls() []*Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Call, 0, len(s.calls))
	for _, c := range s.calls {
		out = append(out, c)
	}
	return out
}

func (s *Server) forget(c *Call) {
	s.mu.Lock()
	delete(s.calls, c.dlg.ID)
	s.admitted--
	s.mu.Unlock()
}

// admit counts a new inbound call against MaxCalls, or reports false when
// the server is full; release undoes it for a call that never started.
func (s *Server) admit() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cfg.MaxCalls > 0 && s.admitted >= s.cfg.MaxCalls {
		s.refused++
		return false
	}
	s.admitted++
	return true
}

func (s *Server) release() {
	s.mu.Lock()
	s.admitted--
	s.mu.Unlock()
}

func (s *Server) lookup(req *sip.Request) *Call {
	id, err := sip.DialogIDFromRequestUAS(req)
	if err != nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[id]
}

func (s *Server) lookupLeg(req *sip.Request) *Leg {
	id, err := sip.DialogIDFromRequestUAC(req)
	if err != nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.legs[id]
}

func respond(tx sip.ServerTransaction, req *sip.Request, code int, reason string, headers ...sip.Header) {
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	for _, h := range headers {
		res.AppendHeader(h)
	}
	_ = tx.Respond(res)
}

// onOptions answers OPTIONS inside a dialog; the screen answers the rest
// without a transaction.
func (s *Server) onOptions(req *sip.Request, tx sip.ServerTransaction) {
	respond(tx, req, 200, "OK", optionsHeaders()...)
}

func (s *Server) onNoRoute(req *sip.Request, tx sip.ServerTransaction) {
	if knownMethods[string(req.Method)] {
		respond(tx, req, 405, "Method Not Allowed", sip.NewHeader("Allow", allowed))
		return
	}
	respond(tx, req, 501, "Not Implemented", sip.NewHeader("Allow", allowed))
}

func (s *Server) onAck(req *sip.Request, tx sip.ServerTransaction) {
	c := s.lookup(req)
	if c == nil {
		if l := s.lookupLeg(req); l != nil {
			l.ack(req)
		}
		return
	}
	c.mu.Lock()
	wantAnswer := c.ackBody
	c.mu.Unlock()
	if wantAnswer != nil {
		select {
		case wantAnswer <- req.Body():
		default:
		}
	}
	c.ack(req)
	if err := c.dlg.ReadAck(req, tx); err != nil {
		c.log.Debug("ACK does not match the dialog", "error", err)
	}
}

func (s *Server) onRegister(req *sip.Request, tx sip.ServerTransaction) {
	v, user, stale := s.auth.check(req)
	if v != accepted {
		s.auth.respond(tx, req, v, stale)
		return
	}
	s.registrar.register(user, req, tx)
}

// Registered reports whether an agent's phone has a live registration.
func (s *Server) Registered(agent string) bool { return s.registrar.Registered(agent) }

func (s *Server) onBye(req *sip.Request, tx sip.ServerTransaction) {
	c := s.lookup(req)
	if c == nil {
		if l := s.lookupLeg(req); l != nil {
			if err := l.dlg.ReadBye(req, tx); err != nil {
				respond(tx, req, 481, "Call/Transaction Does Not Exist")
			}
			l.close(hangup.Cause{By: l.peer(), Code: hangup.PhoneHungUp})
			return
		}
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	if err := c.dlg.ReadBye(req, tx); err != nil {
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	c.close(hangup.CallerHungUp)
}

// onUpdate answers UPDATE (RFC 3311) within a dialog we hold.
func (s *Server) onUpdate(req *sip.Request, tx sip.ServerTransaction) {
	d := s.findDialog(req)
	if d == nil {
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	d.update(req, tx)
}

// onInfo takes DTMF sent as SIP INFO (application/dtmf-relay or
// application/dtmf), for phones that do not send RFC 4733, on any dialog
// we hold.
func (s *Server) onInfo(req *sip.Request, tx sip.ServerTransaction) {
	d := s.findDialog(req)
	if d == nil {
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	d.info(req, tx)
}

// infoDigit reads the key from a DTMF INFO body.
func infoDigit(contentType, body string) (rune, bool) {
	var signal string
	switch contentType {
	case "application/dtmf-relay":
		for line := range strings.Lines(body) {
			name, value, ok := strings.Cut(line, "=")
			if ok && strings.EqualFold(strings.TrimSpace(name), "signal") {
				signal = strings.TrimSpace(value)
			}
		}
	case "application/dtmf":
		signal = strings.TrimSpace(body)
	default:
		return 0, false
	}
	if signal == "10" {
		signal = "*"
	} else if signal == "11" {
		signal = "#"
	}
	if len(signal) != 1 {
		return 0, false
	}
	key := rune(strings.ToUpper(signal)[0])
	_, ok := media.DigitEvent(key)
	return key, ok && key != '!'
}

// levelFloor drops records below a level: sipgo is chatty at info.
type levelFloor struct {
	slog.Handler
	min slog.Level
}

func (l levelFloor) Enabled(ctx context.Context, lv slog.Level) bool {
	return lv >= l.min && l.Handler.Enabled(ctx, lv)
}
