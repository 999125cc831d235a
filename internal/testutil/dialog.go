package testutil

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/emiago/sipgo/sip"

	"github.com/acdserver/acd/media"
)

// What an agent's phone does within a call the server placed to it: hold
// and resume by re-INVITE, keys by INFO, UPDATE, blind transfer by REFER.

// ErrNoCall means the phone has answered no call from the server.
var ErrNoCall = errors.New("no answered inbound call")

// HeldSDP is the phone's SDP with direction dir: a=sendonly to hold, as
// phones do, and a=sendrecv to resume.
func (p *Phone) HeldSDP(dir media.Direction) []byte {
	return media.Answer{
		Addr:      p.RTP.LocalAddr().(*net.UDPAddr).AddrPort(),
		Codecs:    []media.Codec{media.PCMU},
		DTMFType:  101,
		Direction: dir,
		SessionID: 2, Version: 2,
	}.Marshal()
}

// ReinviteIncoming sends a re-INVITE offering sdp (nil: no offer) in the
// call the server placed to the phone, and, when ack is set, ACKs a 2xx
// (with ackSDP as the answer to an offer in it). It returns the final
// response.
func (p *Phone) ReinviteIncoming(ctx context.Context, sdp []byte, ack bool, ackSDP []byte) (*sip.Response, error) {
	req, res, err := p.requestIncoming(ctx, sip.INVITE, "application/sdp", sdp)
	if err != nil || !ack || !res.IsSuccess() {
		return res, err
	}
	return res, p.AckIncoming(req, ackSDP)
}

// AckIncoming sends the ACK for a 2xx to a re-INVITE the phone sent.
func (p *Phone) AckIncoming(invite *sip.Request, body []byte) error {
	ack := sip.NewRequest(sip.ACK, *invite.Recipient.Clone())
	ack.AppendHeader(sip.HeaderClone(invite.From()))
	ack.AppendHeader(sip.HeaderClone(invite.To()))
	ack.AppendHeader(sip.HeaderClone(invite.CallID()))
	ack.AppendHeader(&sip.CSeqHeader{SeqNo: invite.CSeq().SeqNo, MethodName: sip.ACK})
	if body != nil {
		ack.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	}
	ack.SetBody(body)
	ack.SetTransport(invite.Transport())
	return p.client.WriteRequest(ack)
}

// InfoIncoming sends a key as SIP INFO (application/dtmf-relay) in the
// call the server placed to the phone, and returns the status.
func (p *Phone) InfoIncoming(ctx context.Context, key rune) (int, error) {
	_, res, err := p.requestIncoming(ctx, sip.INFO, "application/dtmf-relay", fmt.Appendf(nil, "Signal=%c\r\nDuration=160\r\n", key))
	if err != nil {
		return 0, err
	}
	return res.StatusCode, nil
}

// UpdateIncoming sends UPDATE with sdp (nil: none) in the call the server
// placed to the phone.
func (p *Phone) UpdateIncoming(ctx context.Context, sdp []byte) (*sip.Response, error) {
	_, res, err := p.requestIncoming(ctx, sip.UPDATE, "application/sdp", sdp)
	return res, err
}

// requestIncoming sends a request within the call the server placed to
// the phone and waits for its final response.
func (p *Phone) requestIncoming(ctx context.Context, method sip.RequestMethod, contentType string, body []byte, hdrs ...sip.Header) (*sip.Request, *sip.Response, error) {
	p.agent.mu.Lock()
	dlg := p.agent.inbound
	p.agent.mu.Unlock()
	if dlg == nil {
		return nil, nil, ErrNoCall
	}
	// The phone's answer is written by its INVITE handler; once the
	// dialog says it is established, that is done.
	established := make(chan struct{}, 1)
	dlg.OnStateReplay(func(st sip.DialogState) {
		if st >= sip.DialogStateEstablished {
			select {
			case established <- struct{}{}:
			default:
			}
		}
	})
	select {
	case <-established:
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
	req := sip.NewRequest(method, *dlg.InviteRequest.Contact().Address.Clone())
	if body != nil {
		req.AppendHeader(sip.NewHeader("Content-Type", contentType))
		req.SetBody(body)
	}
	for _, h := range hdrs {
		req.AppendHeader(h)
	}
	tx, err := dlg.TransactionRequest(ctx, req)
	if err != nil {
		return nil, nil, err
	}
	defer tx.Terminate()
	for {
		select {
		case res := <-tx.Responses():
			if res.IsProvisional() {
				continue
			}
			return req, res, nil
		case <-tx.Done():
			return nil, nil, fmt.Errorf("%s within the call: %w", method, tx.Err())
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
	}
}

// UpdateOutgoing sends UPDATE with sdp (nil: none) in the call the phone
// placed.
func (p *Phone) UpdateOutgoing(ctx context.Context, sdp []byte) (*sip.Response, error) {
	p.mu.Lock()
	s := p.session
	p.mu.Unlock()
	if s == nil {
		return nil, errors.New("no call placed")
	}
	req := sip.NewRequest(sip.UPDATE, *s.InviteResponse.Contact().Address.Clone())
	if sdp != nil {
		req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		req.SetBody(sdp)
	}
	return s.Do(ctx, req)
}

// onNotify answers every NOTIFY and hands a REFER's progress to the
// ReferIncoming waiting for it.
func (p *Phone) onNotify(req *sip.Request, tx sip.ServerTransaction) {
	_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	if ev := req.GetHeader("Event"); ev == nil || !strings.HasPrefix(ev.Value(), "refer") {
		return
	}
	p.mu.Lock()
	frags := p.referFrags
	p.mu.Unlock()
	select {
	case frags <- strings.TrimSpace(string(req.Body())):
	default:
	}
}

// ReferIncoming sends REFER to target (a blind transfer: Refer-To
// <sip:target@server>) in the call the server placed to the phone, and
// returns the REFER's status and the message/sipfrag bodies of the
// NOTIFYs that follow, in order, until the one that ends the
// subscription.
func (p *Phone) ReferIncoming(ctx context.Context, target string) (int, <-chan string, error) {
	p.agent.mu.Lock()
	dlg := p.agent.inbound
	p.agent.mu.Unlock()
	if dlg == nil {
		return 0, nil, ErrNoCall
	}
	frags := make(chan string, 8)
	p.mu.Lock()
	p.referFrags = frags
	p.mu.Unlock()
	host := dlg.InviteRequest.Contact().Address.HostPort()
	_, res, err := p.requestIncoming(ctx, sip.REFER, "", nil,
		sip.NewHeader("Refer-To", fmt.Sprintf("<sip:%s@%s>", target, host)),
		sip.NewHeader("Referred-By", fmt.Sprintf("<sip:%s@%s>", dlg.InviteRequest.To().Address.User, host)))
	if err != nil {
		return 0, nil, err
	}
	return res.StatusCode, frags, nil
}
