// Package gaps counts the gaps between the packets of RTP streams, from
// the kernel's receive timestamps, for the load scenarios' simulated
// phones (agentsim, callersim).
package gaps

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// gapStep and gapSteps: gaps are counted in 0.1 ms steps up to 200 ms;
// longer ones in the last.
const (
	gapStep  = 100 * time.Microsecond
	gapSteps = 2000
)

// Counts is a histogram of the gaps between packets of streams, shared
// by every call's reading goroutine; gaps are counted only while On.
type Counts struct {
	On     atomic.Bool
	counts [gapSteps + 1]atomic.Uint64
	most   atomic.Int64
}

// Add counts one gap.
func (g *Counts) Add(d time.Duration) {
	if !g.On.Load() || d < 0 {
		return
	}
	g.counts[min(int(d/gapStep), gapSteps)].Add(1)
	for {
		m := g.most.Load()
		if int64(d) <= m || g.most.CompareAndSwap(m, int64(d)) {
			return
		}
	}
}

// Summary is the gaps counted, their median, 99th percentile and the
// longest, in ms.
func (g *Counts) Summary() (n uint64, p50, p99, most float64) {
	for i := range g.counts {
		n += g.counts[i].Load()
	}
	at := func(q float64) float64 {
		var seen uint64
		for i := range g.counts {
			seen += g.counts[i].Load()
			if float64(seen) >= q*float64(n) {
				return float64(i+1) * float64(gapStep) / 1e6
			}
		}
		return 0
	}
	if n == 0 {
		return 0, 0, 0, 0
	}
	return n, at(0.5), at(0.99), float64(g.most.Load()) / 1e6
}

// StampArrivals makes the kernel give each datagram's arrival time, so
// that a gap is the spacing at arrival, not when the goroutine got the
// CPU (as bench/rtpstat does).
func StampArrivals(c *net.UDPConn) error {
	raw, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1)
	}); err != nil {
		return err
	}
	return serr
}

// Arrival is the kernel's receive timestamp in a datagram's control
// messages.
func Arrival(oob []byte) (time.Time, bool) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return time.Time{}, false
	}
	for _, m := range msgs {
		if m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SCM_TIMESTAMPNS && len(m.Data) >= 16 {
			// struct timespec on 64-bit Linux: seconds, nanoseconds.
			sec := int64(binary.NativeEndian.Uint64(m.Data[0:8]))
			nsec := int64(binary.NativeEndian.Uint64(m.Data[8:16]))
			return time.Unix(sec, nsec), true
		}
	}
	return time.Time{}, false
}

// Window counts gaps between the SIGUSR1 and SIGUSR2 the scenario script
// sends around its measuring window, and prints them at SIGUSR2, until
// ctx ends. opened and closed (either may be nil) add what the
// simulator measures over the same window.
func (g *Counts) Window(ctx context.Context, opened, closed func()) {
	window := make(chan os.Signal, 2)
	signal.Notify(window, syscall.SIGUSR1, syscall.SIGUSR2)
	defer signal.Stop(window)
	for {
		select {
		case <-ctx.Done():
			return
		case sig := <-window:
			if sig == syscall.SIGUSR1 {
				if opened != nil {
					opened()
				}
				g.On.Store(true)
				continue
			}
			g.On.Store(false)
			n, p50, p99, most := g.Summary()
			fmt.Printf("gaps %d p50_ms %.2f p99_ms %.2f max_ms %.2f\n", n, p50, p99, most)
			if closed != nil {
				closed()
			}
		}
	}
}
