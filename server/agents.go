package server

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/acdserver/acd/acd"
	"github.com/acdserver/acd/config"
	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/flow"
	"github.com/acdserver/acd/media"
	"github.com/acdserver/acd/service"
	"github.com/acdserver/acd/sip"
)

// phones lets the distributor reach agents' phones and trunks through the
// SIP server.
type phones struct {
	srv *sip.Server
	cfg func() *config.Config // the running version: its trunks
}

func (p phones) Ring(ctx context.Context, agent string, show acd.Party) (acd.Leg, error) {
	leg, err := p.srv.Ring(ctx, agent, show)
	if err != nil {
		return nil, err
	}
	return leg, nil
}

func (p phones) Dial(ctx context.Context, trunk, number, callerID string) (acd.Leg, error) {
	t, ok := p.cfg().Trunks[trunk]
	if !ok {
		return nil, errors.New("no trunk " + trunk)
	}
	st := sipTrunk(t)
	st.SRTP = srtpPolicy(p.cfg().TrunkSRTP(trunk))
	leg, err := p.srv.Dial(ctx, st, number, callerID)
	if err != nil {
		return nil, err
	}
	return leg, nil
}

func (p phones) BridgeLegs(a, b acd.Leg, hold *media.Sound) error {
	return p.srv.JoinLegs(a, b, hold)
}

func (p phones) Bridge(c acd.Channel, l acd.Leg, hold *media.Sound) error {
	return p.srv.Join(c, l, hold)
}

func (p phones) ConferenceOf(b sip.Bridger) (flow.Room, error) {
	c, err := p.srv.ConferenceOf(b)
	if err != nil {
		return nil, err // not a nil *Conference in a non-nil Room
	}
	return c, nil
}

func (p phones) Registered(agent string) bool { return p.srv.Registered(agent) }

// secrets gives the SIP side an agent's password or MD5 HA1 from the
// configuration ("md5:<hex>" in password_hash).
func secrets(cfg func() *config.Config) sip.Secrets {
	return func(user string) (string, string, bool) {
		a, ok := cfg().Agents[user]
		if !ok {
			return "", "", false
		}
		if a.Password != "" {
			return a.Password, "", true
		}
		if a.PasswordHash != "" {
			return "", a.PasswordHash, true
		}
		return "", "", false
	}
}

// featureCode carries out an agent's feature code and names the prompt
// that confirms it: *50 log in, *51 log out, *52 pause (*52N with reason
// N), *53 ready, *54 end wrap-up, *57 start or stop the call's
// recording, *58 pause or resume it.

func featureCode(center agentDesk, agent, code string) string {
	var err error
	prompt := ""
	by := event.Phone(agent)
	switch {
	case code == "*50":
		err, prompt = center.Login(agent, by), "agent-logged-in"
	case code == "*51":
		err, prompt = center.Logout(agent, by), "agent-logged-out"
	case code == "*52":
		err, prompt = center.Pause(agent, "", by), "agent-paused"
	case strings.HasPrefix(code, "*52"):
		n, convErr := strconv.Atoi(code[3:])
		if convErr != nil {
			return "invalid-option"
		}
		err, prompt = center.PauseNumber(agent, n, by), "agent-paused"
	case code == "*53":
		err, prompt = center.Ready(agent, by), "agent-ready"
	case code == "*54":
		err, prompt = center.EndWrapUp(agent, by), "wrap-up-ended"
	case code == "*57" || code == "*58":
		var did string
		if did, err = center.RecordingToggle(agent, code == "*58", by); err != nil {
			return "recording-not-allowed"
		}
		prompt = recordingPrompt(did)
	default:
		return "invalid-option"
	}
	switch {
	case errors.Is(err, acd.ErrEndNotAllowed):
		return "wrap-up-not-ended"
	case err != nil:
		return "invalid-option"
	}
	return prompt
}

// recordingPrompt confirms what *57 or *58 did.
func recordingPrompt(action string) string {
	switch action {
	case service.RecordingStart:
		return "recording-started"
	case service.RecordingStop:
		return "recording-stopped"
	case service.RecordingPause:
		return "recording-paused"
	}
	return "recording-resumed"
}
