package media

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/pion/rtp"
	"golang.org/x/sys/unix"
)

// slotsPerFrame splits each 20 ms frame period into 2 ms slots; a stream
// lives in one slot, so sends spread over the period instead of bursting,
// and a wake-up serves a tenth of the streams (timer wake-ups cost tens of
// microseconds on these machines, packets a few). Measured at 2 000
// streams: 4 slots gave a gap p99 of 24–25 ms, 10 slots 22.1–22.5 ms, 20
// slots 22.9 ms (docs/PERFORMANCE.md).
const slotsPerFrame = 10

// sweepEvery is how often a loop looks for sessions whose peer went silent.
const sweepEvery = time.Second

// Engine runs one media loop per core. Each loop owns a share of the
// sessions: it sends the next frame of each every 20 ms against absolute
// deadlines (so pacing never drifts), and at each slot reads whatever their
// sockets received, through its own epoll set. A goroutine and timer per
// stream, or a goroutine per socket, would cost far more CPU and memory at
// thousands of streams (shared/docs/rtp-cost.md).
type Engine struct {
	loops []*loop
	raw   bool
	mu    sync.Mutex
	next  int
	wg    sync.WaitGroup
	// mixed counts the packets conferences' mixers sent (conference.go),
	// which run beside the loops and so count apart from them.
	mixed atomic.Uint64
}

// loop is one core's share; mu guards everything but epfd.
type loop struct {
	epfd   int
	mu     sync.Mutex
	slots  [slotsPerFrame][]*Session
	byFD   map[int]*Session
	raw    *rawSender // nil: each session sends through its own socket
	stray  uint64     // packets dropped by strict RTP (strict.go)
	buf    [1500]byte
	hdr    rtp.Header // reused by every packet the loop reads
	tap    TapPacket  // reused by every packet the loop hands a recording
	pass   uint64     // receive calls so far, to count each socket's reads in one
	events [128]unix.EpollEvent

	// Datagrams read from the loop's sockets, and RTP packets it sent
	// (its sessions' frames and the packets it relayed). Plain counters
	// under mu, which the loop holds anyway: counting costs no extra
	// synchronisation per packet.
	received, sent uint64
	// SRTP packets dropped, unauthenticated and replayed (srtp.go), under
	// mu alike.
	srtpAuth, srtpReplay uint64
	// The receive side's system calls, under mu alike: system calls cost
	// more than the packet work on these machines, so their count per
	// packet is what the relay's cost is judged by (docs/PERFORMANCE.md).
	calls loopCalls
}

// loopCalls counts a loop's receive-side system calls: epoll waits, reads,
// and reads that found nothing (EAGAIN).
type loopCalls struct {
	waits, reads, empty uint64
}

// RawSend says whether the engine sends through raw sockets.
type RawSend string

// The raw_send settings.
const (
	RawSendAuto RawSend = "auto" // raw sockets when permitted, else per-call sockets
	RawSendOn   RawSend = "on"   // raw sockets, or fail to start
	RawSendOff  RawSend = "off"  // per-call sockets only
)

// NewEngine starts one media loop per available core; they stop when ctx
// ends. With raw sending each loop batches its packets through its own raw
// socket (see rawsend_linux.go).
func NewEngine(ctx context.Context, mode RawSend) (*Engine, error) {
	e := &Engine{loops: make([]*loop, runtime.GOMAXPROCS(0))}
	fail := func(err error) (*Engine, error) {
		for _, l := range e.loops {
			if l != nil {
				l.close()
			}
		}
		return nil, err
	}
	for i := range e.loops {
		epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
		if err != nil {
			return fail(fmt.Errorf("media loop: %w", err))
		}
		e.loops[i] = &loop{epfd: epfd, byFD: map[int]*Session{}}
	}
	if mode != RawSendOff {
		for _, l := range e.loops {
			raw, err := openRawSender()
			if err != nil {
				if mode == RawSendOn {
					return fail(fmt.Errorf("raw_send on: %w (it needs CAP_NET_RAW)", err))
				}
				for _, l := range e.loops {
					if l.raw != nil {
						l.raw.close()
						l.raw = nil
					}
				}
				break
			}
			l.raw = raw
		}
		e.raw = e.loops[0].raw != nil
	}
	for _, l := range e.loops {
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			defer l.close()
			l.run(ctx)
		}()
	}
	return e, nil
}

// Raw reports whether packets go out through raw sockets.
func (e *Engine) Raw() bool { return e.raw }

// Dropped counts packets the kernel refused or had no buffer for on the
// raw path since start; the per-socket path drops silently in the kernel.
func (e *Engine) Dropped() uint64 {
	var n uint64
	for _, l := range e.loops {
		l.mu.Lock()
		if l.raw != nil {
			n += l.raw.dropped
		}
		l.mu.Unlock()
	}
	return n
}

// Stray counts the RTP packets dropped since start because they came from
// another source than their session's (strict.go).
func (e *Engine) Stray() uint64 {
	var n uint64
	for _, l := range e.loops {
		l.mu.Lock()
		n += l.stray
		l.mu.Unlock()
	}
	return n
}

// Counts are the media loops' packet counters since start.
type Counts struct {
	Received uint64 // datagrams read from RTP sockets, strays included
	Sent     uint64 // RTP packets sent, conferences' mixed frames included (Dropped of them refused on the raw path)
	Stray    uint64 // see Engine.Stray
	Dropped  uint64 // see Engine.Dropped
	// SRTPAuth counts SRTP packets dropped because they could not be
	// authenticated: forged, damaged, plain where SRTP was agreed, or
	// under a key not in force. SRTPReplay counts those dropped as
	// replays: taken before, or older than the replay window.
	SRTPAuth, SRTPReplay uint64
}

// dropReason is why the loop dropped a packet it read.
type dropReason uint8

const (
	dropNone       dropReason = iota
	dropStray                 // from another source than its session's
	dropSRTPAuth              // failed SRTP authentication
	dropSRTPReplay            // an SRTP replay
)

// Counts reads every loop's counters at once, for monitoring.
func (e *Engine) Counts() Counts {
	c := Counts{Sent: e.mixed.Load()}
	for _, l := range e.loops {
		l.mu.Lock()
		c.Received += l.received
		c.Sent += l.sent
		c.Stray += l.stray
		c.SRTPAuth += l.srtpAuth
		c.SRTPReplay += l.srtpReplay
		if l.raw != nil {
			c.Dropped += l.raw.dropped
		}
		l.mu.Unlock()
	}
	return c
}

// calls sums the loops' system call counters; sends counts sendmmsg calls
// on the raw path (each packet on the per-socket path is one sendto).
func (e *Engine) calls() (c loopCalls, sends uint64) {
	for _, l := range e.loops {
		l.mu.Lock()
		c.waits += l.calls.waits
		c.reads += l.calls.reads
		c.empty += l.calls.empty
		if l.raw != nil {
			sends += l.raw.calls
		}
		l.mu.Unlock()
	}
	return c, sends
}

// Wait returns once every media loop has stopped.
func (e *Engine) Wait() { e.wg.Wait() }

// errSessionClosed: the session was closed before it started.
var errSessionClosed = errors.New("media session closed before it started")

// add gives a session to the next loop, in that loop's least-loaded slot,
// and starts polling its socket.
func (e *Engine) add(s *Session) error {
	s.placed.Lock()
	defer s.placed.Unlock()
	if s.removed {
		return errSessionClosed
	}
	e.mu.Lock()
	l := e.loops[e.next%len(e.loops)]
	e.next++
	e.mu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(s.sock.fd)}
	if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, s.sock.fd, &ev); err != nil {
		return fmt.Errorf("media loop: %w", err)
	}
	l.byFD[s.sock.fd] = s
	slot := 0
	for i := range l.slots {
		if len(l.slots[i]) < len(l.slots[slot]) {
			slot = i
		}
	}
	s.home, s.slot, s.index = l, slot, len(l.slots[slot])
	l.slots[slot] = append(l.slots[slot], s)
	return nil
}

// remove takes a session out of its loop; once it returns that loop no
// longer reads the session's socket nor ticks it. Other loops may still
// relay into it from a bridged peer: Session.Close stops those.
func (e *Engine) remove(s *Session) {
	s.placed.Lock()
	defer s.placed.Unlock()
	s.removed = true
	l := s.home
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	_ = unix.EpollCtl(l.epfd, unix.EPOLL_CTL_DEL, s.sock.fd, nil)
	delete(l.byFD, s.sock.fd)
	list := l.slots[s.slot]
	last := list[len(list)-1]
	list[s.index] = last
	last.index = s.index
	list[len(list)-1] = nil
	l.slots[s.slot] = list[:len(list)-1]
	s.home = nil
}

func (l *loop) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.raw != nil {
		l.raw.close()
		l.raw = nil
	}
	if l.epfd >= 0 {
		_ = unix.Close(l.epfd)
		l.epfd = -1
	}
}

// run wakes every slot (2 ms): it reads whatever the loop's sockets
// received since the last slot, relaying and decoding it, then sends the
// slot's frames. Reading on the pacing tick instead of on readiness keeps
// one wake-up for both directions and batches reads; a relayed packet
// waits at most one slot, far below what phones' jitter buffers absorb.
// The wait is a Go timer, not a blocking epoll_wait, and the system calls
// of the loop never block (see rawsend_linux.go).
func (l *loop) run(ctx context.Context) {
	slotLen := FrameDuration / slotsPerFrame
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	next := time.Now()
	nextSweep := next.Add(sweepEvery)
	for tick := 0; ; tick++ {
		next = next.Add(slotLen)
		wait := time.Until(next)
		switch {
		case wait > 0:
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-ctx.Done():
				return
			}
		case wait < -10*FrameDuration:
			// Stalled (suspended VM, long GC): resume from now rather than
			// bursting every missed frame at the phones.
			next = time.Now()
		default:
			if ctx.Err() != nil {
				return
			}
		}
		l.mu.Lock()
		l.receive()
		for _, s := range l.slots[tick%slotsPerFrame] {
			if s.tick(l.raw) {
				l.sent++
			}
		}
		if now := time.Now(); now.After(nextSweep) {
			l.sweep(now)
			nextSweep = now.Add(sweepEvery)
		}
		l.flush()
		l.mu.Unlock()
	}
}

// readsPerSlot is the most datagrams a loop reads from one socket at a
// slot, so that one flooding peer cannot starve the others; a socket left
// holding more is read at the next slot.
const readsPerSlot = 4

// receive reads every socket that has packets, without blocking. Each
// socket epoll reports is read once, and not again to find it empty: at
// one packet every 20 ms and a read every 2 ms, that second read came for
// nearly every packet and cost as much as the first. Epoll is
// level-triggered, so asking it again finds the sockets that still hold
// packets (a burst, or one just arrived), each read again up to
// readsPerSlot times: every ready socket is read once before any is read
// twice, and a burst is still taken at once. An empty wait ends the slot.
func (l *loop) receive() {
	// One clock reading for the whole batch: all of it arrived by now.
	now := time.Now()
	l.pass++
	// A bound on the waits, which the loop below ends well before: each
	// wait reads a socket, or comes back full of sockets at their limit
	// with more ready behind them.
	for range readsPerSlot + len(l.byFD)/len(l.events) + 1 {
		r, _, errno := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(l.epfd),
			uintptr(unsafe.Pointer(&l.events[0])), uintptr(len(l.events)), 0, 0, 0)
		l.calls.waits++
		n := int(r)
		if errno != 0 || n <= 0 {
			return
		}
		read := 0
		for _, ev := range l.events[:n] {
			s := l.byFD[int(ev.Fd)]
			if s == nil {
				continue // closed since epoll reported it
			}
			if s.rxPass != l.pass {
				s.rxPass, s.rxReads = l.pass, 0
			}
			if s.rxReads == readsPerSlot {
				continue
			}
			s.rxReads++
			read++
			l.receiveFrom(s, now)
		}
		if read == 0 && n < len(l.events) {
			return
		}
	}
}

// receiveFrom reads one datagram from s's socket, read at now, and
// handles it.
func (l *loop) receiveFrom(s *Session, now time.Time) {
	size, from, err := s.sock.recvFrom(l.buf[:])
	l.calls.reads++
	if err != nil {
		if err == errNoPacket {
			l.calls.empty++ // reported ready, yet found empty
		}
		return
	}
	l.received++
	drop, relayed := s.receiveAt(l.raw, &l.hdr, &l.tap, l.buf[:size], from, now)
	switch drop {
	case dropStray:
		l.stray++
	case dropSRTPAuth:
		l.srtpAuth++
	case dropSRTPReplay:
		l.srtpReplay++
	}
	if relayed {
		l.sent++
	}
}

// sweep ends sessions whose peer has sent nothing for their timeout.
func (l *loop) sweep(now time.Time) {
	for i := range l.slots {
		for _, s := range l.slots[i] {
			s.checkInactive(now)
		}
	}
}

func (l *loop) flush() {
	if l.raw != nil {
		l.raw.flush()
	}
}
