package server

import (
	"log/slog"
	"net/netip"

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
// SIP settings without a restart: the trace, who may call in, qualify,
// the trunks' networks and the DNS servers. The rest of sipConfig
// (addresses, caps, timeouts, the realm) takes a restart.
func resip(srv *sip.Server, r *sip.Resolver, old, next *config.Config, log *slog.Logger) {
	retrace(srv, old, next, log)
	readmit(srv, old, next, log)
	requalify(srv, old, next, log)
	srv.SetTrusted(sipConfig(next).Trusted)
	reresolve(r, old, next, log)
}
