package event

import (
	"testing"
	"time"
)

// BenchmarkNewCallLife builds the log entries of one answered, prompted
// and hung-up call: its arrival, three dial-plan steps and its end.
func BenchmarkNewCallLife(b *testing.B) {
	at := time.Now()
	ref := Ref{Call: "0000002a-bench@127.0.0.1", Interaction: "0000002a-bench@127.0.0.1"}
	b.ReportAllocs()
	for b.Loop() {
		New(at, ref, CallArrived{From: "sipp", To: "100", Plan: "bench", Config: "3f2a9c1e"})
		New(at, ref, CallStep{Plan: "bench", Node: "answer", Type: "answer", Next: "hello"})
		New(at, ref, CallStep{Plan: "bench", Node: "hello", Type: "play", Detail: "hello.wav", Next: "bye"})
		New(at, ref, CallStep{Plan: "bench", Node: "bye", Type: "hangup"})
		New(at, ref, CallHungUp{By: "server", Cause: "hangup-node", DurationMS: 3012})
	}
}
