package sip

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/acdserver/acd/hangup"
)

// A blind transfer from an agent's phone (RFC 3515): the phone sends
// REFER naming where the other party should go; the owner of the leg
// decides at once whether that is allowed, the REFER is answered 202 or
// refused, the phone is told how it went by NOTIFY (message/sipfrag:
// "SIP/2.0 100 Trying", then "SIP/2.0 200 OK"), and the leg is hung up.

// notifyWait bounds each NOTIFY's answer: the other party moves on only
// once the transferring leg has ended.
const notifyWait = 2 * time.Second

// TransferAnswer is what the owner of a leg answers to its phone's
// transfer; the REFER is answered with its Status. The zero value
// refuses.
type TransferAnswer uint8

// The answers to a transfer.
const (
	TransferForbidden   TransferAnswer = iota // not a target the phone may send the call to
	TransferAccepted                          // the call goes to the target
	TransferUnavailable                       // the target cannot take the call now
	TransferPending                           // a transfer of this call is already decided
)

// Status is the SIP status a REFER is answered with.
func (a TransferAnswer) Status() int {
	switch a {
	case TransferAccepted:
		return 202
	case TransferUnavailable:
		return 480
	case TransferPending:
		return 491
	}
	return 403
}

// OnTransfer sets who decides the phone's transfers (REFER) of this leg's
// call: decide gets the target as the phone named it (the user part of
// Refer-To) and accepts it, or refuses it as forbidden or unavailable. A
// leg without it refuses every transfer.
func (l *Leg) OnTransfer(decide func(to string) TransferAnswer) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.transfer = decide
}

func (s *Server) onRefer(req *sip.Request, tx sip.ServerTransaction) {
	d := s.findDialog(req)
	if d == nil {
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	d.refer(req, tx)
}

// refer answers a REFER within the dialog.
func (d *dialog) refer(req *sip.Request, tx sip.ServerTransaction) {
	to, err := referTarget(req)
	if errors.Is(err, errAttended) {
		d.log.Info("transfer refused: attended transfer (Replaces) is not supported")
		respond(tx, req, 501, "Not Implemented")
		return
	}
	if err != nil {
		d.log.Info("transfer refused: unreadable Refer-To", "error", err)
		respond(tx, req, 400, "Bad Refer-To")
		return
	}
	d.mu.Lock()
	decide, busy := d.transfer, d.referring
	if decide != nil && !busy {
		d.referring = true
	}
	d.mu.Unlock()
	switch {
	case decide == nil:
		d.log.Info("transfer refused: this call cannot be transferred", "to", to)
		respond(tx, req, 403, "Forbidden")
		return
	case busy:
		respond(tx, req, 491, "Request Pending")
		return
	}
	if answer := decide(to); answer != TransferAccepted {
		d.mu.Lock()
		d.referring = false
		d.mu.Unlock()
		code := answer.Status()
		d.log.Info("transfer refused", "to", to, "status", code)
		respond(tx, req, code, reasonPhrase(code))
		return
	}
	respond(tx, req, 202, "Accepted")
	d.log.Info("blind transfer accepted", "to", to)
	seq := req.CSeq().SeqNo
	if err := d.notifyRefer(seq, "SIP/2.0 100 Trying", "active;expires=60"); err != nil {
		d.log.Info("NOTIFY of the transfer not answered", "error", err)
	}
	if err := d.notifyRefer(seq, "SIP/2.0 200 OK", "terminated;reason=noresource"); err != nil {
		d.log.Info("NOTIFY of the transfer not answered", "error", err)
	}
	d.hangup(hangup.Cause{By: hangup.Server, Code: hangup.Transferred, Detail: to})
}

// notifyRefer tells the transferring phone how its REFER is going.
func (d *dialog) notifyRefer(referSeq uint32, status, state string) error {
	ctx, cancel := context.WithTimeout(context.Background(), notifyWait)
	defer cancel()
	req := sip.NewRequest(sip.NOTIFY, d.target())
	req.AppendHeader(sip.NewHeader("Event", fmt.Sprintf("refer;id=%d", referSeq)))
	req.AppendHeader(sip.NewHeader("Subscription-State", state))
	req.AppendHeader(sip.NewHeader("Content-Type", "message/sipfrag;version=2.0"))
	req.SetBody([]byte(status + "\r\n"))
	tx, err := d.send(ctx, req)
	if err != nil {
		return fmt.Errorf("sending NOTIFY: %w", err)
	}
	defer tx.Terminate()
	for {
		select {
		case res := <-tx.Responses():
			if res.IsProvisional() {
				continue
			}
			if !res.IsSuccess() {
				return fmt.Errorf("NOTIFY answered %d", res.StatusCode)
			}
			return nil
		case <-tx.Done():
			return errors.Join(errors.New("NOTIFY transaction ended"), tx.Err())
		case <-ctx.Done():
			return ctx.Err()
		case <-d.done:
			return errors.New("the call ended")
		}
	}
}

// errAttended is a REFER with Replaces: an attended transfer.
var errAttended = errors.New("attended transfer")

// referTarget is the user part of a REFER's Refer-To (RFC 3515 §2.1), or
// the number of a tel: URI.
func referTarget(req *sip.Request) (string, error) {
	var values []string
	for _, name := range []string{"Refer-To", "r"} {
		for _, h := range req.GetHeaders(name) {
			values = append(values, h.Value())
		}
	}
	if len(values) != 1 {
		return "", fmt.Errorf("%d Refer-To headers", len(values))
	}
	v := strings.TrimSpace(values[0])
	if i := strings.IndexByte(v, '<'); i >= 0 {
		j := strings.IndexByte(v[i:], '>')
		if j < 0 {
			return "", errors.New("unclosed <")
		}
		v = v[i+1 : i+j]
	} else if i := strings.IndexByte(v, ';'); i >= 0 {
		v = v[:i] // header parameters
	}
	if rest, ok := strings.CutPrefix(strings.ToLower(v), "tel:"); ok {
		number, _, _ := strings.Cut(rest, ";")
		number = strings.NewReplacer("-", "", ".", "", "(", "", ")", "", " ", "").Replace(number)
		if number == "" {
			return "", errors.New("empty tel: URI")
		}
		return number, nil
	}
	var uri sip.Uri
	if err := sip.ParseUri(v, &uri); err != nil {
		return "", err
	}
	if uri.Headers != nil {
		if _, ok := uri.Headers.Get("Replaces"); ok {
			return "", errAttended
		}
	}
	if uri.User == "" {
		return "", errors.New("no user part")
	}
	return uri.User, nil
}

func reasonPhrase(code int) string {
	switch code {
	case 403:
		return "Forbidden"
	case 404:
		return "Not Found"
	case 480:
		return "Temporarily Unavailable"
	case 481:
		return "Call/Transaction Does Not Exist"
	case 491:
		return "Request Pending"
	}
	return "Refused"
}
