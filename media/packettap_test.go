package media

import (
	"sync"
	"testing"
	"time"
)

// recordLog is a tap that takes both frames and packets, as a call
// recording does; it signals each kind it gets on got.
type recordLog struct {
	mu      sync.Mutex
	packets map[Member]int
	frames  int
	bad     []TapPacket // packets that are not the members' audio
	got     chan bool   // true: a packet, false: a frame
}

func newRecordLog() *recordLog {
	return &recordLog{packets: map[Member]int{}, got: make(chan bool, 1)}
}

func (l *recordLog) WritePacket(p *TapPacket) {
	l.mu.Lock()
	l.packets[p.Member]++
	if p.PayloadType != uint8(p.Codec) || p.Len != FrameSize || p.Arrival.IsZero() {
		l.bad = append(l.bad, *p)
	}
	l.mu.Unlock()
	select {
	case l.got <- true:
	default:
	}
}

func (l *recordLog) WriteFrame(Frame) {
	l.mu.Lock()
	l.frames++
	l.mu.Unlock()
	select {
	case l.got <- false:
	default:
	}
}

// counts reads, and resets, what the tap got.
func (l *recordLog) counts() (packets map[Member]int, frames int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	packets, frames = l.packets, l.frames
	l.packets, l.frames = map[Member]int{}, 0
	return packets, frames
}

// await waits until the tap gets a packet (true) or a frame (false).
func (l *recordLog) await(t *testing.T, packet bool) {
	t.Helper()
	deadline := time.After(3 * time.Second)
	for {
		select {
		case got := <-l.got:
			if got == packet {
				return
			}
		case <-deadline:
			t.Fatalf("the tap never got a packet (%v) or a frame (%v)", packet, !packet)
		}
	}
}

// TestConferenceRelaysRecorded: a call recorded (a tap taking packets)
// stays relayed, its mixer idle, and the tap is handed both members'
// audio packets but not their key presses; a supervisor listening makes
// it mix, the tap then getting frames, and the supervisor gone it relays,
// and hands packets, again.
func TestConferenceRelaysRecorded(t *testing.T) {
	e := testEngine(t, RawSendOff)
	customer, agent := newConfPhone(t, e, PCMU, 1000), newConfPhone(t, e, PCMA, 440)
	super := newConfPhone(t, e, PCMU, 0)
	c := NewConference()
	defer c.End()
	cu := mustAdd(t, c, customer.s, Mode{})
	ag := mustAdd(t, c, agent.s, Mode{})
	tap := newRecordLog()
	c.Tap(tap)
	if !c.Relaying() {
		t.Fatal("a conference of two tapped for packets does not relay")
	}
	relayed := func(phase string) {
		t.Helper()
		customer.drain()
		agent.drain()
		agent.hears("the agent "+phase, 1000)
		customer.hears("the customer "+phase, 440)
		tap.counts()
		customer.pressKey('5')
		for range 5 {
			tap.await(t, true)
		}
		packets, frames := tap.counts()
		if packets[cu] == 0 || packets[ag] == 0 || frames != 0 {
			t.Fatalf("%s: the tap got %d packets of the customer, %d of the agent and %d frames", phase, packets[cu], packets[ag], frames)
		}
	}
	relayed("relayed and recorded")
	if n := e.mixed.Load(); n != 0 {
		t.Fatalf("relayed and recorded, yet the mixer sent %d packets", n)
	}
	c.mu.Lock()
	mixing := c.mixer != nil
	c.mu.Unlock()
	if mixing {
		t.Fatal("relayed and recorded, yet a mixer runs")
	}

	sv := mustAdd(t, c, super.s, Mode{Role: Listen})
	if c.Relaying() {
		t.Fatal("a supervisor listens, yet the conference relays")
	}
	super.hears("the supervisor", 1000, 440)
	tap.counts()
	for range 5 {
		tap.await(t, false)
	}
	if packets, frames := tap.counts(); frames == 0 || len(packets) != 0 {
		t.Fatalf("mixed: the tap got %d frames and packets of %d members", frames, len(packets))
	}

	c.Remove(sv)
	if !c.Relaying() {
		t.Fatal("the supervisor gone, the conference does not relay again")
	}
	relayed("relayed again")

	c.Tap(nil)
	tap.counts()
	agent.drain()
	agent.hears("the agent, untapped", 1000)
	if packets, frames := tap.counts(); len(packets) != 0 || frames != 0 {
		t.Fatalf("untapped, the tap got %d frames and packets of %d members", frames, len(packets))
	}
	tap.mu.Lock()
	defer tap.mu.Unlock()
	if len(tap.bad) != 0 {
		t.Fatalf("the tap got %d packets that are not audio, the first %+v", len(tap.bad), tap.bad[0])
	}
}
