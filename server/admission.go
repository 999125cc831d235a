package server

import (
	"github.com/acdserver/acd/config"
	"github.com/acdserver/acd/sip"
)

// admission is who a configuration lets call in, beyond trunks and
// registered phones.
func admission(cfg *config.Config) *sip.Admission {
	return &sip.Admission{Networks: cfg.SIP.AllowCallsFromPrefixes()}
}
