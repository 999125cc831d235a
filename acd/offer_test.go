package acd

import (
	"context"
	"fmt"
	"github.com/acdserver/acd/internal/testutil"
	"sync"
	"testing"
	"time"

	"github.com/acdserver/acd/store"
)

// race runs answer and leave in the order asked: one then the other, or
// both at once from two goroutines released together.
func race(order string, answer, leave func() bool) (answered, left bool) {
	switch order {
	case "answer-first":
		answered = answer()
		left = leave()
	case "leave-first":
		left = leave()
		answered = answer()
	default:
		var wg sync.WaitGroup
		start := make(chan struct{})
		wg.Add(2)
		go func() { defer wg.Done(); <-start; answered = answer() }()
		go func() { defer wg.Done(); <-start; left = leave() }()
		close(start)
		wg.Wait()
	}
	return answered, left
}

// TestAnswerAgainstLeave: an agent's answer and the caller leaving the
// queue (timeout, *, hang-up, shutdown) are one decision: whichever
// comes first, in either order or at once, exactly one of them wins.
// The winner is what the log records (agent.answered, or the caller's
// departure), the wait is counted once in the queue's window, and the
// agent is on the call or ready again.
func TestAnswerAgainstLeave(t *testing.T) {
	for _, d := range []struct {
		departure Departure
		event     string
	}{{TimedOut, "caller.timeout"}, {Exited, "caller.exit"}, {Abandoned, "caller.abandoned"}, {Stopped, "caller.server_stopped"}} {
		for _, order := range []string{"answer-first", "leave-first", "concurrent"} {
			t.Run(d.event+"/"+order, func(t *testing.T) {
				rounds := 1
				if order == "concurrent" {
					rounds = 50
				}
				for i := range rounds {
					r := newRig(t, testutil.QueueConfig("linear", "0s", true), "1001")
					login(t, r, "1001")
					tk := r.join(t, fmt.Sprintf("call-%d", i), "support")
					o := r.nextOffer(t)
					answered, left := race(order,
						func() bool {
							won, _ := r.c.Answer(o, "1001", stubLeg{"1001"})
							if !won {
								r.c.Release(o, "1001") // the flow hangs up the late leg, then reports it
							}
							return won
						},
						func() bool { return r.c.Leave(tk, d.departure) })
					r.c.RingsOver(o)
					if answered == left {
						t.Fatalf("round %d: answered %v, left %v: exactly one must win", i, answered, left)
					}
					if order == "answer-first" && !answered || order == "leave-first" && !left {
						t.Fatalf("round %d: the first to come did not win (answered %v)", i, answered)
					}
					if got := [2]int{r.log.Count("agent.answered"), r.log.Count(d.event)}; answered && got != [2]int{1, 0} || left && got != [2]int{0, 1} {
						t.Fatalf("round %d: answered %v, and the log has %d answers and %d %s", i, answered, got[0], got[1], d.event)
					}
					r.c.mu.Lock()
					counted := len(r.c.queues["support"].window.waited)
					r.c.mu.Unlock()
					if counted != 1 {
						t.Fatalf("round %d: the wait was counted %d times", i, counted)
					}
					want := Ready
					if answered {
						want = OnCall
					}
					mustState(t, r.c, "1001", want)
					if w, _ := r.c.Waiting("support"); len(w) != 0 {
						t.Fatalf("round %d: still waiting: %+v", i, w)
					}
					chained(t, r.log.All())
				}
			})
		}
	}
}

// TestAnswerAgainstCallbackRequest: a caller's # (its request stored)
// and an agent's answer are one decision too. Either the caller leaves
// with its request (callback.requested, no answer), or the agent has the
// caller and the request stays open for the agent to decide on; in both
// cases the request keeps the caller's place in the waiting list.
func TestAnswerAgainstCallbackRequest(t *testing.T) {
	for _, order := range []string{"answer-first", "leave-first", "concurrent"} {
		t.Run(order, func(t *testing.T) {
			rounds := 1
			if order == "concurrent" {
				rounds = 50
			}
			for i := range rounds {
				r := newRig(t, testutil.QueueConfig("linear", "0s", true), "1001")
				login(t, r, "1001")
				tk := r.join(t, fmt.Sprintf("call-%d", i), "support")
				o := r.nextOffer(t)
				req := store.CallbackRequest{ID: int64(i + 1), Queue: "support", Number: "+14155550100", CallID: tk.e.id, Joined: time.Now()}
				answered, left := race(order,
					func() bool {
						won, _ := r.c.Answer(o, "1001", stubLeg{"1001"})
						if !won {
							r.c.Release(o, "1001")
						}
						return won
					},
					func() bool { return r.c.CallbackRequested(context.Background(), tk, req, false) })
				r.c.RingsOver(o)
				if answered == left {
					t.Fatalf("round %d: answered %v, requested %v: exactly one must win", i, answered, left)
				}
				if got := [2]int{r.log.Count("agent.answered"), r.log.Count("callback.requested")}; answered && got != [2]int{1, 0} || left && got != [2]int{0, 1} {
					t.Fatalf("round %d: answered %v, and the log has %d answers and %d requests", i, answered, got[0], got[1])
				}
				w, _ := r.c.Waiting("support")
				if len(w) != 1 || !w[0].Callback || w[0].CallID != fmt.Sprintf("callback-%d", i+1) {
					t.Fatalf("round %d: the waiting list is %+v, want the request alone", i, w)
				}
				chained(t, r.log.All())
			}
		})
	}
}
