package store

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"testing"
	"time"
)

// TestRecordingsIndex: entries are listed newest first by call, queue,
// one agent exactly, period and a supervisor's queues; one left open is
// found at the next start; a delete is gone.
func TestRecordingsIndex(t *testing.T) {
	t.Parallel()
	l, err := Open(filepath.Join(t.TempDir(), "acd.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	idx, err := OpenRecordings(l)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	for i, r := range []Recording{
		{ID: "r1", Interaction: "c1", Queue: "support", Agents: []string{"1001"}},
		{ID: "r2", Interaction: "c2", Queue: "sales", Agents: []string{"10011"}},
		{ID: "r3", Interaction: "c3", Queue: "support", Agents: []string{"1002", "1001"}},
	} {
		r.Started, r.File = at.Add(time.Duration(i)*time.Hour), r.ID+".wav"
		if err := idx.AddRecording(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	r1, _ := idx.Recording(ctx, "r1")
	r1.Ended, r1.DurationMS, r1.Bytes = at.Add(time.Minute), 60000, 960044
	if err := idx.UpdateRecording(ctx, r1); err != nil {
		t.Fatal(err)
	}
	ids := func(f RecordingFilter) string {
		t.Helper()
		list, err := idx.ListRecordings(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		s := ""
		for _, r := range list {
			s += r.ID + " "
		}
		return s
	}
	for _, tc := range []struct {
		name string
		f    RecordingFilter
		want string
	}{
		{"all, newest first", RecordingFilter{}, "r3 r2 r1 "},
		{"one call", RecordingFilter{Interaction: "c2"}, "r2 "},
		{"one queue", RecordingFilter{Queue: "support"}, "r3 r1 "},
		{"one agent, not a longer id", RecordingFilter{Agent: "1001"}, "r3 r1 "},
		{"a period", RecordingFilter{Since: at.Add(30 * time.Minute), Until: at.Add(90 * time.Minute)}, "r2 "},
		{"a supervisor's queues", RecordingFilter{Queues: []string{"sales"}}, "r2 "},
		{"a supervisor of none", RecordingFilter{Queues: []string{}}, ""},
		{"limited", RecordingFilter{Limit: 1}, "r3 "},
	} {
		if got := ids(tc.f); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	open, err := idx.OpenRecordingsLeft(ctx)
	if err != nil || len(open) != 2 {
		t.Fatalf("left open: %+v, %v; want r2 and r3", open, err)
	}
	if got, _ := idx.Recording(ctx, "r1"); got.DurationMS != 60000 || !got.Ended.Equal(r1.Ended) || len(got.Agents) != 1 {
		t.Fatalf("r1 reads back as %+v", got)
	}
	if err := idx.DeleteRecording(ctx, "r1"); err != nil {
		t.Fatal(err)
	}
	if err := idx.DeleteRecording(ctx, "r1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleting twice: %v", err)
	}
}
