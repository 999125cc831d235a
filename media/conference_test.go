package media

import (
	"context"
	"math"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// confPhone is a phone on loopback in a conference: it sends a tone to
// its session every 20 ms and hands every audio frame it receives, decoded,
// to frames.
type confPhone struct {
	t      *testing.T
	conn   *net.UDPConn
	s      *Session
	codec  Codec
	frames chan []int16
	keys   chan rune // RFC 4733 events received, decoded

	mu   sync.Mutex
	tone float64 // Hz; 0 sends silence
	amp  float64
}

func newConfPhone(t *testing.T, e *Engine, codec Codec, tone float64) *confPhone {
	t.Helper()
	ip := netip.MustParseAddr("127.0.0.1")
	p := &confPhone{t: t, conn: listenPhone(t, ip), codec: codec, tone: tone, amp: 4000,
		frames: make(chan []int16, 500), keys: make(chan rune, 16)}
	p.s = startSession(t, e, ip)
	p.s.Configure(p.conn.LocalAddr().(*net.UDPAddr).AddrPort(), codec, uint8(codec), 101, true)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	t.Cleanup(func() {
		cancel()
		_ = p.conn.Close()
		wg.Wait()
	})
	go func() {
		defer wg.Done()
		p.talk(ctx)
	}()
	go func() {
		defer wg.Done()
		p.listen()
	}()
	return p
}

// talk sends the phone's tone, in phase from frame to frame.
func (p *confPhone) talk(ctx context.Context) {
	tick := time.NewTicker(FrameDuration)
	defer tick.Stop()
	to := net.UDPAddrFromAddrPort(p.s.LocalAddr())
	pcm := make([]byte, 2*FrameSize)
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		p.mu.Lock()
		f, amp := p.tone, p.amp
		p.mu.Unlock()
		for i := range FrameSize {
			v := int16(amp * math.Sin(2*math.Pi*f*float64(n*FrameSize+i)/8000))
			pcm[2*i], pcm[2*i+1] = byte(v), byte(uint16(v)>>8)
		}
		payload := NewSoundPCM(pcm).Payload(p.codec)
		pkt, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: uint8(p.codec), SequenceNumber: uint16(n),
			Timestamp: uint32(n * FrameSize), SSRC: 0x5000 + uint32(p.s.LocalAddr().Port())}, Payload: payload}).Marshal()
		_, _ = p.conn.WriteToUDP(pkt, to)
	}
}

func (p *confPhone) listen() {
	buf := make([]byte, 1500)
	var dec DTMFDecoder
	for {
		n, err := p.conn.Read(buf)
		if err != nil {
			return
		}
		var pkt rtp.Packet
		if pkt.Unmarshal(buf[:n]) != nil {
			continue
		}
		if pkt.PayloadType == 101 {
			if key := dec.Decode(pkt.Timestamp, pkt.Payload); key != 0 {
				select {
				case p.keys <- key:
				default: // the test is not reading keys
				}
			}
			continue
		}
		if pkt.PayloadType != uint8(p.codec) {
			continue
		}
		select {
		case p.frames <- DecodePCM(pkt.Payload, p.codec):
		default: // the test is not reading: it only looks at what comes next
		}
	}
}

// drain forgets what the phone heard before now.
func (p *confPhone) drain() {
	for {
		select {
		case <-p.frames:
		default:
			return
		}
	}
}

// hears waits for a frame in which every tone given is loud.
func (p *confPhone) hears(who string, tones ...float64) {
	p.t.Helper()
	deadline := time.After(3 * time.Second)
	for {
		select {
		case f := <-p.frames:
			all := true
			for _, hz := range tones {
				all = all && goertzel(f, hz) > 1500
			}
			if all {
				return
			}
		case <-deadline:
			p.t.Fatalf("%s never heard %v Hz", who, tones)
		}
	}
}

// hearsNot reads the next frames and fails if one has the tone in it.
func (p *confPhone) hearsNot(who string, hz float64, frames int) {
	p.t.Helper()
	deadline := time.After(3 * time.Second)
	for range frames {
		select {
		case f := <-p.frames:
			if a := goertzel(f, hz); a > 300 {
				p.t.Fatalf("%s hears %v Hz (amplitude %.0f)", who, hz, a)
			}
		case <-deadline:
			p.t.Fatalf("%s receives no audio", who)
		}
	}
}

// goertzel is the amplitude of the hz component of a frame.
func goertzel(pcm []int16, hz float64) float64 {
	w := 2 * math.Pi * hz / 8000
	coeff := 2 * math.Cos(w)
	var s1, s2 float64
	for _, v := range pcm {
		s0 := float64(v) + coeff*s1 - s2
		s2, s1 = s1, s0
	}
	power := s1*s1 + s2*s2 - coeff*s1*s2
	return 2 * math.Sqrt(max(power, 0)) / float64(len(pcm))
}

func mustAdd(t *testing.T, c *Conference, s *Session, mode Mode) Member {
	t.Helper()
	id, err := c.Add(s, mode)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestConferenceOfTwoRelays: two members who hear each other, with no
// tap, are bridged as Bridge does: audio passes both ways, no mixer runs
// and the mixer sends nothing. A tap makes it mix; without it again, it
// relays again.
func TestConferenceOfTwoRelays(t *testing.T) {
	e := testEngine(t, RawSendOff)
	a, b := newConfPhone(t, e, PCMU, 1000), newConfPhone(t, e, PCMA, 440)
	c := NewConference()
	defer c.End()
	mustAdd(t, c, a.s, Mode{})
	mustAdd(t, c, b.s, Mode{})
	if !c.Relaying() {
		t.Fatal("two members in Both are not relayed")
	}
	b.hears("the agent", 1000)
	a.hears("the customer", 440)
	c.mu.Lock()
	mixer := c.mixer
	c.mu.Unlock()
	if mixer != nil || e.mixed.Load() != 0 {
		t.Fatalf("two members relayed, yet a mixer runs (%v) or sent %d packets", mixer != nil, e.mixed.Load())
	}

	var tap frameLog
	c.Tap(&tap)
	if c.Relaying() {
		t.Fatal("a tapped conference still relays")
	}
	b.drain()
	b.hears("the agent, mixed", 1000)
	if e.mixed.Load() == 0 {
		t.Fatal("mixed audio heard, yet the mixer counted nothing sent")
	}
	c.Tap(nil)
	if !c.Relaying() {
		t.Fatal("untapped, two members in Both are not relayed again")
	}
	c.mu.Lock()
	stopped := c.stopped
	c.mu.Unlock()
	select {
	case <-stopped.done:
	default:
		t.Fatal("the mixer runs on after the conference went back to relaying")
	}
	sent := e.mixed.Load()
	a.drain()
	a.hears("the customer, relayed again", 440)
	if e.mixed.Load() != sent {
		t.Fatal("the stopped mixer still sends")
	}
}

// TestConferenceModes: a customer (PCMU, 1 kHz) and an agent (PCMA,
// 440 Hz) talk; a supervisor (PCMU, 2 kHz) listens, hearing both and
// heard by neither; whispers to the agent, heard by the agent alone;
// barges in, heard by both. What each phone's socket receives is checked
// for each tone.
func TestConferenceModes(t *testing.T) {
	e := testEngine(t, RawSendOff)
	customer, agent := newConfPhone(t, e, PCMU, 1000), newConfPhone(t, e, PCMA, 440)
	super := newConfPhone(t, e, PCMU, 2000)
	c := NewConference()
	defer c.End()
	mustAdd(t, c, customer.s, Mode{})
	agentID := mustAdd(t, c, agent.s, Mode{})
	superID := mustAdd(t, c, super.s, Mode{Role: Listen})
	if c.Relaying() {
		t.Fatal("three members relayed")
	}

	for _, step := range []struct {
		name       string
		mode       Mode
		heardBy    []*confPhone
		notHeardBy []*confPhone
	}{
		{"listen", Mode{Role: Listen}, nil, []*confPhone{customer, agent}},
		{"whisper", Mode{Role: Whisper, To: agentID}, []*confPhone{agent}, []*confPhone{customer}},
		{"barge", Mode{Role: Both}, []*confPhone{customer, agent}, nil},
	} {
		t.Run(step.name, func(t *testing.T) {
			if err := c.SetMode(superID, step.mode); err != nil {
				t.Fatal(err)
			}
			for _, p := range []*confPhone{customer, agent, super} {
				p.t = t
				p.drain()
			}
			super.hears("the supervisor", 1000, 440)
			customer.hears("the customer", 440)
			agent.hears("the agent", 1000)
			for _, p := range step.heardBy {
				p.hears("a member the supervisor talks to", 2000)
			}
			for _, p := range step.notHeardBy {
				p.hearsNot("a member the supervisor does not talk to", 2000, 25)
			}
			super.hearsNot("the supervisor, its own voice", 2000, 25)
		})
	}

	// The supervisor leaves: the two are bridged again.
	c.Remove(superID)
	if !c.Relaying() {
		t.Fatal("back to two members in Both, not relayed")
	}
	agent.t, customer.t = t, t
	agent.drain()
	agent.hears("the agent, relayed again", 1000)
}

// frameLog is a tap that keeps, per member, the loudest sample of each
// frame, by frame index.
type frameLog struct {
	mu    sync.Mutex
	peaks map[Member][]int
	next  uint64
	gaps  int
}

func (l *frameLog) WriteFrame(f Frame) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.peaks == nil {
		l.peaks = map[Member][]int{}
	}
	if f.Index != l.next {
		l.gaps++
	}
	l.next = f.Index + 1
	for _, p := range f.Parts {
		peak := 0
		for _, v := range p.PCM {
			peak = max(peak, abs(int(v)))
		}
		for len(l.peaks[p.Member]) < int(f.Index) {
			l.peaks[p.Member] = append(l.peaks[p.Member], 0)
		}
		l.peaks[p.Member] = append(l.peaks[p.Member], peak)
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// firstLoud is the index of the first frame of m louder than 2000.
func (l *frameLog) firstLoud(m Member) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, p := range l.peaks[m] {
		if p > 2000 {
			return i
		}
	}
	return -1
}

// TestConferenceTapAligns: both sides of a call go silent, then click in
// the same 20 ms; the tap has each side's frames by member, and the
// click at the same frame index, give or take one.
func TestConferenceTapAligns(t *testing.T) {
	e := testEngine(t, RawSendOff)
	customer, agent := newConfPhone(t, e, PCMU, 0), newConfPhone(t, e, PCMA, 0)
	c := NewConference()
	defer c.End()
	cu := mustAdd(t, c, customer.s, Mode{})
	ag := mustAdd(t, c, agent.s, Mode{})
	var tap frameLog
	c.Tap(&tap)
	customer.hears("the customer") // the mixer sends: the tap is running
	for range 10 {
		customer.hearsNot("the customer", 1000, 1)
	}
	// One click: both phones send a loud frame once, in the same period.
	for _, p := range []*confPhone{customer, agent} {
		p.mu.Lock()
	}
	for _, p := range []*confPhone{customer, agent} {
		p.tone, p.amp = 1000, 8000
		p.mu.Unlock()
	}
	// Each hears the other's click once the mixer has taken both.
	customer.hears("the customer", 1000)
	agent.hears("the agent", 1000)
	for _, p := range []*confPhone{customer, agent} {
		p.mu.Lock()
		p.tone, p.amp = 0, 0
		p.mu.Unlock()
	}
	c.Tap(nil)
	i, j := tap.firstLoud(cu), tap.firstLoud(ag)
	if i < 0 || j < 0 {
		t.Fatalf("the tap has the customer's click at %d and the agent's at %d", i, j)
	}
	if d := i - j; d < -1 || d > 1 {
		t.Fatalf("the tap has the customer's click at frame %d, the agent's at %d", i, j)
	}
	if tap.gaps != 0 {
		t.Fatalf("%d gaps in the tap's frame indexes", tap.gaps)
	}
}

// TestConferenceStopsItsMixer: removing the last member, or ending the
// conference, stops the mixer before returning.
func TestConferenceStopsItsMixer(t *testing.T) {
	e := testEngine(t, RawSendOff)
	a, b, s := newConfPhone(t, e, PCMU, 1000), newConfPhone(t, e, PCMU, 440), newConfPhone(t, e, PCMU, 2000)
	running := func(c *Conference) *mixer {
		t.Helper()
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.mixer == nil {
			t.Fatal("no mixer runs")
		}
		return c.mixer
	}
	stopped := func(mx *mixer, after string) {
		t.Helper()
		select {
		case <-mx.done:
		default:
			t.Fatalf("the mixer runs on after %s", after)
		}
	}

	c := NewConference()
	id := mustAdd(t, c, a.s, Mode{Role: Listen})
	c.Tap(&frameLog{})
	mx := running(c)
	a.hears("the only member")
	c.Remove(id)
	stopped(mx, "the last member left")

	c = NewConference()
	mustAdd(t, c, a.s, Mode{})
	mustAdd(t, c, b.s, Mode{})
	mustAdd(t, c, s.s, Mode{Role: Listen})
	mx = running(c)
	s.hears("the supervisor", 1000, 440)
	c.End()
	stopped(mx, "the conference ended")
	if _, err := c.Add(s.s, Mode{}); err != ErrConferenceEnded {
		t.Fatalf("joining an ended conference: %v", err)
	}
	// The sessions play on their own again: silence, not the mix.
	for _, p := range []*confPhone{a, b} {
		p.drain()
		p.hearsNot("a member of an ended conference", 2000, 10)
	}
}

// pressKey sends the phone's key press as RFC 4733 events, on a stream
// of their own (the tone goes on beside it).
func (p *confPhone) pressKey(key rune) {
	p.t.Helper()
	for _, pkt := range keyPackets(p.t, key, 0x7000, 1, 8000) {
		if _, err := p.conn.WriteToUDPAddrPort(pkt, p.s.LocalAddr()); err != nil {
			p.t.Fatal(err)
		}
	}
}

// TestConferenceForwardsKeys: mixed, a key a member presses reaches, as
// an event of their own streams, the members who hear it, once each; a
// listening supervisor's key reaches nobody.
func TestConferenceForwardsKeys(t *testing.T) {
	e := testEngine(t, RawSendOff)
	customer, agent := newConfPhone(t, e, PCMU, 0), newConfPhone(t, e, PCMA, 0)
	super := newConfPhone(t, e, PCMU, 0)
	c := NewConference()
	defer c.End()
	mustAdd(t, c, customer.s, Mode{})
	mustAdd(t, c, agent.s, Mode{})
	mustAdd(t, c, super.s, Mode{Role: Listen})
	super.hears("the supervisor") // mixed

	super.pressKey('7')
	customer.pressKey('5')
	for _, p := range []*confPhone{agent, super} {
		select {
		case key := <-p.keys:
			if key != '5' {
				t.Fatalf("the customer pressed 5; a member who hears the customer got %c", key)
			}
		case <-time.After(3 * time.Second):
			t.Fatal("the customer's key never reached a member who hears the customer")
		}
	}
	if key := <-customer.s.Digits(); key != '5' {
		t.Fatalf("the customer's own session decoded %c, want 5", key)
	}
	// The events take 8 frames; twice that, and nothing more came.
	for _, p := range []*confPhone{customer, agent} {
		p.drain()
		p.hearsNot("a member", 1000, 16)
		select {
		case key := <-p.keys:
			t.Fatalf("a member got %c, after the customer's one key and the listener's", key)
		default:
		}
	}
}
