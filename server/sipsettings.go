package server

import (
	"log/slog"
	"net/netip"
	"reflect"
	"strings"

	"github.com/acdserver/acd/config"
	"github.com/acdserver/acd/sip"
)

// sipConfig maps a configuration to the SIP server's settings. What it
// does not hold (listeners, media, stores, the handlers that reach the
// distributor) the server adds; the connection caps it gives as
// configured, before the descriptor budget lowers them.
func sipConfig(cfg *config.Config) sip.Config {
	var public netip.Addr
	if cfg.Server.PublicAddress != "" {
		public, _ = netip.ParseAddr(cfg.Server.PublicAddress) // checked with the file
	}
	return sip.Config{
		PublicAddress:  public,
		LocalNetworks:  cfg.Server.LocalPrefixes(),
		RTPTimeout:     cfg.Media.Timeout.D(),
		MaxCalls:       cfg.Server.MaxCalls,
		Trusted:        newTrunkNamer(cfg).prefixes,
		Admission:      admission(cfg),
		RTPHoldTimeout: cfg.Media.HoldTimeout.D(),
		Realm:          cfg.SIPRealm,
		AuthAlgorithms: cfg.SIPAuthAlgorithms,
		Trace:          sipTrace(cfg),
		Qualify:        qualify(cfg),
		Stream: sip.StreamLimits{
			MaxConnections: cfg.SIP.TCP.MaxConnections,
			MaxPerSource:   cfg.SIP.TCP.MaxPerSource,
			IdleTimeout:    cfg.SIP.TCP.IdleTimeout.D(),
			MessageTimeout: cfg.SIP.TCP.MessageTimeout.D(),
		},
		RateLimit: sip.RateLimit{
			PerSecond: float64(*cfg.SIP.RateLimit.PerSecond),
			Burst:     cfg.SIP.RateLimit.Burst,
			Exempt:    cfg.SIP.RateLimit.ExemptPrefixes(),
		},
	}
}

// resip puts in force what a new configuration version changes of the
// SIP settings without a restart, as sipConfig maps the two versions:
// the trace, who may call in, qualify, the trunks' networks, and the DNS
// servers (which the resolver holds). The rest of sipConfig (addresses,
// caps, timeouts, the realm) takes a restart.
func resip(srv *sip.Server, r *sip.Resolver, old, next *config.Config, log *slog.Logger) {
	was, now := sipConfig(old), sipConfig(next)
	if !reflect.DeepEqual(was.Trace, now.Trace) {
		srv.SetTrace(now.Trace)
		if len(next.SIP.Trace.Sources)+len(next.SIP.Trace.Users) == 0 {
			log.Info("SIP trace off")
		} else {
			announceTrace(next, log)
		}
	}
	// A site that adds an office's network should not have to drain its
	// calls for it.
	if !reflect.DeepEqual(was.Admission, now.Admission) {
		srv.SetAdmission(*now.Admission)
		log.Info("sip.allow_calls_from reloaded", "networks", strings.Join(next.SIP.AllowCallsFrom, ","))
	}
	// Registrations and calls stay; the next OPTIONS follow the new settings.
	if was.Qualify != now.Qualify {
		srv.SetQualify(now.Qualify)
		if now.Qualify.Interval == 0 {
			log.Info("sip.qualify reloaded: off, no OPTIONS are sent and no phone is taken as unreachable")
		} else {
			log.Info("sip.qualify reloaded", "interval", now.Qualify.Interval, "timeout", now.Qualify.Timeout, "failures", now.Qualify.Failures)
		}
	}
	srv.SetTrusted(now.Trusted)
	reresolve(r, old, next, log)
}
