package acd

import (
	"github.com/acdserver/acd/internal/testutil"
	"testing"
	"time"

	"github.com/acdserver/acd/hangup"
)

// TestWakeUps: a back-off that ends wakes dispatch by itself, even when a
// later wake-up was asked for first (the Center's one timer is set to the
// earliest, and the later one is kept); Close stops the timer.
func TestWakeUps(t *testing.T) {
	r := newRig(t, testutil.QueueConfig("linear", "0s", true), "1001")
	r.c.SetBusyBackoff(200 * time.Millisecond)
	login(t, r, "1001")
	r.join(t, "c1", "support")
	o := r.nextOffer(t)
	r.c.mu.Lock()
	r.c.dispatchAfter(time.Hour)
	r.c.mu.Unlock()
	r.c.Miss(o, "1001", hangup.RingBusy)
	r.c.RingsOver(o)
	select {
	case again := <-r.offers:
		t.Fatalf("offered to %v again during the busy back-off", again.Rings)
	default:
	}
	if again := r.nextOffer(t); again.Rings[0].Agent != "1001" {
		t.Fatalf("offered to %v after the back-off", again.Rings)
	}
	r.c.mu.Lock()
	left := len(r.c.wake.at)
	r.c.mu.Unlock()
	if left != 1 {
		t.Fatalf("%d wake-ups left, want the hour's", left)
	}
	r.c.Close()
	r.c.mu.Lock()
	defer r.c.mu.Unlock()
	if len(r.c.wake.at) != 0 || r.c.wake.timer.Stop() {
		t.Fatal("Close left the timer armed")
	}
}
