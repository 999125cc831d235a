package sip

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/acdserver/acd/hangup"
	"github.com/acdserver/acd/media"
)

// Session timers (RFC 4028): a phone that asks for them (Session-Expires
// in its INVITE, or in its answer to ours) gets them. The side named
// refresher sends a re-INVITE every half interval; the other ends a
// session whose refresh does not come. We only ever take part when the
// phone asks: a dialog without them relies on RTP inactivity alone.

// minSessionExpires is the shortest interval RFC 4028 §4 lets either side
// ask for.
const minSessionExpires = 90 * time.Second

// sessionTimer is a dialog's session interval and who refreshes it.
type sessionTimer struct {
	interval  time.Duration // zero: no session timer
	weRefresh bool
	refreshed time.Time // when the interval last started
	timer     *time.Timer
}

// minSE is the shortest interval we accept.
func (s *Server) minSE() time.Duration {
	if s.cfg.MinSessionExpires > 0 {
		return s.cfg.MinSessionExpires
	}
	return minSessionExpires
}

// headerValue is a header's value by its full or compact name.
func headerValue(m sip.Message, full, compact string) (string, bool) {
	for _, name := range []string{full, compact} {
		if name == "" {
			continue
		}
		if hs := m.GetHeaders(name); len(hs) > 0 {
			return hs[0].Value(), true
		}
	}
	return "", false
}

// sessionExpires reads Session-Expires: the interval and the refresher
// parameter ("uac", "uas" or "").
func sessionExpires(m sip.Message) (time.Duration, string, bool) {
	v, ok := headerValue(m, "Session-Expires", "x")
	if !ok {
		return 0, "", false
	}
	parts := strings.Split(v, ";")
	secs, err := strconv.Atoi(strings.TrimSpace(parts[0]))
	if err != nil || secs <= 0 {
		return 0, "", false
	}
	refresher := ""
	for _, p := range parts[1:] {
		name, value, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(name, "refresher") {
			refresher = strings.ToLower(strings.TrimSpace(value))
		}
	}
	return time.Duration(secs) * time.Second, refresher, true
}

// supports reports whether a message lists an option tag in Supported
// (or Require).
func supports(m sip.Message, tag string) bool {
	for _, name := range []string{"Supported", "k", "Require"} {
		for _, h := range m.GetHeaders(name) {
			for t := range strings.SplitSeq(h.Value(), ",") {
				if strings.EqualFold(strings.TrimSpace(t), tag) {
					return true
				}
			}
		}
	}
	return false
}

// negotiateTimer decides, for a request the peer sent (an INVITE or an
// UPDATE, where we are the transaction's UAS), the session interval and
// who refreshes (RFC 4028 §9), and the headers of our 2xx. A refresh that
// names no interval keeps current's. tooSmall is an interval under ours:
// the request gets 422 with Min-SE.
func negotiateTimer(req *sip.Request, current sessionTimer, minSE time.Duration) (next sessionTimer, hdrs []sip.Header, tooSmall bool) {
	interval, refresher, ok := sessionExpires(req)
	if !ok {
		if current.interval == 0 {
			return sessionTimer{}, nil, false
		}
		interval, refresher = current.interval, ""
	} else if interval < minSE {
		return sessionTimer{}, nil, true
	}
	next.interval = interval
	timerAware := supports(req, "timer")
	switch {
	case !timerAware:
		// A peer that does not know session timers cannot refresh.
		next.weRefresh, refresher = true, "uas"
	case refresher == "uas":
		next.weRefresh = true
	default:
		refresher = "uac"
	}
	hdrs = append(hdrs, sip.NewHeader("Session-Expires", fmt.Sprintf("%d;refresher=%s", int(interval/time.Second), refresher)))
	if timerAware {
		hdrs = append(hdrs, sip.NewHeader("Require", "timer"))
	}
	return next, hdrs, false
}

// timerFromResponse reads the session timer a 2xx to our request set up
// (we are the transaction's UAC): none without Session-Expires.
func timerFromResponse(res *sip.Response) sessionTimer {
	interval, refresher, ok := sessionExpires(res)
	if !ok {
		return sessionTimer{}
	}
	return sessionTimer{interval: interval, weRefresh: refresher != "uas"}
}

// tooSmall answers 422 (RFC 4028 §6) with our Min-SE.
func (s *Server) tooSmall(tx sip.ServerTransaction, req *sip.Request) {
	respond(tx, req, 422, "Session Interval Too Small", sip.NewHeader("Min-SE", strconv.Itoa(int(s.minSE()/time.Second))))
}

// setTimer starts a session timer anew (a new interval, or a refresh).
func (d *dialog) setTimer(st sessionTimer) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer.timer != nil {
		d.timer.timer.Stop()
	}
	st.timer = nil
	st.refreshed = time.Now()
	d.timer = st
	if st.interval == 0 {
		return
	}
	select {
	case <-d.done:
		return
	default:
	}
	if st.weRefresh {
		d.timer.timer = time.AfterFunc(st.interval/2, d.refresh)
	} else {
		d.timer.timer = time.AfterFunc(st.interval-expiryMargin(st.interval), d.expired)
	}
	d.log.Debug("session timer", "interval", st.interval, "we_refresh", st.weRefresh)
}

// expiryMargin is how long before expiry the side that does not refresh
// ends the session (RFC 4028 §10).
func expiryMargin(interval time.Duration) time.Duration {
	return min(32*time.Second, interval/3)
}

// stopTimer stops the session timer for good; the dialog has ended.
func (d *dialog) stopTimer() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer.timer != nil {
		d.timer.timer.Stop()
	}
	d.timer = sessionTimer{}
}

// expired runs when the peer's refresh did not come.
func (d *dialog) expired() {
	select {
	case <-d.done:
		return
	default:
	}
	d.log.Warn("session timer expired: the phone did not refresh the session; hanging up")
	d.hangup(hangup.ByServer(hangup.SessionExpired))
}

// retryRefresh tries a failed refresh again after wait, unless the
// session would expire first: then it ends.
func (d *dialog) retryRefresh(wait time.Duration, why string) {
	d.mu.Lock()
	st := d.timer
	lapsed := st.interval > 0 && time.Since(st.refreshed)+wait >= st.interval-expiryMargin(st.interval)
	if st.interval > 0 && !lapsed {
		d.timer.timer = time.AfterFunc(wait, d.refresh)
	}
	d.mu.Unlock()
	if lapsed {
		d.log.Warn("session refresh failed; hanging up before the session expires", "error", why)
		d.hangup(hangup.Cause{By: hangup.Server, Code: hangup.SessionRefreshFailed, Detail: why})
	}
}

// refresh sends our session refresh: a re-INVITE with our description
// unchanged, which every phone takes (UPDATE is optional).
func (d *dialog) refresh() {
	select {
	case <-d.done:
		return
	default:
	}
	d.mu.Lock()
	if d.answering != nil || d.inviting {
		d.mu.Unlock()
		d.retryRefresh(time.Second, "another INVITE in progress")
		return
	}
	d.inviting = true
	body, interval := d.localSDP, d.timer.interval
	d.mu.Unlock()
	res, err := d.reinviteOut(body, interval)
	d.mu.Lock()
	d.inviting = false
	d.mu.Unlock()
	var rejected *rejectedError
	switch {
	case err == nil:
		st := timerFromResponse(res)
		if answer, perr := media.ParseSDP(res.Body()); perr == nil && len(res.Body()) > 0 {
			if changed, err := d.applyAnswer(answer); err != nil {
				d.log.Warn("session refresh answer refused; media unchanged", "error", err)
			} else if changed {
				d.holdChanged()
			}
		}
		d.setTimer(st)
	case errors.As(err, &rejected) && rejected.code == 422:
		if minSE, ok := headerValue(rejected.res, "Min-SE", ""); ok {
			if secs, perr := strconv.Atoi(strings.TrimSpace(strings.Split(minSE, ";")[0])); perr == nil {
				d.mu.Lock()
				d.timer.interval = max(d.timer.interval, time.Duration(secs)*time.Second)
				d.mu.Unlock()
			}
		}
		d.retryRefresh(0, err.Error())
	case errors.As(err, &rejected) && rejected.code == 491:
		// RFC 3261 §14.1: glare; try again after 2.1 to 4 s.
		d.retryRefresh(2100*time.Millisecond+rand.N(1900*time.Millisecond), err.Error())
	case errors.As(err, &rejected) && rejected.code != 408 && rejected.code != 481:
		d.retryRefresh(interval/4, err.Error())
	default:
		// RFC 4028 §10: a refresh that times out, or gets 408 or 481,
		// ends the session.
		d.log.Warn("session refresh failed; hanging up", "error", err)
		d.hangup(refreshFailed(err))
	}
}

// rejectedError is a final response other than 2xx to a request of ours.
type rejectedError struct {
	code int
	res  *sip.Response
}

func (e *rejectedError) Error() string { return fmt.Sprintf("answered %d %s", e.code, e.res.Reason) }

// reinviteOut sends a re-INVITE of ours offering body, with our session
// timer as refresher, and ACKs its 2xx.
func (d *dialog) reinviteOut(body []byte, interval time.Duration) (*sip.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 32*sip.T1)
	defer cancel()
	req := sip.NewRequest(sip.INVITE, d.target())
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.AppendHeader(sip.NewHeader("Supported", "timer"))
	if interval > 0 {
		req.AppendHeader(sip.NewHeader("Session-Expires", fmt.Sprintf("%d;refresher=uac", int(interval/time.Second))))
	}
	req.SetBody(body)
	tx, err := d.send(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("sending a session refresh: %w", err)
	}
	defer tx.Terminate()
	for {
		select {
		case res := <-tx.Responses():
			if res.IsProvisional() {
				continue
			}
			if !res.IsSuccess() {
				return nil, &rejectedError{code: res.StatusCode, res: res}
			}
			if err := d.srv.clientFor(req.Transport()).WriteRequest(ackFor(req, res)); err != nil {
				return nil, fmt.Errorf("acknowledging a session refresh: %w", err)
			}
			return res, nil
		case <-tx.Done():
			return nil, fmt.Errorf("session refresh: %w", errors.Join(errors.New("no answer"), tx.Err()))
		case <-ctx.Done():
			return nil, fmt.Errorf("session refresh: %w", ctx.Err())
		case <-d.done:
			return nil, errors.New("session refresh: the dialog ended")
		}
	}
}

// ackFor builds the ACK of a 2xx to an INVITE of ours within a dialog
// (RFC 3261 §13.2.2.4): sent where the INVITE went, with its CSeq number;
// the client adds a Via of its own.
func ackFor(invite *sip.Request, res *sip.Response) *sip.Request {
	ack := sip.NewRequest(sip.ACK, *invite.Recipient.Clone())
	ack.AppendHeader(sip.HeaderClone(invite.From()))
	ack.AppendHeader(sip.HeaderClone(res.To()))
	ack.AppendHeader(sip.HeaderClone(invite.CallID()))
	ack.AppendHeader(&sip.CSeqHeader{SeqNo: invite.CSeq().SeqNo, MethodName: sip.ACK})
	maxFwd := sip.MaxForwardsHeader(70)
	ack.AppendHeader(&maxFwd)
	sip.CopyHeaders("Route", invite, ack)
	ack.SetBody(nil)
	ack.SetTransport(invite.Transport())
	ack.SetDestination(invite.Destination())
	return ack
}

// refreshFailed is the cause of a session our refresh could not keep up,
// with the status that refused it, if one did.
func refreshFailed(err error) hangup.Cause {
	c := hangup.Cause{By: hangup.Server, Code: hangup.SessionRefreshFailed, Detail: err.Error()}
	var rejected *rejectedError
	if errors.As(err, &rejected) {
		c.SIPStatus = rejected.code
	}
	return c
}
