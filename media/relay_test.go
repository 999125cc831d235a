package media

import (
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// relayRig is pairs of bridged sessions on a real engine, and one phone
// socket that every session takes as its peer: the phone sends each
// session a packet per round, and the sessions relay them back to it. The
// phone's socket is never read; what it cannot hold the kernel drops.
type relayRig struct {
	tb       testing.TB
	engine   *Engine
	phone    int
	sessions []*Session
	to       []unix.Sockaddr
	pkts     [][]byte
	round    int
	base     uint64 // Counts().Sent once bridged
	relayed  uint64 // packets relayed since base
}

func newRelayRig(tb testing.TB, mode RawSend, pairs int) *relayRig {
	tb.Helper()
	r := &relayRig{tb: tb, engine: testEngine(tb, mode)}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.IPPROTO_UDP)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		tb.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		tb.Fatal(err)
	}
	r.phone = fd
	phone := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(sa.(*unix.SockaddrInet4).Port))
	frame := make([]byte, FrameSize)
	for i := range 2 * pairs {
		sock, err := ListenSocket(netip.MustParseAddrPort("127.0.0.1:0"))
		if err != nil {
			tb.Fatal(err)
		}
		s := NewSession(r.engine, SessionConfig{Socket: sock})
		tb.Cleanup(s.Close)
		s.Configure(phone, PCMU, 0, 101, true)
		if err := s.Start(); err != nil {
			tb.Fatal(err)
		}
		r.sessions = append(r.sessions, s)
		r.to = append(r.to, &unix.SockaddrInet4{Port: int(s.LocalAddr().Port()), Addr: [4]byte{127, 0, 0, 1}})
		r.pkts = append(r.pkts, rtpPacket(tb, uint32(i+1), 0, 0, 0, frame))
		if i%2 == 1 {
			Bridge(r.sessions[i-1], s)
		}
	}
	r.base = r.engine.Counts().Sent
	return r
}

// send queues one packet on each of the first n sessions' sockets while
// every media loop is held, so that a loop wakes to find them all queued
// at once as it does at a slot under load; then it waits until they are
// relayed. The CPU meter, when given, is paused while the phone sends.
func (r *relayRig) send(n int, cpu *cpuMeter) {
	r.tb.Helper()
	for _, l := range r.engine.loops {
		l.mu.Lock()
	}
	if cpu != nil {
		cpu.pause()
	}
	r.round++
	for i := range n {
		p := r.pkts[i]
		p[2], p[3] = byte(r.round>>8), byte(r.round)
		ts := uint32(r.round) * FrameSize
		p[4], p[5], p[6], p[7] = byte(ts>>24), byte(ts>>16), byte(ts>>8), byte(ts)
		if err := unix.Sendto(r.phone, p, 0, r.to[i]); err != nil {
			r.tb.Fatalf("phone sending: %v", err)
		}
	}
	if cpu != nil {
		cpu.resume()
	}
	for _, l := range r.engine.loops {
		l.mu.Unlock()
	}
	want := r.relayed + uint64(n)
	deadline := time.Now().Add(5 * time.Second)
	for {
		// The loops count a relayed packet under the lock Counts takes.
		r.relayed = r.engine.Counts().Sent - r.base
		if r.relayed >= want {
			break
		}
		if time.Now().After(deadline) {
			r.tb.Fatalf("%d of %d packets relayed", r.relayed, want)
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// TestRelayReadsEachPacketOnce: at every slot each socket holding a
// packet is read with one system call, without a second that finds it
// empty; a read that comes back empty costs as much as one that relays.
func TestRelayReadsEachPacketOnce(t *testing.T) {
	for _, mode := range []RawSend{RawSendOff, RawSendOn} {
		t.Run(string(mode), func(t *testing.T) {
			r := newRelayRig(t, mode, 50)
			before, _ := r.engine.calls()
			for range 20 {
				r.send(len(r.sessions), nil)
			}
			after, _ := r.engine.calls()
			pkts := float64(r.relayed)
			reads := float64(after.reads-before.reads) / pkts
			empty := float64(after.empty-before.empty) / pkts
			t.Logf("%d packets relayed: %.3f reads and %.3f empty reads a packet", r.relayed, reads, empty)
			if empty >= 0.1 {
				t.Errorf("%.3f empty reads a relayed packet, want under 0.1", empty)
			}
			if reads > 1.05 {
				t.Errorf("%.3f reads a relayed packet, want one", reads)
			}
		})
	}
}

// TestRelayDeliversBurstInOrder: packets queued together on one socket,
// more than a slot reads at once, are all relayed, in the order they came.
func TestRelayDeliversBurstInOrder(t *testing.T) {
	for _, mode := range []RawSend{RawSendOff, RawSendOn} {
		t.Run(string(mode), func(t *testing.T) {
			engine := testEngine(t, mode)
			ip := netip.MustParseAddr("127.0.0.1")
			phoneA, phoneB := listenPhone(t, ip), listenPhone(t, ip)
			a, b := startSession(t, engine, ip), startSession(t, engine, ip)
			a.Configure(phoneA.LocalAddr().(*net.UDPAddr).AddrPort(), PCMU, 0, 101, true)
			b.Configure(phoneB.LocalAddr().(*net.UDPAddr).AddrPort(), PCMU, 0, 101, true)
			Bridge(a, b)
			a.placed.Lock()
			l := a.home
			a.placed.Unlock()

			const burst = 10
			to := net.UDPAddrFromAddrPort(a.LocalAddr())
			frame := make([]byte, FrameSize)
			l.mu.Lock() // a's loop wakes to find the whole burst queued
			for i := range burst {
				frame[0] = byte(0x80 + i)
				if _, err := phoneA.WriteToUDP(rtpPacket(t, 0x1234, uint16(1+i), uint32(160*i), 0, frame), to); err != nil {
					l.mu.Unlock()
					t.Fatal(err)
				}
			}
			l.mu.Unlock()
			var got []byte
			var lastSeq uint16
			for len(got) < burst {
				p, _ := readRTP(t, phoneB)
				if p.Payload[0] < 0x80 {
					continue // silence b sent before the bridge
				}
				if len(got) > 0 && p.SequenceNumber != lastSeq+1 {
					t.Fatalf("sequence %d after %d", p.SequenceNumber, lastSeq)
				}
				lastSeq = p.SequenceNumber
				got = append(got, p.Payload[0])
			}
			for i, v := range got {
				if v != byte(0x80+i) {
					t.Fatalf("relayed in the order %x, want 80…%x", got, 0x80+burst-1)
				}
			}
		})
	}
}

// BenchmarkRelay is the relay per packet through the real media loops:
// pairs of bridged sessions, each session receiving one packet a round
// (as at a slot under load) and relaying it. cpu-ns/op is the process's
// CPU per relayed packet, the phone's sending excluded; the system calls
// per packet are the figures that do not depend on the machine's load.
func BenchmarkRelay(b *testing.B) {
	for _, mode := range []RawSend{RawSendOff, RawSendOn} {
		b.Run(fmt.Sprintf("%s/pairs=500", mode), func(b *testing.B) {
			r := newRelayRig(b, mode, 500)
			before, sendsBefore := r.engine.calls()
			cpu := startCPU(b)
			b.ResetTimer()
			for done := 0; done < b.N; {
				n := min(len(r.sessions), b.N-done)
				r.send(n, cpu)
				done += n
			}
			b.StopTimer()
			cpu.report()
			after, sendsAfter := r.engine.calls()
			pkts := float64(r.relayed)
			b.ReportMetric(float64(after.reads-before.reads)/pkts, "reads/op")
			b.ReportMetric(float64(after.empty-before.empty)/pkts, "empty-reads/op")
			b.ReportMetric(float64(after.waits-before.waits)/pkts, "epoll-waits/op")
			if mode == RawSendOn {
				b.ReportMetric(float64(sendsAfter-sendsBefore)/pkts, "sendmmsg/op")
			}
		})
	}
}

// TestReceiveServesEverySocketBeforeAFlood: at one slot a socket holding
// many packets is read readsPerSlot times and no more, and every other
// socket holding one is read, more of them than one epoll wait returns.
func TestReceiveServesEverySocketBeforeAFlood(t *testing.T) {
	engine := testEngine(t, RawSendOff)
	ip := netip.MustParseAddr("127.0.0.1")
	phone := listenPhone(t, ip)
	l := engine.loops[0]
	var mine []*Session
	for len(mine) < 2*len(l.events)+1 {
		s := startSession(t, engine, ip)
		s.Configure(phone.LocalAddr().(*net.UDPAddr).AddrPort(), PCMU, 0, 101, false)
		s.placed.Lock()
		if s.home == l {
			mine = append(mine, s)
		}
		s.placed.Unlock()
	}
	flooded, others := mine[0], mine[1:]
	frame := make([]byte, FrameSize)
	send := func(s *Session, seq uint16) {
		if _, err := phone.WriteToUDPAddrPort(rtpPacket(t, 7, seq, uint32(seq)*FrameSize, 0, frame), s.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}

	l.mu.Lock() // the loop's own slots wait; this test runs one
	defer l.mu.Unlock()
	for seq := range uint16(20) {
		send(flooded, seq)
	}
	for _, s := range others {
		send(s, 1)
	}
	before := l.received
	start := time.Now().UnixNano()
	l.receive()
	if got, want := l.received-before, uint64(len(others)+readsPerSlot); got != want {
		t.Fatalf("%d packets read at the slot, want %d: one from each of %d sockets and %d from the flooded one",
			got, want, len(others), readsPerSlot)
	}
	for i, s := range others {
		if s.lastRx.Load() < start {
			t.Fatalf("socket %d of %d holding a packet was not read at the slot", i+1, len(others))
		}
	}
}
