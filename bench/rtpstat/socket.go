package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"
)

// receiver is a UDP socket outside Go's network poller: nothing is woken
// when a packet arrives unless rtpstat is blocked in recvmsg itself.
type receiver struct {
	fd  int
	buf [1500]byte
	oob [128]byte
}

func listen(ap netip.AddrPort, blocking bool) (*receiver, error) {
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	if !ap.Addr().Is4() {
		return nil, fmt.Errorf("listen %v: want an IPv4 address", ap)
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.IPPROTO_UDP)
	if err != nil {
		return nil, err
	}
	r := &receiver{fd: fd}
	// Hold at least a poll interval of packets at 4 000 streams.
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 16<<20) != nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 16<<20)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1); err != nil {
		r.close()
		return nil, fmt.Errorf("receive timestamps: %w", err)
	}
	if blocking {
		// Wake at least every 100 ms so that the window can end.
		tv := unix.NsecToTimeval((100 * time.Millisecond).Nanoseconds())
		_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: ap.Addr().As4(), Port: int(ap.Port())}); err != nil {
		r.close()
		return nil, fmt.Errorf("bind %v: %w", ap, err)
	}
	return r, nil
}

func (r *receiver) close() { _ = unix.Close(r.fd) }

// next returns one datagram and its kernel arrival time. With poll > 0 it
// sleeps poll whenever the socket is empty; ok is false when no packet
// came (the caller checks the clock).
func (r *receiver) next(poll time.Duration) (pkt []byte, at time.Time, ok bool) {
	flags := 0
	if poll > 0 {
		flags = unix.MSG_DONTWAIT
	}
	n, oobn, _, _, err := unix.Recvmsg(r.fd, r.buf[:], r.oob[:], flags)
	if err != nil {
		if poll > 0 && errors.Is(err, unix.EAGAIN) {
			time.Sleep(poll)
		}
		return nil, time.Time{}, false
	}
	at = time.Now()
	if msgs, err := unix.ParseSocketControlMessage(r.oob[:oobn]); err == nil {
		for _, m := range msgs {
			if m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SCM_TIMESTAMPNS && len(m.Data) >= 16 {
				// struct timespec on 64-bit Linux: seconds, nanoseconds.
				sec := int64(binary.NativeEndian.Uint64(m.Data[0:8]))
				nsec := int64(binary.NativeEndian.Uint64(m.Data[8:16]))
				at = time.Unix(sec, nsec)
			}
		}
	}
	return r.buf[:n], at, true
}
