package media

import (
	"net"
	"net/netip"
	"testing"
)

// TestEngineCountsPackets: what the loops send, their own frames and
// relayed packets alike, and what they read, is counted for monitoring.
func TestEngineCountsPackets(t *testing.T) {
	t.Parallel()
	engine := testEngine(t, RawSendOff)
	ip := netip.MustParseAddr("127.0.0.1")
	phoneA, phoneB := listenPhone(t, ip), listenPhone(t, ip)
	a, b := startSession(t, engine, ip), startSession(t, engine, ip)
	a.Configure(phoneA.LocalAddr().(*net.UDPAddr).AddrPort(), PCMU, 0, 101, true)
	b.Configure(phoneB.LocalAddr().(*net.UDPAddr).AddrPort(), PCMU, 0, 101, true)
	// The loop sends and counts under one lock: once a phone holds a
	// packet, Counts sees it counted.
	for range 5 {
		readRTP(t, phoneA)
	}
	if c := engine.Counts(); c.Sent < 5 || c.Received != 0 {
		t.Fatalf("after 5 frames sent and none received: %+v", c)
	}

	Bridge(a, b)
	before := engine.Counts()
	frame := make([]byte, FrameSize)
	for i := range frame {
		frame[i] = 0x42
	}
	to := net.UDPAddrFromAddrPort(a.LocalAddr())
	for i := range 3 {
		if _, err := phoneA.WriteToUDP(rtpPacket(t, 0x1234, uint16(1+i), uint32(160*i), 0, frame), to); err != nil {
			t.Fatal(err)
		}
	}
	for relayed := 0; relayed < 3; {
		if p, _ := readRTP(t, phoneB); p.Payload[0] == 0x42 {
			relayed++
		}
	}
	c := engine.Counts()
	if c.Received-before.Received != 3 {
		t.Fatalf("%d datagrams counted as received, want 3", c.Received-before.Received)
	}
	if c.Sent-before.Sent < 3 {
		t.Fatalf("%d packets counted as sent since the bridge, want the 3 relayed at least", c.Sent-before.Sent)
	}
}
