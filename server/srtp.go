package server

import (
	"github.com/acdserver/acd/sip"
)

// srtpPolicies gives the SIP server each party's SRTP policy from the
// running configuration, so that a reload is in force for the next call:
// an agent's phone by its agent, a trunk's by the trunk whose inbound_from
// holds the source, any other phone media.srtp.
func srtpPolicies(running func() *Program) func(sip.SRTPParty) sip.SRTPPolicy {
	return func(p sip.SRTPParty) sip.SRTPPolicy {
		prog := running()
		cfg := prog.cfg
		name := cfg.DefaultSRTP()
		if p.Agent != "" {
			name = cfg.AgentSRTP(p.Agent)
		} else if trunk := prog.trunks.of(p.Source); trunk != "" {
			name = cfg.TrunkSRTP(trunk)
		}
		return srtpPolicy(name)
	}
}

// srtpPolicy reads a validated policy; what validation let through
// cannot be wrong, and if it were, required fails closed.
func srtpPolicy(name string) sip.SRTPPolicy {
	p, err := sip.ParseSRTPPolicy(name)
	if err != nil {
		return sip.SRTPRequired
	}
	return p
}
