package sip

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/acdserver/acd/hangup"
	"github.com/acdserver/acd/media"
)

// dialog is what every dialog we hold has, whichever side opened it: an
// inbound call (we are its UAS) or a leg we placed to an agent or a
// customer (its UAC). Requests within a dialog — re-INVITE, UPDATE, INFO,
// REFER — are answered through it alike: a phone that gets 481 for them
// must end the call (RFC 3261 §12.2.2), so an agent's Hold would
// otherwise drop the customer.
type dialog struct {
	srv     *Server
	log     *slog.Logger
	session *media.Session
	done    chan struct{}
	contact *sip.ContactHeader // ours, in every 2xx we send in the dialog
	// send starts a client transaction within the dialog, and target is
	// where our requests go: the peer's Contact.
	send   func(ctx context.Context, req *sip.Request) (sip.ClientTransaction, error)
	target func() sip.Uri
	// hangup ends the dialog from our side with a BYE.
	hangup func(hangup.Cause)
	// started is when the INVITE came (a call) or was answered (a leg);
	// set before the dialog is listed, and never changed.
	started time.Time

	mu         sync.Mutex
	localSDP   []byte // our current description, answered to offerless re-INVITEs
	sdpVersion uint64
	codec      media.Codec
	srtp       srtpDialog
	confirmed  bool    // the dialog's first 2xx is acknowledged
	held       bool    // the peer holds: it asked us not to send
	answering  *answer // our 2xx to a re-INVITE, until its ACK
	inviting   bool    // our own re-INVITE (a session refresh) is in progress
	mediaDone  bool    // the session is closed: it must not start
	timer      sessionTimer
	bridge     joint                          // the bridge or conference the dialog's media is in, or nil
	transfer   func(to string) TransferAnswer // decides the phone's REFERs; nil refuses them
	referring  bool                           // a REFER of the phone's is being carried out
}

// answer is a 2xx of ours to a re-INVITE, retransmitted until its ACK
// (RFC 3261 §13.3.1.4).
type answer struct {
	cseq  uint32
	offer bool          // it carried our offer: the ACK has the answer
	acked chan struct{} // closed by the ACK
}

// errEnded is a dialog that ended before its media could start.
var errEnded = errors.New("the call ended")

// startMedia starts the RTP session unless the dialog has ended: a
// session must not start while, or after, it is closed.
func (d *dialog) startMedia() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.mediaDone {
		return errEnded
	}
	return d.session.Start()
}

// closeMedia closes the RTP session for good.
func (d *dialog) closeMedia() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.mediaDone = true
	d.session.Close()
}

// initSDP records the description a dialog started with: our offer or
// our answer.
func (d *dialog) initSDP(local []byte, version uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.localSDP, d.sdpVersion = local, version
}

// applyOffer negotiates an offer and reconfigures the session; it returns
// our answer and whether the peer's hold changed, or why the dialog's
// SRTP policy refuses the offer (the session is then left as it was).
func (d *dialog) applyOffer(offer *media.Description) (local []byte, holdChanged bool, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.applyOfferLocked(offer)
}

func (d *dialog) applyOfferLocked(offer *media.Description) ([]byte, bool, error) {
	sd, local, remote, err := d.srtp.answer(offer)
	if err != nil {
		return nil, false, err
	}
	if err := d.applySRTPLocked(local, remote); err != nil {
		return nil, false, err
	}
	d.srtp.answered(sd)
	ans := media.Negotiate(offer, d.session.LocalAddr())
	ans.Secure, ans.Crypto = sd.secure, sd.lines
	changed := d.configureLocked(offer, ans.Codecs[0], ans.PayloadType(0), ans.Direction)
	return d.describeLocked(ans), changed, nil
}

// applyAnswer takes the answer to an offer we made, or says why the
// dialog's SRTP policy cannot (the session is then left as it was).
func (d *dialog) applyAnswer(answer *media.Description) (holdChanged bool, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.applyAnswerLocked(answer)
}

func (d *dialog) applyAnswerLocked(answer *media.Description) (bool, error) {
	local, remote, err := d.srtp.accept(answer)
	if err != nil {
		return false, err
	}
	if err := d.applySRTPLocked(local, remote); err != nil {
		return false, err
	}
	return d.configureLocked(answer, answer.Codecs[0], answer.PayloadType(0), answer.Direction.Reverse()), nil
}

func (d *dialog) configureLocked(peer *media.Description, codec media.Codec, pt uint8, ours media.Direction) (holdChanged bool) {
	send := ours == media.SendRecv || ours == media.SendOnly
	d.codec = codec
	d.session.Configure(peer.Addr, codec, pt, peer.DTMFType, send)
	timeout := d.srv.cfg.RTPTimeout
	held := peer.OnHold()
	if held {
		timeout = d.srv.cfg.RTPHoldTimeout
	}
	d.session.SetTimeout(timeout)
	changed := held != d.held
	d.held = held
	return changed
}

// offerLocked describes everything we accept, for an offerless INVITE.
func (d *dialog) offerLocked() []byte {
	sd, err := d.srtp.offer()
	if err != nil {
		// Offered plain, an answer is refused by a policy that requires SRTP.
		d.log.Error("cannot make SRTP keys; offering plain RTP", "error", err)
	}
	return d.describeLocked(media.Answer{
		Addr:      d.session.LocalAddr(),
		Codecs:    []media.Codec{media.PCMU, media.PCMA},
		DTMFType:  101,
		Direction: media.SendRecv,
		Secure:    sd.secure,
		Crypto:    sd.lines,
	})
}

func (d *dialog) describeLocked(a media.Answer) []byte {
	d.sdpVersion++
	a.SessionID = d.srv.sessionID
	a.Version = d.sdpVersion
	d.localSDP = a.Marshal()
	return d.localSDP
}

// isHeld reports whether the peer holds.
func (d *dialog) isHeld() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.held
}

// holdChanged tells the bridge, if any, that the peer held or resumed.
func (d *dialog) holdChanged() {
	d.mu.Lock()
	br, held := d.bridge, d.held
	d.mu.Unlock()
	if held {
		d.log.Info("put on hold by the phone")
	} else {
		d.log.Info("taken off hold by the phone")
	}
	if br != nil {
		br.update()
	}
}

// reinvite answers an INVITE within the dialog: hold or resume, a media
// change, or a session refresh. With no offer, our current description is
// the offer and the ACK brings the answer. The 2xx is retransmitted until
// its ACK, and a dialog whose ACK never comes is ended (RFC 3261
// §13.3.1.4), as for the first INVITE.
func (d *dialog) reinvite(req *sip.Request, tx sip.ServerTransaction) {
	var offer *media.Description
	if body := req.Body(); len(body) > 0 {
		o, err := parseOffer(body, d.srtpPolicy())
		if err != nil {
			// RFC 3261 §14.2: the session goes on as it was before.
			d.log.Info("no acceptable media in re-INVITE offer", "error", err)
			respond(tx, req, 488, "Not Acceptable Here", refusal(err))
			return
		}
		offer = o
	}
	d.mu.Lock()
	if !d.confirmed || d.answering != nil || d.inviting {
		d.mu.Unlock()
		// RFC 3261 §14.2: an offer of ours is not yet answered.
		respond(tx, req, 491, "Request Pending")
		return
	}
	st, timerHdrs, tooSmall := negotiateTimer(req, d.timer, d.srv.minSE())
	if tooSmall {
		d.mu.Unlock()
		d.srv.tooSmall(tx, req)
		return
	}
	a := &answer{cseq: req.CSeq().SeqNo, acked: make(chan struct{})}
	var local []byte
	changed := false
	if offer != nil {
		var err error
		if local, changed, err = d.applyOfferLocked(offer); err != nil {
			d.mu.Unlock()
			d.log.Info("re-INVITE offer refused", "error", err)
			respond(tx, req, 488, "Not Acceptable Here", refusal(err))
			return
		}
	} else {
		a.offer = true
		local = d.offerLocked()
	}
	d.answering = a
	d.mu.Unlock()
	if changed {
		d.holdChanged()
	}
	res := sip.NewSDPResponseFromRequest(req, local)
	res.AppendHeader(d.contact)
	for _, h := range timerHdrs {
		res.AppendHeader(h)
	}
	d.setTimer(st) // a re-INVITE is a refresh (RFC 4028 §10)
	d.retransmit(tx, res, a)
}

// retransmit sends a 2xx to a re-INVITE and again at T1, 2*T1, … up to
// T2 apart until the ACK comes; without one in 64*T1 the dialog ends.
func (d *dialog) retransmit(tx sip.ServerTransaction, res *sip.Response, a *answer) {
	clear := func() {
		d.mu.Lock()
		if d.answering == a {
			d.answering = nil
		}
		d.mu.Unlock()
	}
	if err := tx.Respond(res); err != nil {
		d.log.Warn("re-INVITE answer failed", "error", err)
		clear()
		return
	}
	interval := sip.T1
	again := time.NewTimer(interval)
	defer again.Stop()
	giveUp := time.NewTimer(64 * sip.T1)
	defer giveUp.Stop()
	for {
		select {
		case <-a.acked:
			return
		case <-d.done:
			clear()
			return
		case <-again.C:
			// The transaction passes a 2xx retransmitted by us to the
			// transport (RFC 6026 §7.1) until Timer L ends it.
			_ = tx.Respond(res)
			interval = min(2*interval, sip.T2)
			again.Reset(interval)
		case <-giveUp.C:
			clear()
			d.log.Warn("no ACK for our 200 OK to a re-INVITE; hanging up")
			d.hangup(hangup.ByServer(hangup.NoReInviteACK))
			return
		}
	}
}

// ack takes an ACK within the dialog: the one for our 2xx to a re-INVITE
// stops its retransmissions and, if that 2xx was our offer, answers it.
func (d *dialog) ack(req *sip.Request) {
	d.mu.Lock()
	a := d.answering
	if a == nil || req.CSeq().SeqNo != a.cseq {
		d.mu.Unlock()
		return
	}
	d.answering = nil
	changed := false
	if body := req.Body(); a.offer && len(body) > 0 {
		if desc, err := media.ParseSDP(body); err == nil {
			if changed, err = d.applyAnswerLocked(desc); err != nil {
				d.log.Info("answer in ACK refused; media unchanged", "error", err)
			}
		} else {
			d.log.Info("unusable answer in ACK; media unchanged", "error", err)
		}
	}
	d.mu.Unlock()
	close(a.acked)
	if changed {
		d.holdChanged()
	}
}

// update answers UPDATE (RFC 3311): an offer in it is answered in the 200
// as a re-INVITE's would be; without one it is a session refresh.
func (d *dialog) update(req *sip.Request, tx sip.ServerTransaction) {
	d.mu.Lock()
	st, timerHdrs, tooSmall := negotiateTimer(req, d.timer, d.srv.minSE())
	d.mu.Unlock()
	if tooSmall {
		d.srv.tooSmall(tx, req)
		return
	}
	body := req.Body()
	if len(body) == 0 {
		res := sip.NewResponseFromRequest(req, 200, "OK", nil)
		res.AppendHeader(d.contact)
		for _, h := range timerHdrs {
			res.AppendHeader(h)
		}
		d.setTimer(st)
		_ = tx.Respond(res)
		return
	}
	offer, err := parseOffer(body, d.srtpPolicy())
	if err != nil {
		d.log.Info("no acceptable media in UPDATE offer", "error", err)
		respond(tx, req, 488, "Not Acceptable Here", refusal(err))
		return
	}
	d.mu.Lock()
	if d.answering != nil || d.inviting {
		d.mu.Unlock()
		// RFC 3311 §5.2: an offer of ours is outstanding.
		respond(tx, req, 491, "Request Pending")
		return
	}
	local, changed, err := d.applyOfferLocked(offer)
	d.mu.Unlock()
	if err != nil {
		d.log.Info("UPDATE offer refused", "error", err)
		respond(tx, req, 488, "Not Acceptable Here", refusal(err))
		return
	}
	if changed {
		d.holdChanged()
	}
	res := sip.NewSDPResponseFromRequest(req, local)
	res.AppendHeader(d.contact)
	for _, h := range timerHdrs {
		res.AppendHeader(h)
	}
	d.setTimer(st)
	_ = tx.Respond(res)
}

// info takes a key sent as SIP INFO (application/dtmf-relay or
// application/dtmf): it counts as the phone's key press here, and when
// the dialog is bridged it is sent on to the other side as the bridge
// sends the RFC 4733 events it relays.
func (d *dialog) info(req *sip.Request, tx sip.ServerTransaction) {
	body := req.Body()
	if len(body) == 0 {
		respond(tx, req, 200, "OK") // a keep-alive
		return
	}
	ct := ""
	if h := req.ContentType(); h != nil {
		ct = strings.ToLower(strings.TrimSpace(strings.Split(h.Value(), ";")[0]))
	}
	key, ok := infoDigit(ct, string(body))
	if !ok {
		respond(tx, req, 415, "Unsupported Media Type", sip.NewHeader("Accept", "application/dtmf-relay, application/dtmf"))
		return
	}
	// Deliver before answering: a phone sends its next INFO once this one
	// is answered, and their handlers may run at once, so answering first
	// could let a later key overtake this one.
	d.session.Inject(key)
	d.mu.Lock()
	br := d.bridge
	d.mu.Unlock()
	if br != nil {
		br.relayDigit(d, key)
	}
	respond(tx, req, 200, "OK")
}

// bridge joins the media of two dialogs: audio and RFC 4733 events go
// both ways while neither side holds. While one holds, the other hears
// hold music instead of silence, and the bridge comes back on resume.
type bridge struct {
	a, b *dialog
	hold *media.Sound // nil: silence
	blip *media.Sound // one frame: see relayDigit
	log  *slog.Logger

	mu       sync.Mutex
	joined   bool
	music    map[*dialog]bool // hearing hold music
	finished bool
}

func newBridge(a, b *dialog, hold *media.Sound, log *slog.Logger) *bridge {
	br := &bridge{a: a, b: b, hold: hold, log: log, music: map[*dialog]bool{},
		blip: media.NewSoundPCM(make([]byte, 2*media.FrameSize))}
	for _, d := range []*dialog{a, b} {
		d.mu.Lock()
		d.bridge = br
		d.mu.Unlock()
	}
	br.update()
	return br
}

func (br *bridge) other(d *dialog) *dialog {
	if d == br.a {
		return br.b
	}
	return br.a
}

// update joins or parts the two sides by who holds.
func (br *bridge) update() {
	br.mu.Lock()
	defer br.mu.Unlock()
	if br.finished {
		return
	}
	heldA, heldB := br.a.isHeld(), br.b.isHeld()
	if !heldA && !heldB {
		if !br.joined {
			media.Bridge(br.a.session, br.b.session) // stops the music
			br.joined = true
			clear(br.music)
		}
		return
	}
	if br.joined {
		media.Unbridge(br.a.session, br.b.session)
		br.joined = false
	}
	for _, holder := range []*dialog{br.a, br.b} {
		listener := br.other(holder)
		if holder.isHeld() && !listener.isHeld() && !br.music[listener] {
			br.music[listener] = true
			if br.hold != nil {
				listener.session.Play(br.hold, true)
			}
		}
	}
}

// relayDigit sends a key that from received by INFO to the other side as
// an RFC 4733 event. A session sends its own events only while not
// bridged, so the bridge parts for the event's few frames: it plays once
// the event is out, and a one-frame sound queued behind it says when.
func (br *bridge) relayDigit(from *dialog, key rune) {
	br.mu.Lock()
	defer br.mu.Unlock()
	if br.finished {
		return
	}
	to := br.other(from)
	if !br.joined {
		to.session.SendDigit(key)
		return
	}
	media.Unbridge(br.a.session, br.b.session)
	to.session.SendDigit(key)
	sent := to.session.Play(br.blip, false)
	bound := time.NewTimer(time.Second)
	defer bound.Stop()
	select {
	case <-sent:
	case <-bound.C:
	case <-from.done:
	case <-to.done:
	}
	media.Bridge(br.a.session, br.b.session)
}

// end parts the two sides for good.
func (br *bridge) end() {
	br.mu.Lock()
	defer br.mu.Unlock()
	if br.finished {
		return
	}
	br.finished = true
	if br.joined {
		media.Unbridge(br.a.session, br.b.session)
	}
	for _, d := range []*dialog{br.a, br.b} {
		d.mu.Lock()
		if d.bridge == br {
			d.bridge = nil
		}
		d.mu.Unlock()
	}
}

// findDialog is the dialog a request belongs to, an inbound call's or a
// leg's we placed, or nil.
func (s *Server) findDialog(req *sip.Request) *dialog {
	if c := s.lookup(req); c != nil {
		return &c.dialog
	}
	if l := s.lookupLeg(req); l != nil {
		return &l.dialog
	}
	return nil
}

// srtpPolicy is the dialog's SRTP policy, fixed when it began.
func (d *dialog) srtpPolicy() SRTPPolicy {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.srtp.policy
}
