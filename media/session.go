package media

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
)

// Session is one call's RTP stream: a UDP socket from the port range, one
// SSRC and one sequence space shared by audio and DTMF, fed every 20 ms by
// the Pacer. Received telephone-events become key presses on Digits.
type Session struct {
	conn  *net.UDPConn
	bound netip.AddrPort // the socket's own address
	local netip.AddrPort // the address in our SDP
	pacer *Pacer

	// Placement in the pacer; guarded by the shard's mutex.
	shard *shard
	slot  int
	index int

	mu       sync.Mutex // guards everything below up to the receive side
	remote   netip.AddrPort
	latched  bool // remote learned from received RTP (symmetric RTP)
	route    rawRoute
	routeOK  bool // the pacer may send to remote through its raw socket
	codec    Codec
	dtmfPT   uint8
	sendable bool
	sound    []byte
	pos      int
	loop     bool
	done     chan struct{}
	dtmfOut  []uint8
	dtmf     *dtmfSender
	dtmfBuf  dtmfSender
	marker   bool
	header   rtp.Header
	buf      [12 + 1500]byte
	silence  [FrameSize]byte

	// Bridging: packets received are relayed to peer (see bridge.go).
	peer           *Session
	relayOffset    uint32
	relayOffsetSet bool

	digits     chan rune
	timeout    atomic.Int64 // nanoseconds of silence from the peer that end the call
	lastRx     atomic.Int64 // unix nanoseconds of the last RTP packet
	onInactive func()
	closeOnce  sync.Once
	started    atomic.Bool
	readDone   chan struct{}
}

// SessionConfig describes a new Session.
type SessionConfig struct {
	Conn *net.UDPConn
	// Advertised is the address put in our SDP (public_address when set).
	Advertised netip.Addr
	// Timeout ends the call after this long without RTP; 0 disables it.
	Timeout time.Duration
	// OnInactive is called once, from the receive goroutine, on timeout.
	OnInactive func()
}

// NewSession wraps a bound socket; it sends nothing until Start.
func NewSession(p *Pacer, cfg SessionConfig) *Session {
	bound := cfg.Conn.LocalAddr().(*net.UDPAddr).AddrPort()
	local := bound
	if cfg.Advertised.IsValid() {
		local = netip.AddrPortFrom(cfg.Advertised, local.Port())
	}
	var seed [10]byte
	_, _ = rand.Read(seed[:])
	s := &Session{
		conn:       cfg.Conn,
		bound:      bound,
		local:      local,
		pacer:      p,
		digits:     make(chan rune, 32),
		onInactive: cfg.OnInactive,
		readDone:   make(chan struct{}),
		marker:     true,
		header: rtp.Header{
			Version:        2,
			SSRC:           binary.BigEndian.Uint32(seed[0:4]),
			SequenceNumber: binary.BigEndian.Uint16(seed[4:6]),
			Timestamp:      binary.BigEndian.Uint32(seed[6:10]),
		},
	}
	s.timeout.Store(int64(cfg.Timeout))
	return s
}

// LocalAddr is the address to advertise in SDP.
func (s *Session) LocalAddr() netip.AddrPort { return s.local }

// Digits delivers key presses from RFC 4733 events and from Inject.
func (s *Session) Digits() <-chan rune { return s.digits }

// Configure applies a negotiated description: where to send, which codec
// and DTMF payload type, and whether to send at all. It may be called again
// on a re-INVITE.
func (s *Session) Configure(remote netip.AddrPort, codec Codec, dtmfPT uint8, send bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if remote != s.remote {
		s.latched = false
	}
	s.remote, s.codec, s.dtmfPT = remote, codec, dtmfPT
	s.sendable = send && remote.Addr().IsValid() && !remote.Addr().IsUnspecified()
	s.setRouteLocked()
	fill := byte(silenceULaw)
	if codec == PCMA {
		fill = silenceALaw
	}
	for i := range s.silence {
		s.silence[i] = fill
	}
}

// setRouteLocked prepares the raw route to remote once per change of
// remote, so that the per-packet path only copies it.
func (s *Session) setRouteLocked() {
	s.routeOK = false
	if s.pacer.raw && s.sendable {
		s.route, s.routeOK = routeFor(s.bound, s.remote)
	}
}

// SetTimeout changes the inactivity timeout, e.g. when the peer holds.
func (s *Session) SetTimeout(d time.Duration) { s.timeout.Store(int64(d)) }

// Start begins receiving and sending.
func (s *Session) Start() {
	s.lastRx.Store(time.Now().UnixNano())
	s.started.Store(true)
	go s.readLoop()
	s.pacer.add(s)
}

// Play replaces whatever is playing with snd (looped when loop is set) and
// returns a channel closed when it ends or is replaced. Between sounds the
// session sends silence, which keeps NAT bindings open.
func (s *Session) Play(snd *Sound, loop bool) <-chan struct{} {
	done := make(chan struct{})
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopLocked()
	s.sound, s.pos, s.loop, s.done = snd.Payload(s.codec), 0, loop, done
	s.marker = true
	return done
}

// Stop ends what is playing; silence follows.
func (s *Session) Stop() {
	s.mu.Lock()
	s.stopLocked()
	s.mu.Unlock()
}

func (s *Session) stopLocked() {
	if s.done != nil {
		close(s.done)
	}
	s.sound, s.done = nil, nil
}

// SendDigit queues an RFC 4733 event; it goes out in place of audio frames.
func (s *Session) SendDigit(key rune) bool {
	ev, ok := DigitEvent(key)
	if !ok {
		return false
	}
	s.mu.Lock()
	s.dtmfOut = append(s.dtmfOut, ev)
	s.mu.Unlock()
	return true
}

// Inject delivers a key press that arrived by another path (SIP INFO).
func (s *Session) Inject(key rune) { s.deliver(key) }

func (s *Session) deliver(key rune) {
	select {
	case s.digits <- key:
	default: // nobody is reading 32 keys behind: the oldest intent is stale
	}
}

// tick sends one packet, through raw when the pacer has a raw socket;
// called by the pacer every 20 ms.
func (s *Session) tick(raw *rawSender) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.peer != nil {
		return // bridged: the peer's packets are relayed as they come
	}
	// On the raw path the packet is built in place in the raw batch.
	viaRaw := s.sendable && s.routeOK && raw != nil
	pkt := s.buf[:12+FrameSize]
	if viaRaw {
		pkt = raw.next()
	}
	h := &s.header
	h.Marker = false
	if s.dtmf == nil && len(s.dtmfOut) > 0 && s.dtmfPT != 0 {
		s.dtmfBuf = dtmfSender{event: s.dtmfOut[0], ts: h.Timestamp}
		s.dtmf = &s.dtmfBuf
		s.dtmfOut = s.dtmfOut[1:]
	}
	ts := h.Timestamp
	size := 12 + FrameSize
	if s.dtmf != nil {
		size = 16
		first, more := s.dtmf.next(pkt[12:16])
		h.PayloadType, h.Marker, h.Timestamp = s.dtmfPT, first, s.dtmf.ts
		if !more {
			s.dtmf = nil
			s.marker = true
		}
	} else {
		h.PayloadType = uint8(s.codec)
		h.Marker, s.marker = s.marker, false
		frame := s.silence[:]
		if s.sound != nil {
			frame = s.sound[s.pos : s.pos+FrameSize]
			s.pos += FrameSize
			if s.pos >= len(s.sound) {
				if s.loop {
					s.pos = 0
				} else {
					s.stopLocked()
				}
			}
		}
		copy(pkt[12:], frame)
	}
	if s.sendable {
		if n, err := h.MarshalTo(pkt[:12]); err == nil && n == 12 {
			if viaRaw {
				raw.commit(&s.route, size)
			} else {
				_, _ = s.conn.WriteToUDPAddrPort(pkt[:size], s.remote)
			}
		}
	}
	h.SequenceNumber++
	h.Timestamp = ts + FrameSize
}

func (s *Session) readLoop() {
	defer close(s.readDone)
	buf := make([]byte, 1500)
	var dec DTMFDecoder
	var h rtp.Header
	s.armDeadline()
	for {
		n, from, err := s.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				if s.inactive() {
					if s.onInactive != nil {
						s.onInactive()
					}
					return
				}
				s.armDeadline()
				continue
			}
			return // closed
		}
		hn, err := h.Unmarshal(buf[:n])
		if err != nil || h.Version != 2 {
			continue
		}
		s.lastRx.Store(time.Now().UnixNano())
		s.mu.Lock()
		if !s.latched && from.IsValid() {
			s.remote, s.latched = from, true
			s.setRouteLocked()
		}
		dtmfPT, codec, peer := s.dtmfPT, s.codec, s.peer
		s.mu.Unlock()
		if peer != nil {
			peer.relay(h.PayloadType, codec, dtmfPT, h.Timestamp, h.Marker, buf[hn:n])
		}
		if dtmfPT != 0 && h.PayloadType == dtmfPT {
			if key := dec.Decode(h.Timestamp, buf[hn:n]); key != 0 {
				s.deliver(key)
			}
		}
	}
}

func (s *Session) armDeadline() {
	t := time.Duration(s.timeout.Load())
	if t <= 0 {
		_ = s.conn.SetReadDeadline(time.Now().Add(time.Hour))
		return
	}
	_ = s.conn.SetReadDeadline(time.Unix(0, s.lastRx.Load()).Add(t))
}

func (s *Session) inactive() bool {
	t := time.Duration(s.timeout.Load())
	return t > 0 && time.Since(time.Unix(0, s.lastRx.Load())) >= t
}

// Close stops sending and receiving, frees the port and waits for the
// receive goroutine to end. It must not be called from OnInactive itself
// (hang up from another goroutine there).
func (s *Session) Close() {
	s.closeOnce.Do(func() {
		s.pacer.remove(s)
		s.Stop()
		_ = s.conn.Close()
		if s.started.Load() {
			<-s.readDone
		}
	})
}
