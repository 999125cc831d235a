package media

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Socket is one call's RTP socket. It is a plain non-blocking descriptor,
// not a net.UDPConn: the media loops poll it themselves, and a socket in
// Go's own poller as well would wake the runtime for every packet.
type Socket struct {
	fd      int
	inet6   bool
	local   netip.AddrPort
	release func() // gives the port back to its Ports
}

// ListenSocket binds a UDP socket at ap (port 0 picks one).
func ListenSocket(ap netip.AddrPort) (*Socket, error) {
	ip := ap.Addr().Unmap()
	family := unix.AF_INET
	if ip.Is6() {
		family = unix.AF_INET6
	}
	fd, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_UDP)
	if err != nil {
		return nil, fmt.Errorf("rtp socket: %w", err)
	}
	s := &Socket{fd: fd, inet6: family == unix.AF_INET6}
	var sa unix.Sockaddr
	if s.inet6 {
		_ = unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 0)
		_ = unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_TCLASS, tosEF)
		sa = &unix.SockaddrInet6{Addr: ip.As16(), Port: int(ap.Port())}
	} else {
		_ = unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_TOS, tosEF)
		sa = &unix.SockaddrInet4{Addr: ip.As4(), Port: int(ap.Port())}
	}
	if err := unix.Bind(fd, sa); err != nil {
		_ = unix.Close(fd)
		return nil, fmt.Errorf("rtp socket %v: %w", ap, err)
	}
	bound, err := unix.Getsockname(fd)
	if err != nil {
		_ = unix.Close(fd)
		return nil, fmt.Errorf("rtp socket %v: %w", ap, err)
	}
	switch b := bound.(type) {
	case *unix.SockaddrInet4:
		s.local = netip.AddrPortFrom(netip.AddrFrom4(b.Addr), uint16(b.Port))
	case *unix.SockaddrInet6:
		s.local = netip.AddrPortFrom(netip.AddrFrom16(b.Addr).Unmap(), uint16(b.Port))
	}
	return s, nil
}

// LocalAddr is the address the socket is bound to.
func (s *Socket) LocalAddr() netip.AddrPort { return s.local }

// Close releases the descriptor and the port, whose number and port a
// new socket may get at once: nothing may send through it afterwards. A
// Session closes its own socket and sees to that (Session.Close).
func (s *Socket) Close() error {
	err := unix.Close(s.fd)
	if release := s.release; release != nil {
		s.release = nil
		release() // after the close: the port is free when it is handed out again
	}
	return err
}

// sendTo sends one datagram without allocating; errors are the network's
// (a full buffer, no route) and RTP is sent again 20 ms later anyway.
func (s *Socket) sendTo(p []byte, to netip.AddrPort) {
	if len(p) == 0 {
		return
	}
	to = netip.AddrPortFrom(to.Addr().Unmap(), to.Port())
	var port [2]byte
	binary.BigEndian.PutUint16(port[:], to.Port())
	if s.inet6 {
		sa := unix.RawSockaddrInet6{Family: unix.AF_INET6, Addr: to.Addr().As16()}
		sa.Port = *(*uint16)(unsafe.Pointer(&port[0]))
		_, _, _ = unix.RawSyscall6(unix.SYS_SENDTO, uintptr(s.fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)),
			unix.MSG_DONTWAIT, uintptr(unsafe.Pointer(&sa)), unix.SizeofSockaddrInet6)
		return
	}
	if !to.Addr().Is4() {
		return
	}
	sa := unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: to.Addr().As4()}
	sa.Port = *(*uint16)(unsafe.Pointer(&port[0]))
	_, _, _ = unix.RawSyscall6(unix.SYS_SENDTO, uintptr(s.fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)),
		unix.MSG_DONTWAIT, uintptr(unsafe.Pointer(&sa)), unix.SizeofSockaddrInet4)
}

// errNoPacket means the socket has nothing more to read for now.
var errNoPacket = errors.New("no packet")

// recvFrom reads one datagram without blocking or allocating.
func (s *Socket) recvFrom(buf []byte) (int, netip.AddrPort, error) {
	var sa unix.RawSockaddrAny
	salen := uint32(unix.SizeofSockaddrAny)
	n, _, errno := unix.RawSyscall6(unix.SYS_RECVFROM, uintptr(s.fd), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)),
		unix.MSG_DONTWAIT, uintptr(unsafe.Pointer(&sa)), uintptr(unsafe.Pointer(&salen)))
	if errno != 0 {
		if errno == unix.EAGAIN || errno == unix.EINTR {
			return 0, netip.AddrPort{}, errNoPacket
		}
		return 0, netip.AddrPort{}, errno
	}
	var from netip.AddrPort
	switch sa.Addr.Family {
	case unix.AF_INET:
		a := (*unix.RawSockaddrInet4)(unsafe.Pointer(&sa))
		port := (*[2]byte)(unsafe.Pointer(&a.Port))
		from = netip.AddrPortFrom(netip.AddrFrom4(a.Addr), binary.BigEndian.Uint16(port[:]))
	case unix.AF_INET6:
		a := (*unix.RawSockaddrInet6)(unsafe.Pointer(&sa))
		port := (*[2]byte)(unsafe.Pointer(&a.Port))
		from = netip.AddrPortFrom(netip.AddrFrom16(a.Addr).Unmap(), binary.BigEndian.Uint16(port[:]))
	}
	return int(n), from, nil
}
