package recording

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/acdserver/acd/media"
)

// queued bounds the periods a recording may have waiting for its disk,
// 5 s: past it the mixer's frames are dropped (and counted), never
// waited for.
const queued = 250

// syncEvery is how often, in periods, the header's sizes are brought up
// to date and the buffered audio written out: every second, what a
// server killed mid-call loses at most.
const syncEvery = 50

// ringSize bounds the packets of a relayed call waiting for the writer's
// worker, 2.5 s of both sides (half each): past it packets are dropped
// (and counted as lost periods), never waited for.
const ringSize = 256

// drainEvery is how often the goroutine takes the packets waiting, well
// within the delay the file is written behind arrival (timeline.go); a
// side's ring half full wakes it sooner.
const drainEvery = 200 * time.Millisecond

// queuedPacket is one packet a relayed call's tap handed, as the ring
// holds it: its channel, its arrival on the writer's clock, and the
// payload copied.
type queuedPacket struct {
	tap     uint64
	at      int64 // nanoseconds since the writer's epoch
	ts      uint32
	ssrc    uint32
	ch      uint8
	codec   media.Codec
	len     uint8
	silent  bool // paused: placed as silence
	payload [media.TapPayload]byte
}

// block is one period handed from the mixer to the writer's goroutine:
// the tap it came through, its index there, and the two channels
// interleaved (nil when paused: silence).
type block struct {
	tap    uint64
	index  uint64
	silent bool
	pcm    [media.FrameSize * Channels]int16
}

// Writer writes one recording's WAV file as the call goes on. Its taps
// hand it the conference's frames, or a relayed call's packets, without
// ever blocking the mixer or the media loops; a worker of its Pool
// (pool.go), shared with other recordings, writes them.
type Writer struct {
	path   string
	worker *worker
	own    *Pool // a pool of its own (Create), closed with it
	// frames holds the mixer's periods; made at the first (most
	// recordings are of calls relayed, and never mixed).
	frames     atomic.Pointer[chan block]
	framesOnce sync.Once
	taps       atomic.Uint64 // the last tap's number
	tapAt      atomic.Int64  // when the last tap was made, on the writer's clock
	lost       atomic.Uint64 // periods dropped: the disk could not keep up
	data       atomic.Int64  // audio bytes handed to the file so far
	// placing: packets are being placed, written delaySamples behind
	// their arrival (timeline.go).
	placing atomic.Bool
	// Requests to the worker: pending says the writer is on its ready
	// list already; flushReq and stopReq what it is to do there.
	pending, flushReq, stopReq atomic.Bool
	written                    chan struct{} // closed by the worker once it wrote the last
	closeOnce                  sync.Once
	finishOnce                 sync.Once
	drained                    chan struct{} // the worker took what the rings held
	err                        error         // the first error writing; read after written

	// The worker's alone (writeState), or set before the writer is
	// handed to it.
	st writeState

	// epoch is the writer's clock's zero; paused makes what the taps
	// hand silence (its sides hold a copy each).
	epoch  time.Time
	paused atomic.Bool

	// The packets of a relayed call (WritePacket), a ring per side: the
	// two sides' sessions are read by different media loops, on
	// different cores, and one ring's lock and indices would move
	// between the cores at every packet.
	_     [64]byte
	sides [Channels]sideRing
}

// sideRing is what a media loop touches per packet of one side, on
// cache lines of its own. mu guards ring, head and size, and is held
// only to copy a packet in or out, never across anything that blocks:
// the media loops hand packets under it.
type sideRing struct {
	mu         sync.Mutex
	paused     atomic.Bool // the Writer's, copied
	head, size int
	epoch      time.Time // the Writer's
	ring       *[sideRingSize]queuedPacket
	_          [64]byte
}

// sideRingSize is a side's share of ringSize.
const sideRingSize = ringSize / Channels

// Create starts a recording's file at path with a worker of its own,
// which Close stops: see Pool.Create.
func Create(path string) (*Writer, error) {
	p := NewPool(1)
	w, err := p.Create(path)
	if err != nil {
		p.Close()
		return nil, err
	}
	w.own = p
	return w, nil
}

// create starts a recording's file at path (its directories made, mode
// 0700, the file 0600; an existing file is an error).
func create(path string) (*Writer, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating recording %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("creating recording %s: %w", path, err)
	}
	if _, err := f.Write(header(0)); err != nil {
		f.Close()
		return nil, fmt.Errorf("creating recording %s: %w", path, err)
	}
	w := &Writer{path: path, written: make(chan struct{}), drained: make(chan struct{}, 1), epoch: time.Now()}
	for i := range w.sides {
		w.sides[i].epoch, w.sides[i].ring = w.epoch, new([sideRingSize]queuedPacket)
	}
	w.st.f = f
	w.st.buf = bufio.NewWriterSize(f, 32<<10)
	return w, nil
}

// Path is the file's.
func (w *Writer) Path() string { return w.path }

// Pause makes what the taps hand silence from now on, or again audio.
func (w *Writer) Pause(paused bool) {
	w.paused.Store(paused)
	for i := range w.sides {
		w.sides[i].paused.Store(paused)
	}
}

// Paused reports whether the recording is paused.
func (w *Writer) Paused() bool { return w.paused.Load() }

// Lost is how many 20 ms periods were dropped because the writer fell
// behind (a relayed call's packets count one each, 20 ms of one side);
// each is silence in the file, so that what follows keeps its time.
func (w *Writer) Lost() uint64 { return w.lost.Load() }

// Bytes is the audio written so far.
func (w *Writer) Bytes() int64 { return w.data.Load() }

// Tap is a media.FrameWriter that takes one conference's frames into the
// file, the member left on the left channel and right on the right; a
// supervisor barging in (heard by the customer) is mixed into the right,
// one listening or whispering to the agent is left out. It is a
// media.PacketTap as well, so that a call of two stays relayed: its packets are placed in
// the file by their timestamps (timeline.go). A recording continued in
// another conference (the caller transferred) gets a new Tap.
func (w *Writer) Tap(left, right media.Member) *Tap {
	w.tapAt.Store(int64(time.Since(w.epoch)))
	return &Tap{w: w, n: w.taps.Add(1), left: left, right: right}
}

// Tap is one conference's way into a Writer.
type Tap struct {
	w           *Writer
	n           uint64
	left, right media.Member
}

// WriteFrame copies the period and hands it to the writer's goroutine;
// when the goroutine is 5 s behind the period is dropped and counted.
// Called from the mixer: it never blocks.
func (t *Tap) WriteFrame(f media.Frame) {
	b := block{tap: t.n, index: f.Index, silent: t.w.paused.Load()}
	if !b.silent {
		for _, p := range f.Parts {
			ch := -1
			switch p.Member {
			case t.left:
				ch = 0
			case t.right:
				ch = 1
			}
			if ch < 0 {
				// A supervisor barging in is heard by the customer: the
				// centre's side of the call, mixed into the agent's
				// channel. Listening or whispering to the agent, the
				// customer heard nothing of it, and neither does the file.
				if p.Mode.HeardBy(t.left) {
					for i, v := range p.PCM[:min(len(p.PCM), media.FrameSize)] {
						b.pcm[2*i+1] = clip16(int32(b.pcm[2*i+1]) + int32(v))
					}
				}
				continue
			}
			for i, v := range p.PCM[:min(len(p.PCM), media.FrameSize)] {
				b.pcm[2*i+ch] = clip16(int32(b.pcm[2*i+ch]) + int32(v))
			}
		}
	}
	select {
	case t.w.framesQueue() <- b:
		t.w.notify()
	default:
		t.w.lost.Add(1)
	}
}

// framesQueue is the mixer's queue of periods, made at the first.
func (w *Writer) framesQueue() chan block {
	if q := w.frames.Load(); q != nil {
		return *q
	}
	w.framesOnce.Do(func() {
		q := make(chan block, queued)
		w.frames.Store(&q)
	})
	return *w.frames.Load()
}

// WritePacket copies a relayed packet into the writer's ring; when the
// goroutine is 2.5 s behind it is dropped and counted as a lost period.
// Called from a media loop: it never blocks, allocates nor decodes.
// Paused, the packet is handed without its audio: it keeps the file's
// clock going, and is silence.
func (t *Tap) WritePacket(p *media.TapPacket) {
	ch := uint8(0)
	switch p.Member {
	case t.left:
	case t.right:
		ch = 1
	default:
		return
	}
	w := t.w
	r := &w.sides[ch]
	silent := r.paused.Load()
	r.mu.Lock()
	if r.size == sideRingSize {
		r.mu.Unlock()
		w.lost.Add(1)
		return
	}
	q := &r.ring[(r.head+r.size)%sideRingSize]
	r.size++
	half := r.size == sideRingSize/2
	q.tap, q.at, q.ts, q.ssrc, q.ch, q.codec, q.len = t.n, int64(p.Arrival.Sub(r.epoch)), p.Timestamp, p.SSRC, ch, p.Codec, p.Len
	if q.silent = silent; !silent {
		q.payload = p.Payload
	}
	r.mu.Unlock()
	if half {
		w.notify()
	}
}

// takePackets moves what the rings hold into batch, by arrival: each
// side's are by arrival already, and are merged. The media loops hand
// packets under one side's lock each, so holding both (the left's
// first) waits on nothing but copies.
func (w *Writer) takePackets(batch []queuedPacket) []queuedPacket {
	l, r := &w.sides[0], &w.sides[1]
	l.mu.Lock()
	defer l.mu.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	for l.size > 0 || r.size > 0 {
		from := l
		if l.size == 0 || r.size > 0 && r.ring[r.head].at < l.ring[l.head].at {
			from = r
		}
		batch = append(batch, from.ring[from.head])
		from.head = (from.head + 1) % sideRingSize
		from.size--
	}
	// Emptied, each ring starts again at its first slot: the ~10
	// packets a side brings between two drains reuse the same few
	// slots, warm in the cache, rather than the loops writing each slot
	// of the whole ring (24 MB at 500 calls) cold in turn.
	l.head, r.head = 0, 0
	return batch
}

// Flush asks the writer to write out what it holds and bring the header
// up to date now rather than within the second: the call left its
// conference (the caller transferred) and no frame may come for a while.
// It does not wait.
func (w *Writer) Flush() {
	w.flushReq.Store(true)
	w.notify()
}

// Close stops the writer once what the taps handed is written, brings
// the header up to date, and syncs the file. No tap may be in a
// conference by then (Tap(nil) first); a frame handed later is dropped.
// The sync is made here, not by the worker, which other recordings
// share.
func (w *Writer) Close() error {
	w.closeOnce.Do(func() {
		w.stopReq.Store(true)
		w.notify()
		select {
		case <-w.written:
		case <-w.worker.stopped: // the pool closed: the worker wrote it out
		}
		w.finish()
		if w.own != nil {
			w.own.Close()
		}
	})
	return w.err
}

// finish syncs and closes the file, once the worker wrote the last of
// it.
func (w *Writer) finish() {
	w.finishOnce.Do(func() {
		f := w.st.f
		if err := f.Sync(); err != nil && w.err == nil {
			w.err = fmt.Errorf("syncing recording %s: %w", w.path, err)
		}
		if err := f.Close(); err != nil && w.err == nil {
			w.err = fmt.Errorf("closing recording %s: %w", w.path, err)
		}
	})
}

// writeState is what the worker keeps of a recording between the
// packets and frames it writes: the file, its buffer, and the placing
// of a relayed call's packets.
type writeState struct {
	f         *os.File
	buf       *bufio.Writer
	raw       [frameBytes]byte
	tap, next uint64 // the tap of the last frame, and the index due next
	sinceSync int
	data      int64
	failed    bool
	ended     bool // the last was written: Close, or the pool closed
	tl        timeline
	lastTap   uint64 // the tap of the last frame or packet
	batch     []queuedPacket
}

var silence [frameBytes]byte

// The worker's side of a Writer: it writes the frames and packets handed
// to it, filling a gap in a tap's indices (frames dropped) with silence
// so that the two sides and what follows keep their time. Packets (the
// call relayed) are placed by the timeline and written behind their
// arrival; a frame (the call mixed) first writes out every packet
// placed, and packets after frames start the timeline at the end of the
// file, so that going from one to the other loses no audio and overlaps
// none.

func (w *Writer) fail(err error) {
	if w.err == nil {
		w.err = fmt.Errorf("writing recording %s: %w", w.path, err)
	}
	w.st.failed = true
}

func (w *Writer) writeFrame(p []byte) {
	st := &w.st
	if st.failed {
		return
	}
	if _, err := st.buf.Write(p); err != nil {
		w.fail(err)
		return
	}
	st.data += frameBytes
	w.data.Store(st.data)
	st.sinceSync++
	if st.sinceSync >= syncEvery {
		w.sync()
	}
}

// sync writes out what is buffered and brings the header's sizes up to
// date.
func (w *Writer) sync() {
	st := &w.st
	if st.failed {
		return
	}
	if err := st.buf.Flush(); err != nil {
		w.fail(err)
		return
	}
	if err := sizes(st.f, st.data); err != nil {
		w.fail(err)
		return
	}
	st.sinceSync = 0
}

func (w *Writer) writePCM(p *[media.FrameSize * Channels]int16) {
	for i, v := range p {
		binary.LittleEndian.PutUint16(w.st.raw[2*i:], uint16(v))
	}
	w.writeFrame(w.st.raw[:])
}

// writeUpTo writes the timeline's periods up to position to.
func (w *Writer) writeUpTo(to int64) {
	tl := &w.st.tl
	for tl.written < to {
		tl.take(&w.st.raw)
		w.writeFrame(w.st.raw[:])
	}
}

// keepTime writes what is due by the clock, not only by arrivals: while
// neither phone sends (both silent, with silence suppression) the file
// goes on, silence, as it does when mixed.
func (w *Writer) keepTime() {
	if tl := &w.st.tl; tl.on {
		tl.arrive(int64(time.Since(w.epoch)))
		w.writeUpTo(tl.due())
	}
}

// endPackets writes out every packet placed, and the silence up to now:
// what follows is frames, or another conference's packets.
func (w *Writer) endPackets() {
	if tl := &w.st.tl; tl.on {
		tl.arrive(int64(time.Since(w.epoch)))
		w.writeUpTo(max(tl.all(), tl.due()+delaySamples/media.FrameSize*media.FrameSize))
		tl.on = false
		w.placing.Store(false)
	}
}

// packets places what the rings hold.
func (w *Writer) packets() {
	st := &w.st
	st.batch = w.takePackets(st.batch[:0])
	select {
	case w.drained <- struct{}{}:
	default:
	}
	tl := &st.tl
	for i := range st.batch {
		p := &st.batch[i]
		if tl.on && p.tap != tl.tap {
			w.endPackets()
		}
		if !tl.on {
			// A new tap's file time starts when it was set, as the
			// mixer's frames do: silence until a phone first sends.
			from := p.at
			if p.tap != st.lastTap {
				from = min(from, w.tapAt.Load())
			}
			tl.start(p.tap, st.data/(2*Channels), from)
			w.placing.Store(true)
		}
		st.lastTap = p.tap
		tl.arrive(p.at)
		w.writeUpTo(tl.due())
		tl.place(p)
	}
}

// take writes one of the mixer's periods.
func (w *Writer) take(b *block) {
	st := &w.st
	w.packets()
	w.endPackets()
	if b.tap == st.tap && b.index > st.next {
		for range min(b.index-st.next, queued) {
			w.writeFrame(silence[:])
		}
	}
	st.tap, st.next, st.lastTap = b.tap, b.index+1, b.tap
	if b.silent {
		w.writeFrame(silence[:])
	} else {
		w.writePCM(&b.pcm)
	}
}

// drain writes every period the mixer handed, then the packets waiting.
func (w *Writer) drain() {
	if q := w.frames.Load(); q != nil {
		for {
			select {
			case b := <-*q:
				w.take(&b)
				continue
			default:
			}
			break
		}
	}
	w.packets()
}

// serve does what the writer was notified for: frames or packets
// waiting, a flush, the end.
func (w *Writer) serve() {
	if w.st.ended {
		return
	}
	w.drain()
	if w.flushReq.Swap(false) {
		w.endPackets()
		w.sync()
	}
	if w.stopReq.Load() {
		w.end()
	}
}

// tick is the worker's regular visit: the packets of the last 200 ms,
// and the file kept going by the clock.
func (w *Writer) tick() {
	if w.st.ended {
		return
	}
	w.packets()
	w.keepTime()
}

// end writes out everything handed and the header; Close syncs and
// closes the file.
func (w *Writer) end() {
	w.drain()
	w.endPackets()
	w.sync()
	w.st.ended = true
	close(w.written)
}

// queuedBytes is the audio written and waiting: where in the file a
// period handed now will be, give or take the frames in flight.
func (w *Writer) queuedBytes() int64 {
	n := w.data.Load()
	if q := w.frames.Load(); q != nil {
		n += int64(len(*q)) * frameBytes
	}
	if w.placing.Load() {
		n += delaySamples * Channels * 2
	}
	return n
}

// clip16 is a sum of samples held to 16 bits, as a mix is.
func clip16(v int32) int16 {
	return int16(max(min(v, 32767), -32768))
}
