package sip

import (
	"context"
	"sync"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/acdserver/acd/hangup"
	"github.com/acdserver/acd/media"
)

// Call is one inbound call answered by the server: its SIP dialog and its
// RTP session. Its methods are safe for use from the dial plan goroutine
// while SIP handlers update it.
type Call struct {
	dialog
	id     string
	number string
	caller string
	name   string
	source string // IP:port the INVITE came from
	dlg    *sipgo.DialogServerSession

	endOnce     sync.Once
	byeOnce     sync.Once
	releaseOnce sync.Once
	cause       hangup.Cause // why it ended; guarded by dialog.mu

	// ackBody is set for an offerless INVITE: the answer arrives in the
	// ACK. Guarded by dialog.mu.
	ackBody chan []byte
}

// ID is the SIP Call-ID.
func (c *Call) ID() string { return c.id }

// Number is the dialled number (the Request-URI user).
func (c *Call) Number() string { return c.number }

// Caller is the caller's number (the From user).
func (c *Call) Caller() string { return c.caller }

// Source is the IP:port the INVITE came from.
func (c *Call) Source() string { return c.source }

// CallerName is the caller's display name, if the From header has one.
func (c *Call) CallerName() string { return c.name }

// Party is who is calling: the caller's number and display name.
func (c *Call) Party() Caller { return Caller{Number: c.caller, Name: c.name} }

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

// Hangup ends the call from our side with a BYE, for reason. Concurrent
// calls send one BYE and all return once it is answered or given up on.
// The call counts as ended before the BYE goes, so that whoever it is
// bridged to hears of it at once, not after a dead phone's 32 s.
func (c *Call) Hangup(reason hangup.Reason) { c.hangUp(hangup.ByServer(reason)) }

// hangUp is Hangup for a cause that may carry details (a transfer's
// target): the dialog's own ends.
func (c *Call) hangUp(cause hangup.Cause) {
	c.byeOnce.Do(func() {
		select {
		case <-c.done:
			return // the caller hung up first
		default:
		}
		c.end(cause)
		// The dialog's context ends when the peer's own BYE arrives, so
		// BYEs that cross do not wait 32 s for an answer that never comes.
		ctx, cancel := context.WithTimeout(c.dlg.Context(), 32*sip.T1)
		defer cancel()
		if err := c.dlg.Bye(ctx); err != nil {
			c.log.Warn("BYE failed", "error", err)
		}
		c.release()
	})
}

// EndCause says why the call ended (its Code is hangup.Up while it is
// up): the caller ended it, or the server did for the reason given to
// Hangup.
func (c *Call) EndCause() hangup.Cause {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cause
}

// end stops the call's media and announces its end, once.
func (c *Call) end(cause hangup.Cause) {
	c.endOnce.Do(func() {
		c.mu.Lock()
		c.cause = cause
		c.mu.Unlock()
		close(c.done)
		c.stopTimer()
		c.closeMedia()
		why := cause.String()
		if cause.By == hangup.Server {
			why = "server hung up: " + why
		}
		c.log.Info("call ended", "why", why)
	})
}

// close ends the call and forgets it, for a call whose caller ended it
// (or went before it was answered) for reason.
func (c *Call) close(reason hangup.Reason) {
	c.end(hangup.Cause{By: hangup.Caller, Code: reason})
	c.release()
}

// release forgets the dialog, once: requests for it get 481 from now on.
func (c *Call) release() {
	c.releaseOnce.Do(func() {
		c.srv.forget(c)
		_ = c.dlg.Close()
	})
}

// inactive is the session's OnInactive: no RTP for too long. It runs on
// a media loop, which Hangup's closing of the session waits for: hence go.
func (c *Call) inactive() {
	go c.Hangup(hangup.CallerRTPTimeout)
}
