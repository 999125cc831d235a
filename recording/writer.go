package recording

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"

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
// hand it the conference's frames without ever blocking the mixer; its
// one goroutine, which Close stops, writes them.
type Writer struct {
	path   string
	frames chan block
	stop   chan struct{} // closed by Close: the goroutine drains and ends
	flush  chan struct{} // a request to write out what is buffered now
	done   chan struct{} // closed when the goroutine has ended
	paused atomic.Bool
	taps   atomic.Uint64 // the last tap's number
	lost   atomic.Uint64 // periods dropped: the disk could not keep up
	data   atomic.Int64  // audio bytes handed to the file so far
	err    error         // the goroutine's first error; read after done
}

// Create starts a recording's file at path (its directories made, mode
// 0700, the file 0600; an existing file is an error) and the goroutine
// that writes it.
func Create(path string) (*Writer, error) {
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
	w := &Writer{path: path, frames: make(chan block, queued), stop: make(chan struct{}), flush: make(chan struct{}, 1), done: make(chan struct{})}
	go w.run(f)
	return w, nil
}

// Path is the file's.
func (w *Writer) Path() string { return w.path }

// Pause makes what the taps hand silence from now on, or again audio.
func (w *Writer) Pause(paused bool) { w.paused.Store(paused) }

// Paused reports whether the recording is paused.
func (w *Writer) Paused() bool { return w.paused.Load() }

// Lost is how many 20 ms periods were dropped because the writer fell
// behind; each is silence in the file, so that what follows keeps its time.
func (w *Writer) Lost() uint64 { return w.lost.Load() }

// Bytes is the audio written so far.
func (w *Writer) Bytes() int64 { return w.data.Load() }

// Tap is a media.FrameWriter that takes one conference's frames into the
// file, the member left on the left channel and right on the right;
// other members (a supervisor) are left out. A recording continued in
// another conference (the caller transferred) gets a new Tap.
func (w *Writer) Tap(left, right media.Member) *Tap {
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
				continue
			}
			for i, v := range p.PCM[:min(len(p.PCM), media.FrameSize)] {
				b.pcm[2*i+ch] = v
			}
		}
	}
	select {
	case t.w.frames <- b:
	default:
		t.w.lost.Add(1)
	}
}

// Flush asks the writer to write out what it holds and bring the header
// up to date now rather than within the second: the call left its
// conference (the caller transferred) and no frame may come for a while.
// It does not wait.
func (w *Writer) Flush() {
	select {
	case w.flush <- struct{}{}:
	default:
	}
}

// Close stops the writer once what the taps handed is written, brings
// the header up to date, and syncs the file. No tap may be in a
// conference by then (Tap(nil) first); a frame handed later is dropped.
func (w *Writer) Close() error {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	<-w.done
	return w.err
}

// run writes the frames handed to it until Close, filling a gap in a
// tap's indices (frames dropped) with silence so that the two sides and
// what follows keep their time.
func (w *Writer) run(f *os.File) {
	defer close(w.done)
	buf := bufio.NewWriterSize(f, 32<<10)
	var (
		raw        [frameBytes]byte
		silence    [frameBytes]byte
		tap, next  uint64
		sinceSync  int
		data       int64
		failed     bool
		writeFrame = func(p []byte) {
			if failed {
				return
			}
			if _, err := buf.Write(p); err != nil {
				w.err, failed = fmt.Errorf("writing recording %s: %w", w.path, err), true
				return
			}
			data += frameBytes
			w.data.Store(data)
			sinceSync++
		}
		sync = func() {
			if failed {
				return
			}
			if err := buf.Flush(); err != nil {
				w.err, failed = fmt.Errorf("writing recording %s: %w", w.path, err), true
				return
			}
			if err := sizes(f, data); err != nil {
				w.err, failed = fmt.Errorf("writing recording %s: %w", w.path, err), true
				return
			}
			sinceSync = 0
		}
	)
	take := func(b *block) {
		if b.tap == tap && b.index > next {
			for range min(b.index-next, queued) {
				writeFrame(silence[:])
			}
		}
		tap, next = b.tap, b.index+1
		if b.silent {
			writeFrame(silence[:])
		} else {
			for i, v := range b.pcm {
				binary.LittleEndian.PutUint16(raw[2*i:], uint16(v))
			}
			writeFrame(raw[:])
		}
		if sinceSync >= syncEvery {
			sync()
		}
	}
	drain := func() {
		for {
			select {
			case b := <-w.frames:
				take(&b)
			default:
				return
			}
		}
	}
	for running := true; running; {
		select {
		case b := <-w.frames:
			take(&b)
		case <-w.flush:
			drain()
			sync()
		case <-w.stop:
			drain()
			running = false
		}
	}
	sync()
	if err := f.Sync(); err != nil && w.err == nil {
		w.err = fmt.Errorf("syncing recording %s: %w", w.path, err)
	}
	if err := f.Close(); err != nil && w.err == nil {
		w.err = fmt.Errorf("closing recording %s: %w", w.path, err)
	}
}

// queuedBytes is the audio written and waiting: where in the file a
// period handed now will be, give or take the frames in flight.
func (w *Writer) queuedBytes() int64 {
	return w.data.Load() + int64(len(w.frames))*frameBytes
}
