package acd

import (
	"encoding/json"
	"time"

	"github.com/acdserver/acd/store"
)

// WaitWindow is how far back the average wait used for callback looks.
const WaitWindow = 15 * time.Minute

// waitWindow keeps, for one queue, how long each caller who left the queue
// in the last 15 minutes had waited. A caller counts when leaving the
// queue, whichever way: answered by an agent, hung up, timed out, pressed
// * or asked to be called back (docs/callback.md).
type waitWindow struct {
	left   []time.Time
	waited []time.Duration
}

func (w *waitWindow) add(at time.Time, waited time.Duration) {
	w.left = append(w.left, at)
	w.waited = append(w.waited, waited)
}

// average returns the mean wait of the callers who left within the window
// before now, and how many they were.
func (w *waitWindow) average(now time.Time) (time.Duration, int) {
	cut := 0
	for cut < len(w.left) && now.Sub(w.left[cut]) > WaitWindow {
		cut++
	}
	w.left, w.waited = w.left[cut:], w.waited[cut:]
	if len(w.waited) == 0 {
		return 0, 0
	}
	var sum time.Duration
	for _, d := range w.waited {
		sum += d
	}
	return sum / time.Duration(len(w.waited)), len(w.waited)
}

// offerCallback applies R-CB-3: offered only when the average wait over
// the window exceeds the threshold, there was at least one call in the
// window, and no agent of the queue is available.
func offerCallback(w *waitWindow, now time.Time, threshold time.Duration, agentsAvailable bool) bool {
	if agentsAvailable {
		return false
	}
	avg, n := w.average(now)
	return n > 0 && avg > threshold
}

// RestoreWindow refills the 15-minute wait windows from the event log
// after a restart.
func (c *Center) RestoreWindow(events []store.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cut := c.now().Add(-WaitWindow)
	for _, ev := range events {
		q, ok := c.queues[ev.Queue]
		if !ok || ev.At.Before(cut) {
			continue
		}
		if ms, ok := waitedMS(ev); ok {
			q.window.add(ev.At, time.Duration(ms)*time.Millisecond)
		}
	}
}

// waitedMS is how long a caller had waited, from an event that ends a
// wait in a queue. Rows from before typed events keep it as text.
func waitedMS(ev store.Event) (int64, bool) {
	switch ev.Type {
	case "caller.abandoned", "caller.timeout", "caller.exit", "caller.server_stopped", "agent.answered", "callback.requested":
	default:
		return 0, false
	}
	if ev.Version == 0 {
		var old struct {
			WaitedMS int64 `json:"waited_ms,string"`
		}
		return old.WaitedMS, json.Unmarshal(ev.Data, &old) == nil
	}
	var w struct {
		WaitedMS *int64 `json:"waited_ms"`
	}
	if json.Unmarshal(ev.Data, &w) != nil || w.WaitedMS == nil {
		return 0, false
	}
	return *w.WaitedMS, true
}
