package media

import (
	"errors"
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Sending RTP through each call's own UDP socket costs one sendto per
// packet, and sendmmsg cannot batch across sockets. A raw IPv4 socket per
// media loop carries every call's packets in one sendmmsg per batch, with
// IP and UDP headers built here so that each packet still leaves from its
// call's own port (measured ~3.3 µs a packet against ~6–8 µs for sendto,
// shared/docs/rtp-cost.md). It needs CAP_NET_RAW; without it the engine
// keeps the per-socket path.

const (
	// rawBatch packets go out in one sendmmsg: a slot at 4 000 streams on
	// two cores is ~200 packets, so a few system calls per wake-up.
	rawBatch = 64
	// rawPacketMax fits a relayed frame of up to 60 ms behind the
	// headers, and SRTP's tag after it.
	rawPacketMax = ipHeaderLen + udpHeaderLen + 12 + 3*FrameSize + srtpOverhead
)

// mmsghdr is struct mmsghdr; Go pads it to the kernel's size.
type mmsghdr struct {
	hdr unix.Msghdr
	n   uint32
}

// rawSender batches one media loop's packets; only that loop uses it.
type rawSender struct {
	fd      int
	n       int
	pkts    [rawBatch][rawPacketMax]byte
	iov     [rawBatch]unix.Iovec
	addrs   [rawBatch]unix.RawSockaddrInet4
	msgs    [rawBatch]mmsghdr
	dropped uint64
	calls   uint64 // sendmmsg calls made, for tests and benchmarks
}

// openRawSender opens a send-only raw socket (IPPROTO_RAW never receives,
// so the kernel does not copy incoming traffic to it).
func openRawSender() (*rawSender, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_RAW)
	if err != nil {
		return nil, fmt.Errorf("raw socket: %w", err)
	}
	// A burst of a whole slot must fit; beyond the limit root may force it.
	const sndbuf = 4 << 20
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, sndbuf) != nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, sndbuf)
	}
	r := &rawSender{fd: fd}
	for i := range r.msgs {
		r.iov[i].Base = &r.pkts[i][0]
		r.addrs[i].Family = unix.AF_INET
		h := &r.msgs[i].hdr
		h.Name = (*byte)(unsafe.Pointer(&r.addrs[i]))
		h.Namelen = unix.SizeofSockaddrInet4
		h.Iov = &r.iov[i]
		h.SetIovlen(1)
	}
	return r, nil
}

func (r *rawSender) close() { _ = unix.Close(r.fd) }

// next returns room for one RTP packet (header and a frame) behind the
// IP and UDP headers of the batch's next packet; commit adds it.
func (r *rawSender) next() []byte {
	if r.n == rawBatch {
		r.flush()
	}
	return r.pkts[r.n][ipHeaderLen+udpHeaderLen:]
}

// commit adds the rtpLen bytes written where next pointed, for rt.
func (r *rawSender) commit(rt *rawRoute, rtpLen int) {
	size := ipHeaderLen + udpHeaderLen + rtpLen
	p := r.pkts[r.n][:size]
	buildIPv4UDP(p, rt, rtpLen)
	udp := p[ipHeaderLen:]
	sum := udpChecksum(rt.src, rt.dst, udp)
	udp[6], udp[7] = byte(sum>>8), byte(sum)
	r.addrs[r.n].Addr = rt.dst
	r.iov[r.n].SetLen(size)
	r.n++
}

// flush sends what is queued. A packet the kernel refuses (no route, a
// firewall rule) is skipped so the rest still go; when the socket buffer
// is full the remainder is dropped, because a late voice packet is as bad
// as a lost one and a blocked media loop would delay every stream.
//
// The media loops' system calls never block (MSG_DONTWAIT, epoll with no
// timeout), so they are made raw. A call the runtime is told about that
// lasts over 20 µs, as a batch of 64 packets does, makes its monitor hand
// the P to another thread and then poll every 20 µs itself: ~8 % of a core
// at 2 000 streams, measured per thread in /proc.
func (r *rawSender) flush() {
	for i := 0; i < r.n; {
		sent, _, errno := unix.RawSyscall6(unix.SYS_SENDMMSG, uintptr(r.fd),
			uintptr(unsafe.Pointer(&r.msgs[i])), uintptr(r.n-i), unix.MSG_DONTWAIT, 0, 0)
		r.calls++
		switch {
		case errno == 0:
			i += int(sent)
		case errors.Is(errno, unix.EINTR):
		case errors.Is(errno, unix.EAGAIN):
			r.dropped += uint64(r.n - i)
			i = r.n
		default:
			r.dropped++
			i++
		}
	}
	runtime.KeepAlive(r)
	r.n = 0
}
