package sip

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/acdserver/acd/hangup"
	"github.com/acdserver/acd/media"
)

// ErrUnreachable means an agent has no registered phone.
var ErrUnreachable error = causeError{hangup.RingUnreachable, "agent has no registered phone"}

// ErrNoResponse means the far end did not answer an INVITE at all, not
// even with 100 Trying: a trunk that is down.
var ErrNoResponse error = causeError{hangup.RingNoResponse, "no response to the INVITE"}

// causeError is an error with the ring cause events give for it.
type causeError struct {
	cause hangup.RingCause
	text  string
}

func (e causeError) Error() string { return e.text }

// RingCause is why the ring or dial was not answered.
func (e causeError) RingCause() hangup.RingCause { return e.cause }

// trunkResponseTimeout is how long a trunk may take to answer an INVITE
// with anything (100 Trying comes at once from a live one): past it the
// trunk is taken as down, rather than waiting out timer B's 32 s.
const trunkResponseTimeout = 5 * time.Second

// Leg is an outbound call, answered: to an agent's phone, or to a
// customer through a trunk.
type Leg struct {
	dialog
	Agent string // the agent, or the number dialled
	kind  string // "agent" or "number"
	id    string // the leg's own Call-ID
	dlg   *sipgo.DialogClientSession
	cause hangup.Cause // why it ended; guarded by dialog.mu

	endOnce     sync.Once
	byeOnce     sync.Once
	releaseOnce sync.Once
}

// Done closes when the leg has ended.
func (l *Leg) Done() <-chan struct{} { return l.done }

// ID is the leg's own SIP Call-ID.
func (l *Leg) ID() string { return l.id }

// Party is who the leg reaches: the agent, or the number dialled.
func (l *Leg) Party() Caller { return Caller{Number: l.Agent} }

// Digits delivers the far end's key presses.
func (l *Leg) Digits() <-chan rune { return l.session.Digits() }

// Play replaces what the far end hears until the leg is bridged, which
// stops it.
func (l *Leg) Play(snd *media.Sound, loop bool) <-chan struct{} { return l.session.Play(snd, loop) }

// EndCause says why the leg ended (its Code is hangup.Up while it is up).
func (l *Leg) EndCause() hangup.Cause {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cause
}

// Hangup ends the leg with a BYE, for reason. The leg counts as ended
// before the BYE goes, so that whoever it is bridged to hears of it at
// once, not after a dead phone's 32 s.
func (l *Leg) Hangup(reason hangup.Reason) { l.hangUp(hangup.ByServer(reason)) }

// hangUp is Hangup for a cause that may carry details (a transfer's
// target): the dialog's own ends.
func (l *Leg) hangUp(cause hangup.Cause) {
	l.byeOnce.Do(func() {
		select {
		case <-l.done:
			return
		default:
		}
		l.end(cause)
		// The dialog's context ends when the peer's own BYE arrives, so
		// BYEs that cross do not wait 32 s for an answer that never comes.
		ctx, cancel := context.WithTimeout(l.dlg.Context(), 32*sip.T1)
		defer cancel()
		if err := l.dlg.Bye(ctx); err != nil {
			l.log.Warn("BYE failed", "error", err)
		}
		l.release()
	})
}

// close ends the leg and forgets it, for a leg ended for cause without
// a BYE of ours.
func (l *Leg) close(cause hangup.Cause) {
	l.end(cause)
	l.release()
}

// peer is who is at the leg's far end.
func (l *Leg) peer() hangup.Party {
	if l.kind == "agent" {
		return hangup.Agent
	}
	return hangup.Carrier
}

func (l *Leg) end(cause hangup.Cause) {
	l.endOnce.Do(func() {
		l.mu.Lock()
		l.cause = cause
		l.mu.Unlock()
		close(l.done)
		l.stopTimer()
		l.closeMedia()
		l.log.Info("leg ended", "why", cause.String())
	})
}

func (l *Leg) release() {
	l.releaseOnce.Do(func() {
		l.srv.mu.Lock()
		delete(l.srv.legs, l.dlg.ID)
		l.srv.mu.Unlock()
		_ = l.dlg.Close()
	})
}

// inactive is the session's OnInactive: a phone that lost power or its
// network sends no RTP. It runs on a media loop: hence go.
func (l *Leg) inactive() {
	go l.Hangup(hangup.PhoneRTPTimeout)
}

// Caller is how a call is shown on an agent's phone.
type Caller struct {
	Number string
	Name   string
}

// RingError is an agent's phone refusing or failing a call; Code is the
// SIP status (486 busy, 603 decline, 408 no answer, 480, 503…).
type RingError struct{ Code int }

func (e *RingError) Error() string { return fmt.Sprintf("answered %d", e.Code) }

// RingCause is why the ring was not answered, from the status.
func (e *RingError) RingCause() hangup.RingCause { return hangup.RingStatus(e.Code) }

// Ring calls an agent's registered phone, showing from in the From header,
// until it answers or ctx ends (which cancels the INVITE). Contacts are
// tried newest first.
func (s *Server) Ring(ctx context.Context, agent string, from Caller) (*Leg, error) {
	contacts := s.registrar.Contacts(agent)
	if len(contacts) == 0 {
		return nil, ErrUnreachable
	}
	policy := s.srtpFor(SRTPParty{Agent: agent})
	var last error
	for _, b := range contacts {
		leg, err := s.invite(ctx, "agent", agent, b.Contact, b.Source, b.Transport, from, "", "", fmt.Sprintf("<sip:%s@%s>", agent, b.Contact.Host), policy)
		if err == nil || ctx.Err() != nil {
			return leg, err
		}
		last = err
	}
	return nil, last
}

// invite places a call: to an agent's phone (kind "agent") or to a
// number through a trunk (kind "number"), offering SRTP by policy.
func (s *Server) invite(ctx context.Context, kind, agent string, target sip.Uri, dest, transport string, from Caller, user, password, to string, policy SRTPPolicy, extra ...sip.Header) (*Leg, error) {
	sock, err := s.cfg.Ports.Listen(s.mediaIP)
	if err != nil {
		return nil, err
	}
	peer := peerOf(ctx, dest)
	dialogs := s.dialogsFor(peer, transport)
	contact := dialogs.ContactHDR
	leg := &Leg{Agent: agent, kind: kind}
	leg.dialog = dialog{srv: s, done: make(chan struct{}), contact: &contact, hangup: leg.hangUp, srtp: srtpDialog{policy: policy}}
	session := media.NewSession(s.cfg.Media, media.SessionConfig{Socket: sock, Advertised: s.advertise(peer),
		Timeout: s.cfg.RTPTimeout, OnInactive: leg.inactive})
	leg.session = session
	sd, err := leg.srtp.offer() // before the leg is listed: nothing else touches it yet
	if err != nil {
		session.Close()
		return nil, fmt.Errorf("inviting %s %s: %w", kind, agent, err)
	}
	offer := media.Answer{Addr: session.LocalAddr(), Codecs: []media.Codec{media.PCMU, media.PCMA}, DTMFType: 101,
		Direction: media.SendRecv, SessionID: s.sessionID, Version: 1, Secure: sd.secure, Crypto: sd.lines}.Marshal()
	leg.initSDP(offer, 1)

	req := sip.NewRequest(sip.INVITE, target)
	req.SetBody(offer)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	name := displayName(from.Name)
	host := dialogs.ContactHDR.Address.Host
	req.AppendHeader(sip.NewHeader("From", fmt.Sprintf("%q <sip:%s@%s>;tag=%s", name, userPart(from.Number), host, sip.GenerateTagN(10))))
	req.AppendHeader(sip.NewHeader("To", to))
	// Lets the phone ask for session timers in its answer (RFC 4028 §7.1).
	req.AppendHeader(sip.NewHeader("Supported", "timer"))
	for _, h := range extra {
		req.AppendHeader(h)
	}
	req.SetTransport(transport)
	req.SetDestination(dest) // a phone behind NAT is reached where it registered from

	dlg, err := dialogs.WriteInvite(ctx, req)
	if err != nil {
		session.Close()
		return nil, fmt.Errorf("inviting %s %s: %w", kind, agent, unsentError{err})
	}
	leg.id = req.CallID().Value()
	leg.log = s.log.With("call_id", leg.id, kind, agent)
	var silent time.Duration
	if kind == "number" {
		silent = trunkResponseTimeout
	}
	err = s.awaitAnswer(ctx, dlg, sipgo.AnswerOptions{Username: user, Password: password}, agent, silent)
	if err != nil && ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		// Report why we stopped (ring timeout, or the caller or another
		// agent ended it), not sipgo's view of the cancelled wait.
		err = fmt.Errorf("%w: %v", ctx.Err(), err)
	}
	if err != nil {
		session.Close()
		if ctx.Err() == nil {
			_ = dlg.Close() // else what settles the INVITE closes it
		}
		var rejected *sipgo.ErrDialogResponse
		if errors.As(err, &rejected) {
			return nil, &RingError{Code: rejected.Res.StatusCode}
		}
		return nil, err
	}
	answer, err := media.ParseSDP(dlg.InviteResponse.Body())
	if err == nil {
		// Our offer has the static types, but an answer naming others is
		// what the phone will take. Taken before the leg is listed, so
		// that an answer our SRTP policy refuses ends the call as an
		// unusable one does.
		_, err = leg.applyAnswer(answer)
	}
	if err != nil {
		// Taken, the leg would be bridged to silence: end the dialog and
		// fail as a phone that refused the call does.
		session.Close()
		bg, cancel := context.WithTimeout(context.Background(), 32*sip.T1)
		_ = dlg.Ack(bg)
		_ = dlg.Bye(bg)
		cancel()
		_ = dlg.Close()
		return nil, fmt.Errorf("%s %s answered without usable SDP: %w", kind, agent, err)
	}
	leg.dlg = dlg
	leg.send = dlg.TransactionRequest
	leg.target = func() sip.Uri {
		if c := dlg.InviteResponse.Contact(); c != nil {
			return c.Address
		}
		return dlg.InviteRequest.Recipient
	}
	leg.confirmed = true
	leg.started = time.Now()
	// Known before the ACK goes, so that a re-INVITE right behind it
	// finds the dialog.
	s.mu.Lock()
	s.legs[dlg.ID] = leg
	s.mu.Unlock()
	if err := dlg.Ack(ctx); err != nil {
		leg.close(hangup.ByServer(hangup.ACKFailed))
		return nil, fmt.Errorf("acknowledging %s %s: %w", kind, agent, err)
	}
	if err := leg.startMedia(); err != nil {
		leg.Hangup(hangup.NoMedia)
		return nil, fmt.Errorf("%s %s: %w", kind, agent, err)
	}
	leg.setTimer(timerFromResponse(dlg.InviteResponse))
	leg.log.Info("leg answered", "codec", answer.Codecs[0].String(), "srtp", session.Secure())
	return leg, nil
}

// BridgeLegs connects two answered outbound legs (an agent and a customer
// called back) until either hangs up, with silence for hold.
func (s *Server) BridgeLegs(a, b *Leg) { s.BridgeLegsHolding(a, b, nil) }

// BridgeLegsHolding is BridgeLegs where hold is what either side hears
// while the other holds.
func (s *Server) BridgeLegsHolding(a, b *Leg, hold *media.Sound) {
	br := newBridge(&a.dialog, &b.dialog, hold, s.log)
	go func() {
		select {
		case <-a.done:
			br.end()
			b.Hangup(hangup.OtherSideHungUp)
		case <-b.done:
			br.end()
			a.Hangup(hangup.OtherSideHungUp)
		}
	}()
}

// Bridge connects a caller and an answered agent leg, with silence for
// hold: see BridgeHolding.
func (s *Server) Bridge(c *Call, l *Leg) { s.BridgeHolding(c, l, nil) }

// BridgeHolding connects a caller and an answered agent leg: audio and
// DTMF are relayed both ways until either hangs up; the caller hanging up
// hangs up the agent, while the agent hanging up leaves the caller to
// whoever owns the call. While one side holds, the other hears hold.
func (s *Server) BridgeHolding(c *Call, l *Leg, hold *media.Sound) {
	br := newBridge(&c.dialog, &l.dialog, hold, s.log)
	go func() {
		select {
		case <-c.done:
			br.end()
			l.hangUp(hangup.Cause{By: hangup.Caller, Code: hangup.CallerHungUp})
		case <-l.done:
			br.end()
		}
	}()
}

// userPart keeps what may stand before the @ of a SIP URI.
func userPart(number string) string {
	var b strings.Builder
	for _, r := range number {
		if r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || strings.ContainsRune("+-_.!~*'()", r) {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "anonymous"
	}
	return b.String()
}

// awaitAnswer waits for the answer to an INVITE until ctx ends, and then
// returns at once: the caller is never held by a phone that stopped
// answering. What is left of the INVITE is settled in the background,
// within bounds: CANCEL once a provisional response has come (RFC 3261
// §9.1 forbids it before; it goes as soon as one arrives), and a 2xx that
// comes anyway is acknowledged and hung up, so that a phone answering
// late is not left in dead air.
//
// When silent is set, an INVITE that gets no response at all within it
// fails with ErrNoResponse: nothing needs cancelling then.
func (s *Server) awaitAnswer(ctx context.Context, dlg *sipgo.DialogClientSession, opts sipgo.AnswerOptions, who string, silent time.Duration) error {
	// sipgo's own CANCEL waits for the 200 to the CANCEL and then for the
	// 487, up to 32 s each; forced, it sends none. Force it always, and
	// cancel here instead.
	waitCtx, stopWait := context.WithCancelCause(context.Background())
	stopOnShutdown := context.AfterFunc(s.life, func() { stopWait(sipgo.WaitAnswerForceCancelErr) })
	cancels := make(chan *sip.Request, 1)
	provisional := false
	responded := false // any response at all; only the callback below touches it
	heard := make(chan struct{})
	opts.OnResponse = func(res *sip.Response) error {
		if !responded {
			responded = true
			close(heard)
		}
		if res.IsProvisional() && !provisional {
			provisional = true
			// Built here, on the goroutine that may still rewrite the
			// INVITE (a digest retry), so that it matches the one sent.
			cancels <- cancelFor(dlg.InviteRequest)
		}
		return nil
	}
	result := make(chan error, 1)
	if !s.background(func() { result <- dlg.WaitAnswer(waitCtx, opts) }) {
		stopOnShutdown()
		stopWait(nil)
		return errors.New("server shutting down")
	}
	var noResponse <-chan time.Time
	if silent > 0 {
		t := time.NewTimer(silent)
		defer t.Stop()
		noResponse = t.C
	}
wait:
	for {
		select {
		case err := <-result:
			stopOnShutdown()
			stopWait(nil)
			return err
		case <-ctx.Done():
			break wait
		case <-noResponse:
			select {
			case <-heard:
				noResponse = nil
				continue
			default:
			}
			// Nothing came back, so no CANCEL may go (RFC 3261 §9.1):
			// stop the retransmissions and give up.
			stopWait(sipgo.WaitAnswerForceCancelErr)
			<-result
			stopOnShutdown()
			return ErrNoResponse
		}
	}
	settled := s.background(func() {
		defer stopOnShutdown()
		defer stopWait(nil)
		s.settle(dlg, cancels, result, func() { stopWait(sipgo.WaitAnswerForceCancelErr) }, who)
	})
	if !settled {
		stopWait(sipgo.WaitAnswerForceCancelErr)
		<-result
	}
	return ctx.Err()
}

// settle finishes an INVITE nobody waits for any more: it is cancelled
// once the phone has sent a provisional response, given 64*T1 for its final
// response after that, and an answer that comes anyway is ACKed and hung up.
func (s *Server) settle(dlg *sipgo.DialogClientSession, cancels <-chan *sip.Request, result <-chan error, abandon func(), who string) {
	log := s.log.With("call_id", dlg.InviteRequest.CallID().Value(), "agent", who)
	var giveUp <-chan time.Time
	for {
		select {
		case cancel := <-cancels:
			cancels = nil
			ctx, stop := context.WithTimeout(s.life, 32*sip.T1)
			if res, err := s.do(ctx, cancel); err != nil {
				log.Info("CANCEL not answered", "error", err)
			} else if res.StatusCode != 200 {
				log.Info("CANCEL refused", "status", res.StatusCode)
			}
			stop()
			// RFC 3261 §9.1: a 487 may never come from an RFC 2543 phone.
			t := time.NewTimer(64 * sip.T1)
			defer t.Stop()
			giveUp = t.C
		case <-giveUp:
			giveUp = nil
			abandon()
		case <-s.life.Done():
			abandon()
			<-result
			return
		case err := <-result:
			if err == nil {
				log.Info("phone answered after the ring was stopped; hanging it up")
				ctx, stop := context.WithTimeout(s.life, 32*sip.T1)
				_ = dlg.Ack(ctx)
				if err := dlg.Bye(ctx); err != nil {
					log.Info("BYE to a late answer failed", "error", err)
				}
				stop()
			}
			_ = dlg.Close()
			return
		}
	}
}

// cancelFor builds the CANCEL of an INVITE (RFC 3261 §9.1): its top Via,
// From, To, Call-ID, CSeq number and Route, to where the INVITE went.
func cancelFor(invite *sip.Request) *sip.Request {
	req := sip.NewRequest(sip.CANCEL, *invite.Recipient.Clone())
	req.AppendHeader(sip.HeaderClone(invite.Via()))
	req.AppendHeader(sip.HeaderClone(invite.From()))
	req.AppendHeader(sip.HeaderClone(invite.To()))
	req.AppendHeader(sip.HeaderClone(invite.CallID()))
	req.AppendHeader(&sip.CSeqHeader{SeqNo: invite.CSeq().SeqNo, MethodName: sip.CANCEL})
	maxFwd := sip.MaxForwardsHeader(70)
	req.AppendHeader(&maxFwd)
	sip.CopyHeaders("Route", invite, req)
	req.SetBody(nil)
	req.SetTransport(invite.Transport())
	req.SetDestination(invite.Destination())
	req.Laddr = invite.Laddr
	return req
}

// do sends a request built whole (nothing is added to it) in a client
// transaction and returns its final response.
func (s *Server) do(ctx context.Context, req *sip.Request) (*sip.Response, error) {
	tx, err := s.clientFor(req.Transport()).TransactionRequest(ctx, req, func(*sipgo.Client, *sip.Request) error { return nil })
	if err != nil {
		return nil, err
	}
	defer tx.Terminate()
	for {
		select {
		case res := <-tx.Responses():
			if res.IsProvisional() {
				continue
			}
			return res, nil
		case <-tx.Done():
			return nil, errors.Join(errors.New("transaction ended"), tx.Err())
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
