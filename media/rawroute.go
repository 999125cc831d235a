package media

import (
	"net"
	"net/netip"
)

const (
	ipHeaderLen  = 20
	udpHeaderLen = 8
	// tosEF marks RTP as Expedited Forwarding (DSCP 46), as phones do.
	tosEF = 0xb8
)

// rawRoute is the part of a packet's headers fixed for a stream: both
// addresses and ports.
type rawRoute struct {
	src, dst     [4]byte
	sport, dport uint16
}

// routeFor gives the raw route from a socket bound at local to remote, or
// false when the stream must use its own socket (IPv6). A socket bound to
// every address leaves the source to the kernel's route to remote.
func routeFor(local, remote netip.AddrPort) (rawRoute, bool) {
	src, dst := local.Addr().Unmap(), remote.Addr().Unmap()
	if !dst.Is4() || !(src.Is4() || src.IsUnspecified()) {
		return rawRoute{}, false
	}
	if src.IsUnspecified() {
		c, err := net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(dst, remote.Port())))
		if err != nil {
			return rawRoute{}, false
		}
		src = c.LocalAddr().(*net.UDPAddr).AddrPort().Addr().Unmap()
		_ = c.Close()
		if !src.Is4() {
			return rawRoute{}, false
		}
	}
	return rawRoute{src: src.As4(), dst: dst.As4(), sport: local.Port(), dport: remote.Port()}, true
}

// udpChecksum is the RFC 768 checksum of udp (header with a zero checksum
// field, then payload) under the IPv4 pseudo-header.
func udpChecksum(src, dst [4]byte, udp []byte) uint16 {
	sum := uint32(src[0])<<8 | uint32(src[1])
	sum += uint32(src[2])<<8 | uint32(src[3])
	sum += uint32(dst[0])<<8 | uint32(dst[1])
	sum += uint32(dst[2])<<8 | uint32(dst[3])
	sum += 17 + uint32(len(udp))
	i := 0
	for ; i+1 < len(udp); i += 2 {
		sum += uint32(udp[i])<<8 | uint32(udp[i+1])
	}
	if i < len(udp) {
		sum += uint32(udp[i]) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	c := ^uint16(sum)
	if c == 0 {
		return 0xffff // zero means "no checksum" in UDP over IPv4
	}
	return c
}

// buildIPv4UDP writes the IPv4 and UDP headers for a payload of n bytes,
// leaving the UDP checksum zero. The kernel fills in the IP identification
// and header checksum of a raw packet.
func buildIPv4UDP(p []byte, rt *rawRoute, n int) {
	total := ipHeaderLen + udpHeaderLen + n
	ip := p[:ipHeaderLen]
	ip[0] = 0x45 // version 4, 5 words
	ip[1] = tosEF
	ip[2], ip[3] = byte(total>>8), byte(total)
	ip[4], ip[5] = 0, 0
	ip[6], ip[7] = 0x40, 0 // don't fragment
	ip[8] = 64             // TTL
	ip[9] = 17             // UDP
	ip[10], ip[11] = 0, 0
	copy(ip[12:16], rt.src[:])
	copy(ip[16:20], rt.dst[:])
	udp := p[ipHeaderLen : ipHeaderLen+udpHeaderLen]
	ulen := udpHeaderLen + n
	udp[0], udp[1] = byte(rt.sport>>8), byte(rt.sport)
	udp[2], udp[3] = byte(rt.dport>>8), byte(rt.dport)
	udp[4], udp[5] = byte(ulen>>8), byte(ulen)
	udp[6], udp[7] = 0, 0
}
