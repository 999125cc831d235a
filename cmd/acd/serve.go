package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/acdserver/acd/acd"
	"github.com/acdserver/acd/config"
	"github.com/acdserver/acd/dialplan"
	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/hangup"
	"github.com/acdserver/acd/media"
	"github.com/acdserver/acd/prompts"
	"github.com/acdserver/acd/sip"
	"github.com/acdserver/acd/store"
)

// program is one loaded configuration version with everything built from it.
type program struct {
	cfg     *config.Config
	sounds  *prompts.Library
	plan    *dialplan.Program
	dataDir string
}

// loadProgram reads, validates and compiles a configuration ("" means the
// embedded default). Every problem is reported, as FILE:LINE: message.
func loadProgram(path string) (*program, error) {
	return loadProgramWith(path, config.Managed{})
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

func loadProgramWith(path string, managed config.Managed) (*program, error) {
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
	sounds, perr := prompts.Load(cfg.Prompts)
	if perr != nil {
		return nil, errors.Join(errs.Err(), perr)
	}
	plan, err := dialplan.Compile(cfg, sounds, source)
	if ce, ok := err.(config.Errors); ok {
		errs = append(errs, ce...)
	}
	if err := errs.Err(); err != nil {
		return nil, managed.Relabel(file, err)
	}
	return &program{cfg: cfg, sounds: sounds, plan: plan}, nil
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		usage(stderr)
		fmt.Fprintln(stderr, "\nacd serve flags:")
		fs.PrintDefaults()
	}
	var (
		path     = fs.String("config", "", "configuration file (default: the embedded one)")
		sipAddr  = fs.String("sip", "", "SIP address for UDP and TCP, IP:PORT")
		httpAddr = fs.String("http", "", "HTTP address, IP:PORT")
		dataDir  = fs.String("data", "", "data directory")
		rtpPorts = fs.String("rtp-ports", "", "RTP port range LOW-HIGH")
		logLevel = fs.String("log-level", "", "debug, info, warn or error")
		logFmt   = fs.String("log-format", "", "text or json")
		cpuProf  = fs.String("cpuprofile", "", "write a CPU profile to this file until the server stops (for bench/)")
		drainFor = fs.String("drain-timeout", "", "how long a stopping server lets calls finish (0: hang up at once)")
	)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	prog, err := loadProgram(*path)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	s := &prog.cfg.Server
	for _, o := range []struct {
		flag string
		dst  *string
	}{{*sipAddr, &s.SIP}, {*httpAddr, &s.HTTP}, {*dataDir, &s.DataDir}, {*rtpPorts, &s.RTPPorts}, {*logLevel, &s.LogLevel}, {*logFmt, &s.LogFormat}} {
		if o.flag != "" {
			*o.dst = o.flag
		}
	}
	if *drainFor != "" {
		d, err := time.ParseDuration(*drainFor)
		if err != nil || d < 0 {
			fmt.Fprintf(stderr, "acd: -drain-timeout %q: want a duration like 30s, or 0\n", *drainFor)
			return 2
		}
		s.DrainTimeout = config.Duration(d)
	}
	if *cpuProf != "" {
		f, err := os.Create(*cpuProf)
		if err != nil {
			fmt.Fprintln(stderr, "acd:", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(stderr, "acd:", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	if err := runServer(ctx, prog, stderr); err != nil {
		fmt.Fprintln(stderr, "acd:", err)
		return exitCode(err)
	}
	return 0
}

func runServer(stop context.Context, prog *program, stderr io.Writer) error {
	cfg := prog.cfg
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.Server.LogLevel)); err != nil {
		return &exitError{2, fmt.Errorf("log level %q: want debug, info, warn or error", cfg.Server.LogLevel)}
	}
	log, err := newLogger(stderr, cfg.Server.LogFormat, level)
	if err != nil {
		return &exitError{2, err}
	}

	sipAP, err := netip.ParseAddrPort(cfg.Server.SIP)
	if err != nil {
		return &exitError{2, fmt.Errorf("sip address %q: want IP:PORT", cfg.Server.SIP)}
	}
	httpAP, err := netip.ParseAddrPort(cfg.Server.HTTP)
	if err != nil {
		return &exitError{2, fmt.Errorf("http address %q: want IP:PORT", cfg.Server.HTTP)}
	}
	if cfg.Server.HTTPBeyondLoopbackInPlain() && !cfg.Server.PlainHTTPBeyondLoopback {
		// The file is checked for this; -http comes later.
		return &exitError{2, errors.New(config.PlainHTTPRefusal("-http", cfg.Server.HTTP))}
	}
	tlsAP, _ := netip.ParseAddrPort(cfg.Server.SIPTLS) // checked with the file; invalid when unset
	if (!sipAP.Addr().IsLoopback() || !httpAP.Addr().IsLoopback() || tlsAP.IsValid() && !tlsAP.Addr().IsLoopback()) && cfg.DemoCredentials() {
		return &exitError{2, errors.New("refusing to listen beyond loopback with the demo agent passwords of the default configuration: " +
			"give every agent its own password in your configuration file, or listen on 127.0.0.1")}
	}
	low, high, err := cfg.Server.RTPPortRange()
	if err != nil {
		return &exitError{2, err}
	}
	ports, err := media.NewPorts(low, high)
	if err != nil {
		return &exitError{2, err}
	}
	// The configuration file is checked for this; -rtp-ports comes later.
	if room := (high - low) / 2; cfg.Server.MaxCalls > room {
		log.Warn("rtp_ports holds fewer calls than max_calls: calls past it get 503 for want of a port",
			"rtp_ports", cfg.Server.RTPPorts, "calls", room, "max_calls", cfg.Server.MaxCalls)
	}
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
	budget := budgetOf(fdLimit, min(cfg.Server.MaxCalls, (high-low)/2), cfg.SIP.TCP.MaxConnections, cfg.SIP.TCP.MaxPerSource,
		cfg.Server.SIPTLS != "", hl.MaxConnections, hl.MaxPerSource)
	log.Info("connection caps", "fd_limit", fdLimit, "fd_calls", budget.calls, "fd_reserve", descriptorReserve,
		"sip_tcp_max_connections", budget.sipTCP, "sip_tcp_max_connections_per_source", budget.sipSource,
		"http_max_connections", budget.http, "http_max_connections_per_source", budget.httpSrc)
	if err := os.MkdirAll(cfg.Server.DataDir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	lock, err := store.LockDir(cfg.Server.DataDir)
	if err != nil {
		return err
	}
	defer lock.Unlock()

	udp, tcp, err := listenSIP(sipAP)
	if err != nil {
		return err
	}
	rawHTTP, err := net.Listen("tcp", httpAP.String())
	if err != nil {
		_ = udp.Close()
		_ = tcp.Close()
		return fmt.Errorf("http: %w", err)
	}
	httpLn := limitConns(rawHTTP, budget.http, budget.httpSrc, log)
	secure, err := startTLS(cfg.Server, log)
	if err != nil {
		_ = udp.Close()
		_ = tcp.Close()
		_ = httpLn.Close()
		return err
	}

	// ctx is the server's life: it outlasts stop (the first SIGTERM or
	// Ctrl-C) by the drain, so that calls in progress keep their media.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	engine, err := media.NewEngine(ctx, media.RawSend(cfg.Media.RawSend))
	if err != nil {
		_ = udp.Close()
		_ = tcp.Close()
		_ = httpLn.Close()
		secure.close()
		return &exitError{2, err}
	}
	rtpSend := "socket"
	if engine.Raw() {
		rtpSend = "raw"
	}

	events, err := store.Open(filepath.Join(cfg.Server.DataDir, "acd.db"), log)
	if err != nil {
		return err
	}
	defer events.Close()

	registrations, err := store.OpenRegistrations(events)
	if err != nil {
		return err
	}
	managedStore, err := store.OpenManaged(events)
	if err != nil {
		return err
	}
	var current atomic.Pointer[program]
	conf := &configurator{store: managedStore, current: &current, log: log}
	// The queues and agents made through the API join the file's; if the
	// file has changed so that they no longer fit, the server runs on the
	// file alone and says why.
	if m := conf.managed(ctx); len(m.Queues)+len(m.Agents) > 0 {
		path := cfg.File
		if path == config.DefaultName {
			path = ""
		}
		if with, err := loadProgramWith(path, m); err != nil {
			log.Error("the queues and agents made through the API do not fit the configuration file; running on the file alone", "errors", err.Error())
		} else {
			with.cfg.Server = cfg.Server
			prog, cfg = with, with.cfg
		}
	}

	trunks := newTrunkNamer(cfg)
	current.Store(prog)
	running := func() *config.Config { return current.Load().cfg }
	reports, stopReports, err := startReports(events, running, log)
	if err != nil {
		return err
	}
	// Deferred after the log's Close, so it runs before it.
	defer stopReports()
	var center *acd.Center // built once the SIP server it rings through exists

	var public netip.Addr
	if cfg.Server.PublicAddress != "" {
		public, _ = netip.ParseAddr(cfg.Server.PublicAddress)
	}
	resolver := newResolver(cfg, log)
	srv, err := sip.NewServer(sip.Config{
		Resolver:       resolver,
		PublicAddress:  public,
		LocalNetworks:  cfg.Server.LocalPrefixes(),
		RTPTimeout:     cfg.Media.Timeout.D(),
		MaxCalls:       cfg.Server.MaxCalls,
		Trusted:        trunks.prefixes,
		Admission:      admission(cfg),
		RTPHoldTimeout: cfg.Media.HoldTimeout.D(),
		Ports:          ports,
		Media:          engine,
		Log:            log,
		Realm:          cfg.SIPRealm,
		Secrets:        secrets(running),
		AuthAlgorithms: cfg.SIPAuthAlgorithms,
		Trace:          sipTrace(cfg),
		SRTP:           srtpPolicies(running),
		Stream: sip.StreamLimits{
			MaxConnections: budget.sipTCP,
			MaxPerSource:   budget.sipSource,
			IdleTimeout:    cfg.SIP.TCP.IdleTimeout.D(),
			MessageTimeout: cfg.SIP.TCP.MessageTimeout.D(),
		},
		RateLimit: sip.RateLimit{
			PerSecond: float64(*cfg.SIP.RateLimit.PerSecond),
			Burst:     cfg.SIP.RateLimit.Burst,
			Exempt:    cfg.SIP.RateLimit.ExemptPrefixes(),
		},
		TLSListener: secure.sip,
		TLSServer:   secure.sipServerConfig(),
		TLSClient:   secure.client,
		Bindings:    bindingStore{registrations},
		Registered: func(agent string, reachable bool, cause string) {
			center.PhoneChanged(agent, reachable, cause)
		},
		Qualify: qualify(cfg),
		Route: func(number, agent string) (sip.Handler, bool) {
			p := current.Load() // a call keeps the version it started on
			if strings.HasPrefix(number, "*") {
				if agent == "" {
					return nil, false
				}
				return func(ctx context.Context, c *sip.Call) {
					prompt := featureCode(center, agent, number)
					log.Info("feature code", "agent", agent, "code", number, "prompt", prompt)
					select {
					case <-c.Play(p.sounds.Get(prompt), false):
					case <-c.Done():
					case <-ctx.Done():
					}
				}, true
			}
			plan, key, ok := p.plan.Match(number)
			if !ok {
				return nil, false
			}
			pattern := "" // the dial plan sees the number dialled; the event also says which pattern took it
			if key != number {
				pattern = key
			}
			return func(ctx context.Context, c *sip.Call) {
				rec := recordCall(events, c, number, pattern, plan.Name, p.plan.Version, newTrunkNamer(p.cfg).of(c.Source()))
				st := &dialplan.State{Call: c, Queues: center, Sounds: p.sounds, Log: log, Trace: rec.step}
				if err := p.plan.Run(ctx, plan, st); err != nil {
					log.Error("dial plan failed", "call_id", c.ID(), "error", err)
				}
				c.Hangup(hangup.EndOfDialPlan) // the walk has hung up already, but for a failure
				rec.end(c, st.Talk)
			}, true
		},
	}, udp)
	if err != nil {
		return err
	}
	announceTrace(cfg, log)
	trunkRegs := newTrunkRegistrations(srv, log)
	callbacks, err := store.OpenCallbacks(events)
	if err != nil {
		return err
	}
	center = acd.NewCenter(cfg, phones{srv: srv, cfg: running}, prog.sounds, events, callbacks,
		maskVars(log, func(v string) bool { return current.Load().plan.LogsDigits(v) }))
	events.Append(event.New(time.Now(), event.Ref{}, event.ServerStarted{Version: version, Config: prog.plan.Version}))
	recent, err := events.Events(ctx, store.Filter{Since: time.Now().Add(-acd.WaitWindow)})
	if err != nil {
		return err
	}
	center.RestoreWindow(recent)
	if err := startPauseReasons(ctx, cfg, events, center, log); err != nil {
		return err
	}
	history, err := events.AgentHistory(ctx)
	if err != nil {
		return err
	}
	center.RestoreAgents(history)
	if err := center.LoadCallbacks(ctx); err != nil {
		return fmt.Errorf("loading callback requests: %w", err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		status := "ok"
		if srv.Draining() {
			status = "draining"
		}
		fmt.Fprintf(w, `{"status":%q,"config_version":%q,"calls":%d,"calls_refused":%d,"legs":%d,"goroutines":%d,"rtp_send":%q,"rtp_dropped":%d,"rtp_stray":%d,"tcp_connections":%d,"tls_connections":%d,"http_connections":%d,"http_refused":%d,"sip_rate_limited":%d}`+"\n",
			status, current.Load().plan.Version, srv.ActiveCalls(), srv.RefusedCalls(), srv.ActiveLegs(), runtime.NumGoroutine(), rtpSend, engine.Dropped(),
			engine.Stray(), srv.TCPConnections(), srv.TLSConnections(), httpLn.Open(), httpLn.refused.Load(), srv.RateLimited())
	})
	live := &liveServer{srv: srv, engine: engine, center: center, events: events, current: &current, log: log, trunks: trunkRegs, http: httpLn}
	mux.Handle("GET /metrics", metricsHandler(live))
	removeToken, err := mountCtl(mux, live)
	if err != nil {
		return err
	}
	defer removeToken()
	// Live streams lift ReadTimeout (and any write deadline) once they
	// start: they last as long as the page or client.
	hs := &http.Server{Handler: guardHTTP(mux, cfg.Server.HTTPHostNames(), log), ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout: hl.ReadTimeout.D(), IdleTimeout: hl.IdleTimeout.D(), ConnState: httpLn.connState, TLSConfig: secure.httpServerConfig()}
	stopAPI, svc, err := mountAPI(ctx, mux, hs, running, center, events, conf, reports, log)
	if err != nil {
		return err
	}
	defer stopAPI()
	// What a new configuration version changes beyond new calls, whether
	// it comes from SIGHUP or from the API.
	conf.activate = func(old, next *config.Config) {
		center.Apply(next)
		svc.SetDirectory(directoryOf(next))
		if err := svc.ApplySettings(ctx); err != nil {
			log.Error("applying the organisation settings", "error", err)
		}
		if !slices.Equal(old.PauseReasons, next.PauseReasons) {
			if err := svc.ReloadPauseReasons(ctx, fileReasons(next)); err != nil {
				log.Error("putting the reloaded pause reasons in force", "error", err)
			}
		}
		retrace(srv, old, next, log)
		readmit(srv, old, next, log)
		requalify(srv, old, next, log)
		srv.SetTrusted(newTrunkNamer(next).prefixes)
		reresolve(resolver, old, next, log)
		trunkRegs.apply(next)
	}

	// SIGHUP puts a new version of the configuration in force: new calls
	// take its dial plans; queues, agents and trunks change for calls in
	// progress too, as the distributor applies them.
	// Registering starts once SIP is served; from here on only Serve
	// (which ends them, unregistering) or a reload stops them.
	trunkRegs.apply(cfg)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				reload(&current, func() config.Managed { return conf.managed(ctx) }, log, conf.activate)
				secure.reload()
			}
		}
	}()
	scheme := "http"
	if hs.TLSConfig != nil {
		scheme = "https"
		// The certificate comes from TLSConfig's GetCertificate.
		go func() { _ = hs.ServeTLS(httpLn, "", "") }()
	} else {
		go func() { _ = hs.Serve(httpLn) }()
	}

	log.Info("acd started", "version", version, "sip", udp.LocalAddr().String(), "http", httpLn.Addr().String(),
		"sip_tls", secure.sipAddress(), "http_scheme", scheme,
		"rtp_ports", cfg.Server.RTPPorts, "rtp_send", rtpSend, "fd_limit", fdLimit, "config", cfg.File, "config_version", prog.plan.Version)
	go drain(stop, ctx, cancel, srv, cfg.Server.DrainTimeout.D(), events, log)
	err = srv.Serve(ctx, tcp)
	shut, done := context.WithTimeout(context.Background(), 5*time.Second)
	defer done()
	_ = hs.Shutdown(shut)
	cancel()
	if err := center.Close(shut); err != nil {
		log.Warn("stopping the distributor", "error", err)
	}
	engine.Wait()
	log.Info("acd stopped")
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
func reload(current *atomic.Pointer[program], managed func() config.Managed, log *slog.Logger, applied func(old, next *config.Config)) {
	old := current.Load()
	path := old.cfg.File
	if path == config.DefaultName {
		path = ""
	}
	// The file stands on its own (the server starts from it alone, and
	// acd check reads it alone); then with the objects made through the
	// API.
	next, err := loadProgram(path)
	if err == nil {
		next, err = loadProgramWith(path, managed())
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

// retrace puts a reloaded SIP trace in force without a restart.
func retrace(srv *sip.Server, old, next *config.Config, log *slog.Logger) {
	if reflect.DeepEqual(old.SIP.Trace.Sources, next.SIP.Trace.Sources) && reflect.DeepEqual(old.SIP.Trace.Users, next.SIP.Trace.Users) {
		return
	}
	srv.SetTrace(sipTrace(next))
	if len(next.SIP.Trace.Sources)+len(next.SIP.Trace.Users) == 0 {
		log.Info("SIP trace off")
		return
	}
	announceTrace(next, log)
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
