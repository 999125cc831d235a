// Package testutil holds test peers that speak real SIP and RTP over
// loopback: a softphone built on sipgo with its own RTP socket.
package testutil

import (
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"

	"github.com/acdserver/acd/media"
)

// Phone is a SIP user agent on loopback with an RTP socket that records
// what it receives.
type Phone struct {
	t       testing.TB
	ua      *sipgo.UserAgent
	srv     *sipgo.Server
	client  *sipgo.Client
	dialogs *sipgo.DialogUA
	sipConn *net.UDPConn
	RTP     *net.UDPConn
	Byes    chan struct{} // one value per BYE received from the server
	// From is the caller number this phone presents.
	From string
	// Headers are added to every INVITE (P-Asserted-Identity, say).
	Headers []sip.Header
	host    string // the loopback address the phone is on

	agent agentSide

	mu      sync.Mutex
	session *sipgo.DialogClientSession
	stats   RTPStats
	remote  netip.AddrPort
	seq     uint16
	ts      uint32
	dynamic map[uint8]media.Codec // see Dynamic
	ssrc    uint32                // 0: 0x1234; see NewStream
	detect  []float64             // tones to count: see Detect
	// referFrags receives the sipfrag bodies of the REFER NOTIFYs; set
	// by ReferIncoming. The NOTIFY handler is registered before the
	// phone serves, because sipgo's handler table is not safe to change
	// while requests arrive.
	referFrags chan string
}

// RTPStats is what the phone heard.
type RTPStats struct {
	ByPT        map[uint8]int
	First, Last time.Time
	// SpeechFrames counts audio frames whose level is above background.
	SpeechFrames int
	SSRCs        map[uint32]bool
	Timestamps   []uint32 // of audio packets, in arrival order
	// Keys are the RFC 4733 events received, decoded once each.
	Keys string
	// Heard is the audio received, decoded to 8 kHz linear, in arrival
	// order, for tests that check what was played.
	Heard []int16
	// Tones counts, for each frequency Detect was given, the audio frames
	// that carry it; ToneFirst is when the first of them arrived.
	Tones     map[float64]int
	ToneFirst map[float64]time.Time
}

// Detect makes the phone count the frames it receives that carry each
// of the tones at hz (see RTPStats.Tones), whatever else is mixed in.
func (p *Phone) Detect(hz ...float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.detect = append(p.detect, hz...)
}

// NewPhone starts a phone on 127.0.0.1; it stops with the test.
func NewPhone(t testing.TB) *Phone {
	t.Helper()
	return NewPhoneAt(t, netip.MustParseAddr("127.0.0.1"))
}

// NewPhoneAt starts a phone on another loopback address (Linux routes
// all of 127.0.0.0/8 to lo), for a test that tells sources apart.
func NewPhoneAt(t testing.TB, ip netip.Addr) *Phone {
	t.Helper()
	sipConn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, 0)))
	if err != nil {
		t.Fatal(err)
	}
	rtpConn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, 0)))
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.DiscardHandler)
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("testphone"), sipgo.WithUserAgentHostname(ip.String()))
	if err != nil {
		t.Fatal(err)
	}
	p := &Phone{t: t, ua: ua, sipConn: sipConn, RTP: rtpConn, Byes: make(chan struct{}, 4), From: "+14155550123", host: ip.String(),
		stats: RTPStats{ByPT: map[uint8]int{}, SSRCs: map[uint32]bool{}}}
	p.srv, _ = sipgo.NewServer(ua, sipgo.WithServerLogger(quiet))
	p.client, _ = sipgo.NewClient(ua, sipgo.WithClientLogger(quiet), sipgo.WithClientConnectionAddr(sipConn.LocalAddr().String()))
	local := sipConn.LocalAddr().(*net.UDPAddr)
	p.dialogs = &sipgo.DialogUA{Client: p.client, ContactHDR: sip.ContactHeader{
		Address: sip.Uri{Scheme: "sip", User: "phone", Host: ip.String(), Port: local.Port}}}
	p.agent.Incoming = make(chan Incoming, 16)
	p.agent.Cancels = make(chan string, 16)
	p.srv.OnInvite(p.onInvite)
	p.srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) {
		p.agent.mu.Lock()
		dlg := p.agent.inbound
		p.agent.mu.Unlock()
		if dlg != nil {
			_ = dlg.ReadAck(req, tx)
		}
	})
	p.srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		p.agent.mu.Lock()
		in := p.agent.inbound
		p.agent.mu.Unlock()
		p.mu.Lock()
		s := p.session
		p.mu.Unlock()
		if in != nil && in.InviteRequest.CallID().Value() == req.CallID().Value() {
			_ = in.ReadBye(req, tx)
		} else if s != nil {
			_ = s.ReadBye(req, tx)
		} else {
			_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "No Dialog", nil))
		}
		p.Byes <- struct{}{}
	})
	p.srv.OnNotify(p.onNotify)
	go func() { _ = p.srv.ServeUDP(sipConn) }()
	WaitListening(t, ua, sipConn.LocalAddr().String())
	go p.readRTP()
	t.Cleanup(func() {
		_ = rtpConn.Close()
		_ = ua.Close()
		_ = sipConn.Close()
	})
	return p
}

// SDP offers the given codecs and telephone-event on dtmfPT (0: none).
func (p *Phone) SDP(dtmfPT uint8, codecs ...media.Codec) []byte {
	return media.Answer{
		Addr:      p.RTP.LocalAddr().(*net.UDPAddr).AddrPort(),
		Codecs:    codecs,
		DTMFType:  dtmfPT,
		Direction: media.SendRecv,
		SessionID: 1, Version: 1,
	}.Marshal()
}

// Dynamic makes the phone take payload type pt as audio in law c, as a
// phone does that bound pt with a=rtpmap in an offer of its own.
func (p *Phone) Dynamic(pt uint8, c media.Codec) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.dynamic == nil {
		p.dynamic = map[uint8]media.Codec{}
	}
	p.dynamic[pt] = c
}

// lawLocked is the G.711 law of payload type pt, if pt carries audio.
func (p *Phone) lawLocked(pt uint8) (media.Codec, bool) {
	if c, ok := p.dynamic[pt]; ok {
		return c, true
	}
	if pt == uint8(media.PCMU) || pt == uint8(media.PCMA) {
		return media.Codec(pt), true
	}
	return 0, false
}

// Invite sends an INVITE for number to the server at addr, with sdp as the
// offer (nil for an offerless INVITE), and returns once it is sent.
func (p *Phone) Invite(ctx context.Context, addr, number string, sdp []byte) (*sipgo.DialogClientSession, error) {
	var uri sip.Uri
	if err := sip.ParseUri(fmt.Sprintf("sip:%s@%s", number, addr), &uri); err != nil {
		return nil, err
	}
	var hdrs []sip.Header
	if sdp != nil {
		hdrs = append(hdrs, sip.NewHeader("Content-Type", "application/sdp"))
	}
	hdrs = append(hdrs, sip.NewHeader("From", fmt.Sprintf("\"Test Caller\" <sip:%s@%s>;tag=%s", p.From, p.host, sip.GenerateTagN(8))))
	hdrs = append(hdrs, p.Headers...)
	s, err := p.dialogs.Invite(ctx, uri, sdp, hdrs...)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.session = s
	p.mu.Unlock()
	return s, nil
}

// Answered waits for the 200 OK, sends the ACK (with ackSDP, for an
// offerless INVITE) and points RTP at what the server's SDP says.
func (p *Phone) Answered(ctx context.Context, s *sipgo.DialogClientSession, ackSDP []byte) (*media.Description, error) {
	if err := s.WaitAnswer(ctx, sipgo.AnswerOptions{}); err != nil {
		return nil, err
	}
	if ackSDP == nil {
		if err := s.Ack(ctx); err != nil {
			return nil, err
		}
	} else {
		ack := sip.NewRequest(sip.ACK, s.InviteResponse.Contact().Address)
		ack.SetBody(ackSDP)
		ack.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		if err := s.WriteAck(ctx, ack); err != nil {
			return nil, err
		}
	}
	d, err := media.ParseSDP(s.InviteResponse.Body())
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.remote = d.Addr
	p.mu.Unlock()
	return d, nil
}

// SendDTMF sends one key as RFC 4733 events the way phones do: three
// packets while the key is down (marker on the first), then three
// redundant end packets, all with one timestamp.
func (p *Phone) SendDTMF(key rune, pt uint8) {
	ev, ok := media.DigitEvent(key)
	if !ok {
		p.t.Fatalf("no DTMF event for %q", key)
	}
	p.mu.Lock()
	p.ts += 8000
	ts := p.ts
	remote := p.remote
	p.mu.Unlock()
	for i := range 6 {
		end := i >= 3
		dur := uint16(min(i+1, 3) * 160)
		payload := []byte{ev, 10, 0, 0}
		if end {
			payload[1] |= 0x80
		}
		binary.BigEndian.PutUint16(payload[2:], dur)
		p.sendRTP(remote, pt, ts, i == 0, payload)
	}
}

func (p *Phone) sendRTP(remote netip.AddrPort, pt uint8, ts uint32, marker bool, payload []byte) {
	p.mu.Lock()
	p.seq++
	pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: p.seq, Timestamp: ts, SSRC: p.ssrcLocked(), Marker: marker}, Payload: payload}
	p.mu.Unlock()
	buf, _ := pkt.Marshal()
	_, _ = p.RTP.WriteToUDPAddrPort(buf, remote)
}

// SendAudio sends one frame of silence, e.g. to open the server's latch.
func (p *Phone) SendAudio(pt uint8) {
	frame := make([]byte, media.FrameSize)
	for i := range frame {
		frame[i] = 0xFF
	}
	p.mu.Lock()
	p.ts += 160
	ts, remote := p.ts, p.remote
	p.mu.Unlock()
	p.sendRTP(remote, pt, ts, false, frame)
}

// Stats returns a copy of what has been received so far.
func (p *Phone) Stats() RTPStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	s.ByPT = maps.Clone(p.stats.ByPT)
	s.SSRCs = maps.Clone(p.stats.SSRCs)
	s.Timestamps = append([]uint32(nil), p.stats.Timestamps...)
	s.Heard = append([]int16(nil), p.stats.Heard...)
	s.Tones = maps.Clone(p.stats.Tones)
	s.ToneFirst = maps.Clone(p.stats.ToneFirst)
	return s
}

func (p *Phone) readRTP() {
	buf := make([]byte, 1500)
	var dtmf media.DTMFDecoder
	for {
		n, _, err := p.RTP.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		var pkt rtp.Packet
		if pkt.Unmarshal(buf[:n]) != nil {
			continue
		}
		now := time.Now()
		p.mu.Lock()
		law, audio := p.lawLocked(pkt.PayloadType)
		speech := false
		var heard []int16
		var tones []float64
		if audio {
			heard = media.DecodePCM(pkt.Payload, law)
			speech = level(heard) > 300
			for _, hz := range p.detect {
				if toneLevel(heard, hz) > 1500 {
					tones = append(tones, hz)
				}
			}
		}
		var key rune
		if !audio && pkt.PayloadType >= 96 {
			key = dtmf.Decode(pkt.Timestamp, pkt.Payload)
		}
		st := &p.stats
		if key != 0 {
			st.Keys += string(key)
		}
		if st.First.IsZero() {
			st.First = now
		}
		st.Last = now
		st.ByPT[pkt.PayloadType]++
		st.SSRCs[pkt.SSRC] = true
		if audio {
			st.Timestamps = append(st.Timestamps, pkt.Timestamp)
			st.Heard = append(st.Heard, heard...)
			if speech {
				st.SpeechFrames++
			}
			for _, hz := range tones {
				if st.Tones == nil {
					st.Tones, st.ToneFirst = map[float64]int{}, map[float64]time.Time{}
				}
				if st.Tones[hz] == 0 {
					st.ToneFirst[hz] = now
				}
				st.Tones[hz]++
			}
		}
		p.mu.Unlock()
	}
}

// level is the RMS of a frame.
func level(samples []int16) float64 {
	var sum float64
	for _, s := range samples {
		sum += float64(s) * float64(s)
	}
	return math.Sqrt(sum / float64(len(samples)))
}

// Hangup sends BYE.
func (p *Phone) Hangup(ctx context.Context) error {
	p.mu.Lock()
	s := p.session
	p.mu.Unlock()
	return s.Bye(ctx)
}

// WaitListening returns once sipgo serves the UDP socket at addr: until
// then a client bound to that address would try to bind it again.
func WaitListening(t testing.TB, ua *sipgo.UserAgent, addr string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if c, err := ua.TransportLayer().GetConnection("udp", addr); err == nil && c != nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("sip transport never started serving %s", addr)
		}
		time.Sleep(time.Millisecond)
	}
}

// Addr is the phone's SIP address, for use as a trunk's address.
func (p *Phone) Addr() string { return p.sipConn.LocalAddr().String() }
