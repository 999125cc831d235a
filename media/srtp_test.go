package media

import (
	"bytes"
	"math"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
	"github.com/zaf/g711"
)

// srtpPeer is a phone's end of an SRTP stream on a real UDP socket: it
// decrypts what the session sends with the session's key and encrypts
// what it sends with its own, both through pion/srtp.
type srtpPeer struct {
	t        *testing.T
	conn     *net.UDPConn
	dec, enc *srtp.Context
	key      Crypto // the peer's own, for the session to receive with
}

func newSRTPPeer(t *testing.T, sessionKey Crypto, suite Suite) *srtpPeer {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	own, err := NewCrypto(1, suite)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := newSRTPContext(sessionKey, true)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := newSRTPContext(own, false)
	if err != nil {
		t.Fatal(err)
	}
	return &srtpPeer{t: t, conn: conn, dec: dec, enc: enc, key: own}
}

func (p *srtpPeer) addr() netip.AddrPort { return p.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

// read returns the next packet the session sent, decrypted and
// authenticated; raw is what came over the wire.
func (p *srtpPeer) read() (pkt *rtp.Packet, raw []byte) {
	p.t.Helper()
	buf := make([]byte, 1500)
	_ = p.conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	n, _, err := p.conn.ReadFromUDPAddrPort(buf)
	if err != nil {
		p.t.Fatalf("no SRTP: %v", err)
	}
	raw = append([]byte(nil), buf[:n]...)
	plain, err := p.dec.DecryptRTP(nil, buf[:n], nil)
	if err != nil {
		p.t.Fatalf("what the session sent does not decrypt with its key: %v", err)
	}
	pkt = &rtp.Packet{}
	if err := pkt.Unmarshal(plain); err != nil {
		p.t.Fatal(err)
	}
	return pkt, raw
}

// send encrypts a packet with the peer's key and sends it to the session;
// it returns what went on the wire.
func (p *srtpPeer) send(to netip.AddrPort, h rtp.Header, payload []byte) []byte {
	p.t.Helper()
	plain, err := (&rtp.Packet{Header: h, Payload: payload}).Marshal()
	if err != nil {
		p.t.Fatal(err)
	}
	wire, err := p.enc.EncryptRTP(nil, plain, nil)
	if err != nil {
		p.t.Fatal(err)
	}
	if _, err := p.conn.WriteToUDPAddrPort(wire, to); err != nil {
		p.t.Fatal(err)
	}
	return wire
}

func newSessionKeys(t *testing.T, suite Suite) Crypto {
	t.Helper()
	c, err := NewCrypto(1, suite)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSRTPSendPaths plays a known sound and a digit under SRTP through
// each send path, the raw batch included, and checks at a real socket
// that every packet decrypts with the session's key to the sound's frames
// and the digit's event, and that the wire carries neither in the clear.
func TestSRTPSendPaths(t *testing.T) {
	for _, tc := range []struct {
		name  string
		mode  RawSend
		suite Suite
	}{
		{"socket, 80-bit tag", RawSendOff, AESCM128HMACSHA1_80},
		{"raw, 80-bit tag", RawSendOn, AESCM128HMACSHA1_80},
		{"socket, 32-bit tag", RawSendOff, AESCM128HMACSHA1_32},
		{"raw, 32-bit tag", RawSendOn, AESCM128HMACSHA1_32},
	} {
		t.Run(tc.name, func(t *testing.T) {
			engine := testEngine(t, tc.mode)
			local := newSessionKeys(t, tc.suite)
			peer := newSRTPPeer(t, local, tc.suite)
			s := startSession(t, engine, netip.MustParseAddr("127.0.0.1"))
			if err := s.SetSRTP(&local, &peer.key); err != nil {
				t.Fatal(err)
			}
			pcm := make([]byte, 2*FrameSize*5)
			for i := range pcm {
				pcm[i] = byte(i * 7)
			}
			snd := NewSoundPCM(pcm)
			s.Configure(peer.addr(), PCMU, 0, 101, true)
			s.mu.Lock()
			viaRaw := s.routeOK
			s.mu.Unlock()
			if viaRaw != engine.Raw() {
				t.Fatalf("raw route %v on an engine with raw %v", viaRaw, engine.Raw())
			}
			// Silence first: the sound starts at a packet boundary of its own.
			first, _ := peer.read()
			s.Play(snd, false)
			frames := snd.Payload(PCMU)
			tag := 10
			if tc.suite == AESCM128HMACSHA1_32 {
				tag = 4
			}
			i := 0
			prev := first
			for i < len(frames)/FrameSize {
				p, wire := peer.read()
				if p.SequenceNumber != prev.SequenceNumber+1 {
					t.Fatalf("sequence %d after %d", p.SequenceNumber, prev.SequenceNumber)
				}
				prev = p
				if i == 0 && !bytes.Equal(p.Payload, frames[:FrameSize]) {
					continue // a silence frame sent before Play took
				}
				if !bytes.Equal(p.Payload, frames[i*FrameSize:(i+1)*FrameSize]) {
					t.Fatalf("frame %d differs from the sound after decryption", i)
				}
				if len(wire) != 12+FrameSize+tag {
					t.Fatalf("%d bytes on the wire, want %d", len(wire), 12+FrameSize+tag)
				}
				if bytes.Contains(wire, frames[i*FrameSize:i*FrameSize+16]) {
					t.Fatalf("frame %d went out in the clear", i)
				}
				i++
			}
			s.SendDigit('5')
			deadline := time.Now().Add(2 * time.Second)
			for time.Now().Before(deadline) {
				if p, _ := peer.read(); p.PayloadType == 101 {
					if len(p.Payload) != 4 || p.Payload[0] != 5 {
						t.Fatalf("telephone-event payload %x, want event 5", p.Payload)
					}
					return
				}
			}
			t.Fatal("no telephone-event for the digit")
		})
	}
}

// TestSRTPReceive sends a digit under SRTP to a session, then a forged
// packet, a replayed one and a plain one: the digit arrives, the others
// are dropped and counted, and none teaches strict RTP a new source.
func TestSRTPReceive(t *testing.T) {
	s := startSession(t, testEngine(t, RawSendOff), netip.MustParseAddr("127.0.0.1"))
	local := newSessionKeys(t, AESCM128HMACSHA1_80)
	peer := newSRTPPeer(t, local, AESCM128HMACSHA1_80)
	if err := s.SetSRTP(&local, &peer.key); err != nil {
		t.Fatal(err)
	}
	s.Configure(peer.addr(), PCMU, 0, 101, false)
	to := s.LocalAddr()
	h := rtp.Header{Version: 2, PayloadType: 101, SequenceNumber: 100, Timestamp: 8000, SSRC: 0x1234, Marker: true}
	var last []byte
	for i := range 3 {
		h.SequenceNumber = 100 + uint16(i)
		h.Marker = i == 0
		end := byte(0)
		if i == 2 {
			end = 0x80
		}
		last = peer.send(to, h, []byte{7, end | 10, 0, 160})
	}
	select {
	case key := <-s.Digits():
		if key != '7' {
			t.Fatalf("key %q, want 7", key)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the SRTP digit never arrived")
	}

	// A replay of the last packet, the same packet with a flipped bit of
	// its tag, and one in the clear: each must be dropped.
	forged := append([]byte(nil), last...)
	forged[len(forged)-1] ^= 1
	plain, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 101, SequenceNumber: 200, Timestamp: 16000, SSRC: 0x1234, Marker: true},
		Payload: []byte{9, 0x80 | 10, 0, 160}}).Marshal()
	stranger, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer stranger.Close()
	for _, p := range [][]byte{last, forged, plain} {
		if _, err := peer.conn.WriteToUDPAddrPort(p, to); err != nil {
			t.Fatal(err)
		}
	}
	// From another source too: a forged packet must not move the stream.
	if _, err := stranger.WriteToUDPAddrPort(forged, to); err != nil {
		t.Fatal(err)
	}
	// A good digit behind them: once it is in, the loop has read them all.
	h.SequenceNumber, h.Timestamp, h.Marker = 103, 9000, true
	peer.send(to, h, []byte{8, 0x80 | 10, 0, 160})
	select {
	case key := <-s.Digits():
		if key != '8' {
			t.Fatalf("key %q from a packet that should have been dropped", key)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the SRTP digit behind the dropped packets never arrived")
	}
	if n := s.SRTPDropped(); n != 4 {
		t.Fatalf("%d packets dropped by SRTP, want 4 (replay, forged, plain, forged from a stranger)", n)
	}
	// The engine counts them by reason, for monitoring: the loop counted
	// them before it read the digit behind them. The forged ones carry
	// the sequence number of a packet already taken, and pion/srtp checks
	// for replays first (it spares the HMAC of a flood): replays too.
	if c := s.engine.Counts(); c.SRTPAuth != 1 || c.SRTPReplay != 3 {
		t.Fatalf("the engine counts %d unauthenticated and %d replayed, want 1 (plain) and 3 (replay, forged, forged from a stranger)", c.SRTPAuth, c.SRTPReplay)
	}
	s.mu.Lock()
	remote := s.remote
	s.mu.Unlock()
	if remote != peer.addr() {
		t.Fatalf("sending to %v after a forged packet from elsewhere, want %v", remote, peer.addr())
	}
}

// TestSRTPBridgeToPlain bridges an SRTP leg to a plain one, both ways,
// through each send path: what the SRTP phone sends reaches the plain
// phone decrypted, and the plain phone's audio and digits reach the SRTP
// phone encrypted with the session's key.
func TestSRTPBridgeToPlain(t *testing.T) {
	for _, mode := range []RawSend{RawSendOff, RawSendOn} {
		t.Run(string(mode), func(t *testing.T) {
			engine := testEngine(t, mode)
			secure := startSession(t, engine, netip.MustParseAddr("127.0.0.1"))
			plain := startSession(t, engine, netip.MustParseAddr("127.0.0.1"))
			local := newSessionKeys(t, AESCM128HMACSHA1_80)
			sphone := newSRTPPeer(t, local, AESCM128HMACSHA1_32) // its own key on the other suite
			if err := secure.SetSRTP(&local, &sphone.key); err != nil {
				t.Fatal(err)
			}
			pphone, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				t.Fatal(err)
			}
			defer pphone.Close()
			secure.Configure(sphone.addr(), PCMU, 0, 101, true)
			plain.Configure(pphone.LocalAddr().(*net.UDPAddr).AddrPort(), PCMA, 8, 96, true)
			Bridge(secure, plain)

			// SRTP phone to plain phone: PCMU frames, transcoded to PCMA.
			frame := bytes.Repeat([]byte{0x11, 0x22, 0x33, 0x44}, FrameSize/4)
			h := rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: 1, Timestamp: 0, SSRC: 77}
			got := false
			for i := 0; i < 50 && !got; i++ {
				h.SequenceNumber++
				h.Timestamp += FrameSize
				sphone.send(secure.LocalAddr(), h, frame)
				p, _ := readRTP(t, pphone)
				if p.PayloadType == 8 && p.Payload[0] == g711.Ulaw2AlawFrame(0x11) && p.Payload[1] == g711.Ulaw2AlawFrame(0x22) {
					got = true
				}
			}
			if !got {
				t.Fatal("the SRTP phone's audio never reached the plain phone, decrypted")
			}

			// Plain phone to SRTP phone: PCMA frames and a digit.
			aframe := bytes.Repeat([]byte{0x55}, FrameSize)
			ph := rtp.Header{Version: 2, PayloadType: 8, SequenceNumber: 9, SSRC: 88}
			sendPlain := func(h rtp.Header, payload []byte) {
				b, _ := (&rtp.Packet{Header: h, Payload: payload}).Marshal()
				if _, err := pphone.WriteToUDPAddrPort(b, plain.LocalAddr()); err != nil {
					t.Fatal(err)
				}
			}
			gotAudio, gotDigit := false, false
			for i := 0; i < 100 && !(gotAudio && gotDigit); i++ {
				ph.SequenceNumber++
				ph.Timestamp += FrameSize
				if gotAudio {
					ph.PayloadType = 96
					sendPlain(ph, []byte{3, 0x80 | 10, 0, 160})
				} else {
					ph.PayloadType = 8
					sendPlain(ph, aframe)
				}
				p, _ := sphone.read() // decrypted with the session's key, or the test fails
				switch {
				case p.PayloadType == 0 && p.Payload[0] == g711.Alaw2UlawFrame(0x55):
					gotAudio = true
				case p.PayloadType == 101 && len(p.Payload) == 4 && p.Payload[0] == 3:
					gotDigit = true
				}
			}
			if !gotAudio || !gotDigit {
				t.Fatalf("at the SRTP phone: audio %v, digit %v", gotAudio, gotDigit)
			}
		})
	}
}

// TestSRTPDropReasons: each packet the receive path takes or drops under
// SRTP, with the reason it gives the loop to count, and what it
// allocates doing so: nothing of ours. pion/srtp builds an error for a
// replay (one allocation) and formats one for a packet too short for its
// tag (two); a forged packet's costs nothing.
func TestSRTPDropReasons(t *testing.T) {
	sock, err := ListenSocket(netip.MustParseAddrPort("127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sock.Close() })
	s := NewSession(testEngine(t, RawSendOff), SessionConfig{Socket: sock})
	from := netip.MustParseAddrPort("127.0.0.1:4000")
	s.Configure(from, PCMU, 0, 101, false)
	local, remote := newSessionKeys(t, AESCM128HMACSHA1_80), newSessionKeys(t, AESCM128HMACSHA1_80)
	if err := s.SetSRTP(&local, &remote); err != nil {
		t.Fatal(err)
	}
	enc, err := newSRTPContext(remote, false)
	if err != nil {
		t.Fatal(err)
	}
	plainAt := func(seq uint16) []byte {
		p, err := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: seq, Timestamp: uint32(seq) * FrameSize, SSRC: 7},
			Payload: make([]byte, FrameSize)}).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	sealed := func(seq uint16) []byte {
		w, err := enc.EncryptRTP(nil, plainAt(seq), nil)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	forged := func(seq uint16) []byte {
		w := sealed(seq)
		w[len(w)-1] ^= 1
		return w
	}
	old := sealed(700) // sealed in order, taken out of it below
	for _, step := range []struct {
		name   string
		wire   []byte
		want   dropReason
		allocs float64 // at most, per packet
	}{
		{"a packet", sealed(1000), dropNone, 0},
		{"the same again", sealed(1000), dropSRTPReplay, 1},
		{"a flipped bit of the tag", forged(1001), dropSRTPAuth, 0},
		{"the genuine one after it", sealed(1001), dropNone, 0},
		{"plain RTP", plainAt(1002), dropSRTPAuth, 0},
		{"too short for its tag", sealed(1002)[:14], dropSRTPAuth, 2},
		{"older than the window", old, dropSRTPReplay, 1},
	} {
		var h rtp.Header
		buf := make([]byte, len(step.wire))
		copy(buf, step.wire) // receive decrypts in place
		if got, _ := s.receive(nil, &h, buf, from, 1); got != step.want {
			t.Errorf("%s: dropped for %d, want %d", step.name, got, step.want)
		}
		if step.want == dropNone {
			continue // taken once; again it would be a replay
		}
		// AllocsPerRun counts the whole process's allocations, the
		// engine's own goroutines' too (the race detector's make them
		// more): a packet's count is the fewest of a few measurements.
		allocs := math.Inf(1)
		for try := 0; try < 5 && allocs > step.allocs; try++ {
			allocs = min(allocs, testing.AllocsPerRun(50, func() {
				copy(buf, step.wire)
				s.receive(nil, &h, buf, from, 1)
			}))
		}
		if allocs > step.allocs {
			t.Errorf("%s: %v allocations a packet, want at most %v", step.name, allocs, step.allocs)
		}
	}
}

// TestSRTPKeyedMidCall: a plain call given keys (a re-INVITE) encrypts
// from then on, and plain again once they are taken away; the packet path
// tests the session's flag, not the keys, so the flag must follow them.
func TestSRTPKeyedMidCall(t *testing.T) {
	engine := testEngine(t, RawSendOff)
	local := newSessionKeys(t, AESCM128HMACSHA1_80)
	peer := newSRTPPeer(t, local, AESCM128HMACSHA1_80)
	s := startSession(t, engine, netip.MustParseAddr("127.0.0.1"))
	s.Configure(peer.addr(), PCMU, 0, 101, true)
	// next is the size on the wire of the next packet the session sends,
	// and whether it decrypts with the session's key.
	next := func() (int, bool) {
		buf := make([]byte, 1500)
		_ = peer.conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		n, _, err := peer.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatalf("nothing sent: %v", err)
		}
		_, err = peer.dec.DecryptRTP(nil, buf[:n], nil)
		return n, err == nil
	}
	// awaitPackets reads until one has size and decrypts or not as want;
	// packets sent before the change may still be in flight.
	awaitPackets := func(what string, size int, decrypts bool) {
		for range 20 {
			if n, ok := next(); n == size && ok == decrypts {
				return
			}
		}
		t.Fatalf("no %s packet of %d bytes after 20", what, size)
	}
	awaitPackets("plain", 12+FrameSize, false)
	if err := s.SetSRTP(&local, &peer.key); err != nil {
		t.Fatal(err)
	}
	awaitPackets("SRTP", 12+FrameSize+srtpOverhead, true)
	if err := s.SetSRTP(nil, nil); err != nil {
		t.Fatal(err)
	}
	awaitPackets("plain", 12+FrameSize, false)
}
