package sip_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/media"
	acdsip "github.com/acdserver/acd/sip"
)

// strayer is another sender on the network that finds a call's RTP port,
// as a scanner looking for RTP bleed does.
type strayer struct {
	t    *testing.T
	conn *net.UDPConn
	seq  uint16
	ts   uint32
}

func newStrayer(t *testing.T) *strayer {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return &strayer{t: t, conn: c, seq: 1000, ts: 50_000}
}

func (s *strayer) send(to netip.AddrPort, pt uint8, ts uint32, payload []byte) {
	s.seq++
	pkt, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: s.seq, Timestamp: ts, SSRC: 0x5bad},
		Payload: payload}).Marshal()
	if _, err := s.conn.WriteToUDPAddrPort(pkt, to); err != nil {
		s.t.Fatal(err)
	}
}

// key sends one RFC 4733 key press, its packets every gap (0: at once).
func (s *strayer) key(to netip.AddrPort, key rune, gap time.Duration) {
	ev, _ := media.DigitEvent(key)
	s.ts += 8000
	for i := range 6 {
		payload := []byte{ev, 10, 0, 0}
		if i >= 3 {
			payload[1] |= 0x80
		}
		binary.BigEndian.PutUint16(payload[2:], uint16(min(i+1, 3)*160))
		s.send(to, 101, s.ts, payload)
		time.Sleep(gap)
	}
}

// audio sends n frames of speech-like audio, one every 20 ms, in order.
func (s *strayer) audio(to netip.AddrPort, n int) {
	frame := make([]byte, media.FrameSize)
	for i := range frame {
		frame[i] = byte(0x10 + i%32)
	}
	for range n {
		s.ts += media.FrameSize
		s.send(to, 0, s.ts, frame)
		time.Sleep(media.FrameDuration)
	}
}

// heardNothing checks that the server sent the stray sender nothing: it
// took neither the call's audio nor its symmetric-RTP address.
func (s *strayer) heardNothing() {
	s.t.Helper()
	_ = s.conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	buf := make([]byte, 1500)
	if n, _, err := s.conn.ReadFromUDPAddrPort(buf); err == nil {
		s.t.Fatalf("the server sent the stray sender %d bytes: it took the call's audio", n)
	}
}

// noKey checks that no key arrives for a while.
func noKey(t *testing.T, keys <-chan rune, wait time.Duration) {
	t.Helper()
	select {
	case k := <-keys:
		t.Fatalf("key %q decoded from a stray sender", k)
	case <-time.After(wait):
	}
}

// packetsDuring counts the audio packets the phone receives over d.
func packetsDuring(phone *testutil.Phone, d time.Duration) int {
	before := phone.Stats().ByPT[0]
	time.Sleep(d)
	return phone.Stats().ByPT[0] - before
}

// TestStrayRTPIsIgnored: a sender on another port that sends RTP and
// telephone-events to a call's port, at once as a scan does or paced as
// a phone's stream, presses no key and takes none of the call's audio;
// the phone keeps its audio and its keys. Paced, the stray stream comes
// once the call has settled on its source, so that it is refused whether
// or not the phone is sending at the time.
func TestStrayRTPIsIgnored(t *testing.T) {
	keys := make(chan rune, 16)
	addr, _ := startServer(t, keyRecorder(t, keys))
	ctx := within(t, 30*time.Second)
	phone := testutil.NewPhone(t)
	s, err := phone.Invite(ctx, addr, "100", phone.SDP(101, media.PCMU))
	if err != nil {
		t.Fatal(err)
	}
	answer, err := phone.Answered(ctx, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	callPort := answer.Addr
	assertAudio(t, phone, 0, 300*time.Millisecond)
	streaming, stop := context.WithCancel(ctx)
	phone.SendTone(streaming, media.PCMU)

	stray := newStrayer(t)
	for _, k := range "1234" {
		stray.key(callPort, k, 0)
	}
	noKey(t, keys, 300*time.Millisecond)
	stray.heardNothing()
	if n := packetsDuring(phone, 400*time.Millisecond); n < 15 {
		t.Fatalf("the phone heard %d packets in 400 ms after the stray burst", n)
	}

	// Past the learning window (5 s after the first packet heard), with
	// the phone silent: a paced stream with in-order sequence numbers is
	// refused all the same.
	time.Sleep(5 * time.Second)
	stop()
	done := make(chan struct{})
	go func() {
		defer close(done)
		stray.audio(callPort, 25)
		stray.key(callPort, '6', media.FrameDuration)
		stray.audio(callPort, 10)
	}()
	<-done
	noKey(t, keys, 200*time.Millisecond)
	stray.heardNothing()
	if n := packetsDuring(phone, 400*time.Millisecond); n < 15 {
		t.Fatalf("the phone heard %d packets in 400 ms after the stray stream", n)
	}
	phone.SendDTMF('5', 101)
	expectKeys(t, ctx, keys, "5")
	if err := phone.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestVideoFirstOffer: RFC 3264 §6, the answer to an offer of video then
// audio has two m-lines in that order, the video one refused with port 0,
// and the audio stream works both ways.
func TestVideoFirstOffer(t *testing.T) {
	keys := make(chan rune, 16)
	addr, _ := startServer(t, keyRecorder(t, keys))
	ctx := within(t, 20*time.Second)
	phone := testutil.NewPhone(t)
	port := phone.RTP.LocalAddr().(*net.UDPAddr).Port
	offer := fmt.Appendf(nil, "v=0\r\no=- 3 3 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"+
		"m=video 9000 RTP/AVP 96 97\r\na=rtpmap:96 H264/90000\r\na=rtpmap:97 VP8/90000\r\na=sendrecv\r\n"+
		"m=audio %d RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=sendrecv\r\n", port)
	s, err := phone.Invite(ctx, addr, "100", offer)
	if err != nil {
		t.Fatal(err)
	}
	answer, err := phone.Answered(ctx, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	var mlines []string
	for line := range strings.Lines(string(s.InviteResponse.Body())) {
		if strings.HasPrefix(line, "m=") {
			mlines = append(mlines, strings.Fields(line)[0]+" "+strings.Fields(line)[1])
		}
	}
	want := []string{"m=video 0", fmt.Sprintf("m=audio %d", answer.Addr.Port())}
	if len(mlines) != 2 || mlines[0] != want[0] || mlines[1] != want[1] || answer.Addr.Port() == 0 {
		t.Fatalf("answer m-lines %q, want %q:\n%s", mlines, want, s.InviteResponse.Body())
	}
	if answer.Codecs[0] != media.PCMU || answer.DTMFType != 101 {
		t.Fatalf("audio answered with %v and telephone-event %d", answer.Codecs, answer.DTMFType)
	}
	assertAudio(t, phone, 0, time.Second)
	phone.SendDTMF('8', 101)
	expectKeys(t, ctx, keys, "8")
	if err := phone.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestKeyAfterSSRCChange: a phone that starts a new stream mid-call (a new
// SSRC, timestamps from elsewhere, here behind the old ones) keeps its
// keys.
func TestKeyAfterSSRCChange(t *testing.T) {
	keys := make(chan rune, 16)
	addr, _ := startServer(t, keyRecorder(t, keys))
	ctx := within(t, 20*time.Second)
	phone, _ := answeredCall(t, ctx, addr)
	assertAudio(t, phone, 0, time.Second)
	phone.SendDTMF('1', 101)
	expectKeys(t, ctx, keys, "1")
	phone.NewStream(0xfeed, 40_000, 0xf000_0000)
	phone.SendAudio(0)
	phone.SendDTMF('2', 101)
	phone.SendDTMF('3', 101)
	expectKeys(t, ctx, keys, "23")
	if err := phone.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestBridgedLegsIgnoreStray: with a caller bridged to an agent, a stray
// sender's telephone-events at either leg's port reach neither phone, and
// the caller's own key still reaches the agent.
func TestBridgedLegsIgnoreStray(t *testing.T) {
	ctx := within(t, 30*time.Second)
	agent := testutil.NewPhone(t)
	agent.TakeCalls(testutil.AnswerMode{Codec: media.PCMU})
	var server atomic.Pointer[acdsip.Server]
	bridged := make(chan error, 1)
	addr, srv := startServer(t, func(ctx context.Context, c *acdsip.Call) {
		leg, err := server.Load().Dial(ctx, acdsip.Trunk{Address: agent.Addr()}, "5550100", c.Caller())
		bridged <- err
		if err != nil {
			return
		}
		server.Load().Bridge(c, leg)
		select {
		case <-c.Done():
		case <-leg.Done():
		case <-ctx.Done():
		}
	})
	server.Store(srv)
	caller := testutil.NewPhone(t)
	s, err := caller.Invite(ctx, addr, "100", caller.SDP(101, media.PCMU))
	if err != nil {
		t.Fatal(err)
	}
	answer, err := caller.Answered(ctx, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-bridged:
		if err != nil {
			t.Fatalf("dialling the agent: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("the agent's leg never answered")
	}
	for !agent.Remote().IsValid() {
		time.Sleep(10 * time.Millisecond)
	}
	caller.SendTone(ctx, media.PCMU)
	agent.SendTone(ctx, media.PCMU)
	for caller.Stats().SpeechFrames < 10 || agent.Stats().SpeechFrames < 10 {
		select {
		case <-ctx.Done():
			t.Fatal("no audio through the bridge")
		case <-time.After(20 * time.Millisecond):
		}
	}
	stray := newStrayer(t)
	for _, k := range "0147" {
		stray.key(answer.Addr, k, 0)    // the caller's leg
		stray.key(agent.Remote(), k, 0) // the agent's leg
	}
	time.Sleep(300 * time.Millisecond)
	if k := agent.Stats().Keys; k != "" {
		t.Fatalf("the agent's phone got keys %q from a stray sender", k)
	}
	if k := caller.Stats().Keys; k != "" {
		t.Fatalf("the caller's phone got keys %q from a stray sender", k)
	}
	stray.heardNothing()
	caller.SendDTMF('9', 101)
	for agent.Stats().Keys != "9" {
		select {
		case <-ctx.Done():
			t.Fatalf("the agent's phone got keys %q, want the caller's \"9\"", agent.Stats().Keys)
		case <-time.After(20 * time.Millisecond):
		}
	}
	if err := caller.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
}
