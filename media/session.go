package media

import (
	"crypto/rand"
	"encoding/binary"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
)

// Session is one call's RTP stream: a UDP socket from the port range, one
// SSRC and one sequence space shared by audio and DTMF, served by a media
// loop (engine.go) that sends a frame every 20 ms and reads what arrives.
// Received telephone-events become key presses on Digits. Media is taken
// from one source only (strict.go).
type Session struct {
	sock   *Socket
	local  netip.AddrPort // the address in our SDP
	engine *Engine

	// placed guards home across add and remove, which a hang-up may run
	// while the call is still starting; removed is set by remove, so that
	// a session closed before it was placed is never placed (its socket,
	// closed, could be a new call's descriptor by then).
	placed  sync.Mutex
	removed bool

	// Placement in a media loop, and what only that loop touches; guarded
	// by the loop's mutex (home also by placed).
	home    *loop
	slot    int
	index   int
	dec     DTMFDecoder
	expired bool
	rxSSRC  uint32 // of the last packet accepted
	rxAny   bool   // a packet has been accepted
	rxPass  uint64 // the loop's receive call that last read the socket
	rxReads int    // reads of the socket in that call

	// mu guards everything below up to the receive side. It is also what
	// lets Close close sock while other media loops still hold this
	// session as their bridge peer: every send through sock, or from its
	// port through a raw socket, is made under mu and only while sendable
	// is set, and Close clears sendable for good under mu before closing
	// sock. So no loop sends after the close, when the descriptor number
	// and the port may already be a new call's.
	mu     sync.Mutex
	remote netip.AddrPort // where we send: the source once one is heard (symmetric RTP)
	strict strictRTP
	// rxRestart makes the media loop forget the received stream's order
	// (see DTMFDecoder.Reset) at the next packet: a new description may
	// come with a new stream.
	rxRestart bool
	route     rawRoute
	routeOK   bool // the media loop may send to remote through its raw socket
	codec     Codec
	pt        uint8 // codec's payload type on this call's wire
	dtmfPT    uint8
	sendable  bool // never again once closed (see mu)
	secure    bool // srtp has a context (see sealLocked)
	closed    bool // so that Configure never makes it sendable again
	sound     []byte
	pos       int
	loop      bool
	done      chan struct{}
	dtmfOut   []uint8
	dtmf      *dtmfSender
	dtmfBuf   dtmfSender
	marker    bool
	header    rtp.Header
	buf       [12 + 1500 + srtpOverhead]byte
	srtp      srtpState
	silence   [FrameSize]byte

	// Bridging: packets received are relayed to peer (see bridge.go).
	peer           *Session
	relayOffset    uint32
	relayOffsetSet bool
	// Conferencing: packets received feed mix's conference, whose mixer
	// sends this session's frames in place of tick (see conference.go).
	mix *member
	// Recording a relayed conference: audio packets received are handed
	// to rec as member recAs (packettap.go).
	rec   PacketTap
	recAs Member

	digits     chan rune
	timeout    atomic.Int64 // nanoseconds of silence from the peer that end the call
	lastRx     atomic.Int64 // unix nanoseconds of the last RTP packet accepted
	stray      atomic.Uint64
	onInactive func()
	closeOnce  sync.Once

	// srtpDropped counts packets that failed SRTP (srtp.go).
	srtpDropped atomic.Uint64
}

// SessionConfig describes a new Session.
type SessionConfig struct {
	Socket *Socket
	// Advertised is the address put in our SDP (public_address when set).
	Advertised netip.Addr
	// Timeout ends the call after this long without RTP; 0 disables it.
	Timeout time.Duration
	// OnInactive is called once on timeout, from a media loop: it must
	// return at once (hang up from another goroutine).
	OnInactive func()
}

// NewSession takes over a bound socket, which Close closes; it sends
// nothing until Start.
func NewSession(e *Engine, cfg SessionConfig) *Session {
	local := cfg.Socket.LocalAddr()
	if cfg.Advertised.IsValid() {
		local = netip.AddrPortFrom(cfg.Advertised, local.Port())
	}
	var seed [10]byte
	_, _ = rand.Read(seed[:])
	s := &Session{
		sock:       cfg.Socket,
		local:      local,
		engine:     e,
		digits:     make(chan rune, 32),
		onInactive: cfg.OnInactive,
		marker:     true,
		header: rtp.Header{
			Version:        2,
			SSRC:           binary.BigEndian.Uint32(seed[0:4]),
			SequenceNumber: binary.BigEndian.Uint16(seed[4:6]),
			Timestamp:      binary.BigEndian.Uint32(seed[6:10]),
		},
	}
	s.timeout.Store(int64(cfg.Timeout))
	s.strict.reset(netip.AddrPort{}) // learning, until Configure names the peer
	return s
}

// LocalAddr is the address to advertise in SDP.
func (s *Session) LocalAddr() netip.AddrPort { return s.local }

// Digits delivers key presses from RFC 4733 events and from Inject.
func (s *Session) Digits() <-chan rune { return s.digits }

// Stray counts the RTP packets dropped because they came from another
// source than the session's (strict.go).
func (s *Session) Stray() uint64 { return s.stray.Load() }

// Configure applies a negotiated description: where to send, which codec
// on which payload type (its static one, or the dynamic one negotiated)
// and the DTMF payload type, and whether to send at all. It may be called
// again on a re-INVITE: a new address starts learning the source over,
// the same one keeps the source learned (a session refresh, a hold).
func (s *Session) Configure(remote netip.AddrPort, codec Codec, pt, dtmfPT uint8, send bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if remote != s.strict.sdp {
		s.strict.reset(remote)
		s.remote = remote
	}
	s.rxRestart = true
	s.codec, s.pt, s.dtmfPT = codec, pt, dtmfPT
	s.sendable = send && !s.closed && remote.Addr().IsValid() && !remote.Addr().IsUnspecified()
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
	if s.engine.raw && s.sendable {
		s.route, s.routeOK = routeFor(s.sock.LocalAddr(), s.remote)
	}
}

// SetTimeout changes the inactivity timeout, e.g. when the peer holds.
func (s *Session) SetTimeout(d time.Duration) { s.timeout.Store(int64(d)) }

// Start begins receiving and sending.
func (s *Session) Start() error {
	s.lastRx.Store(time.Now().UnixNano())
	return s.engine.add(s)
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

// tick sends one packet, through raw when the media loop has a raw socket,
// and reports whether it did; called by the media loop every 20 ms.
func (s *Session) tick(raw *rawSender) (sent bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.peer != nil || s.mix != nil {
		return false // bridged: the peer's packets are relayed, or the mix sent, instead
	}
	return s.sendLocked(raw, nil)
}

// sendLocked sends the session's next packet: a queued key's event, else
// audio, which is the conference's mixed frame when given (already in the
// session's law), else what is playing, else silence.
func (s *Session) sendLocked(raw *rawSender, mixed []byte) (sent bool) {
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
		h.PayloadType = s.pt
		h.Marker, s.marker = s.marker, false
		frame := s.silence[:]
		if mixed != nil {
			frame = mixed
		} else if s.sound != nil {
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
			if size, ok := s.sealLocked(pkt, size); ok {
				if viaRaw {
					raw.commit(&s.route, size)
				} else {
					s.sock.sendTo(pkt[:size], s.remote)
				}
				sent = true
			}
		}
	}
	h.SequenceNumber++
	h.Timestamp = ts + FrameSize
	return sent
}

// receive handles one packet from the socket, read at now (unix
// nanoseconds), and reports whether it was dropped as coming from another
// source or for SRTP, and whether it was relayed to a bridged peer; h is
// lent so that parsing CSRCs and extensions reuses its slices. The media
// loop calls receiveAt.
func (s *Session) receive(raw *rawSender, h *rtp.Header, pkt []byte, from netip.AddrPort, now int64) (drop dropReason, relayed bool) {
	return s.receiveAt(raw, h, nil, pkt, from, time.Unix(0, now))
}

// receiveAt is receive with the loop's clock reading, monotonic part and
// all, and the loop's TapPacket to hand a recorded packet in (nil: one is
// made when needed).
func (s *Session) receiveAt(raw *rawSender, h *rtp.Header, tp *TapPacket, pkt []byte, from netip.AddrPort, at time.Time) (drop dropReason, relayed bool) {
	now := at.UnixNano()
	// Not RTP version 2: drop it before the parser builds an error for it.
	if len(pkt) < 12 || pkt[0]>>6 != 2 {
		return dropNone, false
	}
	hn, err := h.Unmarshal(pkt)
	if err != nil {
		return dropNone, false
	}
	s.mu.Lock()
	// Authenticated before the source check: a forged packet must not
	// teach strict RTP a new source.
	pkt, drop = s.openLocked(pkt, h)
	if drop != dropNone {
		s.mu.Unlock()
		s.srtpDropped.Add(1)
		return drop, false
	}
	ok, switched := s.strict.admit(from, h.SSRC, h.SequenceNumber, now)
	if !ok {
		s.mu.Unlock()
		s.stray.Add(1)
		return dropStray, false
	}
	if switched {
		s.remote = from
		s.setRouteLocked()
	}
	restart := s.rxRestart
	s.rxRestart = false
	if s.rec != nil && h.PayloadType == s.pt {
		// Under mu, so that once setRecord returns no packet reaches the
		// tap it replaced; the hand-off only copies.
		if tp == nil {
			tp = new(TapPacket) // not from a media loop
		}
		s.recordLocked(tp, h.SequenceNumber, h.Timestamp, h.SSRC, h.PayloadType, at, pkt[hn:])
	}
	dtmfPT, codec, pt, peer, mix := s.dtmfPT, s.codec, s.pt, s.peer, s.mix
	s.mu.Unlock()
	s.lastRx.Store(now)
	newStream := s.rxAny && h.SSRC != s.rxSSRC
	if restart || newStream {
		// The new stream's timestamps start anywhere: its first key must
		// not be taken for a late packet of the old stream's.
		s.dec.Reset()
	}
	s.rxSSRC, s.rxAny = h.SSRC, true
	if peer != nil {
		relayed = peer.relay(raw, h.PayloadType, codec, pt, dtmfPT, h.Timestamp, h.Marker, newStream, pkt[hn:])
	}
	if mix != nil && h.PayloadType == pt {
		mix.hear(codec, pkt[hn:])
	}
	if dtmfPT != 0 && h.PayloadType == dtmfPT {
		if key := s.dec.Decode(h.Timestamp, pkt[hn:]); key != 0 {
			s.deliver(key)
			if mix != nil {
				mix.digit(key)
			}
		}
	}
	return dropNone, relayed
}

// checkInactive calls OnInactive once when the peer has been silent for
// the timeout; called by the media loop.
func (s *Session) checkInactive(now time.Time) {
	t := time.Duration(s.timeout.Load())
	if s.expired || t <= 0 || now.Sub(time.Unix(0, s.lastRx.Load())) < t {
		return
	}
	s.expired = true
	if s.onInactive != nil {
		s.onInactive()
	}
}

// Close stops sending and receiving and frees the port. A call may hang
// up while still bridged, its peer's loop relaying into it, so the socket
// is closed only once no loop can use it: remove detaches the home loop,
// the only reader, and clearing sendable under mu (see mu) the senders. A
// packet already in a loop's raw batch still goes out after, to this
// call's own phone, as one in the socket's buffer would.
func (s *Session) Close() {
	s.closeOnce.Do(func() {
		s.engine.remove(s)
		s.mu.Lock()
		s.closed, s.sendable = true, false
		s.stopLocked()
		s.mu.Unlock()
		_ = s.sock.Close()
	})
}
