package server

import (
	"context"

	"github.com/acdserver/acd/sip"
)

// monitorCode, followed by an agent's id, makes the call from a
// supervisor's phone the monitoring leg of that agent's call, listening;
// the phone's keys 1, 2 and 3 switch to listen, whisper and barge.
const monitorCode = "*55"

// monitorCall carries out *55<agent>: the phone's SIP user must be the id
// of a directory user who may monitor. Refused, the caller hears why in
// the one prompt the feature codes have for it; otherwise the call lasts
// as long as the monitoring does.
func (s *Server) monitorCall(ctx context.Context, c *sip.Call, p *Program, phone, agent string) {
	log := s.log.With("call_id", c.ID(), "phone", phone, "agent", agent)
	m, done, err := s.svc.PhoneMonitor(ctx, phone, agent, c)
	if err != nil {
		log.Info("feature code", "code", monitorCode+agent, "prompt", "invalid-option", "refused", err.Error())
		select {
		case <-c.Play(p.sounds.Get("invalid-option"), false):
		case <-c.Done():
		case <-ctx.Done():
		}
		return
	}
	log.Info("feature code", "code", monitorCode+agent, "monitor", m.ID)
	select {
	case <-done:
	case <-c.Done():
		<-done // the session sees the hang-up and records it
	case <-ctx.Done():
	}
}
