package testutil

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/acdserver/acd/media"
)

// Register registers the phone as user at the server, answering the
// digest challenge with password.
func (p *Phone) Register(ctx context.Context, server, user, password string, expires int) (int, error) {
	var uri sip.Uri
	if err := sip.ParseUri("sip:"+server, &uri); err != nil {
		return 0, err
	}
	req := sip.NewRequest(sip.REGISTER, uri)
	local := p.sipConn.LocalAddr().(*net.UDPAddr)
	req.AppendHeader(sip.NewHeader("To", fmt.Sprintf("<sip:%s@%s>", user, server)))
	req.AppendHeader(sip.NewHeader("From", fmt.Sprintf("<sip:%s@%s>;tag=%s", user, server, sip.GenerateTagN(8))))
	req.AppendHeader(sip.NewHeader("Contact", fmt.Sprintf("<sip:%s@%s:%d>", user, p.host, local.Port)))
	req.AppendHeader(sip.NewHeader("Expires", fmt.Sprint(expires)))
	res, err := p.client.Do(ctx, req)
	if err != nil {
		return 0, err
	}
	if res.StatusCode == 401 {
		res, err = p.client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: user, Password: password})
		if err != nil {
			return 0, err
		}
	}
	return res.StatusCode, nil
}

// Dial calls number with digest credentials (for feature codes) and
// returns once the call is answered.
func (p *Phone) Dial(ctx context.Context, server, number, user, password string) (*sipgo.DialogClientSession, error) {
	s, err := p.Invite(ctx, server, number, p.SDP(101, media.PCMU))
	if err != nil {
		return nil, err
	}
	if err := s.WaitAnswer(ctx, sipgo.AnswerOptions{Username: user, Password: password}); err != nil {
		return nil, err
	}
	if err := s.Ack(ctx); err != nil {
		return nil, err
	}
	if d, err := media.ParseSDP(s.InviteResponse.Body()); err == nil {
		p.mu.Lock()
		p.remote = d.Addr // for a test that talks on the call
		p.mu.Unlock()
	}
	return s, nil
}

// Incoming is a call the server placed to this phone.
type Incoming struct {
	From, DisplayName string
	CallID            string
	Body              []byte // the offer
}

// AnswerMode says what the phone does when it rings.
type AnswerMode struct {
	// After is how long it rings before answering; Reject, if not 0, is
	// the status it answers with instead (486 busy, 603 decline);
	// Never leaves it ringing until cancelled.
	After  time.Duration
	Reject int
	Never  bool
	Codec  media.Codec
	// OneLine answers 486 Busy Here to an INVITE that comes while
	// another is still ringing, as a single-line desk phone does.
	OneLine bool
	// Body, when set, is the SDP answer sent as it is, instead of one
	// pointing at the phone's RTP socket: for answers the server must
	// refuse.
	Body []byte
}

// agentSide is the state of a phone that takes calls.
type agentSide struct {
	mu       sync.Mutex
	mode     AnswerMode
	inbound  *sipgo.DialogServerSession
	ringing  int       // INVITEs ringing now, for OneLine
	answered time.Time // when it last answered: see AnsweredAt
	Incoming chan Incoming
	Cancels  chan string // Call-IDs of INVITEs the server cancelled
}

// TakeCalls makes the phone answer the server's INVITEs as mode says.
func (p *Phone) TakeCalls(mode AnswerMode) {
	p.agent.mu.Lock()
	p.agent.mode = mode
	p.agent.mu.Unlock()
}

// IncomingCalls delivers each INVITE the phone receives.
func (p *Phone) IncomingCalls() <-chan Incoming { return p.agent.Incoming }

// Cancelled delivers the Call-ID of each INVITE the server cancelled.
func (p *Phone) Cancelled() <-chan string { return p.agent.Cancels }

func (p *Phone) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	p.agent.mu.Lock()
	mode := p.agent.mode
	p.agent.mu.Unlock()
	from := req.From()
	p.agent.Incoming <- Incoming{From: from.Address.User, DisplayName: from.DisplayName, CallID: req.CallID().Value(), Body: req.Body()}
	dlg, err := p.dialogs.ReadInvite(req, tx)
	if err != nil {
		return
	}
	if mode.OneLine {
		p.agent.mu.Lock()
		busy := p.agent.ringing > 0
		if !busy {
			p.agent.ringing++
		}
		p.agent.mu.Unlock()
		if busy {
			_ = dlg.Respond(486, "Busy Here", nil)
			return
		}
		defer func() {
			p.agent.mu.Lock()
			p.agent.ringing--
			p.agent.mu.Unlock()
		}()
	}
	_ = dlg.Respond(180, "Ringing", nil)
	if mode.Reject != 0 {
		_ = dlg.Respond(mode.Reject, "Busy Here", nil)
		return
	}
	wait := mode.After
	if mode.Never {
		wait = time.Hour
	}
	select {
	case <-time.After(wait):
	case <-dlg.Context().Done():
		p.agent.Cancels <- req.CallID().Value()
		return
	}
	offer, err := media.ParseSDP(req.Body())
	if err != nil {
		return
	}
	p.mu.Lock()
	p.remote = offer.Addr
	p.mu.Unlock()
	codec := mode.Codec
	if codec != media.PCMA {
		codec = media.PCMU
	}
	answer := media.Answer{Addr: p.RTP.LocalAddr().(*net.UDPAddr).AddrPort(), Codecs: []media.Codec{codec},
		DTMFType: offer.DTMFType, Direction: media.SendRecv, SessionID: 2, Version: 1}.Marshal()
	if mode.Body != nil {
		answer = mode.Body
	}
	p.agent.mu.Lock()
	p.agent.inbound = dlg
	p.agent.answered = time.Now()
	p.agent.mu.Unlock()
	if err := dlg.RespondSDP(answer); err != nil {
		// A CANCEL that crossed the answer on the wire: the transaction
		// ended before the 200 could go, so the server cancelled the call.
		if dlg.Context().Err() != nil || errors.Is(err, sip.ErrTransactionCanceled) {
			p.agent.Cancels <- req.CallID().Value()
		}
		return
	}
}

// AnsweredAt is when the phone last answered a call, as it sent its
// 200 OK; zero before.
func (p *Phone) AnsweredAt() time.Time {
	p.agent.mu.Lock()
	defer p.agent.mu.Unlock()
	return p.agent.answered
}

// HangupIncoming ends the answered inbound call with BYE.
func (p *Phone) HangupIncoming(ctx context.Context) error {
	p.agent.mu.Lock()
	dlg := p.agent.inbound
	p.agent.mu.Unlock()
	if dlg == nil {
		return fmt.Errorf("no answered inbound call")
	}
	return dlg.Bye(ctx)
}

// SendTone sends a 1 kHz tone in codec c to where the current call's
// media goes, every 20 ms, until ctx ends.
func (p *Phone) SendTone(ctx context.Context, c media.Codec) { p.SendTonePT(ctx, c, uint8(c)) }

// SendTonePT is SendTone with payload type pt, for a dynamic type.
func (p *Phone) SendTonePT(ctx context.Context, c media.Codec, pt uint8) {
	p.sendTone(ctx, c, pt, 1000)
}

// SendToneAt is SendTone at hz, for a test that tells the phones it
// hears apart (see Detect) or a recording's two sides: at a multiple of
// 50 Hz (1 kHz, 2 kHz, 450 Hz) a frame holds whole periods; other
// frequencies repeat with a small step at each frame's edge.
func (p *Phone) SendToneAt(ctx context.Context, c media.Codec, hz float64) {
	p.sendTone(ctx, c, uint8(c), hz)
}

func (p *Phone) sendTone(ctx context.Context, c media.Codec, pt uint8, hz float64) {
	pcm := make([]byte, 2*media.FrameSize)
	for i := range media.FrameSize {
		v := int16(6000 * math.Sin(2*math.Pi*hz*float64(i)/8000))
		pcm[2*i], pcm[2*i+1] = byte(v), byte(uint16(v)>>8)
	}
	frame := media.NewSoundPCM(pcm).Payload(c)
	go func() {
		tick := time.NewTicker(media.FrameDuration)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				p.mu.Lock()
				p.ts += media.FrameSize
				ts, remote := p.ts, p.remote
				p.mu.Unlock()
				if remote.IsValid() {
					p.sendRTP(remote, pt, ts, false, frame)
				}
			}
		}
	}()
}

// Remote is where the phone sends its RTP.
func (p *Phone) Remote() netip.AddrPort {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.remote
}

// Silence makes the phone drop off the network without unregistering, as
// a phone that lost power does: nothing it was sent is answered.
func (p *Phone) Silence() {
	_ = p.sipConn.Close()
	_ = p.RTP.Close()
}

// Talk points the phone's RTP at what the server answered to a call it
// placed with Dial, so that it can send tones and keys on it.
func (p *Phone) Talk(s *sipgo.DialogClientSession) error {
	d, err := media.ParseSDP(s.InviteResponse.Body())
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.session, p.remote = s, d.Addr
	p.mu.Unlock()
	return nil
}
