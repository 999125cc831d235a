package sip

import (
	"context"
	"log/slog"
	"sync"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/acdserver/acd/media"
)

// Call is one inbound call answered by the server: its SIP dialog and its
// RTP session. Its methods are safe for use from the dial plan goroutine
// while SIP handlers update it.
type Call struct {
	id      string
	number  string
	caller  string
	name    string
	dlg     *sipgo.DialogServerSession
	session *media.Session
	srv     *Server
	log     *slog.Logger

	done    chan struct{}
	endOnce sync.Once
	byeOnce sync.Once

	mu         sync.Mutex
	localSDP   []byte // our current description, answered to re-INVITEs
	sdpVersion uint64
	confirmed  bool        // our 2xx was ACKed
	ackBody    chan []byte // offerless INVITE: the answer arrives in the ACK
	pendingOff bool        // we sent an offer in a re-INVITE 2xx; the ACK answers it
	codec      media.Codec
}

// ID is the SIP Call-ID.
func (c *Call) ID() string { return c.id }

// Number is the dialled number (the Request-URI user).
func (c *Call) Number() string { return c.number }

// Caller is the caller's number (the From user).
func (c *Call) Caller() string { return c.caller }

// CallerName is the caller's display name, if the From header has one.
func (c *Call) CallerName() string { return c.name }

// Play replaces what the caller hears.
func (c *Call) Play(snd *media.Sound, loop bool) <-chan struct{} {
	return c.session.Play(snd, loop)
}

// Digits delivers the caller's key presses (RFC 4733 and SIP INFO).
func (c *Call) Digits() <-chan rune { return c.session.Digits() }

// SendDigit sends a key to the caller as an RFC 4733 event.
func (c *Call) SendDigit(key rune) bool { return c.session.SendDigit(key) }

// Done closes when the call has ended, whichever side ended it.
func (c *Call) Done() <-chan struct{} { return c.done }

// Hangup ends the call from our side with a BYE. Concurrent calls send
// one BYE and all return once the call has ended.
func (c *Call) Hangup(reason string) {
	c.byeOnce.Do(func() {
		select {
		case <-c.done:
			return // the caller hung up first
		default:
		}
		// The dialog's context ends when the peer's own BYE arrives, so
		// BYEs that cross do not wait 32 s for an answer that never comes.
		ctx, cancel := context.WithTimeout(c.dlg.Context(), 32*sip.T1)
		defer cancel()
		if err := c.dlg.Bye(ctx); err != nil {
			c.log.Warn("BYE failed", "error", err)
		}
		c.end("server hung up: " + reason)
	})
}

// end releases the call once: media, dialog and the server's index.
func (c *Call) end(why string) {
	c.endOnce.Do(func() {
		close(c.done)
		c.session.Close()
		c.srv.forget(c)
		_ = c.dlg.Close()
		c.log.Info("call ended", "why", why)
	})
}

// applyOffer negotiates a (re-)offer and reconfigures the session. It
// returns our answer.
func (c *Call) applyOffer(offer *media.Description) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	ans := media.Negotiate(offer, c.session.LocalAddr())
	c.configureLocked(offer, ans.Codecs[0], ans.PayloadType(0), ans.Direction)
	return c.describeLocked(ans)
}

// applyAnswer takes the answer to an offer we made.
func (c *Call) applyAnswer(answer *media.Description) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.configureLocked(answer, answer.Codecs[0], answer.PayloadType(0), answer.Direction.Reverse())
}

func (c *Call) configureLocked(peer *media.Description, codec media.Codec, pt uint8, ours media.Direction) {
	send := ours == media.SendRecv || ours == media.SendOnly
	c.codec = codec
	c.session.Configure(peer.Addr, codec, pt, peer.DTMFType, send)
	timeout := c.srv.cfg.RTPTimeout
	if peer.OnHold() {
		timeout = c.srv.cfg.RTPHoldTimeout
	}
	c.session.SetTimeout(timeout)
}

// offerLocked describes everything we accept, for an offerless INVITE.
func (c *Call) offerLocked() []byte {
	return c.describeLocked(media.Answer{
		Addr:      c.session.LocalAddr(),
		Codecs:    []media.Codec{media.PCMU, media.PCMA},
		DTMFType:  101,
		Direction: media.SendRecv,
	})
}

func (c *Call) describeLocked(a media.Answer) []byte {
	c.sdpVersion++
	a.SessionID = c.srv.sessionID
	a.Version = c.sdpVersion
	c.localSDP = a.Marshal()
	return c.localSDP
}

// inactive is the session's OnInactive: no RTP for too long. It runs on
// a media loop, which Hangup's closing of the session waits for: hence go.
func (c *Call) inactive() {
	go c.Hangup("no RTP from the caller")
}
