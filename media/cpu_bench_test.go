package media

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// cpuMeter reports the process's CPU time (user and system) per
// operation as cpu-ns/op beside the wall-clock ns/op. On a machine shared
// with other jobs, wall-clock time includes the time this process waited
// for a core; its CPU time does not. It includes the CPU of the goroutine
// draining the loopback sink, the same for plain and SRTP packets.
type cpuMeter struct {
	b            *testing.B
	start, total time.Duration
}

// startCPU starts measuring; call it right before the timed loop.
func startCPU(b *testing.B) *cpuMeter {
	m := &cpuMeter{b: b}
	m.resume()
	return m
}

func processCPU() time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func (m *cpuMeter) resume() { m.start = processCPU() }
func (m *cpuMeter) pause()  { m.total += processCPU() - m.start }

// report ends measuring; call it right after the timed loop.
func (m *cpuMeter) report() {
	m.pause()
	if m.b.N > 0 {
		m.b.ReportMetric(float64(m.total.Nanoseconds())/float64(m.b.N), "cpu-ns/op")
	}
}
