package store

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// callLife is the events one answered, prompted and hung-up call writes
// to the log (as in the call-rate bench): its arrival, one step per
// dial-plan node and its end, with payloads of the sizes they have.
func callLife(i int, at time.Time) []Event {
	id := fmt.Sprintf("%08x-bench@127.0.0.1", i)
	ev := func(kind, data string) Event {
		return Event{At: at, Type: kind, Version: 1, CallID: id, Interaction: id, Data: json.RawMessage(data)}
	}
	return []Event{
		ev("call.arrived", `{"from":"sipp","to":"100","dialplan":"bench","config_version":"3f2a9c1e"}`),
		ev("call.step", `{"dialplan":"bench","node":"answer","node_type":"answer","next":"hello"}`),
		ev("call.step", `{"dialplan":"bench","node":"hello","node_type":"play","detail":"hello.wav","next":"bye"}`),
		ev("call.step", `{"dialplan":"bench","node":"bye","node_type":"hangup"}`),
		ev("call.hungup", `{"by":"server","cause":"hangup-node","duration_ms":3012,"talk_ms":0}`),
	}
}

// BenchmarkAppendCallLife appends and commits call lives' events: one
// op is one call's events, appended and committed. "burst" appends as
// fast as it can, so the writer's batches fill up; "1000/s" appends one
// call life every millisecond, as the server does at 1 000 calls/s,
// where the writer wakes for a few events at a time. cpu-µs/op is the
// CPU of every goroutine (the writer's commits included) per call life.
func BenchmarkAppendCallLife(b *testing.B) {
	b.Run("burst", func(b *testing.B) { benchAppend(b, 0) })
	b.Run("1000/s", func(b *testing.B) { benchAppend(b, time.Millisecond) })
}

func benchAppend(b *testing.B, every time.Duration) {
	l, err := Open(filepath.Join(b.TempDir(), "acd.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	at := time.Now()
	lives := make([][]Event, 1000)
	for i := range lives {
		lives[i] = callLife(i, at)
	}
	b.ReportAllocs()
	cpu0 := processCPU(b)
	start := time.Now()
	b.ResetTimer()
	for i := range b.N {
		if every > 0 {
			time.Sleep(time.Until(start.Add(time.Duration(i) * every)))
		}
		for _, e := range lives[i%len(lives)] {
			l.Append(e)
		}
	}
	if err := l.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64((processCPU(b)-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
}

// processCPU is the CPU time the process has used, on every goroutine:
// the writer's commits count, and the machine's other load does not.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
