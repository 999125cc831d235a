package recording

import (
	"fmt"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/acdserver/acd/media"
)

// BenchmarkRecordRelayed is what recording costs 500 relayed calls, as
// the media loops see it and beside them: two loops (one per side, as
// the engine spreads a pair's sessions) wake every 2 ms and hand a
// tenth of their calls a 20 ms packet each, 50 a second a side, while
// the writers place and write them. An op is one 2 ms slot; cpu-ns/pkt
// is the whole process's CPU (getrusage) per packet handed, the loops'
// own wake-ups included, so the unrecorded run is the floor to take
// away.
//
//	go test -run '^$' -bench BenchmarkRecordRelayed -benchtime 1000x ./recording
func BenchmarkRecordRelayed(b *testing.B) {
	const calls, slots = 500, 10
	for _, recorded := range []bool{false, true} {
		name := "unrecorded"
		if recorded {
			name = "recorded"
		}
		b.Run(name, func(b *testing.B) {
			dir := b.TempDir()
			pool := NewPool(runtime.GOMAXPROCS(0))
			defer pool.Close()
			taps := make([]*Tap, calls)
			if recorded {
				for i := range taps {
					w, err := pool.Create(filepath.Join(dir, fmt.Sprintf("%d.wav", i)))
					if err != nil {
						b.Fatal(err)
					}
					defer w.Close()
					taps[i] = w.Tap(1, 2)
				}
			}
			var before syscall.Rusage
			_ = syscall.Getrusage(syscall.RUSAGE_SELF, &before)
			b.ResetTimer()
			done := make(chan int)
			for side := range 2 {
				go func() {
					handed := 0
					p := media.TapPacket{Member: media.Member(side + 1), Codec: media.PCMU, SSRC: uint32(side), Len: media.FrameSize}
					for i := range p.Payload {
						p.Payload[i] = byte(i)
					}
					tick := time.NewTicker(media.FrameDuration / slots)
					defer tick.Stop()
					for n := range b.N {
						now := <-tick.C
						slot := n % slots
						for i := slot; i < calls; i += slots {
							p.Timestamp = uint32(n/slots) * media.FrameSize
							p.Arrival = now
							if taps[i] != nil {
								taps[i].WritePacket(&p)
							}
							handed++
						}
					}
					done <- handed
				}()
			}
			packets := <-done + <-done
			b.StopTimer()
			var after syscall.Rusage
			_ = syscall.Getrusage(syscall.RUSAGE_SELF, &after)
			cpu := time.Duration(after.Utime.Nano() + after.Stime.Nano() - before.Utime.Nano() - before.Stime.Nano())
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(packets), "cpu-ns/pkt")
		})
	}
}
