package server

import (
	"log/slog"
	"reflect"
	"strings"

	"github.com/acdserver/acd/config"
	"github.com/acdserver/acd/sip"
)

// admission is who a configuration lets call in, beyond trunks and
// registered phones.
func admission(cfg *config.Config) *sip.Admission {
	return &sip.Admission{Networks: cfg.SIP.AllowCallsFromPrefixes()}
}

// readmit puts a reloaded sip.allow_calls_from in force at once: a site
// that adds an office's network should not have to drain its calls for
// it.
func readmit(srv *sip.Server, old, next *config.Config, log *slog.Logger) {
	if reflect.DeepEqual(old.SIP.AllowCallsFrom, next.SIP.AllowCallsFrom) {
		return
	}
	srv.SetAdmission(*admission(next))
	log.Info("sip.allow_calls_from reloaded", "networks", strings.Join(next.SIP.AllowCallsFrom, ","))
}
