package media

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// TestCloseWhileRelaying closes one side of a bridge while the other side,
// on another media loop, relays its phone's audio to it, then opens new
// calls until one gets the closed socket's descriptor number, as the next
// call on a busy server does. Nothing the old bridge relays may leave
// through the new call's socket: one caller's audio would reach another
// caller's phone's address from a third call's port.
func TestCloseWhileRelaying(t *testing.T) {
	engine := testEngine(t, RawSendOff) // the path that sends through the descriptor
	ip := netip.MustParseAddr("127.0.0.1")
	phoneA, phoneB, phoneC, fence := listenPhone(t, ip), listenPhone(t, ip), listenPhone(t, ip), listenPhone(t, ip)
	a, b := startSession(t, engine, ip), startSession(t, engine, ip)
	if len(engine.loops) > 1 && a.home == b.home {
		t.Fatal("both sides on one media loop; the test needs them on two")
	}
	a.Configure(phoneA.LocalAddr().(*net.UDPAddr).AddrPort(), PCMU, 0, 101, true)
	b.Configure(phoneB.LocalAddr().(*net.UDPAddr).AddrPort(), PCMU, 0, 101, true)
	Bridge(a, b)

	const talk = 0x42 // phone A's audio; silence is another byte in either law
	// Phone B's reader reports where each packet came from, and whether
	// it carried phone A's audio rather than b's own silence.
	type arrival struct {
		from    netip.AddrPort
		relayed bool
	}
	arrivals := make(chan arrival, 1024)
	stopReading := make(chan struct{})
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		buf := make([]byte, 1500)
		for {
			n, from, err := phoneB.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			select {
			case arrivals <- arrival{from, n == 12+FrameSize && buf[12] == talk}:
			case <-stopReading:
				return
			}
		}
	}()
	t.Cleanup(func() {
		close(stopReading)
		_ = phoneB.Close()
		<-readerDone
	})

	// Phone A talks as a phone does, every few milliseconds, until told to
	// stop; it then hands over the next sequence number.
	const ssrc = 0x1234
	toA := net.UDPAddrFromAddrPort(a.LocalAddr())
	stopTalking := make(chan struct{})
	nextSeq := make(chan uint16)
	go func(stopTalking <-chan struct{}) {
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		p := rtp.Packet{Header: rtp.Header{Version: 2, SSRC: ssrc}, Payload: make([]byte, FrameSize)}
		for i := range p.Payload {
			p.Payload[i] = talk
		}
		for seq := uint16(1); ; seq++ {
			p.SequenceNumber, p.Timestamp = seq, uint32(seq)*FrameSize
			if pkt, err := p.Marshal(); err == nil {
				_, _ = phoneA.WriteToUDP(pkt, toA)
			}
			select {
			case <-tick.C:
			case <-stopTalking:
				nextSeq <- seq + 1
				return
			}
		}
	}(stopTalking)
	talking := true
	stop := func() uint16 {
		if !talking {
			return 0
		}
		talking = false
		close(stopTalking)
		return <-nextSeq
	}
	t.Cleanup(func() { stop() })

	// The bridge is up: phone B hears phone A from b's port.
	timeout := time.After(5 * time.Second)
	for relayed := false; !relayed; {
		select {
		case got := <-arrivals:
			relayed = got.relayed && got.from == b.LocalAddr()
		case <-timeout:
			t.Fatal("phone B never heard phone A through the bridge")
		}
	}

	oldFD := b.sock.fd
	b.Close()
	var reused *Session
	newPorts := map[netip.AddrPort]bool{}
	for range 64 {
		s := startSession(t, engine, ip)
		s.Configure(phoneC.LocalAddr().(*net.UDPAddr).AddrPort(), PCMU, 0, 101, true)
		newPorts[s.LocalAddr()] = true
		if s.sock.fd == oldFD {
			reused = s
			break
		}
	}
	if reused == nil {
		t.Fatalf("no new socket got the closed descriptor %d", oldFD)
	}

	// A key press from phone A: once a has decoded it, its loop has also
	// relayed (or dropped) each of its packets, after the reuse.
	seq := stop()
	for _, p := range keyPackets(t, '5', ssrc, seq, uint32(seq)*FrameSize) {
		if _, err := phoneA.WriteToUDP(p, toA); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case k := <-a.Digits():
		if k != '5' {
			t.Fatalf("a decoded %q, want '5'", k)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a never decoded phone A's key")
	}

	// Everything sent to phone B before the fence has arrived by the fence.
	fenceAddr := fence.LocalAddr().(*net.UDPAddr).AddrPort()
	if _, err := fence.WriteToUDPAddrPort([]byte("fence"), phoneB.LocalAddr().(*net.UDPAddr).AddrPort()); err != nil {
		t.Fatal(err)
	}
	leaked := 0
	timeout = time.After(5 * time.Second)
	for done := false; !done; {
		select {
		case got := <-arrivals:
			switch {
			case got.from == fenceAddr:
				done = true
			case newPorts[got.from]:
				leaked++
			}
		case <-timeout:
			t.Fatal("the fence never reached phone B")
		}
	}
	if leaked > 0 {
		t.Fatalf("%d packets of the closed call's bridge left through a new call's socket (descriptor %d, reused by %v)",
			leaked, oldFD, reused.LocalAddr())
	}
}
