package server

import (
	"net"
	"net/netip"
	"testing"
)

// TestListenSIPSkipsAPortTakenForTCP: with port 0, a UDP port whose TCP
// twin is taken (by an outgoing connection's ephemeral port, say) is not
// the end of start-up: another port is picked. A port the configuration
// names is never swapped for another.
func TestListenSIPSkipsAPortTakenForTCP(t *testing.T) {
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	busy := held.Addr().(*net.TCPAddr).AddrPort()
	tries := 0
	// The system's first pick is the port held for TCP; its next ones are
	// its own.
	udp, tcp, err := listenSIPWith(netip.AddrPortFrom(busy.Addr(), 0), func(ap netip.AddrPort) (*net.UDPConn, error) {
		tries++
		if tries == 1 {
			ap = busy
		}
		return net.ListenUDP("udp", net.UDPAddrFromAddrPort(ap))
	})
	if err != nil {
		t.Fatalf("listenSIP on port 0, the first port's TCP taken: %v", err)
	}
	defer udp.Close()
	defer tcp.Close()
	u, p := udp.LocalAddr().(*net.UDPAddr).Port, tcp.Addr().(*net.TCPAddr).Port
	if tries != 2 || u != p || u == int(busy.Port()) {
		t.Fatalf("after %d tries UDP on %d, TCP on %d; want a second port, not %d, for both", tries, u, p, busy.Port())
	}

	if _, _, err := listenSIP(busy); err == nil {
		t.Fatal("listenSIP took a named port whose TCP is in use")
	}
}
