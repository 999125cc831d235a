package media

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtp"
)

var (
	sdpAddr   = netip.MustParseAddrPort("192.0.2.10:4000")
	natAddr   = netip.MustParseAddrPort("198.51.100.7:31234")
	strayAddr = netip.MustParseAddrPort("203.0.113.66:5004")
	otherAddr = netip.MustParseAddrPort("192.0.2.20:4002")
)

// TestStrictRTPRules drives the source choice packet by packet: from, SSRC,
// sequence number and arrival time, and whether the packet is media.
func TestStrictRTPRules(t *testing.T) {
	type pkt struct {
		from netip.AddrPort
		ssrc uint32
		seq  uint16
		at   time.Duration
		ok   bool
	}
	// run is n in-order packets from one sender every step, starting at.
	run := func(from netip.AddrPort, seq uint16, at, step time.Duration, n, firstOK int) []pkt {
		var out []pkt
		for i := range n {
			out = append(out, pkt{from, 0xabc, seq + uint16(i), at + time.Duration(i)*step, firstOK >= 0 && i >= firstOK})
		}
		return out
	}
	cat := func(parts ...[]pkt) []pkt {
		var out []pkt
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	tests := []struct {
		name string
		sdp  netip.AddrPort
		pkts []pkt
		want netip.AddrPort // the source at the end
	}{
		{"the SDP address is heard from its first packet", sdpAddr,
			run(sdpAddr, 10, 0, 20*time.Millisecond, 3, 0), sdpAddr},
		{"a stray packet is dropped", sdpAddr, []pkt{
			{sdpAddr, 1, 1, 0, true}, {strayAddr, 2, 7, 5 * time.Millisecond, false}, {sdpAddr, 1, 2, 20 * time.Millisecond, true},
		}, sdpAddr},
		{"NAT: a source the SDP does not name is learned after a run", sdpAddr,
			run(natAddr, 100, 0, 20*time.Millisecond, 6, learnPackets-1), natAddr},
		{"NAT: learned however long the phone took to send", sdpAddr,
			run(natAddr, 100, time.Minute, 20*time.Millisecond, 5, learnPackets-1), natAddr},
		{"a burst is not a run, however long", sdpAddr,
			run(strayAddr, 100, 0, 0, 50, -1), sdpAddr},
		{"a burst then the rest of the run", sdpAddr,
			run(natAddr, 100, 0, 5*time.Millisecond, 10, 6), natAddr},
		{"a sequence gap starts the run again", sdpAddr, cat(
			run(natAddr, 100, 0, 20*time.Millisecond, 3, -1),
			run(natAddr, 200, 60*time.Millisecond, 20*time.Millisecond, 4, learnPackets-1),
		), natAddr},
		{"a repeated sequence number starts the run again", sdpAddr, cat(
			run(natAddr, 100, 0, 20*time.Millisecond, 3, -1),
			run(natAddr, 102, 60*time.Millisecond, 20*time.Millisecond, 4, learnPackets-1),
		), natAddr},
		{"an SSRC change starts the run again", sdpAddr, []pkt{
			{natAddr, 1, 1, 0, false}, {natAddr, 1, 2, 20 * time.Millisecond, false}, {natAddr, 1, 3, 40 * time.Millisecond, false},
			{natAddr, 2, 4, 60 * time.Millisecond, false}, {natAddr, 2, 5, 80 * time.Millisecond, false},
			{natAddr, 2, 6, 100 * time.Millisecond, false}, {natAddr, 2, 7, 120 * time.Millisecond, true},
		}, natAddr},
		{"competing senders learn neither", sdpAddr, func() []pkt {
			var out []pkt
			for i := range 20 {
				at := time.Duration(i) * 20 * time.Millisecond
				out = append(out, pkt{natAddr, 1, uint16(i), at, false}, pkt{strayAddr, 2, uint16(i), at + time.Millisecond, false})
			}
			return out
		}(), sdpAddr},
		{"a live source breaks every run slipped between its packets", sdpAddr, func() []pkt {
			var out []pkt
			for i := range 50 {
				at := time.Duration(i) * 20 * time.Millisecond
				out = append(out, pkt{sdpAddr, 1, uint16(i), at, true})
				for j := range 3 { // as many as fit between two of the source's
					out = append(out, pkt{strayAddr, 2, uint16(3*i + j), at + time.Duration(j+1)*5*time.Millisecond, false})
				}
			}
			return out
		}(), sdpAddr},
		{"while learning is open the SDP address takes the source back", sdpAddr, cat(
			run(natAddr, 100, 0, 20*time.Millisecond, 4, learnPackets-1),
			[]pkt{{sdpAddr, 9, 1, time.Second, true}, {natAddr, 0xabc, 104, time.Second + 10*time.Millisecond, false}},
		), sdpAddr},
		{"once learning closes, no run takes the source", sdpAddr, cat(
			[]pkt{{sdpAddr, 1, 1, 0, true}, {sdpAddr, 1, 2, learnWindow, true}},
			run(strayAddr, 100, learnWindow+time.Second, 20*time.Millisecond, 50, -1),
		), sdpAddr},
		{"learning closes even if the source went quiet", sdpAddr, cat(
			[]pkt{{sdpAddr, 1, 1, 0, true}},
			run(strayAddr, 100, learnWindow+time.Second, 20*time.Millisecond, 50, -1),
			[]pkt{{sdpAddr, 1, 2, time.Minute, true}},
		), sdpAddr},
		{"once closed on a learned source, the SDP address is a stranger", sdpAddr, cat(
			run(natAddr, 100, 0, 20*time.Millisecond, 5, learnPackets-1),
			[]pkt{{natAddr, 0xabc, 105, learnWindow + time.Second, true}, {sdpAddr, 1, 1, learnWindow + 2*time.Second, false}},
		), natAddr},
		{"hold address: nothing is heard until a run", netip.MustParseAddrPort("0.0.0.0:4000"),
			run(natAddr, 100, 0, 20*time.Millisecond, 5, learnPackets-1), natAddr},
		{"no address", netip.AddrPort{}, []pkt{{netip.AddrPort{}, 1, 1, 0, false}, {netip.AddrPort{}, 1, 2, time.Second, false}}, netip.AddrPort{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var st strictRTP
			st.reset(tt.sdp)
			base := time.Now().UnixNano()
			for i, p := range tt.pkts {
				if ok, _ := st.admit(p.from, p.ssrc, p.seq, base+int64(p.at)); ok != p.ok {
					t.Fatalf("packet %d (from %v, ssrc %x, seq %d, at %v): accepted %v, want %v", i, p.from, p.ssrc, p.seq, p.at, ok, p.ok)
				}
			}
			if st.source != tt.want {
				t.Fatalf("source %v, want %v", st.source, tt.want)
			}
		})
	}
}

// rtpPacket is one RTP packet on the wire.
func rtpPacket(t testing.TB, ssrc uint32, seq uint16, ts uint32, pt uint8, payload []byte) []byte {
	t.Helper()
	b, err := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: seq, Timestamp: ts, SSRC: ssrc},
		Payload: payload}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// keyPackets are the six packets of one RFC 4733 key press, as phones
// send them: three while the key is down, three redundant end packets.
func keyPackets(t testing.TB, key rune, ssrc uint32, seq uint16, ts uint32) [][]byte {
	ev, _ := DigitEvent(key)
	var out [][]byte
	for i := range 6 {
		flags := byte(10)
		if i >= 3 {
			flags |= 0x80
		}
		dur := uint16(min(i+1, 3) * 160)
		out = append(out, rtpPacket(t, ssrc, seq+uint16(i), ts, 101, []byte{ev, flags, byte(dur >> 8), byte(dur)}))
	}
	return out
}

// idleSession is a configured session outside any media loop: the test
// feeds it packets as a loop would.
func idleSession(t *testing.T, remote netip.AddrPort) *Session {
	t.Helper()
	sock, err := ListenSocket(netip.MustParseAddrPort("127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	s := NewSession(testEngine(t, RawSendOff), SessionConfig{Socket: sock})
	t.Cleanup(func() { _ = sock.Close() })
	s.Configure(remote, PCMU, 0, 101, true)
	return s
}

func feed(s *Session, from netip.AddrPort, now int64, pkts ...[]byte) {
	var h rtp.Header
	for _, p := range pkts {
		s.receive(nil, &h, p, from, now)
	}
}

func keysOf(s *Session) string {
	var got string
	for {
		select {
		case k := <-s.Digits():
			got += string(k)
		default:
			return got
		}
	}
}

// TestStrayKeyIsNotDecoded: a stray sender's telephone-event, sent all at
// once as a scan does, presses no key and counts as stray; the phone's own
// keys still work.
func TestStrayKeyIsNotDecoded(t *testing.T) {
	s := idleSession(t, sdpAddr)
	now := time.Now().UnixNano()
	feed(s, sdpAddr, now, rtpPacket(t, 1, 1, 160, 0, make([]byte, FrameSize)))
	rx := s.lastRx.Load()
	feed(s, strayAddr, now+int64(time.Millisecond), keyPackets(t, '1', 0x5bad, 40, 9000)...)
	if k := keysOf(s); k != "" {
		t.Fatalf("a stray sender pressed %q", k)
	}
	if n := s.Stray(); n != 6 {
		t.Fatalf("%d stray packets counted, want 6", n)
	}
	if s.lastRx.Load() != rx {
		t.Fatal("stray packets kept the call alive")
	}
	feed(s, sdpAddr, now+int64(20*time.Millisecond), keyPackets(t, '2', 1, 2, 320)...)
	if k := keysOf(s); k != "2" {
		t.Fatalf("the phone's key decoded as %q, want \"2\"", k)
	}
}

// TestNATSourceIsLearned: a phone behind NAT sends from another address
// than its SDP names; after a run the session hears it, sends to it
// (symmetric RTP) and decodes its keys.
func TestNATSourceIsLearned(t *testing.T) {
	s := idleSession(t, sdpAddr)
	now := time.Now().UnixNano()
	seq := uint16(500)
	for i := range learnPackets {
		feed(s, natAddr, now+int64(i)*int64(FrameDuration), rtpPacket(t, 7, seq, uint32(i)*FrameSize, 0, make([]byte, FrameSize)))
		seq++
	}
	s.mu.Lock()
	remote := s.remote
	s.mu.Unlock()
	if remote != natAddr {
		t.Fatalf("sending to %v after the run, want the learned %v", remote, natAddr)
	}
	if n := s.Stray(); n != learnPackets-1 {
		t.Fatalf("%d packets dropped while learning, want %d", n, learnPackets-1)
	}
	feed(s, natAddr, now+int64(learnPackets)*int64(FrameDuration), keyPackets(t, '#', 7, seq, 8000)...)
	if k := keysOf(s); k != "#" {
		t.Fatalf("keys %q from the learned source, want \"#\"", k)
	}
}

// TestReconfigureResetsLearning: a new description with a new address
// starts over (the learned source becomes a stranger again); the same
// address keeps what was learned.
func TestReconfigureResetsLearning(t *testing.T) {
	s := idleSession(t, sdpAddr)
	now := time.Now().UnixNano()
	for i := range learnPackets {
		feed(s, natAddr, now+int64(i)*int64(FrameDuration), rtpPacket(t, 7, uint16(i), 0, 0, make([]byte, FrameSize)))
	}
	s.Configure(sdpAddr, PCMU, 0, 101, true) // a session refresh
	before := s.Stray()
	feed(s, natAddr, now+int64(time.Second), rtpPacket(t, 7, 10, 0, 0, make([]byte, FrameSize)))
	if s.Stray() != before {
		t.Fatal("a re-INVITE with the same address forgot the learned source")
	}
	s.Configure(otherAddr, PCMU, 0, 101, true)
	feed(s, natAddr, now+int64(2*time.Second), rtpPacket(t, 7, 11, 0, 0, make([]byte, FrameSize)))
	if s.Stray() != before+1 {
		t.Fatal("after a re-INVITE to another address, the old source is still heard")
	}
	feed(s, otherAddr, now+int64(2*time.Second), keyPackets(t, '9', 8, 1, 100)...)
	if k := keysOf(s); k != "9" {
		t.Fatalf("keys %q from the new address, want \"9\"", k)
	}
	s.mu.Lock()
	remote := s.remote
	s.mu.Unlock()
	if remote != otherAddr {
		t.Fatalf("sending to %v, want the new address %v", remote, otherAddr)
	}
}

// TestKeysAfterStreamChange: a phone that starts a new stream (a new
// SSRC, its timestamps restarting lower) or that is reconfigured keeps
// its keys; the redundant packets of a key still fire it once.
func TestKeysAfterStreamChange(t *testing.T) {
	s := idleSession(t, sdpAddr)
	now := time.Now().UnixNano()
	feed(s, sdpAddr, now, keyPackets(t, '1', 0x1111, 100, 3_000_000)...)
	feed(s, sdpAddr, now, keyPackets(t, '2', 0x2222, 7, 1_000)...) // new SSRC, lower timestamps
	s.Configure(sdpAddr, PCMU, 0, 101, true)                       // a re-INVITE
	feed(s, sdpAddr, now, keyPackets(t, '3', 0x2222, 13, 500)...)  // restarted timestamps
	if k := keysOf(s); k != "123" {
		t.Fatalf("keys %q, want \"123\"", k)
	}
	// A re-INVITE in the middle of a key press: its remaining packets
	// must not press it again.
	pkts := keyPackets(t, '4', 0x2222, 19, 2_000)
	feed(s, sdpAddr, now, pkts[:2]...)
	s.Configure(sdpAddr, PCMU, 0, 101, true)
	feed(s, sdpAddr, now, pkts[2:]...)
	if k := keysOf(s); k != "4" {
		t.Fatalf("keys %q, want \"4\" once", k)
	}
}

// TestBridgeIgnoresStray: a bridged leg relays its phone's packets, never
// a stray sender's.
func TestBridgeIgnoresStray(t *testing.T) {
	engine := testEngine(t, RawSendOff)
	ip := netip.MustParseAddr("127.0.0.1")
	phoneA, phoneB := listenPhone(t, ip), listenPhone(t, ip)
	stray := listenPhone(t, ip)
	a, b := startSession(t, engine, ip), startSession(t, engine, ip)
	a.Configure(phoneA.LocalAddr().(*net.UDPAddr).AddrPort(), PCMU, 0, 101, true)
	b.Configure(phoneB.LocalAddr().(*net.UDPAddr).AddrPort(), PCMU, 0, 101, true)
	Bridge(a, b)
	to := net.UDPAddrFromAddrPort(a.LocalAddr())
	for _, p := range keyPackets(t, '7', 0x5bad, 1, 800) {
		if _, err := stray.WriteToUDP(p, to); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(2 * time.Second)
	for a.Stray() < 6 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := a.Stray(); n != 6 {
		t.Fatalf("%d stray packets counted, want 6", n)
	}
	if n := engine.Stray(); n != 6 {
		t.Fatalf("the engine counts %d stray packets, want 6", n)
	}
	frame := make([]byte, FrameSize)
	for i := range frame {
		frame[i] = 0x42
	}
	if _, err := phoneA.WriteToUDP(rtpPacket(t, 0x1234, 1, 160, 0, frame), to); err != nil {
		t.Fatal(err)
	}
	// Whatever b sent before the bridge is silence; the first relayed
	// packet must be phone A's frame, not the stray's event.
	for {
		p, _ := readRTP(t, phoneB)
		if p.PayloadType == 101 {
			t.Fatalf("the stray's telephone-event was relayed: %x", p.Payload)
		}
		if p.Payload[0] == 0x42 {
			break
		}
	}
	if k := keysOf(a); k != "" {
		t.Fatalf("the stray pressed %q on the bridged leg", k)
	}
}
