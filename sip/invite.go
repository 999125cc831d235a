package sip

import (
	"errors"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/acdserver/acd/hangup"
	"github.com/acdserver/acd/media"
)

func (s *Server) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if to := req.To(); to != nil && to.Params.Has("tag") {
		s.onReInvite(req, tx)
		return
	}
	log := s.log.With("call_id", req.CallID().Value())
	number := req.Recipient.User
	agent := ""
	if strings.HasPrefix(number, "*") {
		// Feature codes change an agent's state: only an authenticated
		// agent may dial them.
		if s.auth == nil {
			respond(tx, req, 404, "Not Found")
			return
		}
		v, user, stale := s.auth.check(req)
		if v != accepted {
			s.auth.respond(tx, req, v, stale)
			return
		}
		agent = user
	}
	handler, ok := s.cfg.Route(number, agent)
	if !ok {
		log.Info("call to unknown number", "number", number)
		s.refusedNumber.Add(1)
		respond(tx, req, 404, "Not Found")
		return
	}
	policy := s.srtpFor(SRTPParty{Agent: s.agentAt(req, agent), Source: req.Source()})
	var offer *media.Description
	if body := req.Body(); len(body) > 0 {
		if ct := req.ContentType(); ct == nil || !strings.EqualFold(strings.TrimSpace(strings.Split(ct.Value(), ";")[0]), "application/sdp") {
			s.refusedOffer.Add(1)
			respond(tx, req, 415, "Unsupported Media Type", sip.NewHeader("Accept", "application/sdp"))
			return
		}
		d, err := parseOffer(body, policy)
		if err != nil {
			log.Info("no acceptable media in offer", "error", err)
			s.refusedOffer.Add(1)
			respond(tx, req, 488, "Not Acceptable Here", refusal(err))
			return
		}
		offer = d
	}
	if offer != nil {
		if _, err := chooseSRTP(policy, offer); err != nil {
			log.Info("offer refused by the SRTP policy", "srtp", policy.String(), "error", err)
			s.refusedOffer.Add(1)
			respond(tx, req, 488, "Not Acceptable Here", refusal(err))
			return
		}
	}
	timer, timerHdrs, tooSmall := negotiateTimer(req, sessionTimer{}, s.minSE())
	if tooSmall {
		s.tooSmall(tx, req)
		return
	}
	if !s.admit() {
		s.full.Warn("call refused: max_calls reached", "max_calls", s.cfg.MaxCalls)
		respond(tx, req, 503, "Service Unavailable", sip.NewHeader("Retry-After", "10"))
		return
	}
	admitted := true // until the call exists; then forget releases it
	defer func() {
		if admitted {
			s.release()
		}
	}()
	sock, err := s.cfg.Ports.Listen(s.mediaIP)
	if err != nil {
		log.Error("cannot open an RTP port", "error", err)
		s.refusedMedia.Add(1)
		respond(tx, req, 503, "Service Unavailable")
		return
	}
	peer := peerAddr(req.Source())
	dlg, err := s.dialogsFor(peer, req.Transport()).ReadInvite(req, tx)
	if err != nil {
		_ = sock.Close()
		respond(tx, req, 400, "Bad Request")
		return
	}
	caller, name := s.callerIdentity(req)
	c := &Call{
		source: req.Source(),
		id:     req.CallID().Value(),
		number: number,
		caller: caller,
		name:   name,
		dlg:    dlg,
	}
	contact := s.dialogsFor(peer, req.Transport()).ContactHDR
	c.dialog = dialog{
		started: time.Now(),
		srv:     s,
		log:     log,
		done:    make(chan struct{}),
		contact: &contact,
		send:    dlg.TransactionRequest,
		target:  func() sip.Uri { return dlg.InviteRequest.Contact().Address },
		hangup:  c.hangUp,
		srtp:    srtpDialog{policy: policy},
	}
	c.session = media.NewSession(s.cfg.Media, media.SessionConfig{
		Socket:     sock,
		Advertised: s.advertise(peer),
		Timeout:    s.cfg.RTPTimeout,
		OnInactive: c.inactive,
	})
	s.mu.Lock()
	s.calls[dlg.ID] = c
	s.mu.Unlock()
	admitted = false

	var local []byte
	if offer != nil {
		if local, _, err = c.applyOffer(offer); err != nil {
			log.Error("cannot answer with SRTP", "error", err)
			s.refusedMedia.Add(1)
			_ = dlg.Respond(500, "Server Internal Error", nil)
			c.close(hangup.NoMedia)
			return
		}
	} else {
		c.mu.Lock()
		c.ackBody = make(chan []byte, 1)
		local = c.offerLocked()
		c.mu.Unlock()
	}
	// A call answered at once gets its 200 without a 100 or a 180 before
	// it: each is a response built and a datagram sent for nothing the
	// caller hears, and should the answer be slower than 200 ms the
	// transaction sends its own 100 (RFC 3261 §17.2.1).
	if s.cfg.RingTime > 0 {
		_ = dlg.Respond(100, "Trying", nil)
		if err := dlg.Respond(180, "Ringing", nil); err != nil {
			c.close(hangup.CancelledBeforeAnswer)
			return
		}
		select {
		case <-time.After(s.cfg.RingTime):
		case <-dlg.Context().Done():
			c.close(hangup.CallerCancelled)
			return
		}
	}
	if offer != nil {
		if err := c.startMedia(); err != nil {
			log.Error("cannot start RTP", "error", err)
			s.refusedMedia.Add(1)
			_ = dlg.Respond(503, "Service Unavailable", nil)
			c.close(hangup.NoMedia)
			return
		}
	}
	// WriteResponse retransmits the 2xx until the ACK arrives (RFC 3261
	// §13.3.1.4) and fails on CANCEL or when no ACK comes in 64*T1.
	res := sip.NewSDPResponseFromRequest(dlg.InviteRequest, local)
	for _, h := range timerHdrs {
		res.AppendHeader(h)
	}
	if err := dlg.WriteResponse(res); err != nil {
		if errors.Is(err, sip.ErrTransactionCanceled) || dlg.Context().Err() != nil {
			c.close(hangup.CallerCancelled)
			return
		}
		log.Warn("no ACK for our 200 OK; hanging up", "error", err)
		c.Hangup(hangup.NoACK)
		return
	}
	c.mu.Lock()
	c.confirmed = true
	wantAnswer := c.ackBody
	c.ackBody = nil
	c.mu.Unlock()
	if wantAnswer != nil {
		var answer *media.Description
		select {
		case body := <-wantAnswer:
			answer, err = media.ParseSDP(body)
		default:
			err = errors.New("no SDP in the ACK")
		}
		if err == nil {
			_, err = c.applyAnswer(answer)
		}
		if err != nil {
			log.Warn("offerless INVITE: unusable answer in ACK; hanging up", "error", err)
			c.Hangup(hangup.NoSDPAnswer)
			return
		}
		if err := c.startMedia(); err != nil {
			log.Error("cannot start RTP; hanging up", "error", err)
			c.Hangup(hangup.NoMedia)
			return
		}
	}
	c.setTimer(timer)
	c.mu.Lock()
	codec := c.codec
	c.mu.Unlock()
	log.Info("call answered", "number", number, "caller", c.caller, "codec", codec.String(), "srtp", c.session.Secure())
	s.mu.Lock()
	closing := s.closing
	if !closing {
		s.wg.Add(1) // under s.mu: never concurrent with Serve's final Wait
	}
	s.mu.Unlock()
	if closing {
		c.Hangup(hangup.Shutdown)
		return
	}
	go func() {
		defer s.wg.Done()
		defer c.Hangup(hangup.HandlerReturned)
		handler(s.ctx, c)
	}()
}

// onReInvite answers an INVITE within a dialog we hold, an inbound
// call's or a leg's.
func (s *Server) onReInvite(req *sip.Request, tx sip.ServerTransaction) {
	d := s.findDialog(req)
	if d == nil {
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	d.reinvite(req, tx)
}

// refusal is the Warning of a 488 (RFC 3261 §20.43), saying what in the
// offer we could not take.
func refusal(err error) sip.Header {
	if h, ok := srtpRefusal(err); ok {
		return h
	}
	if errors.Is(err, media.ErrNoAddress) {
		return sip.NewHeader("Warning", `301 acd "c= must give an IPv4 or IPv6 address"`)
	}
	return sip.NewHeader("Warning", `304 acd "PCMU or PCMA over RTP/AVP required"`)
}
