package store

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
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
