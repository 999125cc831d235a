package sip_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"

	"github.com/acdserver/acd/hangup"
	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/media"
	acdsip "github.com/acdserver/acd/sip"
)

// srtpEnd is a test phone's media end under SRTP: a real UDP socket, its
// own key for what it sends, and the server's key (from the server's
// SDP) for what it receives.
type srtpEnd struct {
	t    *testing.T
	conn *net.UDPConn
	key  media.Crypto
	enc  *srtp.Context
	dec  *srtp.Context
}

func newSRTPEnd(t *testing.T, tag int, suite media.Suite) *srtpEnd {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	key, err := media.NewCrypto(tag, suite)
	if err != nil {
		t.Fatal(err)
	}
	e := &srtpEnd{t: t, conn: conn, key: key}
	e.enc = srtpContext(t, key)
	return e
}

func srtpContext(t *testing.T, c media.Crypto) *srtp.Context {
	t.Helper()
	profile := srtp.ProtectionProfileAes128CmHmacSha1_80
	if c.Suite == media.AESCM128HMACSHA1_32 {
		profile = srtp.ProtectionProfileAes128CmHmacSha1_32
	}
	ctx, err := srtp.CreateContext(c.Key[:16], c.Key[16:], profile, srtp.SRTPReplayProtection(64))
	if err != nil {
		t.Fatal(err)
	}
	return ctx
}

func (e *srtpEnd) port() int { return e.conn.LocalAddr().(*net.UDPAddr).Port }

// sdp is an offer or answer for this end: profile, and crypto lines
// (ours) when withKey.
func (e *srtpEnd) sdp(proto string, withKey bool) []byte {
	b := fmt.Sprintf("v=0\r\no=- 7 7 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"+
		"m=audio %d %s 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=sendrecv\r\n", e.port(), proto)
	if withKey {
		b += "a=" + e.key.Attribute() + "\r\n"
	}
	return []byte(b)
}

// expectMedia reads what the server sends until 3 packets carry sound
// (not one value repeated, as silence is), failing after n: with a server
// key each must authenticate and decrypt to PCMU; without one, be plain
// PCMU.
func (e *srtpEnd) expectMedia(server *media.Crypto, n int) {
	e.t.Helper()
	buf := make([]byte, 1500)
	var dec *srtp.Context
	if server != nil {
		dec = srtpContext(e.t, *server)
	}
	sound := 0
	for range n {
		if sound == 3 {
			return
		}
		_ = e.conn.SetReadDeadline(time.Now().Add(3 * time.Second))
		size, _, err := e.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			e.t.Fatalf("no media: %v", err)
		}
		pkt := buf[:size]
		if dec != nil {
			if pkt, err = dec.DecryptRTP(nil, pkt, nil); err != nil {
				e.t.Fatalf("what the server sent does not decrypt with the key of its SDP: %v", err)
			}
		}
		var p rtp.Packet
		if err := p.Unmarshal(pkt); err != nil {
			e.t.Fatal(err)
		}
		if p.PayloadType != 0 || len(p.Payload) != media.FrameSize {
			e.t.Fatalf("payload type %d of %d bytes, want PCMU frames", p.PayloadType, len(p.Payload))
		}
		if strings.Count(string(p.Payload), string(p.Payload[:1])) < len(p.Payload)/2 {
			sound++
		}
	}
	if sound < 3 {
		e.t.Fatalf("%d packets with %d of sound: no prompt heard", n, sound)
	}
}

// sendDigit sends key as RFC 4733 events to the server at to, encrypted
// with this end's key.
func (e *srtpEnd) sendDigit(to *net.UDPAddr, key rune, seq uint16, ts uint32) {
	e.t.Helper()
	ev, ok := media.DigitEvent(key)
	if !ok {
		e.t.Fatalf("no event for %q", key)
	}
	for i := range 6 {
		flags := byte(10)
		if i >= 3 {
			flags |= 0x80
		}
		plain, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 101, SequenceNumber: seq + uint16(i), Timestamp: ts, SSRC: 0xabc, Marker: i == 0},
			Payload: []byte{ev, flags, 0, byte(160 * (min(i, 3) + 1))}}).Marshal()
		wire, err := e.enc.EncryptRTP(nil, plain, nil)
		if err != nil {
			e.t.Fatal(err)
		}
		if _, err := e.conn.WriteToUDP(wire, to); err != nil {
			e.t.Fatal(err)
		}
	}
}

// TestSRTPInboundPolicies calls a server under each policy with a plain
// offer, an RTP/AVP offer with crypto and an RTP/SAVP one: refused ones
// get 488 with a 302 Warning; answered ones carry SRTP exactly when the
// policy takes it, on the offer's profile and tag, and then the prompt
// decrypts with the key of the answer and a digit encrypted with the
// offer's key is heard.
func TestSRTPInboundPolicies(t *testing.T) {
	type offer struct {
		name    string
		proto   string
		withKey bool
		suite   media.Suite
		// then is the same audio offered again in a second stream, with
		// this profile (and the key when it is RTP/SAVP): a phone
		// offering SRTP at best effort.
		then string
	}
	plain := offer{"plain", "RTP/AVP", false, media.AESCM128HMACSHA1_80, ""}
	optional := offer{"AVP with crypto", "RTP/AVP", true, media.AESCM128HMACSHA1_32, ""}
	savp := offer{"SAVP", "RTP/SAVP", true, media.AESCM128HMACSHA1_80, ""}
	savpThenPlain := offer{"SAVP, then AVP", "RTP/SAVP", true, media.AESCM128HMACSHA1_80, "RTP/AVP"}
	plainThenSAVP := offer{"AVP, then SAVP", "RTP/AVP", false, media.AESCM128HMACSHA1_80, "RTP/SAVP"}
	tests := []struct {
		policy acdsip.SRTPPolicy
		offer  offer
		want   string // "plain", "srtp" or "488"
		stream int    // the stream answered, of two
	}{
		{acdsip.SRTPOff, savpThenPlain, "plain", 1},
		{acdsip.SRTPOptional, savpThenPlain, "srtp", 0},
		{acdsip.SRTPRequired, plainThenSAVP, "srtp", 1},
		{acdsip.SRTPOptional, plainThenSAVP, "plain", 0},
		{acdsip.SRTPOff, plain, "plain", 0},
		{acdsip.SRTPOff, optional, "plain", 0},
		{acdsip.SRTPOff, savp, "488", 0},
		{acdsip.SRTPOptional, plain, "plain", 0},
		{acdsip.SRTPOptional, optional, "srtp", 0},
		{acdsip.SRTPOptional, savp, "srtp", 0},
		{acdsip.SRTPRequired, plain, "488", 0},
		{acdsip.SRTPRequired, optional, "srtp", 0},
		{acdsip.SRTPRequired, savp, "srtp", 0},
	}
	for _, tt := range tests {
		t.Run(tt.policy.String()+", "+tt.offer.name, func(t *testing.T) {
			keys := make(chan rune, 16)
			addr, srv := startServer(t, keyRecorder(t, keys), func(c *acdsip.Config) {
				c.SRTP = func(acdsip.SRTPParty) acdsip.SRTPPolicy { return tt.policy }
			})
			ctx := within(t, 20*time.Second)
			phone := testutil.NewPhone(t)
			end := newSRTPEnd(t, 5, tt.offer.suite)
			body := end.sdp(tt.offer.proto, tt.offer.withKey)
			secure := tt.offer.proto == "RTP/SAVP"
			if tt.offer.then != "" {
				again := end.sdp(tt.offer.then, tt.offer.then == "RTP/SAVP")
				body = append(body, again[strings.Index(string(again), "m=audio"):]...)
				secure = (tt.stream == 1) == (tt.offer.then == "RTP/SAVP")
			}
			if tt.want == "488" {
				res := expectRejected(t, ctx, phone, addr, "100", body, 488)
				if w := res.GetHeader("Warning"); w == nil || !strings.HasPrefix(w.Value(), "302 ") || !strings.Contains(w.Value(), "SRTP") {
					t.Fatalf("488 with Warning %v, want 302 naming SRTP", w)
				}
				waitNoCalls(t, ctx, srv, "a refused offer left a call behind")
				return
			}
			s, err := phone.Invite(ctx, addr, "100", body)
			if err != nil {
				t.Fatal(err)
			}
			answer, err := phone.Answered(ctx, s, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = phone.Hangup(ctx) }()
			if tt.offer.then != "" && (len(answer.Streams) != 2 || answer.Audio != tt.stream) {
				t.Fatalf("answered stream %d of %d, want stream %d of 2", answer.Audio, len(answer.Streams), tt.stream)
			}
			if tt.want == "plain" {
				if answer.Secure || len(answer.Crypto) != 0 {
					t.Fatalf("answered secure %v with %d crypto lines, want plain", answer.Secure, len(answer.Crypto))
				}
				end.expectMedia(nil, 100)
				return
			}
			if answer.Secure != secure || len(answer.Crypto) != 1 ||
				answer.Crypto[0].Tag != 5 || answer.Crypto[0].Suite != tt.offer.suite {
				t.Fatalf("answered secure %v with %v, want the offer's profile, tag 5 and %v", answer.Secure, answer.Crypto, tt.offer.suite)
			}
			if string(answer.Crypto[0].Key) == string(end.key.Key) {
				t.Fatal("the server answered with the phone's own key")
			}
			end.expectMedia(&answer.Crypto[0], 100)
			to := net.UDPAddrFromAddrPort(answer.Addr)
			end.sendDigit(to, '5', 100, 8000)
			expectKeys(t, ctx, keys, "5")
		})
	}
}

// TestSRTPOutboundLegs dials a phone under each policy and checks the
// offer (RTP/SAVP for required, RTP/AVP with crypto for optional) and
// which answers are taken; an SRTP leg's audio decrypts with the key of
// the server's offer that the phone's answer took.
func TestSRTPOutboundLegs(t *testing.T) {
	tests := []struct {
		name      string
		policy    acdsip.SRTPPolicy
		proto     string // of the offer
		answerKey bool   // the phone answers with a crypto line
		wantUp    bool
	}{
		{"required, SRTP answer", acdsip.SRTPRequired, "RTP/SAVP", true, true},
		{"required, plain answer", acdsip.SRTPRequired, "RTP/SAVP", false, false},
		{"optional, SRTP answer", acdsip.SRTPOptional, "RTP/AVP", true, true},
		{"optional, plain answer", acdsip.SRTPOptional, "RTP/AVP", false, true},
	}
	welcome := sounds(t).Get("welcome")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, srv := startServer(t, func(context.Context, *acdsip.Call) {})
			ctx := within(t, 20*time.Second)
			phone := testutil.NewPhone(t)
			end := newSRTPEnd(t, 1, media.AESCM128HMACSHA1_80)
			answerProto := "RTP/AVP"
			if tt.proto == "RTP/SAVP" && tt.answerKey {
				answerProto = "RTP/SAVP"
			}
			phone.TakeCalls(testutil.AnswerMode{Body: end.sdp(answerProto, tt.answerKey)})
			leg, err := srv.Dial(ctx, acdsip.Trunk{Address: phone.Addr(), SRTP: tt.policy}, "5550100", "+14155550123")
			var in testutil.Incoming
			select {
			case in = <-phone.IncomingCalls():
			case <-ctx.Done():
				t.Fatalf("the phone never got the INVITE (the dial: %v)", err)
			}
			offered, perr := media.ParseSDP(in.Body)
			if perr != nil {
				t.Fatalf("our offer does not parse: %v\n%s", perr, in.Body)
			}
			if !strings.Contains(string(in.Body), "m=audio ") || !strings.Contains(string(in.Body), " "+tt.proto+" ") || len(offered.Crypto) != 2 ||
				offered.Crypto[0].Suite != media.AESCM128HMACSHA1_80 || offered.Crypto[1].Suite != media.AESCM128HMACSHA1_32 {
				t.Fatalf("offered:\n%s\nwant %s with both suites", in.Body, tt.proto)
			}
			if !tt.wantUp {
				if err == nil {
					leg.Hangup(hangup.CallOver)
					t.Fatal("a plain answer was taken under srtp: required")
				}
				select {
				case <-phone.Byes:
				case <-ctx.Done():
					t.Fatal("the refused answer's call was not hung up")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer leg.Hangup(hangup.CallOver)
			leg.Play(welcome, true)
			if !tt.answerKey {
				end.expectMedia(nil, 100)
				return
			}
			end.expectMedia(&offered.Crypto[0], 100)
		})
	}
}

// TestSRTPReofferKeepsKeys: a new offer the same as the first (a session
// refresh; UPDATE here, answered as a re-INVITE is) is answered with the
// key already in force, so the call is not re-keyed, and a phone's new
// key is taken at once.
func TestSRTPReofferKeepsKeys(t *testing.T) {
	keys := make(chan rune, 16)
	addr, _ := startServer(t, keyRecorder(t, keys), func(c *acdsip.Config) {
		c.SRTP = func(acdsip.SRTPParty) acdsip.SRTPPolicy { return acdsip.SRTPRequired }
	})
	ctx := within(t, 20*time.Second)
	phone := testutil.NewPhone(t)
	end := newSRTPEnd(t, 1, media.AESCM128HMACSHA1_80)
	s, err := phone.Invite(ctx, addr, "100", end.sdp("RTP/SAVP", true))
	if err != nil {
		t.Fatal(err)
	}
	answer, err := phone.Answered(ctx, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = phone.Hangup(ctx) }()
	end.expectMedia(&answer.Crypto[0], 100)

	reoffer := func(body []byte) *media.Description {
		t.Helper()
		res, err := phone.UpdateOutgoing(ctx, body)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("UPDATE: %v %v", res, err)
		}
		d, err := media.ParseSDP(res.Body())
		if err != nil || len(d.Crypto) != 1 {
			t.Fatalf("UPDATE answered with %v: %v", d, err)
		}
		return d
	}
	again := reoffer(end.sdp("RTP/SAVP", true))
	if string(again.Crypto[0].Key) != string(answer.Crypto[0].Key) {
		t.Fatal("the same offer again re-keyed the call")
	}
	end.expectMedia(&answer.Crypto[0], 100)

	// The phone re-keys: its digits are heard under the new key only.
	fresh, err := media.NewCrypto(1, media.AESCM128HMACSHA1_80)
	if err != nil {
		t.Fatal(err)
	}
	end.key, end.enc = fresh, srtpContext(t, fresh)
	reoffer(end.sdp("RTP/SAVP", true))
	end.sendDigit(net.UDPAddrFromAddrPort(answer.Addr), '7', 500, 16000)
	expectKeys(t, ctx, keys, "7")
}
