package store

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"
)

// openGathering opens a log whose writer lets appends gather for gather.
func openGathering(t *testing.T, path string, gather time.Duration) *Log {
	t.Helper()
	l, err := open(path, slog.Default(), 5*time.Second, 10*time.Millisecond, gather)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// appendWhileGathering appends an event to a log opened with a long
// gather time and returns once the writer waits for more.
func appendWhileGathering(t *testing.T, path string) *Log {
	t.Helper()
	waiting := make(chan struct{}, 1)
	l, err := open(path, slog.Default(), 5*time.Second, 10*time.Millisecond, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	l.mu.Lock() // gathering is set before the first event
	l.gathering = func() { signal(waiting) }
	l.mu.Unlock()
	l.Append(Event{Type: "test"})
	select {
	case <-waiting:
	case <-time.After(5 * time.Second):
		t.Fatal("the writer did not start gathering")
	}
	return l
}

// TestBatchesStoreEveryFieldInOrderWithoutGaps: however many events a
// commit holds (one INSERT or several), each is stored whole, under its
// own sequence number, in the order appended.
func TestBatchesStoreEveryFieldInOrderWithoutGaps(t *testing.T) {
	for _, n := range []int{1, rowsPerInsert - 1, rowsPerInsert, rowsPerInsert + 1, batchSize, batchSize + 1, 3*batchSize + 7} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			l := openGathering(t, filepath.Join(t.TempDir(), "acd.db"), gatherTime)
			defer l.Close()
			base := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
			want := make([]Event, n)
			for i := range want {
				want[i] = Event{Seq: int64(i + 1), At: base.Add(time.Duration(i) * 1500 * time.Microsecond), Type: fmt.Sprintf("kind.%d", i%3),
					Version: 1 + i%2, CallID: fmt.Sprintf("c%d", i), Interaction: fmt.Sprintf("i%d", i/2),
					Queue: fmt.Sprintf("q%d", i%4), Agent: fmt.Sprintf("a%d", i%5), Data: json.RawMessage(fmt.Sprintf(`{"i":%d}`, i))}
				if i%10 == 9 {
					want[i].Data = nil // stored as {} and read back as none
				}
				l.Append(want[i])
			}
			if err := l.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			got, err := l.Events(context.Background(), Filter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != n {
				t.Fatalf("%d events stored, want %d", len(got), n)
			}
			for i := range got {
				g, w := got[i], want[i]
				if g.Seq != w.Seq || !g.At.Equal(w.At) || g.Type != w.Type || g.Version != w.Version || g.CallID != w.CallID ||
					g.Interaction != w.Interaction || g.Queue != w.Queue || g.Agent != w.Agent || string(g.Data) != string(w.Data) {
					t.Fatalf("event %d:\n got %+v\nwant %+v", i, g, w)
				}
			}
			var text string
			if err := l.reader.QueryRow(`SELECT at FROM events WHERE seq = ?`, n).Scan(&text); err != nil || text != want[n-1].At.Format(time.RFC3339Nano) {
				t.Fatalf("text time of the last event: %q, %v; want %q", text, err, want[n-1].At.Format(time.RFC3339Nano))
			}
		})
	}
}

// TestFlushDoesNotWaitForTheGathering: a flush (a callback request's
// acknowledgement) commits at once, however long appends may gather.
func TestFlushDoesNotWaitForTheGathering(t *testing.T) {
	l := appendWhileGathering(t, filepath.Join(t.TempDir(), "acd.db"))
	defer l.Close()
	for range 2 {
		l.Append(Event{Type: "test"})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := l.Flush(ctx); err != nil {
		t.Fatalf("flush with appends gathering for an hour: %v", err)
	}
	if seq, err := l.LastSeq(ctx); err != nil || seq != 3 {
		t.Fatalf("last committed seq after the flush: %d, %v; want 3", seq, err)
	}
}

// TestCloseDoesNotWaitForTheGathering: Close commits what is pending at
// once, and a reopened log has it.
func TestCloseDoesNotWaitForTheGathering(t *testing.T) {
	path := filepath.Join(t.TempDir(), "acd.db")
	l := appendWhileGathering(t, path)
	closed := make(chan error, 1)
	go func() { closed <- l.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close waited for the gathering")
	}
	l = openGathering(t, path, gatherTime)
	defer l.Close()
	if seq, err := l.LastSeq(context.Background()); err != nil || seq != 1 {
		t.Fatalf("last seq after reopening: %d, %v; want 1", seq, err)
	}
}

// TestAppendsAreCommittedWithoutAFlush: events nobody flushes reach the
// disk (and the readers) once they have gathered.
func TestAppendsAreCommittedWithoutAFlush(t *testing.T) {
	l := openGathering(t, filepath.Join(t.TempDir(), "acd.db"), 20*time.Millisecond)
	defer l.Close()
	l.Append(Event{Type: "first"})
	l.Append(Event{Type: "second"})
	deadline := time.Now().Add(5 * time.Second)
	for {
		seq, err := l.LastSeq(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if seq == 2 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("last committed seq %d after 5 s without a flush, want 2", seq)
		}
		time.Sleep(5 * time.Millisecond) // polling the readers' view, not synchronising
	}
}
