package server

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
)

// portTries bounds the search for a port free for both UDP and TCP when
// the configuration leaves the port to the system.
const portTries = 20

// listenSIP binds SIP's UDP socket and its TCP listener on one port. With
// port 0 ("-sip 127.0.0.1:0") the system picks the UDP port, and TCP
// takes the same one; another program may hold that port for TCP (an
// outgoing connection's ephemeral port, say), so a port taken for TCP is
// given back and another one picked.
func listenSIP(ap netip.AddrPort) (*net.UDPConn, *net.TCPListener, error) {
	return listenSIPWith(ap, func(ap netip.AddrPort) (*net.UDPConn, error) {
		return net.ListenUDP("udp", net.UDPAddrFromAddrPort(ap))
	})
}

// listenSIPWith is listenSIP binding UDP with listenUDP, which a test
// makes pick a port it holds for TCP.
func listenSIPWith(ap netip.AddrPort, listenUDP func(netip.AddrPort) (*net.UDPConn, error)) (*net.UDPConn, *net.TCPListener, error) {
	for try := 1; ; try++ {
		udp, err := listenUDP(ap)
		if err != nil {
			return nil, nil, fmt.Errorf("sip udp: %w", err)
		}
		tcp, err := net.ListenTCP("tcp", net.TCPAddrFromAddrPort(udp.LocalAddr().(*net.UDPAddr).AddrPort()))
		if err == nil {
			return udp, tcp, nil
		}
		_ = udp.Close()
		if ap.Port() != 0 || !errors.Is(err, syscall.EADDRINUSE) || try == portTries {
			return nil, nil, fmt.Errorf("sip tcp: %w", err)
		}
	}
}
