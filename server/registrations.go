package server

import (
	"context"
	"time"

	"github.com/acdserver/acd/config"
	"github.com/acdserver/acd/sip"
	"github.com/acdserver/acd/store"
)

// bindingStore keeps the SIP server's registrations in the database.
type bindingStore struct{ regs *store.Registrations }

func (b bindingStore) Replace(agent string, bindings []sip.StoredBinding) error {
	out := make([]store.Registration, len(bindings))
	for i, sb := range bindings {
		out[i] = store.Registration(sb)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return b.regs.Replace(ctx, agent, out)
}

func (b bindingStore) Live() ([]sip.StoredBinding, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	regs, err := b.regs.Live(ctx, time.Now())
	out := make([]sip.StoredBinding, len(regs))
	for i, g := range regs {
		out[i] = sip.StoredBinding(g)
	}
	return out, err
}

// qualify is the SIP side's keep-alive of registered phones, from sip.qualify.
func qualify(cfg *config.Config) sip.Qualify {
	q := cfg.SIP.Qualify
	if !q.On() {
		return sip.Qualify{}
	}
	return sip.Qualify{Interval: q.Interval.D(), Timeout: q.Timeout.D(), Failures: q.Failures}
}
