package store

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"
)

func TestLogOrderAndReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "acd.db")
	l, err := Open(path, slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 1000 {
		l.Append(Event{Type: "test", CallID: fmt.Sprint(i % 7), Data: map[string]string{"i": fmt.Sprint(i)}})
	}
	if err := l.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	evs, err := l.Events(context.Background(), Filter{CallID: "3"})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 143 || evs[0].Data["i"] != "3" || evs[1].Data["i"] != "10" {
		t.Fatalf("got %d events starting %+v", len(evs), evs[:2])
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	// A reopened log continues the sequence.
	l, err = Open(path, slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.Append(Event{Type: "after"})
	l.Flush(context.Background())
	evs, _ = l.Events(context.Background(), Filter{AfterSeq: 999})
	if len(evs) != 2 || evs[0].Seq != 1000 || evs[1].Seq != 1001 || evs[1].Type != "after" {
		t.Fatalf("after reopening: %+v", evs)
	}
}

func TestCallbackRequestsMergeAndSurviveReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "acd.db")
	l, err := Open(path, slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	cb, err := OpenCallbacks(l)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	joined := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	first, merged, err := cb.Request(ctx, CallbackRequest{Queue: "support", Number: "+14155550123", CallID: "a", Joined: joined})
	if err != nil || merged {
		t.Fatalf("first request: %v merged=%v", err, merged)
	}
	second, merged, err := cb.Request(ctx, CallbackRequest{Queue: "support", Number: "+14155550123", CallID: "b", Joined: time.Now()})
	if err != nil || !merged || second.ID != first.ID || !second.Joined.Equal(joined) {
		t.Fatalf("repeat request: %+v merged=%v %v; want merged into %d keeping the first place", second, merged, err, first.ID)
	}
	l.Close()
	l, _ = Open(path, slog.Default())
	defer l.Close()
	cb, _ = OpenCallbacks(l)
	open, err := cb.Open(ctx, "support")
	if err != nil || len(open) != 1 || open[0].Number != "+14155550123" || !open[0].Joined.Equal(joined) {
		t.Fatalf("after reopening: %+v %v", open, err)
	}
}
