package acd

import (
	"slices"
	"sort"
	"time"
)

// wakeUps are the times dispatch must run again by itself, with nothing
// else happening: a back-off from an agent ending, a callback request's
// next attempt coming due. One timer, the Center's, fires at the
// earliest; Close stops it. Guarded by Center.mu.
type wakeUps struct {
	at    []time.Time // earliest first
	timer *time.Timer
}

// dispatchAfter runs dispatch again once d has passed; c.mu is held.
// After Close, it does nothing.
func (c *Center) dispatchAfter(d time.Duration) {
	if c.closed {
		return
	}
	at := c.now().Add(d)
	w := &c.wake
	i := sort.Search(len(w.at), func(i int) bool { return w.at[i].After(at) })
	w.at = slices.Insert(w.at, i, at)
	if i == 0 {
		c.armWake()
	}
}

// armWake sets the timer to the earliest wake-up; c.mu is held.
func (c *Center) armWake() {
	d := c.wake.at[0].Sub(c.now())
	if c.wake.timer == nil {
		c.wake.timer = time.AfterFunc(d, c.woken)
		return
	}
	c.wake.timer.Reset(d)
}

// woken drops the wake-ups that are due, arms the timer for the next one
// and dispatches.
func (c *Center) woken() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	now := c.now()
	w := &c.wake
	n := 0
	for n < len(w.at) && !w.at[n].After(now) {
		n++
	}
	w.at = slices.Delete(w.at, 0, n)
	if len(w.at) > 0 {
		c.armWake()
	}
	c.dispatch()
}

// stop ends the timer at Close; c.mu is held.
func (w *wakeUps) stop() {
	if w.timer != nil {
		w.timer.Stop()
	}
	w.at = nil
}
