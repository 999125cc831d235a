package media

import (
	"encoding/binary"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// BenchmarkSessionTick is the per-packet send path: next frame, RTP header
// marshal, one UDP send to a socket on loopback.
func BenchmarkSessionTick(b *testing.B) {
	s := benchSession(b, RawSendOff, true, false)
	b.ReportAllocs()
	cpu := startCPU(b)
	for b.Loop() {
		s.tick(nil)
	}
	cpu.report()
}

// BenchmarkSessionTickNoSend isolates our own work from the kernel's.
func BenchmarkSessionTickNoSend(b *testing.B) {
	s := benchSession(b, RawSendOff, false, false)
	b.ReportAllocs()
	cpu := startCPU(b)
	for b.Loop() {
		s.tick(nil)
	}
	cpu.report()
}

// BenchmarkSessionTickRaw is the same packet through the raw path: the
// media loop's batch of rawBatch packets goes out in one sendmmsg.
func BenchmarkSessionTickRaw(b *testing.B) { benchTickRaw(b, false) }

// BenchmarkSessionTickSRTP and …RawSRTP are the socket and raw paths
// above with the packet encrypted (AES_CM_128_HMAC_SHA1_80): SRTP's cost
// per packet sent is the difference.
func BenchmarkSessionTickSRTP(b *testing.B) {
	s := benchSession(b, RawSendOff, true, true)
	b.ReportAllocs()
	cpu := startCPU(b)
	for b.Loop() {
		s.tick(nil)
	}
	cpu.report()
}

// BenchmarkSRTPSeal is SRTP's own share of the send path: encrypting
// and authenticating one 20 ms G.711 packet in place.
func BenchmarkSRTPSeal(b *testing.B) {
	s := benchSession(b, RawSendOff, false, true)
	pkt := make([]byte, 12+FrameSize, 12+FrameSize+srtpOverhead)
	h := rtp.Header{Version: 2, SSRC: 7}
	b.ReportAllocs()
	s.mu.Lock()
	defer s.mu.Unlock()
	cpu := startCPU(b)
	for b.Loop() {
		h.SequenceNumber++
		_, _ = h.MarshalTo(pkt)
		if _, ok := s.sealLocked(pkt, 12+FrameSize); !ok {
			b.Fatal("not sealed")
		}
	}
	cpu.report()
}

func BenchmarkSessionTickRawSRTP(b *testing.B) { benchTickRaw(b, true) }

func benchTickRaw(b *testing.B, secure bool) {
	s := benchSession(b, RawSendOn, true, secure)
	raw, err := openRawSender()
	if err != nil {
		b.Skipf("raw sockets are not permitted here: %v", err)
	}
	defer raw.close()
	b.ReportAllocs()
	cpu := startCPU(b)
	for b.Loop() {
		s.tick(raw)
	}
	raw.flush()
	cpu.report()
}

// benchSession is a session playing a looped sound to a loopback socket
// that a goroutine drains (without send, it builds packets and sends
// none), encrypting each when secure; the benchmark drives its tick
// itself.
func benchSession(b *testing.B, mode RawSend, send, secure bool) *Session {
	b.Helper()
	sink, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = sink.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			if _, _, err := sink.ReadFromUDP(buf); err != nil {
				return
			}
		}
	}()
	sock, err := ListenSocket(netip.MustParseAddrPort("127.0.0.1:0"))
	if err != nil {
		b.Fatal(err)
	}
	s := NewSession(testEngine(b, mode), SessionConfig{Socket: sock})
	b.Cleanup(s.Close)
	s.Configure(sink.LocalAddr().(*net.UDPAddr).AddrPort(), PCMU, 0, 101, send)
	s.Play(NewSoundPCM(make([]byte, 16000)), true)
	if secure {
		benchKeys(b, s)
	}
	return s
}

// benchKeys sets SRTP on s and returns the key s receives with.
func benchKeys(b *testing.B, s *Session) Crypto {
	b.Helper()
	local, err := NewCrypto(1, AESCM128HMACSHA1_80)
	if err != nil {
		b.Fatal(err)
	}
	remote, err := NewCrypto(1, AESCM128HMACSHA1_80)
	if err != nil {
		b.Fatal(err)
	}
	if err := s.SetSRTP(&local, &remote); err != nil {
		b.Fatal(err)
	}
	return remote
}

// BenchmarkSessionReceive is the per-packet receive path of a packet from
// the session's source, strict RTP included: header parse, source check,
// the loop's bookkeeping; no relay, no key.
func BenchmarkSessionReceive(b *testing.B) {
	s, from := benchReceiver(b)
	pkt, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: 1, SSRC: 7},
		Payload: make([]byte, FrameSize)}).Marshal()
	var h rtp.Header
	now := time.Now().UnixNano()
	b.ReportAllocs()
	cpu := startCPU(b)
	for seq := uint16(1); b.Loop(); seq++ {
		binary.BigEndian.PutUint16(pkt[2:4], seq)
		s.receive(nil, &h, pkt, from, now)
	}
	cpu.report()
}

// BenchmarkSessionReceiveSRTP is the receive path above with the packet
// authenticated (replay check included) and decrypted first. Packets are
// encrypted as a phone would have sent them, a batch at a time outside
// the timer.
func BenchmarkSessionReceiveSRTP(b *testing.B) {
	s, from := benchReceiver(b)
	remote := benchKeys(b, s)
	enc, err := newSRTPContext(remote, false)
	if err != nil {
		b.Fatal(err)
	}
	plain, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: 1, SSRC: 7},
		Payload: make([]byte, FrameSize)}).Marshal()
	const batch = 1024
	var wires [batch][]byte
	for i := range wires {
		wires[i] = make([]byte, 0, len(plain)+srtpOverhead)
	}
	var h, eh rtp.Header
	now := time.Now().UnixNano()
	seq := uint16(1)
	next := batch
	b.ReportAllocs()
	cpu := startCPU(b)
	for b.Loop() {
		if next == batch {
			b.StopTimer()
			cpu.pause()
			for i := range wires {
				seq++
				binary.BigEndian.PutUint16(plain[2:4], seq)
				if wires[i], err = enc.EncryptRTP(wires[i][:0], plain, &eh); err != nil {
					b.Fatal(err)
				}
			}
			next = 0
			cpu.resume()
			b.StartTimer()
		}
		if drop, _ := s.receive(nil, &h, wires[next], from, now); drop != dropNone {
			b.Fatalf("dropped (reason %d)", drop)
		}
		next++
	}
	cpu.report()
	if s.SRTPDropped() != 0 {
		b.Fatalf("%d packets failed SRTP", s.SRTPDropped())
	}
}

// BenchmarkStrictAdmit is strict RTP's own share of the receive path: the
// source check of a packet from the source once learning has closed, as
// for all but the first seconds of a call.
func BenchmarkStrictAdmit(b *testing.B) {
	var st strictRTP
	from := netip.MustParseAddrPort("192.0.2.10:4000")
	st.reset(from)
	now := time.Now().UnixNano()
	st.admit(from, 7, 0, now)
	st.admit(from, 7, 1, now+int64(learnWindow))
	var n int
	b.ReportAllocs()
	for seq := uint16(2); b.Loop(); seq++ {
		if ok, _ := st.admit(from, 7, seq, now+int64(learnWindow)); ok {
			n++
		}
	}
	if n == 0 {
		b.Fatal("the source's packets were dropped")
	}
}

// BenchmarkStrayDrop is a packet from another source, dropped.
func BenchmarkStrayDrop(b *testing.B) {
	s, _ := benchReceiver(b)
	stray := netip.MustParseAddrPort("127.0.0.1:7")
	pkt, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 101, SequenceNumber: 1, SSRC: 9},
		Payload: []byte{1, 10, 0, 160}}).Marshal()
	var h rtp.Header
	now := time.Now().UnixNano()
	b.ReportAllocs()
	for b.Loop() {
		s.receive(nil, &h, pkt, stray, now)
	}
}

// benchReceiver is a session outside any media loop, configured for a peer
// at from, past its learning window.
func benchReceiver(b *testing.B) (*Session, netip.AddrPort) {
	b.Helper()
	sock, err := ListenSocket(netip.MustParseAddrPort("127.0.0.1:0"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = sock.Close() })
	s := NewSession(testEngine(b, RawSendOff), SessionConfig{Socket: sock})
	from := netip.MustParseAddrPort("127.0.0.1:4000")
	s.Configure(from, PCMU, 0, 101, false)
	s.mu.Lock()
	s.strict.accepted(1)
	s.strict.accepted(1 + int64(learnWindow))
	s.mu.Unlock()
	return s, from
}

func BenchmarkDTMFDecode(b *testing.B) {
	var d DTMFDecoder
	payload := []byte{11, 10, 0, 160}
	ts := uint32(0)
	b.ReportAllocs()
	for b.Loop() {
		ts += 8
		d.Decode(ts/64, payload)
	}
}

func BenchmarkParseSDP(b *testing.B) {
	body := []byte("v=0\r\no=- 1 1 IN IP4 10.0.0.5\r\ns=-\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\nm=audio 4000 RTP/AVP 8 0 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseSDP(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFrameLookup is how a playing session finds its next frame.
func BenchmarkFrameLookup(b *testing.B) {
	snd := NewSoundPCM(make([]byte, 64000))
	payload := snd.Payload(PCMA)
	pos := 0
	var sum byte
	b.ReportAllocs()
	for b.Loop() {
		frame := payload[pos : pos+FrameSize]
		sum += frame[0]
		pos += FrameSize
		if pos >= len(payload) {
			pos = 0
		}
	}
	_ = sum
}
