package server

import (
	"log/slog"
	"slices"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/acdserver/acd/config"
	"github.com/acdserver/acd/sip"
)

// sipTrunk is what the SIP side needs of a configured trunk to dial
// through it.
func sipTrunk(t *config.Trunk) sip.Trunk {
	out := sip.Trunk{Address: t.Address, Username: t.Username, Password: t.Password}
	// Validated at load: the error is not reached.
	if target, err := t.Target(); err == nil {
		out.Address, out.Transport, out.Secure = target.Address(), namedTransport(target), target.Secure
	}
	if c := t.CallerID; c != nil {
		out.CallerID = sip.Caller{Number: c.Number, Name: c.Name}
	}
	return out
}

// namedTransport is the transport a trunk names, or "" for DNS's choice
// (UDP to a numeric address, TLS for sips:).
func namedTransport(target config.TrunkTarget) string {
	if target.Explicit {
		return target.Transport
	}
	return ""
}

// newResolver is the resolver of trunks' host names, asking
// sip.dns_servers or else /etc/resolv.conf's. Without one (no
// resolv.conf), numeric trunk addresses still work: say so and go on.
func newResolver(cfg *config.Config, log *slog.Logger) *sip.Resolver {
	r, err := sip.NewResolver(cfg.SIP.DNSServerAddresses(), []string{"UDP", "TCP"}, 0)
	if err != nil {
		log.Warn("no DNS resolver: trunks given by host name cannot be reached", "error", err)
		return nil
	}
	return r
}

// reresolve puts a reloaded sip.dns_servers in force.
func reresolve(r *sip.Resolver, old, next *config.Config, log *slog.Logger) {
	if r == nil || slices.Equal(old.SIP.DNSServers, next.SIP.DNSServers) {
		return
	}
	if err := r.SetServers(next.SIP.DNSServerAddresses()); err != nil {
		log.Error("sip.dns_servers reload: keeping the servers in use", "error", err)
		return
	}
	log.Info("sip.dns_servers reloaded", "servers", next.SIP.DNSServerAddresses())
}

// trunkRegistrations keeps every trunk with register: true registered
// with its carrier. The registrations belong to the SIP server, which
// ends them (unregistering) when it stops; apply stops and starts them
// as the configuration changes.
type trunkRegistrations struct {
	srv *sip.Server
	log *slog.Logger

	mu      sync.Mutex
	running map[string]runningRegistration
}

type runningRegistration struct {
	cfg sip.RegistrationConfig
	reg *sip.Registration
}

func newTrunkRegistrations(srv *sip.Server, log *slog.Logger) *trunkRegistrations {
	return &trunkRegistrations{srv: srv, log: log, running: map[string]runningRegistration{}}
}

func registrationConfig(name string, t *config.Trunk) sip.RegistrationConfig {
	lo, hi := t.RetryBounds()
	cfg := sip.RegistrationConfig{Trunk: name, Registrar: t.RegistrarAddress(), Username: t.Username, Password: t.Password,
		ContactUser: t.Contact(), Expires: t.RegisterExpiresD(), RetryMin: lo, RetryMax: hi}
	// Validated at load: the error is not reached.
	if target, err := t.RegistrarTarget(); err == nil {
		cfg.Registrar, cfg.Transport, cfg.Secure = target.Address(), namedTransport(target), target.Secure
	}
	return cfg
}

// apply makes the registrations those of cfg: a trunk whose settings
// changed is unregistered and registered afresh, one taken out (or no
// longer registering) is unregistered.
func (r *trunkRegistrations) apply(cfg *config.Config) {
	r.mu.Lock()
	defer r.mu.Unlock()
	want := map[string]sip.RegistrationConfig{}
	for name, t := range cfg.Trunks {
		if t.Register {
			want[name] = registrationConfig(name, t)
		}
	}
	var stopping sync.WaitGroup
	for name, run := range r.running {
		if w, ok := want[name]; ok && w == run.cfg {
			continue
		}
		delete(r.running, name)
		r.log.Info("trunk registration stopped: the trunk changed or no longer registers", "trunk", name)
		// Each removal may wait on its carrier for a few seconds: at
		// once, not one after another.
		stopping.Go(run.reg.Stop)
	}
	stopping.Wait()
	for _, name := range sortedKeys(want) {
		if _, ok := r.running[name]; ok {
			continue
		}
		reg, err := r.srv.Register(want[name])
		if err != nil {
			r.log.Error("starting the trunk registration", "trunk", name, "error", err)
			continue
		}
		r.running[name] = runningRegistration{cfg: want[name], reg: reg}
	}
}

// states are the registrations' states, by trunk.
func (r *trunkRegistrations) states() map[string]sip.RegistrationState {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]sip.RegistrationState, len(r.running))
	for name, run := range r.running {
		out[name] = run.reg.State()
	}
	return out
}

// trunkCollector reports the trunks' registrations at each scrape.
type trunkCollector struct {
	regs                 *trunkRegistrations
	registered, duration *prometheus.Desc
}

func newTrunkCollector(regs *trunkRegistrations) *trunkCollector {
	return &trunkCollector{
		regs: regs,
		registered: prometheus.NewDesc("acd_trunk_registered",
			"1 while the trunk's registration with its carrier is up, 0 while it is not; only trunks with register: true.", []string{"trunk"}, nil),
		duration: prometheus.NewDesc("acd_trunk_registration_expires_seconds",
			"The registration interval the carrier granted, while registered.", []string{"trunk"}, nil),
	}
}

func (c *trunkCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.registered
	ch <- c.duration
}

func (c *trunkCollector) Collect(ch chan<- prometheus.Metric) {
	for name, st := range c.regs.states() {
		ch <- prometheus.MustNewConstMetric(c.registered, prometheus.GaugeValue, bool01(st.Registered), name)
		if st.Registered {
			ch <- prometheus.MustNewConstMetric(c.duration, prometheus.GaugeValue, st.Expires.Seconds(), name)
		}
	}
}
