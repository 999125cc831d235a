package recording

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// drainSlots splits drainEvery among a worker's recordings: every 20 ms
// the worker visits a tenth of them, so that each is visited every
// 200 ms and their work is spread over the period rather than one burst
// that would hold a core from the media loops.
const drainSlots = 10

// ErrPoolClosed: a recording was started after the server began to stop.
var ErrPoolClosed = errors.New("the recordings' writers have stopped")

// Pool writes recordings with a few goroutines, each writing many files:
// a goroutine and a timer per recording, woken every 200 ms, cost 500
// recorded calls more CPU than their copying and placing
// (docs/PERFORMANCE.md). A recording stays with the worker it was given.
type Pool struct {
	workers []*worker
	next    atomic.Uint64
	wg      sync.WaitGroup
	stop    chan struct{}
	once    sync.Once
}

// worker is one goroutine of a pool.
type worker struct {
	// mu guards ready, joining and closed, and is held only to append to
	// them or take them: the media loops and the mixer notify under it.
	mu      sync.Mutex
	ready   []*Writer // notified: frames, a full ring, a flush, a close
	joining []*Writer // created since the last visit
	closed  bool
	signal  chan struct{} // something is on ready
	stopped chan struct{} // closed once the goroutine has ended
	// The goroutine's own: its recordings by visiting slot.
	slots [drainSlots][]*Writer
	turn  int
}

// NewPool starts n workers (at least one); Close stops them.
func NewPool(n int) *Pool {
	p := &Pool{workers: make([]*worker, max(n, 1)), stop: make(chan struct{})}
	for i := range p.workers {
		wk := &worker{signal: make(chan struct{}, 1), stopped: make(chan struct{})}
		p.workers[i] = wk
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			defer close(wk.stopped)
			wk.run(p.stop)
		}()
	}
	return p
}

// Create starts a recording's file at path (its directories made, mode
// 0700, the file 0600; an existing file is an error), written by one of
// the pool's workers.
func (p *Pool) Create(path string) (*Writer, error) {
	w, err := create(path)
	if err != nil {
		return nil, err
	}
	wk := p.workers[p.next.Add(1)%uint64(len(p.workers))]
	w.worker = wk
	wk.mu.Lock()
	if wk.closed {
		wk.mu.Unlock()
		w.st.f.Close()
		return nil, ErrPoolClosed
	}
	wk.joining = append(wk.joining, w)
	wk.mu.Unlock()
	return w, nil
}

// Close stops the workers; a recording still open is written out and
// its file closed, as Writer.Close would.
func (p *Pool) Close() {
	p.once.Do(func() { close(p.stop) })
	p.wg.Wait()
}

// notify puts w on its worker's ready list, once until the worker takes
// it. It never blocks.
func (w *Writer) notify() {
	if w.pending.Swap(true) {
		return
	}
	wk := w.worker
	wk.mu.Lock()
	wk.ready = append(wk.ready, w)
	wk.mu.Unlock()
	select {
	case wk.signal <- struct{}{}:
	default:
	}
}

func (wk *worker) run(stop <-chan struct{}) {
	tick := time.NewTicker(drainEvery / drainSlots)
	defer tick.Stop()
	var ready []*Writer
	for {
		select {
		case <-tick.C:
			wk.join()
			wk.visit()
		case <-wk.signal:
			ready = wk.takeReady(ready[:0])
			for _, w := range ready {
				w.pending.Store(false)
				w.serve()
			}
			clear(ready)
		case <-stop:
			wk.mu.Lock()
			wk.closed = true
			wk.mu.Unlock()
			wk.join()
			for i := range wk.slots {
				for _, w := range wk.slots[i] {
					if !w.st.ended {
						w.end()
						w.finish()
					}
				}
			}
			return
		}
	}
}

// takeReady moves the ready list into into.
func (wk *worker) takeReady(into []*Writer) []*Writer {
	wk.mu.Lock()
	defer wk.mu.Unlock()
	into = append(into, wk.ready...)
	clear(wk.ready)
	wk.ready = wk.ready[:0]
	return into
}

// join gives the recordings created since the last visit a slot each,
// the emptiest.
func (wk *worker) join() {
	wk.mu.Lock()
	joining := wk.joining
	wk.joining = nil
	wk.mu.Unlock()
	for _, w := range joining {
		slot := 0
		for i := range wk.slots {
			if len(wk.slots[i]) < len(wk.slots[slot]) {
				slot = i
			}
		}
		wk.slots[slot] = append(wk.slots[slot], w)
	}
}

// visit serves the next slot's recordings, and forgets those ended.
func (wk *worker) visit() {
	wk.turn = (wk.turn + 1) % drainSlots
	list := wk.slots[wk.turn]
	kept := list[:0]
	for _, w := range list {
		if w.st.ended {
			continue
		}
		w.tick()
		kept = append(kept, w)
	}
	clear(list[len(kept):])
	wk.slots[wk.turn] = kept
}
