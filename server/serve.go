package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/acdserver/acd/acd"
	"github.com/acdserver/acd/config"
	"github.com/acdserver/acd/dialplan"
	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/flow"
	"github.com/acdserver/acd/hangup"
	"github.com/acdserver/acd/media"
	"github.com/acdserver/acd/prompts"
	"github.com/acdserver/acd/recording"
	"github.com/acdserver/acd/report"
	"github.com/acdserver/acd/service"
	"github.com/acdserver/acd/sip"
	"github.com/acdserver/acd/store"
)

// program is one loaded configuration version with everything built from it.
type Program struct {
	cfg     *config.Config
	sounds  sounds // the prompts, then the recorded messages
	plan    *dialplan.Program
	dataDir string
	// trunks names a call's trunk by its source, read once per version
	// rather than per call.
	trunks trunkNamer
}

// loadProgram reads, validates and compiles a configuration ("" means the
// embedded default). Every problem is reported, as FILE:LINE: message.
func LoadProgram(path string) (*Program, error) {
	return LoadProgramData(path, "")
}

// LoadProgramData is LoadProgram knowing the recorded messages of a data
// directory ("": the configuration's), which dial plans may play by name.
func LoadProgramData(path, dataDir string) (*Program, error) {
	return loadProgramWith(path, config.Managed{}, messagesIn(dataDir))
}

// loadProgramWith is loadProgram with the queues and agents made through
// the API, validated and compiled with the file as one configuration.
// configSource reads the configuration file, or gives the embedded
// default for "".
func configSource(path string) ([]byte, error) {
	if path == "" {
		return config.DefaultSource(), nil
	}
	source, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading configuration: %w", err)
	}
	return source, nil
}

// messages gives the recorded messages the dial plans may name: the
// running server's library, or messagesIn's names read from a data
// directory.
func loadProgramWith(path string, managed config.Managed, messages messageSource) (*Program, error) {
	var (
		cfg    *config.Config
		source []byte
		err    error
	)
	file := path
	if path == "" {
		file = config.DefaultName
	}
	if source, err = configSource(path); err != nil {
		return nil, err
	}
	cfg, err = config.ParseWith(file, source, managed)
	// The version id is the hash of everything the program is built from.
	source = append(source, managed.Digest()...)
	if cfg == nil {
		return nil, err
	}
	// Report the configuration's, the prompts' and the dial plans'
	// problems together, so that one run of check shows them all.
	var errs config.Errors
	if ce, ok := err.(config.Errors); ok {
		errs = append(errs, ce...)
	}
	lib, perr := prompts.Load(cfg.Prompts)
	if perr != nil {
		return nil, errors.Join(errs.Err(), perr)
	}
	recordedSounds, merr := messages(cfg)
	if merr != nil {
		return nil, errors.Join(errs.Err(), merr)
	}
	sounds := sounds{prompts: lib, messages: recordedSounds}
	plan, err := dialplan.Compile(cfg, sounds, source)
	if ce, ok := err.(config.Errors); ok {
		errs = append(errs, ce...)
	}
	if err := errs.Err(); err != nil {
		return nil, managed.Relabel(file, err)
	}
	return &Program{cfg: cfg, sounds: sounds, plan: plan, trunks: newTrunkNamer(cfg)}, nil
}

// Options are what the command gives the server beyond its configuration.
type Options struct {
	Version string    // the build's version, as the API, pages and metrics show it
	Log     io.Writer // where the log goes
}

// ExitError carries an exit status out of the server's set-up.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }

// Config is the program's configuration.
func (p *Program) Config() *config.Config { return p.cfg }

// Sounds are the program's prompts and recorded messages.
func (p *Program) Sounds() dialplan.Sounds { return p.sounds }

// Plan is the program's compiled dial plans.
func (p *Program) Plan() *dialplan.Program { return p.plan }

// Server is one run of the server: what start builds, a reload changes
// and stop takes down. Its fields are set once, by the steps of Run, in
// the order they are declared; only current changes after start.
type Server struct {
	version string
	log     *slog.Logger
	cfg     *config.Config // the configuration started with: addresses, caps, the server section

	sipAP, httpAP netip.AddrPort
	ports         *media.Ports
	budget        connBudget
	fdLimit       uint64

	// undo holds what to take down, in reverse order, when Run returns.
	undo []func()

	udp     *net.UDPConn
	tcp     *net.TCPListener
	httpLn  *connLimiter
	secure  *serverTLS
	life    context.Context // outlasts stop by the drain, so that calls in progress keep their media
	end     context.CancelFunc
	engine  *media.Engine
	rtpSend string

	events   *store.Log
	current  atomic.Pointer[Program] // the version in force; a call keeps the one it started on
	conf     *configurator
	messages *messageDesk // recorded messages: their store and the library calls play
	reports  *report.Reports
	resolver *sip.Resolver
	sip      *sip.Server
	trunks   *trunkRegistrations
	center   *acd.Center
	flows    *flow.Flows // the distributor's workflows over center
	// recorder is set once the recordings have started, after HTTP is
	// mounted: /metrics reads it then.
	recorder atomic.Pointer[recording.Recorder]
	svc      *service.Service
	http     *http.Server
}

// Run runs the server until stop ends, then drains it and stops it.
func Run(stop context.Context, prog *Program, opts Options) error {
	s, err := newServer(prog, opts)
	if err != nil {
		return err
	}
	defer s.takeDown()
	for _, step := range []func() error{
		s.lockData,
		s.listen,
		s.startMedia,
		func() error { return s.openStore(prog) },
		s.listenSIP,
		s.buildCenter,
		s.mountHTTP,
		s.startRecordings,
	} {
		if err := step(); err != nil {
			return err
		}
	}
	return s.serve(stop)
}

// onStop keeps f to run, in reverse order of keeping, when Run returns.
func (s *Server) onStop(f func()) { s.undo = append(s.undo, f) }

func (s *Server) takeDown() {
	for i := len(s.undo) - 1; i >= 0; i-- {
		s.undo[i]()
	}
}

// running is the configuration version in force.
func (s *Server) running() *config.Config { return s.current.Load().cfg }

// newServer checks what the configuration's server section and the
// flags give (the file is checked for most of it; flags come later) and
// sizes the connection caps to the descriptors there are.
func newServer(prog *Program, opts Options) (*Server, error) {
	cfg := prog.cfg
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.Server.LogLevel)); err != nil {
		return nil, &ExitError{2, fmt.Errorf("log level %q: want debug, info, warn or error", cfg.Server.LogLevel)}
	}
	log, err := newLogger(opts.Log, cfg.Server.LogFormat, level)
	if err != nil {
		return nil, &ExitError{2, err}
	}
	s := &Server{version: opts.Version, log: log, cfg: cfg}
	s.current.Store(prog)

	if s.sipAP, err = netip.ParseAddrPort(cfg.Server.SIP); err != nil {
		return nil, &ExitError{2, fmt.Errorf("sip address %q: want IP:PORT", cfg.Server.SIP)}
	}
	if s.httpAP, err = netip.ParseAddrPort(cfg.Server.HTTP); err != nil {
		return nil, &ExitError{2, fmt.Errorf("http address %q: want IP:PORT", cfg.Server.HTTP)}
	}
	if cfg.Server.HTTPBeyondLoopbackInPlain() && !cfg.Server.PlainHTTPBeyondLoopback {
		// The file is checked for this; -http comes later.
		return nil, &ExitError{2, errors.New(config.PlainHTTPRefusal("-http", cfg.Server.HTTP))}
	}
	tlsAP, _ := netip.ParseAddrPort(cfg.Server.SIPTLS) // checked with the file; invalid when unset
	if (!s.sipAP.Addr().IsLoopback() || !s.httpAP.Addr().IsLoopback() || tlsAP.IsValid() && !tlsAP.Addr().IsLoopback()) && cfg.DemoCredentials() {
		return nil, &ExitError{2, errors.New("refusing to listen beyond loopback with the demo agent passwords of the default configuration: " +
			"give every agent its own password in your configuration file, or listen on 127.0.0.1")}
	}
	low, high, err := cfg.Server.RTPPortRange()
	if err != nil {
		return nil, &ExitError{2, err}
	}
	if s.ports, err = media.NewPorts(low, high); err != nil {
		return nil, &ExitError{2, err}
	}
	// The configuration file is checked for this; -rtp-ports comes later.
	if room := (high - low) / 2; cfg.Server.MaxCalls > room {
		log.Warn("rtp_ports holds fewer calls than max_calls: calls past it get 503 for want of a port",
			"rtp_ports", cfg.Server.RTPPorts, "calls", room, "max_calls", cfg.Server.MaxCalls)
	}
	s.sizeCaps(min(cfg.Server.MaxCalls, (high-low)/2))
	return s, nil
}

// sizeCaps raises the descriptor limit to what the configured calls and
// connection caps may use, and lowers the caps when it cannot.
func (s *Server) sizeCaps(calls int) {
	cfg, log := s.cfg, s.log
	// Each call holds an RTP socket (an agent leg another), each TCP client
	// a connection; the rest is the database, listeners and the like.
	hl := cfg.Server.HTTPLimits
	needFDs := uint64(fdsPerCall*cfg.Server.MaxCalls + cfg.SIP.TCP.MaxConnections + hl.MaxConnections + descriptorReserve)
	if cfg.Server.SIPTLS != "" {
		needFDs += uint64(cfg.SIP.TCP.MaxConnections) // the TLS listener is capped on its own
	}
	fdLimit, err := raiseFileLimit(needFDs)
	if err != nil {
		log.Warn("cannot read or raise the descriptor limit", "error", err)
		fdLimit = needFDs // the configured caps stand
	} else if fdLimit < needFDs {
		log.Warn("the descriptor limit is below what max_calls and the connection caps may use: the caps are lowered to keep descriptors for calls",
			"fd_limit", fdLimit, "fd_wanted", needFDs)
	}
	budget := budgetOf(fdLimit, calls, cfg.SIP.TCP.MaxConnections, cfg.SIP.TCP.MaxPerSource,
		cfg.Server.SIPTLS != "", hl.MaxConnections, hl.MaxPerSource)
	log.Info("connection caps", "fd_limit", fdLimit, "fd_calls", budget.calls, "fd_reserve", descriptorReserve,
		"sip_tcp_max_connections", budget.sipTCP, "sip_tcp_max_connections_per_source", budget.sipSource,
		"http_max_connections", budget.http, "http_max_connections_per_source", budget.httpSrc)
	s.fdLimit, s.budget = fdLimit, budget
}

// lockData makes the data directory and holds it: one server per
// directory.
func (s *Server) lockData() error {
	if err := os.MkdirAll(s.cfg.Server.DataDir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	lock, err := store.LockDir(s.cfg.Server.DataDir)
	if err != nil {
		return err
	}
	s.onStop(func() { lock.Unlock() })
	return nil
}

// listen opens the SIP, HTTP and TLS listeners, so that a taken port
// stops the start before anything else is built.
func (s *Server) listen() error {
	udp, tcp, err := listenSIP(s.sipAP)
	if err != nil {
		return err
	}
	rawHTTP, err := net.Listen("tcp", s.httpAP.String())
	if err != nil {
		_ = udp.Close()
		_ = tcp.Close()
		return fmt.Errorf("http: %w", err)
	}
	httpLn := limitConns(rawHTTP, s.budget.http, s.budget.httpSrc, s.log)
	secure, err := startTLS(s.cfg.Server, s.log)
	if err != nil {
		_ = udp.Close()
		_ = tcp.Close()
		_ = httpLn.Close()
		return err
	}
	s.udp, s.tcp, s.httpLn, s.secure = udp, tcp, httpLn, secure
	return nil
}

// startMedia starts the server's life and the media engine within it.
func (s *Server) startMedia() error {
	s.life, s.end = context.WithCancel(context.Background())
	s.onStop(s.end)
	engine, err := media.NewEngine(s.life, media.RawSend(s.cfg.Media.RawSend))
	if err != nil {
		_ = s.udp.Close()
		_ = s.tcp.Close()
		_ = s.httpLn.Close()
		s.secure.close()
		return &ExitError{2, err}
	}
	s.engine, s.rtpSend = engine, "socket"
	if engine.Raw() {
		s.rtpSend = "raw"
	}
	return nil
}

// openStore opens the database, the configurator over the objects made
// through the API, and the reports. The queues and agents made through
// the API join the file's; if the file has changed so that they no
// longer fit, the server runs on the file alone and says why.
func (s *Server) openStore(prog *Program) error {
	events, err := store.Open(filepath.Join(s.cfg.Server.DataDir, "acd.db"), s.log)
	if err != nil {
		return err
	}
	s.onStop(func() { events.Close() })
	s.events = events
	managedStore, err := store.OpenManaged(events)
	if err != nil {
		return err
	}
	s.conf = &configurator{store: managedStore, current: &s.current, activate: s.activate, log: s.log}
	if prog, err = s.openMessages(prog); err != nil {
		return err
	}
	s.messages.conf, s.conf.messages = s.conf, s.messages
	if m := s.conf.managed(s.life); len(m.Queues)+len(m.Agents) > 0 {
		path := s.cfg.File
		if path == config.DefaultName {
			path = ""
		}
		if with, err := loadProgramWith(path, m, messagesOf(prog)); err != nil {
			s.log.Error("the queues and agents made through the API do not fit the configuration file; running on the file alone", "errors", err.Error())
		} else {
			with.cfg.Server = s.cfg.Server
			prog = with
		}
	}
	s.current.Store(prog)
	reports, stopReports, err := startReports(events, s.running, s.log)
	if err != nil {
		return err
	}
	s.onStop(stopReports) // before the log's Close
	s.reports = reports
	return nil
}

// listenSIP builds the SIP server on the listeners, from the
// configuration's SIP settings.
func (s *Server) listenSIP() error {
	cfg := s.current.Load().cfg
	registrations, err := store.OpenRegistrations(s.events)
	if err != nil {
		return err
	}
	s.resolver = newResolver(cfg, s.log)
	sc := sipConfig(cfg)
	sc.Resolver = s.resolver
	sc.Ports, sc.Media, sc.Log = s.ports, s.engine, s.log
	sc.Secrets, sc.SRTP = secrets(s.running), srtpPolicies(s.current.Load)
	sc.Stream.MaxConnections, sc.Stream.MaxPerSource = s.budget.sipTCP, s.budget.sipSource
	sc.TLSListener, sc.TLSServer, sc.TLSClient = s.secure.sip, s.secure.sipServerConfig(), s.secure.client
	sc.Bindings = bindingStore{registrations}
	sc.Registered = s.phoneChanged
	sc.Route = s.route
	if s.sip, err = sip.NewServer(sc, s.udp); err != nil {
		return err
	}
	announceTrace(cfg, s.log)
	s.trunks = newTrunkRegistrations(s.sip, s.log)
	return nil
}

// phoneChanged tells the distributor that an agent's phone registered,
// went or stopped answering.
func (s *Server) phoneChanged(agent string, reachable bool, cause string) {
	s.center.PhoneChanged(agent, reachable, cause)
}

// route gives a number dialled its handler: an agent's feature code, or
// the dial plan that takes it, in the version the call starts on.
func (s *Server) route(number, agent string) (sip.Handler, bool) {
	p := s.current.Load() // a call keeps the version it started on
	if strings.HasPrefix(number, "*") {
		if agent == "" {
			return nil, false
		}
		return func(ctx context.Context, c *sip.Call) { s.featureCall(ctx, c, p, agent, number) }, true
	}
	plan, key, ok := p.plan.Match(number)
	if !ok {
		return nil, false
	}
	pattern := "" // the dial plan sees the number dialled; the event also says which pattern took it
	if key != number {
		pattern = key
	}
	// A waiting caller's goroutine stays parked under this function for
	// the whole wait: what comes before and after the walk is done in
	// calls of their own, so that the frame it parks on stays small.
	return func(ctx context.Context, c *sip.Call) {
		rec, st := s.callArrived(c, p, plan, number, pattern)
		err := p.plan.Run(ctx, plan, st)
		s.callEnded(c, rec, st, err)
	}, true
}

func (s *Server) callArrived(c *sip.Call, p *Program, plan *dialplan.Plan, number, pattern string) (*callRecord, *dialplan.State) {
	rec := recordCall(s.events, c, number, pattern, plan.Name, p.plan.Version, p.trunks.of(c.Source()))
	return rec, &dialplan.State{Call: c, Queues: s.flows, Sounds: p.sounds, Log: s.log, Trace: rec.step}
}

func (s *Server) callEnded(c *sip.Call, rec *callRecord, st *dialplan.State, err error) {
	if err != nil {
		s.log.Error("dial plan failed", "call_id", c.ID(), "error", err)
	}
	c.Hangup(hangup.EndOfDialPlan) // the walk has hung up already, but for a failure
	rec.end(c, st.Talk)
}

// featureCall carries out an agent's feature code and plays the prompt
// that confirms it.
func (s *Server) featureCall(ctx context.Context, c *sip.Call, p *Program, agent, number string) {
	if name, ok := strings.CutPrefix(number, recordCode); ok {
		s.recordByPhone(ctx, c, p, agent, name)
		return
	}
	if target, ok := strings.CutPrefix(number, monitorCode); ok {
		s.monitorCall(ctx, c, p, agent, target)
		return
	}
	prompt := featureCode(serviceDesk{svc: s.svc, reasons: s.center.PauseReasons}, agent, number)
	s.log.Info("feature code", "agent", agent, "code", number, "prompt", prompt)
	select {
	case <-c.Play(p.sounds.Get(prompt), false):
	case <-c.Done():
	case <-ctx.Done():
	}
}

// buildCenter builds the distributor and restores what it knew before a
// restart: the recent wait window, the agents' states, the callbacks.
func (s *Server) buildCenter() error {
	ctx, prog := s.life, s.current.Load()
	callbacks, err := store.OpenCallbacks(s.events)
	if err != nil {
		return err
	}
	s.flows = flow.New(prog.cfg, phones{srv: s.sip, cfg: s.running}, prog.sounds, s.events, callbacks,
		maskVars(s.log, func(v string) bool { return s.current.Load().plan.LogsDigits(v) }))
	s.center = s.flows.Core()
	s.events.Append(event.New(time.Now(), event.Ref{}, event.ServerStarted{Version: s.version, Config: prog.plan.Version}))
	recent, err := s.events.Events(ctx, store.Filter{Since: time.Now().Add(-acd.WaitWindow)})
	if err != nil {
		return err
	}
	s.center.RestoreWindow(recent)
	if err := startPauseReasons(ctx, prog.cfg, s.events, s.center, s.log); err != nil {
		return err
	}
	history, err := s.events.AgentHistory(ctx)
	if err != nil {
		return err
	}
	s.center.RestoreAgents(history)
	if err := s.center.LoadCallbacks(ctx); err != nil {
		return fmt.Errorf("loading callback requests: %w", err)
	}
	return nil
}

// mountHTTP puts health, metrics, ctl, the API and the pages on the HTTP
// server.
func (s *Server) mountHTTP() error {
	hl := s.cfg.Server.HTTPLimits
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	live := &liveServer{srv: s.sip, engine: s.engine, center: s.center, events: s.events, current: &s.current, log: s.log, trunks: s.trunks, http: s.httpLn, version: s.version, recorder: &s.recorder}
	mux.Handle("GET /metrics", metricsHandler(live))
	removeToken, err := mountCtl(mux, live)
	if err != nil {
		return err
	}
	s.onStop(removeToken)
	// Live streams lift ReadTimeout (and any write deadline) once they
	// start: they last as long as the page or client.
	s.http = &http.Server{Handler: guardHTTP(mux, s.cfg.Server.HTTPHostNames(), s.log, func() int64 { return s.running().RecordedMessages.MaxUploadBytes() }), ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout: hl.ReadTimeout.D(), IdleTimeout: hl.IdleTimeout.D(), ConnState: s.httpLn.connState, TLSConfig: s.secure.httpServerConfig()}
	stopAPI, svc, err := mountAPI(s.life, mux, s.http, s.running, s.center, s.events, s.conf, s.reports, s.version, s.log)
	if err != nil {
		return err
	}
	s.onStop(stopAPI)
	s.svc = svc
	svc.SetMonitor(s.flows)
	return nil
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	status := "ok"
	if s.sip.Draining() {
		status = "draining"
	}
	srv, engine := s.sip, s.engine
	fmt.Fprintf(w, `{"status":%q,"config_version":%q,"calls":%d,"calls_refused":%d,"legs":%d,"goroutines":%d,"rtp_send":%q,"rtp_dropped":%d,"rtp_stray":%d,"tcp_connections":%d,"tls_connections":%d,"http_connections":%d,"http_refused":%d,"sip_rate_limited":%d}`+"\n",
		status, s.current.Load().plan.Version, srv.ActiveCalls(), srv.RefusedCalls(), srv.ActiveLegs(), runtime.NumGoroutine(), s.rtpSend, engine.Dropped(),
		engine.Stray(), srv.TCPConnections(), srv.TLSConnections(), s.httpLn.Open(), s.httpLn.refused.Load(), srv.RateLimited())
}

// activate puts in force what a new configuration version changes beyond
// new calls, whether it comes from SIGHUP or from the API.
func (s *Server) activate(old, next *config.Config) {
	ctx, log := s.life, s.log
	s.center.Apply(next)
	s.svc.SetDirectory(directoryOf(next))
	if err := s.svc.ApplySettings(ctx); err != nil {
		log.Error("applying the organisation settings", "error", err)
	}
	if !slices.Equal(old.PauseReasons, next.PauseReasons) {
		if err := s.svc.ReloadPauseReasons(ctx, fileReasons(next)); err != nil {
			log.Error("putting the reloaded pause reasons in force", "error", err)
		}
	}
	resip(s.sip, s.resolver, old, next, log)
	s.trunks.apply(next)
}

// watchReload puts a new version of the configuration in force on
// SIGHUP: new calls take its dial plans; queues, agents and trunks change
// for calls in progress too, as the distributor applies them.
func (s *Server) watchReload() (stop func()) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		for {
			select {
			case <-s.life.Done():
				return
			case <-hup:
				reload(&s.current, func() config.Managed { return s.conf.managed(s.life) }, s.log, s.activate)
				s.secure.reload()
			}
		}
	}()
	return func() { signal.Stop(hup) }
}

// serve serves SIP and HTTP until stop and the drain after it are over,
// then stops the HTTP server and the distributor and waits for media.
func (s *Server) serve(stop context.Context) error {
	cfg, prog := s.cfg, s.current.Load()
	// Registering starts once SIP is served; from here on only Serve
	// (which ends them, unregistering) or a reload stops them.
	s.trunks.apply(prog.cfg)
	defer s.watchReload()()
	scheme := "http"
	if s.http.TLSConfig != nil {
		scheme = "https"
		// The certificate comes from TLSConfig's GetCertificate.
		go func() { _ = s.http.ServeTLS(s.httpLn, "", "") }()
	} else {
		go func() { _ = s.http.Serve(s.httpLn) }()
	}

	s.log.Info("acd started", "version", s.version, "sip", s.udp.LocalAddr().String(), "http", s.httpLn.Addr().String(),
		"sip_tls", s.secure.sipAddress(), "http_scheme", scheme,
		"rtp_ports", cfg.Server.RTPPorts, "rtp_send", s.rtpSend, "fd_limit", s.fdLimit, "config", prog.cfg.File, "config_version", prog.plan.Version)
	go drain(stop, s.life, s.end, s.sip, cfg.Server.DrainTimeout.D(), s.events, s.log)
	err := s.sip.Serve(s.life, s.tcp)
	shut, done := context.WithTimeout(context.Background(), 5*time.Second)
	defer done()
	_ = s.http.Shutdown(shut)
	s.end()
	if err := s.flows.Close(shut); err != nil {
		s.log.Warn("stopping the distributor", "error", err)
	}
	s.engine.Wait()
	s.log.Info("acd stopped")
	return err
}

// drain waits for stop, then lets calls in progress end, new ones being
// refused, for up to limit (a second SIGTERM or Ctrl-C cuts it short);
// then it ends the server's life, which hangs up the rest.
func drain(stop, life context.Context, end context.CancelFunc, srv *sip.Server, limit time.Duration, events interface{ Append(store.Event) }, log *slog.Logger) {
	select {
	case <-stop.Done():
	case <-life.Done():
		return
	}
	events.Append(event.New(time.Now(), event.Ref{}, event.ServerDraining{Calls: srv.ActiveCalls(), LimitMS: event.Ms(max(limit, 0))}))
	if limit <= 0 {
		end()
		return
	}
	ctx, cancel := context.WithTimeout(life, limit)
	defer cancel()
	again := make(chan os.Signal, 1)
	signal.Notify(again, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(again)
	go func() {
		select {
		case <-again:
			cancel()
		case <-ctx.Done():
		}
	}()
	log.Info("draining: new calls get 503, calls in progress may finish", "calls", srv.ActiveCalls(), "legs", srv.ActiveLegs(), "drain_timeout", limit)
	if err := srv.Drain(ctx); err != nil {
		log.Warn("drain over with calls in progress: hanging them up", "calls", srv.ActiveCalls(), "legs", srv.ActiveLegs())
	} else {
		log.Info("drained: no call in progress")
	}
	end()
}

// reload swaps in a new configuration version for new calls; calls in
// progress keep theirs. An invalid file leaves the running version.
// applied puts in force what takes effect at once, beyond new calls.
func reload(current *atomic.Pointer[Program], managed func() config.Managed, log *slog.Logger, applied func(old, next *config.Config)) {
	old := current.Load()
	path := old.cfg.File
	if path == config.DefaultName {
		path = ""
	}
	// The file stands on its own (the server starts from it alone, and
	// acd check reads it alone); then with the objects made through the
	// API.
	next, err := loadProgramWith(path, config.Managed{}, messagesOf(old))
	if err == nil {
		next, err = loadProgramWith(path, managed(), messagesOf(old))
	}
	if err != nil {
		log.Error("configuration reload rejected; keeping the running version", "version", old.plan.Version, "errors", err.Error())
		return
	}
	next.cfg.Server = old.cfg.Server // listening addresses need a restart
	current.Store(next)
	applied(old.cfg, next.cfg)
	log.Info("configuration reloaded", "old_version", old.plan.Version, "version", next.plan.Version)
}

// sipTrace is the SIP trace a configuration asks for.
func sipTrace(cfg *config.Config) sip.Trace {
	return sip.Trace{Sources: cfg.SIP.Trace.SourcePrefixes(), Users: cfg.SIP.Trace.Users}
}

// announceTrace says whose SIP the trace writes to the log, since it
// writes peers' messages in full, and warns when the log level hides it.
func announceTrace(cfg *config.Config, log *slog.Logger) {
	t := cfg.SIP.Trace
	if len(t.Sources)+len(t.Users) == 0 {
		return
	}
	log.Warn("SIP trace on: every message to and from these peers is logged in full",
		"sources", strings.Join(t.Sources, ","), "users", strings.Join(t.Users, ","))
	if !log.Enabled(context.Background(), slog.LevelInfo) {
		log.Warn("the SIP trace is written at level info, which server.log_level hides: set it to info or debug and restart")
	}
}
