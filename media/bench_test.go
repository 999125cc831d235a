package media

import (
	"net"
	"net/netip"
	"testing"
)

// BenchmarkSessionTick is the per-packet send path: next frame, RTP header
// marshal, one UDP send to a socket on loopback.
func BenchmarkSessionTick(b *testing.B) {
	s := benchSession(b, RawSendOff, true)
	b.ReportAllocs()
	for b.Loop() {
		s.tick(nil)
	}
}

// BenchmarkSessionTickNoSend isolates our own work from the kernel's.
func BenchmarkSessionTickNoSend(b *testing.B) {
	s := benchSession(b, RawSendOff, false)
	b.ReportAllocs()
	for b.Loop() {
		s.tick(nil)
	}
}

// BenchmarkSessionTickRaw is the same packet through the raw path: the
// media loop's batch of rawBatch packets goes out in one sendmmsg.
func BenchmarkSessionTickRaw(b *testing.B) {
	s := benchSession(b, RawSendOn, true)
	raw, err := openRawSender()
	if err != nil {
		b.Skipf("raw sockets are not permitted here: %v", err)
	}
	defer raw.close()
	b.ReportAllocs()
	for b.Loop() {
		s.tick(raw)
	}
	raw.flush()
}

// benchSession is a session playing a looped sound to a loopback socket
// that a goroutine drains (without send, it builds packets and sends
// none); the benchmark drives its tick itself.
func benchSession(b *testing.B, mode RawSend, send bool) *Session {
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
	return s
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
