package media

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/zaf/g711"
)

// TestSessionSendPaths plays a known sound and a digit through each send
// path and checks, at a real UDP socket, what a phone relies on: packets
// come from the call's own port (symmetric RTP, NAT), carry the sound's
// frames in order with consecutive sequence numbers and timestamps, and
// the digit's RFC 4733 event follows on the same stream, each on its
// negotiated payload type.
func TestSessionSendPaths(t *testing.T) {
	cases := []struct {
		name       string
		mode       RawSend
		bind, peer string
		pt         uint8
	}{
		{"socket", RawSendOff, "127.0.0.1", "127.0.0.1", 0},
		{"raw", RawSendOn, "127.0.0.1", "127.0.0.1", 0},
		{"raw from a wildcard bind", RawSendOn, "0.0.0.0", "127.0.0.1", 0},
		{"IPv6 peer", RawSendAuto, "::1", "::1", 0},
		{"dual-stack wildcard bind, IPv4 peer", RawSendAuto, "::", "127.0.0.1", 0},
		{"socket, PCMU on a dynamic type", RawSendOff, "127.0.0.1", "127.0.0.1", 96},
		{"raw, PCMU on a dynamic type", RawSendOn, "127.0.0.1", "127.0.0.1", 96},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			engine := testEngine(t, tc.mode)
			peer := netip.MustParseAddr(tc.peer)
			sink, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(peer, 0)))
			if err != nil {
				t.Skipf("no %v here: %v", peer, err)
			}
			defer sink.Close()
			sock, err := ListenSocket(netip.AddrPortFrom(netip.MustParseAddr(tc.bind), 0))
			if err != nil {
				t.Fatal(err)
			}
			port := sock.LocalAddr().Port()
			s := NewSession(engine, SessionConfig{Socket: sock})
			defer s.Close()

			pcm := make([]byte, 2*FrameSize*5)
			for i := range pcm {
				pcm[i] = byte(i * 7)
			}
			snd := NewSoundPCM(pcm)
			s.Configure(sink.LocalAddr().(*net.UDPAddr).AddrPort(), PCMU, tc.pt, 101, true)
			s.Play(snd, false)
			if err := s.Start(); err != nil {
				t.Fatal(err)
			}
			s.mu.Lock()
			viaRaw := s.routeOK
			s.mu.Unlock()
			if want := engine.Raw() && peer.Is4(); viaRaw != want {
				t.Fatalf("raw route %v, want %v", viaRaw, want)
			}

			frames := snd.Payload(PCMU)
			var prev *rtp.Packet
			for i := range len(frames) / FrameSize {
				p, from := readRTP(t, sink)
				if from.Addr().Unmap() != peer || from.Port() != port {
					t.Fatalf("packet from %v, want %v:%d (the call's own port)", from, peer, port)
				}
				if !bytes.Equal(p.Payload, frames[i*FrameSize:(i+1)*FrameSize]) {
					t.Fatalf("frame %d differs from the sound", i)
				}
				if p.PayloadType != tc.pt {
					t.Fatalf("frame %d on payload type %d, want %d", i, p.PayloadType, tc.pt)
				}
				if prev != nil && (p.SequenceNumber != prev.SequenceNumber+1 || p.SSRC != prev.SSRC ||
					p.Timestamp != prev.Timestamp+FrameSize) {
					t.Fatalf("frame %d: seq %d ts %d ssrc %x after seq %d ts %d ssrc %x",
						i, p.SequenceNumber, p.Timestamp, p.SSRC, prev.SequenceNumber, prev.Timestamp, prev.SSRC)
				}
				prev = p
			}

			s.SendDigit('5')
			deadline := time.Now().Add(2 * time.Second)
			for time.Now().Before(deadline) {
				p, _ := readRTP(t, sink)
				if p.SequenceNumber != prev.SequenceNumber+1 {
					t.Fatalf("sequence %d after %d", p.SequenceNumber, prev.SequenceNumber)
				}
				prev = p
				if p.PayloadType == 101 {
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

func readRTP(t *testing.T, sink *net.UDPConn) (*rtp.Packet, netip.AddrPort) {
	t.Helper()
	buf := make([]byte, 1500)
	_ = sink.SetReadDeadline(time.Now().Add(2 * time.Second))
	n, from, err := sink.ReadFromUDPAddrPort(buf)
	if err != nil {
		t.Fatalf("no RTP: %v", err)
	}
	var p rtp.Packet
	if err := p.Unmarshal(buf[:n]); err != nil {
		t.Fatalf("not RTP: %v", err)
	}
	return &p, from
}

// TestUDPChecksum checks the checksum against the RFC 1071 rule that the
// one's-complement sum over pseudo-header and datagram, checksum included,
// is all ones.
func TestUDPChecksum(t *testing.T) {
	src, dst := [4]byte{192, 0, 2, 1}, [4]byte{198, 51, 100, 7}
	for _, size := range []int{0, 1, 4, 160, 171} {
		rt := rawRoute{src: src, dst: dst, sport: 10000, dport: 4000}
		pkt := make([]byte, ipHeaderLen+udpHeaderLen+size)
		buildIPv4UDP(pkt, &rt, size)
		for i := range size {
			pkt[ipHeaderLen+udpHeaderLen+i] = byte(i*31 + 5)
		}
		udp := pkt[ipHeaderLen:]
		c := udpChecksum(src, dst, udp)
		udp[6], udp[7] = byte(c>>8), byte(c)

		var sum uint64
		pseudo := append(append(append([]byte{}, src[:]...), dst[:]...), 0, 17, byte(len(udp)>>8), byte(len(udp)))
		data := append(pseudo, udp...)
		if len(data)%2 == 1 {
			data = append(data, 0)
		}
		for i := 0; i < len(data); i += 2 {
			sum += uint64(data[i])<<8 | uint64(data[i+1])
		}
		for sum > 0xffff {
			sum = sum>>16 + sum&0xffff
		}
		if sum != 0xffff {
			t.Errorf("payload %d bytes: checksum %04x leaves a sum of %04x, want ffff", size, c, sum)
		}
	}
}

// TestBridgeRelays sends audio and a key press from one phone to a bridged
// session over real sockets and checks what the other phone receives, on
// each send path: the frame transcoded to its law under the session's own
// SSRC and payload type numbers (a dynamic one included), and the
// telephone-event under its own payload type.
func TestBridgeRelays(t *testing.T) {
	type leg struct {
		codec    Codec
		pt, dtmf uint8
	}
	for _, legs := range []struct {
		name string
		a, b leg
	}{
		{"PCMU to PCMA", leg{PCMU, 0, 101}, leg{PCMA, 8, 96}},
		{"PCMU on 96 to PCMA", leg{PCMU, 96, 101}, leg{PCMA, 8, 97}},
		{"PCMA to PCMU on 96", leg{PCMA, 8, 101}, leg{PCMU, 96, 100}},
		{"PCMU to PCMU on 96", leg{PCMU, 0, 101}, leg{PCMU, 96, 101}},
	} {
		for _, tc := range []struct {
			mode RawSend
			ip   string
		}{{RawSendOff, "127.0.0.1"}, {RawSendOn, "127.0.0.1"}, {RawSendAuto, "::1"}} {
			t.Run(legs.name+" "+string(tc.mode)+" "+tc.ip, func(t *testing.T) {
				engine := testEngine(t, tc.mode)
				ip := netip.MustParseAddr(tc.ip)
				phoneA, phoneB := listenPhone(t, ip), listenPhone(t, ip)
				a, b := startSession(t, engine, ip), startSession(t, engine, ip)
				a.Configure(phoneA.LocalAddr().(*net.UDPAddr).AddrPort(), legs.a.codec, legs.a.pt, legs.a.dtmf, true)
				b.Configure(phoneB.LocalAddr().(*net.UDPAddr).AddrPort(), legs.b.codec, legs.b.pt, legs.b.dtmf, true)
				Bridge(a, b)

				frame := make([]byte, FrameSize)
				for i := range frame {
					frame[i] = byte(0x80 + i%64) // speech-like values in either law
				}
				to := net.UDPAddrFromAddrPort(a.LocalAddr())
				send := func(seq uint16, pt uint8, payload []byte) {
					pkt, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: seq,
						Timestamp: 8000 + uint32(seq)*FrameSize, SSRC: 0x1234}, Payload: payload}).Marshal()
					if _, err := phoneA.WriteToUDP(pkt, to); err != nil {
						t.Fatal(err)
					}
				}
				want := make([]byte, FrameSize)
				for i, v := range frame {
					switch {
					case legs.a.codec == legs.b.codec:
						want[i] = v
					case legs.a.codec == PCMU:
						want[i] = g711.Ulaw2AlawFrame(v)
					default:
						want[i] = g711.Alaw2UlawFrame(v)
					}
				}
				var gotAudio, gotEvent bool
				deadline := time.Now().Add(3 * time.Second)
				for seq := uint16(1); !(gotAudio && gotEvent) && time.Now().Before(deadline); seq++ {
					send(seq, legs.a.pt, frame)
					send(seq+1000, legs.a.dtmf, []byte{7, 0x8a, 0, 160}) // key 7, end of event
					for range 2 {
						p, _ := readRTP(t, phoneB)
						switch {
						case p.SSRC == 0x1234:
							t.Fatal("relayed packet kept the other side's SSRC")
						case p.PayloadType == legs.b.pt:
							// Else silence sent before the bridge was up.
							gotAudio = gotAudio || bytes.Equal(p.Payload, want)
						case p.PayloadType == legs.b.dtmf && len(p.Payload) == 4 && p.Payload[0] == 7:
							gotEvent = true
						default:
							t.Fatalf("relayed payload type %d, %d bytes; want audio on %d or events on %d",
								p.PayloadType, len(p.Payload), legs.b.pt, legs.b.dtmf)
						}
					}
				}
				if !gotAudio || !gotEvent {
					t.Fatalf("relayed: audio %v, key %v", gotAudio, gotEvent)
				}
			})
		}
	}
}

func listenPhone(t *testing.T, ip netip.Addr) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, 0)))
	if err != nil {
		t.Skipf("no %v here: %v", ip, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func startSession(t *testing.T, e *Engine, ip netip.Addr) *Session {
	t.Helper()
	sock, err := ListenSocket(netip.AddrPortFrom(ip, 0))
	if err != nil {
		t.Fatal(err)
	}
	s := NewSession(e, SessionConfig{Socket: sock})
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// testEngine runs an engine for the test's lifetime, or skips the test
// when the mode needs raw sockets this machine does not permit.
func testEngine(tb testing.TB, mode RawSend) *Engine {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)
	engine, err := NewEngine(ctx, mode)
	if err != nil {
		tb.Skipf("raw sockets are not permitted here: %v", err)
	}
	return engine
}

// TestReceiveAllocatesNothing reads packets with a CSRC and a header
// extension, audio and telephone-events, from the session's source and
// from a stray sender, the way a media loop does: the
// per-packet receive path must not allocate, or thousands of calls feed
// the garbage collector.
func TestReceiveAllocatesNothing(t *testing.T) {
	s := startSession(t, testEngine(t, RawSendOff), netip.MustParseAddr("127.0.0.1"))
	s.Configure(netip.MustParseAddrPort("127.0.0.1:9"), PCMU, 96, 101, false)
	audio := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: 1, SSRC: 7, CSRC: []uint32{9}},
		Payload: make([]byte, FrameSize)}
	if err := audio.SetExtension(1, []byte{0x80}); err != nil {
		t.Fatal(err)
	}
	event := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 101, SequenceNumber: 2, SSRC: 7},
		Payload: []byte{5, 0x0a, 0, 160}}
	var pkts [][]byte
	for _, p := range []*rtp.Packet{&audio, &event, {Payload: []byte{1}}} {
		b, err := p.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		pkts = append(pkts, b)
	}
	from := netip.MustParseAddrPort("127.0.0.1:9")
	stray := netip.MustParseAddrPort("127.0.0.1:7")
	now := time.Now().UnixNano()
	var h rtp.Header
	allocs := testing.AllocsPerRun(200, func() {
		for _, p := range pkts {
			s.receive(nil, &h, p, from, now)
			s.receive(nil, &h, p, stray, now) // dropped by strict RTP
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per round of packets", allocs)
	}
}
