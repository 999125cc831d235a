package api

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/acdserver/acd/store"
)

func TestFramesEncodeOncePerEvent(t *testing.T) {
	var fs frames
	e := store.Event{Seq: 7, At: time.Date(2026, 12, 1, 10, 0, 0, 5e8, time.UTC), Type: "agent.paused", Agent: "1001", Data: json.RawMessage(`{"reason":"Lunch"}`)}
	a, err := fs.get(e)
	if err != nil {
		t.Fatal(err)
	}
	want := "id: 7\ndata: {\"seq\":7,\"at\":\"2026-12-01T10:00:00.5Z\",\"type\":\"agent.paused\",\"v\":0,\"agent\":\"1001\",\"data\":{\"reason\":\"Lunch\"}}\n\n"
	if string(a) != want {
		t.Fatalf("frame %q, want %q", a, want)
	}
	b, _ := fs.get(e)
	if &a[0] != &b[0] {
		t.Fatal("the second stream's frame was encoded again")
	}
	// Another event in the same slot replaces it, and is its own.
	later := e
	later.Seq += int64(len(fs.slots))
	c, _ := fs.get(later)
	if !bytes.HasPrefix(c, []byte("id: 4103\n")) {
		t.Fatalf("an event sharing the slot got %q", c)
	}
}
