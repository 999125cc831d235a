package sip

import (
	"net"
	"net/netip"

	"github.com/emiago/sipgo"
)

// advertise is the address we give a peer in SDP and Contact: where it
// can reach us. public_address is for peers beyond the local networks
// (behind NAT, the LAN's phones must not be sent out and back through the
// router); otherwise it is the address we are bound to, or, when bound to
// a wildcard (0.0.0.0, ::), the address of the interface the kernel would
// send to the peer from. A wildcard is never advertised: a phone told
// c=0.0.0.0 sends no audio, and one told Contact 0.0.0.0 loses its BYE.
func (s *Server) advertise(peer netip.Addr) netip.Addr {
	peer = peer.Unmap()
	if s.cfg.PublicAddress.IsValid() && !s.isLocal(peer) {
		return s.cfg.PublicAddress
	}
	if !s.mediaIP.IsUnspecified() {
		return s.mediaIP
	}
	if a, ok := routeSource(peer); ok {
		return a
	}
	if s.cfg.PublicAddress.IsValid() {
		return s.cfg.PublicAddress
	}
	return s.mediaIP
}

// isLocal reports whether peer is in the local networks, which are
// reached directly rather than through public_address.
func (s *Server) isLocal(peer netip.Addr) bool {
	for _, p := range s.cfg.LocalNetworks {
		if p.Contains(peer) {
			return true
		}
	}
	return false
}

// routeSource asks the kernel which local address it would send to peer
// from. Connecting a UDP socket only looks up the route: nothing is sent.
func routeSource(peer netip.Addr) (netip.Addr, bool) {
	if !peer.IsValid() || peer.IsUnspecified() {
		return netip.Addr{}, false
	}
	c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(peer, 9)))
	if err != nil {
		return netip.Addr{}, false
	}
	defer c.Close()
	a := c.LocalAddr().(*net.UDPAddr).AddrPort().Addr().Unmap()
	return a, a.IsValid() && !a.IsUnspecified()
}

// dialogsFor is the dialog layer with the Contact a peer should reach us
// at over transport; the transactions are shared.
func (s *Server) dialogsFor(peer netip.Addr, transport string) *sipgo.DialogUA {
	return s.dialogsFrom(s.dialogLayer(transport), peer)
}

// dialogsFrom is base with the Contact's host chosen for the peer.
func (s *Server) dialogsFrom(base *sipgo.DialogUA, peer netip.Addr) *sipgo.DialogUA {
	host := s.advertise(peer).String()
	if host == base.ContactHDR.Address.Host {
		return base
	}
	ua := *base
	ua.ContactHDR = *base.ContactHDR.Clone()
	ua.ContactHDR.Address.Host = host
	return &ua
}

// peerAddr is the address a request came from.
func peerAddr(source string) netip.Addr {
	ap, err := netip.ParseAddrPort(source)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}
