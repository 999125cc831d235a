package media

import (
	"errors"
	"sync"
	"time"

	"github.com/zaf/g711"
)

// Member names a session in a conference, from its Add to its Remove; a
// whisper's target and a tap's frames name members by it. Never zero.
type Member uint32

// Role is how a member takes part in a conference.
type Role uint8

// The roles. A supervisor monitoring a call listens, whispers to the
// agent, or barges in (Both).
const (
	Both    Role = iota // hears everyone, heard by everyone
	Listen              // hears everyone, heard by nobody
	Whisper             // hears everyone, heard by one member only: Mode.To
)

// Mode is a member's role, with the one member a whisper is heard by.
// The zero Mode is Both.
type Mode struct {
	Role Role
	To   Member // Whisper only
}

// HeardBy reports whether listener, another member, hears a member in
// this mode.
func (md Mode) HeardBy(listener Member) bool {
	switch md.Role {
	case Both:
		return true
	case Whisper:
		return listener == md.To
	}
	return false
}

// FrameWriter takes a conference's audio, one 20 ms period a call, as a
// call recording does. One call carries every member's audio of the
// period, so that a writer interleaving channels (a stereo WAV, the
// customer left and the agent right) needs no buffering to line them up,
// and a member absent from Parts (parked, or not yet joined) is silence
// in that period. It is called from the conference's mixer and must not
// block, nor call the conference: a writer to a file hands frames to its
// own goroutine.
type FrameWriter interface {
	WriteFrame(f Frame)
}

// Frame is one 20 ms period of a conference.
type Frame struct {
	// Index counts the mixer's periods since the tap was set: frames of
	// one Index were heard at the same time.
	Index uint64
	Parts []Part // valid only during WriteFrame, as their PCM
}

// Part is what one member sent in a period: FrameSize samples of 8 kHz
// 16-bit linear audio, silence where nothing arrived in time.
type Part struct {
	Member Member
	// Mode is how the member takes part: who heard it (Mode.HeardBy).
	Mode Mode
	PCM  []int16
}

// Errors of a conference's methods.
var (
	ErrConferenceEnded = errors.New("the conference has ended")
	ErrNotMember       = errors.New("not a member of the conference")
	ErrAlreadyMember   = errors.New("already a member of the conference")
)

// Conference joins sessions: each hears the others that its members'
// modes let it hear, and a tap takes everyone's audio. Two members who
// both hear each other are bridged (bridge.go): their packets are relayed
// as they come, at no cost beyond a bridge's, and a tap that is also a
// PacketTap (a call recording) is handed them as they pass. Anything
// more — a third member, a member listening or whispering, a tap that
// takes frames only — is mixed: the conference's mixer decodes what each
// member sends, and every 20 ms sums for each member what it hears,
// encodes it in the member's law and sends it as the member's own next
// packet. Going back to two members
// bridged goes back to relaying, for its cost. A conference with no
// members left, or ended, has no mixer running.
type Conference struct {
	// mu guards everything below and the members' received audio. Lock
	// order: a media loop's mu (receiving), then mu, then a member
	// session's mu (attaching it, sending it a key).
	mu      sync.Mutex
	members []*member
	last    Member
	tap     FrameWriter
	tapped  uint64     // periods written to tap
	pair    [2]*member // bridged, when relaying
	mixer   *mixer     // running, or nil
	stopped *mixer     // the last mixer stopped, which the next waits out
	ended   bool
}

// member is one session in a conference.
type member struct {
	conf   *Conference
	id     Member
	s      *Session
	mode   Mode
	parked bool
	// Guarded by conf.mu. mixing: the session is attached to the mixer
	// (its mix is this member); rx holds the audio it received since,
	// which the mixer takes a frame at a time into cur.
	mixing bool
	// rec is the packet tap the session hands its packets to, while
	// relayed and tapped (packettap.go).
	rec PacketTap
	rx  sampleQueue
	cur [FrameSize]int16
}

// NewConference makes an empty conference.
func NewConference() *Conference { return &Conference{} }

// Add joins s in mode. A session belongs to one conference, or one
// bridge, at a time.
func (c *Conference) Add(s *Session, mode Mode) (Member, error) {
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return 0, ErrConferenceEnded
	}
	for _, m := range c.members {
		if m.s == s {
			c.mu.Unlock()
			return 0, ErrAlreadyMember
		}
	}
	c.last++
	m := &member{conf: c, id: c.last, s: s, mode: mode}
	c.members = append(c.members, m)
	stopped := c.applyLocked()
	c.mu.Unlock()
	stopped.wait()
	return m.id, nil
}

// SetMode changes how a member takes part: a supervisor listening who
// starts to whisper, or barges in.
func (c *Conference) SetMode(id Member, mode Mode) error {
	return c.change(id, func(m *member) { m.mode = mode })
}

// Park takes a member out of the audio while it keeps its place and
// mode (a phone on hold): it hears nobody, nobody hears it, its session
// plays on its own, and the tap has no part for it. Unparked, it hears
// and is heard again.
func (c *Conference) Park(id Member, parked bool) error {
	return c.change(id, func(m *member) { m.parked = parked })
}

func (c *Conference) change(id Member, f func(*member)) error {
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return ErrConferenceEnded
	}
	m := c.findLocked(id)
	if m == nil {
		c.mu.Unlock()
		return ErrNotMember
	}
	f(m)
	stopped := c.applyLocked()
	c.mu.Unlock()
	stopped.wait()
	return nil
}

// Remove takes a member out; its session goes back to playing on its own.
// Removing the last member stops the mixer.
func (c *Conference) Remove(id Member) {
	c.mu.Lock()
	m := c.findLocked(id)
	if m == nil {
		c.mu.Unlock()
		return
	}
	c.detachLocked(m)
	for i, x := range c.members {
		if x == m {
			c.members = append(c.members[:i], c.members[i+1:]...)
			break
		}
	}
	stopped := c.applyLocked()
	c.mu.Unlock()
	stopped.wait()
}

// Tap sets the writer that takes every member's audio, or with nil
// removes it. Once Tap returns, the writer it replaced is not called
// again. A writer that is a PacketTap as well keeps two members in Both
// relayed, and is handed their packets; one that is not makes them
// mixed, for its frames.
func (c *Conference) Tap(w FrameWriter) {
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return
	}
	c.tap, c.tapped = w, 0
	stopped := c.applyLocked()
	c.mu.Unlock()
	stopped.wait()
}

// End parts every member for good and stops the mixer before returning.
func (c *Conference) End() {
	c.mu.Lock()
	for _, m := range c.members {
		c.detachLocked(m)
	}
	c.members, c.tap, c.ended = nil, nil, true
	stopped := c.applyLocked()
	c.mu.Unlock()
	stopped.wait()
}

// Relaying reports whether the conference is two members bridged, whose
// packets pass as they come rather than through the mixer.
func (c *Conference) Relaying() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pair[0] != nil
}

func (c *Conference) findLocked(id Member) *member {
	for _, m := range c.members {
		if m.id == id {
			return m
		}
	}
	return nil
}

// detachLocked parts m from the bridge or the mixer.
func (c *Conference) detachLocked(m *member) {
	if c.pair[0] == m || c.pair[1] == m {
		Unbridge(c.pair[0].s, c.pair[1].s)
		c.pair = [2]*member{}
	}
	if m.mixing {
		m.mixing = false
		m.s.setMix(nil)
	}
	m.setRecord(nil)
}

// setRecord makes the member's session hand its packets to t, or to
// nothing; c.mu is held.
func (m *member) setRecord(t PacketTap) {
	if m.rec != t {
		m.rec = t
		m.s.setRecord(t, m.id)
	}
}

// applyLocked puts the members into the state their modes, parking and
// the tap call for: relayed, mixed, or neither (one member alone plays on
// its own). It returns the mixer it stopped, which the caller waits out
// once it has let go of mu (the mixer takes mu at every period).
func (c *Conference) applyLocked() (stopped *mixer) {
	var active []*member
	for _, m := range c.members {
		if !m.parked {
			active = append(active, m)
		}
	}
	packets, _ := c.tap.(PacketTap)
	relay := len(active) == 2 && (c.tap == nil || packets != nil) && active[0].mode.Role == Both && active[1].mode.Role == Both
	mix := !relay && (len(active) >= 2 || len(active) == 1 && c.tap != nil)
	if c.pair[0] != nil && !(relay && c.pair[0] == active[0] && c.pair[1] == active[1]) {
		Unbridge(c.pair[0].s, c.pair[1].s)
		c.pair = [2]*member{}
	}
	for _, m := range c.members {
		if want := mix && !m.parked; m.mixing != want {
			m.mixing = want
			m.rx.reset() // what came before it joined is not to be heard
			if want {
				m.s.setMix(m)
			} else {
				m.s.setMix(nil)
			}
		}
	}
	if relay && c.pair[0] == nil {
		c.pair = [2]*member{active[0], active[1]}
		Bridge(active[0].s, active[1].s)
	}
	for _, m := range c.members {
		if relay && m.mode.Role == Both && !m.parked {
			m.setRecord(packets)
		} else {
			m.setRecord(nil)
		}
	}
	switch {
	case mix && c.mixer == nil:
		mx := &mixer{stop: make(chan struct{}), done: make(chan struct{})}
		c.mixer = mx
		go c.run(mx, c.stopped)
	case !mix && c.mixer != nil:
		stopped = c.mixer
		close(stopped.stop)
		c.mixer, c.stopped = nil, stopped
	}
	return stopped
}

// setMix attaches the session to a conference's mixer, or with nil
// detaches it: what was playing stops, as when bridged, and the next
// packet, the mixer's or its own, starts a talkspurt.
func (s *Session) setMix(m *member) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopLocked()
	s.mix, s.marker = m, true
}

// hear takes an audio payload the member's session received, in law.
// Called by the session's media loop.
func (m *member) hear(law Codec, payload []byte) {
	c := m.conf
	c.mu.Lock()
	defer c.mu.Unlock()
	if !m.mixing {
		return
	}
	if law == PCMA {
		for _, v := range payload {
			m.rx.push(g711.DecodeAlawFrame(v))
		}
		return
	}
	for _, v := range payload {
		m.rx.push(g711.DecodeUlawFrame(v))
	}
}

// digit passes on a key the member pressed (an RFC 4733 event its
// session received) to every member who hears it, as an event of their
// own stream, which the mixer sends in place of audio frames.
func (m *member) digit(key rune) {
	c := m.conf
	c.mu.Lock()
	defer c.mu.Unlock()
	if !m.mixing {
		return
	}
	for _, to := range c.members {
		if to != m && to.mixing && m.mode.HeardBy(to.id) {
			to.s.SendDigit(key)
		}
	}
}

// mixer is one run of the conference's mixing goroutine; out is what it
// sends in a period, its own, so that a mixer stopping never shares it
// with the next.
type mixer struct {
	stop, done chan struct{}
	out        []mixOut
	parts      []Part
}

// mixOut is one member's mixed frame of a period.
type mixOut struct {
	m   *member
	pcm [FrameSize]int16
	enc [FrameSize]byte
}

// run mixes every 20 ms until stopped; it starts once prev, the mixer
// stopped before it, has returned, so that no two mix the same members.
func (c *Conference) run(mx, prev *mixer) {
	defer close(mx.done)
	if prev != nil {
		<-prev.done
	}
	tick := time.NewTicker(FrameDuration)
	defer tick.Stop()
	for {
		select {
		case <-mx.stop:
			return
		case <-tick.C:
		}
		if !c.mixPeriod(mx) {
			return
		}
		// Sent with mu let go, so that members' media loops are not held
		// up by the system calls: a member removed meanwhile is skipped.
		for i := range mx.out {
			o := &mx.out[i]
			o.m.s.sendMixed(o.m, &o.pcm, &o.enc)
		}
	}
}

// mixPeriod takes a frame of each mixing member's received audio, hands
// them to the tap, and sums for each member what it hears; false when the
// mixer has been stopped.
func (c *Conference) mixPeriod(mx *mixer) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.mixer != mx {
		return false
	}
	mx.out, mx.parts = mx.out[:0], mx.parts[:0]
	for _, m := range c.members {
		if !m.mixing {
			continue
		}
		m.rx.pop(&m.cur)
		mx.parts = append(mx.parts, Part{Member: m.id, Mode: m.mode, PCM: m.cur[:]})
		mx.out = append(mx.out, mixOut{m: m})
	}
	if c.tap != nil {
		c.tap.WriteFrame(Frame{Index: c.tapped, Parts: mx.parts})
		c.tapped++
	}
	var sum [FrameSize]int32
	for i := range mx.out {
		o := &mx.out[i]
		clear(sum[:])
		for _, from := range c.members {
			if from == o.m || !from.mixing || !from.mode.HeardBy(o.m.id) {
				continue
			}
			for j, v := range from.cur {
				sum[j] += int32(v)
			}
		}
		for j, v := range sum {
			o.pcm[j] = int16(max(-32768, min(32767, v)))
		}
	}
	return true
}

// wait returns once the mixer has stopped; nil has nothing to wait for.
func (mx *mixer) wait() {
	if mx != nil {
		<-mx.done
	}
}

// sendMixed sends pcm, a period of the mix, as the session's next packet
// in its law, unless the session has left m's mix since. Called by the
// mixer, which owns enc.
func (s *Session) sendMixed(m *member, pcm *[FrameSize]int16, enc *[FrameSize]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mix != m {
		return
	}
	if s.codec == PCMA {
		for i, v := range pcm {
			enc[i] = g711.EncodeAlawFrame(v)
		}
	} else {
		for i, v := range pcm {
			enc[i] = g711.EncodeUlawFrame(v)
		}
	}
	if s.sendLocked(nil, enc[:]) {
		s.engine.mixed.Add(1)
	}
}

// rxFrames bounds the audio a member may have waiting, in frames: a
// phone whose clock runs fast, or a burst after a stall, would otherwise
// make what it says heard ever later. Past it the oldest is dropped.
const rxFrames = 4

// sampleQueue is a member's received audio waiting for the mixer, kept as
// samples so that packets of any length (a phone's 30 ms ptime) mix in
// 20 ms periods.
type sampleQueue struct {
	buf        [rxFrames * FrameSize]int16
	head, size int
}

func (q *sampleQueue) reset() { q.head, q.size = 0, 0 }

func (q *sampleQueue) push(v int16) {
	if q.size == len(q.buf) {
		q.head = (q.head + 1) % len(q.buf)
		q.size--
	}
	q.buf[(q.head+q.size)%len(q.buf)] = v
	q.size++
}

// pop takes a whole frame into f, or silence when less than a frame
// arrived (late or lost packets): a part frame waits for the rest.
func (q *sampleQueue) pop(f *[FrameSize]int16) {
	if q.size < FrameSize {
		clear(f[:])
		return
	}
	for i := range f {
		f[i] = q.buf[(q.head+i)%len(q.buf)]
	}
	q.head = (q.head + FrameSize) % len(q.buf)
	q.size -= FrameSize
}

// String names the role, for logs.
func (r Role) String() string {
	switch r {
	case Both:
		return "both"
	case Listen:
		return "listen"
	case Whisper:
		return "whisper"
	}
	return "unknown"
}
