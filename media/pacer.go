package media

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"
)

// slotsPerFrame splits each 20 ms frame period into 2 ms slots; a stream
// lives in one slot, so sends spread over the period instead of bursting,
// and a wake-up serves a tenth of the streams (timer wake-ups cost tens of
// microseconds on these machines, packets a few). Measured at 2 000
// streams: 4 slots gave a gap p99 of 24–25 ms, 10 slots 22.1–22.5 ms, 20
// slots 22.9 ms (docs/PERFORMANCE.md).
const slotsPerFrame = 10

// Pacer sends the next frame of every playing Session every 20 ms from one
// goroutine per core, against absolute deadlines so that pacing never
// drifts. A goroutine and timer per stream would cost far more CPU and
// memory at thousands of streams.
type Pacer struct {
	shards []*shard
	raw    bool
	mu     sync.Mutex
	next   int
	wg     sync.WaitGroup
}

type shard struct {
	mu    sync.Mutex
	slots [slotsPerFrame][]*Session
	raw   *rawSender // nil: each session sends through its own socket
}

// RawSend says whether the pacer sends through raw sockets.
type RawSend string

// The raw_send settings.
const (
	RawSendAuto RawSend = "auto" // raw sockets when permitted, else per-call sockets
	RawSendOn   RawSend = "on"   // raw sockets, or fail to start
	RawSendOff  RawSend = "off"  // per-call sockets only
)

// NewPacer starts one pacing loop per available core; they stop when ctx
// ends. With raw sending each loop batches its packets through its own raw
// socket (see rawsend_linux.go).
func NewPacer(ctx context.Context, mode RawSend) (*Pacer, error) {
	p := &Pacer{shards: make([]*shard, runtime.GOMAXPROCS(0))}
	for i := range p.shards {
		p.shards[i] = &shard{}
	}
	if mode != RawSendOff {
		for _, sh := range p.shards {
			raw, err := openRawSender()
			if err != nil {
				for _, opened := range p.shards {
					if opened.raw != nil {
						opened.raw.close()
						opened.raw = nil
					}
				}
				if mode == RawSendOn {
					return nil, fmt.Errorf("raw_send on: %w (it needs CAP_NET_RAW)", err)
				}
				break
			}
			sh.raw = raw
		}
		p.raw = p.shards[0].raw != nil
	}
	for _, sh := range p.shards {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			sh.run(ctx)
		}()
	}
	return p, nil
}

// Raw reports whether packets go out through raw sockets.
func (p *Pacer) Raw() bool { return p.raw }

// Dropped counts packets the kernel refused or had no buffer for on the
// raw path since start; the per-socket path drops silently in the kernel.
func (p *Pacer) Dropped() uint64 {
	var n uint64
	for _, sh := range p.shards {
		sh.mu.Lock()
		if sh.raw != nil {
			n += sh.raw.dropped
		}
		sh.mu.Unlock()
	}
	return n
}

// Wait returns once every pacing loop has stopped.
func (p *Pacer) Wait() { p.wg.Wait() }

// add places a session in the least-loaded slot of the next shard.
func (p *Pacer) add(s *Session) {
	p.mu.Lock()
	sh := p.shards[p.next%len(p.shards)]
	p.next++
	p.mu.Unlock()
	sh.mu.Lock()
	slot := 0
	for i := range sh.slots {
		if len(sh.slots[i]) < len(sh.slots[slot]) {
			slot = i
		}
	}
	s.shard, s.slot, s.index = sh, slot, len(sh.slots[slot])
	sh.slots[slot] = append(sh.slots[slot], s)
	sh.mu.Unlock()
}

// remove takes a session out of its slot in O(1).
func (p *Pacer) remove(s *Session) {
	sh := s.shard
	if sh == nil {
		return
	}
	sh.mu.Lock()
	list := sh.slots[s.slot]
	last := list[len(list)-1]
	list[s.index] = last
	last.index = s.index
	list[len(list)-1] = nil
	sh.slots[s.slot] = list[:len(list)-1]
	s.shard = nil
	sh.mu.Unlock()
}

func (sh *shard) run(ctx context.Context) {
	slotLen := FrameDuration / slotsPerFrame
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	defer func() {
		if sh.raw != nil {
			sh.mu.Lock()
			sh.raw.close()
			sh.raw = nil
			sh.mu.Unlock()
		}
	}()
	next := time.Now()
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
		sh.mu.Lock()
		for _, s := range sh.slots[tick%slotsPerFrame] {
			s.tick(sh.raw)
		}
		if sh.raw != nil {
			sh.raw.flush()
		}
		sh.mu.Unlock()
	}
}
