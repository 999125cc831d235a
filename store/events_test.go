package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
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
		l.Append(Event{Type: "test", CallID: fmt.Sprint(i % 7), Data: json.RawMessage(fmt.Sprintf(`{"i":%d}`, i))})
	}
	if err := l.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	evs, err := l.Events(context.Background(), Filter{CallID: "3"})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 143 || string(evs[0].Data) != `{"i":3}` || string(evs[1].Data) != `{"i":10}` {
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

// TestReadersDoNotWaitForTheWriter: a report reads while the writer's one
// connection is taken.
func TestReadersDoNotWaitForTheWriter(t *testing.T) {
	l, err := Open(filepath.Join(t.TempDir(), "acd.db"), slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.Append(Event{Type: "test"})
	if err := l.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	writer, err := l.DB().Conn(context.Background()) // the writer's only connection
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	evs, err := l.Events(ctx, Filter{})
	if err != nil || len(evs) != 1 {
		t.Fatalf("read while the writer was busy: %d events, %v", len(evs), err)
	}
}

// signalHandler reports each record whose message contains want.
type signalHandler struct {
	slog.Handler
	want string
	seen chan string
}

func (h signalHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h signalHandler) Handle(ctx context.Context, r slog.Record) error {
	if strings.Contains(r.Message, h.want) {
		select {
		case h.seen <- r.Message:
		default:
		}
	}
	return nil
}

// TestFailedCommitIsRetried: while another process holds the database,
// commits fail; the batch is kept and stored once the lock is gone, with
// no gap in the sequence, and Flush waits for it.
func TestFailedCommitIsRetried(t *testing.T) {
	path := filepath.Join(t.TempDir(), "acd.db")
	h := signalHandler{Handler: slog.DiscardHandler, want: "commit failed", seen: make(chan string, 1)}
	l, err := open(path, slog.New(h), 20*time.Millisecond, time.Millisecond, gatherTime)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	other, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	other.SetMaxOpenConns(1)
	lock, err := other.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lock.Exec(`INSERT INTO events(seq, at, type) VALUES (-1, '', 'held')`); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		l.Append(Event{Type: "test", Data: json.RawMessage(fmt.Sprintf(`{"i":%d}`, i))})
	}
	select {
	case <-h.seen:
	case <-time.After(10 * time.Second):
		t.Fatal("no commit failed while the database was held")
	}
	_ = lock.Rollback()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := l.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	evs, err := l.Events(ctx, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 10 {
		t.Fatalf("%d of 10 events stored after the lock went", len(evs))
	}
	for i, e := range evs {
		if e.Seq != int64(i+1) {
			t.Fatalf("event %d has seq %d: a gap", i, e.Seq)
		}
	}
}

// TestSinceAtWholeSeconds: an event half a second after midnight is found
// by a query from midnight (as text, "00:00:00.5Z" sorts before
// "00:00:00Z").
func TestSinceAtWholeSeconds(t *testing.T) {
	l, err := Open(filepath.Join(t.TempDir(), "acd.db"), slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	midnight := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	l.Append(Event{Type: "before", At: midnight.Add(-time.Millisecond)})
	l.Append(Event{Type: "after", At: midnight.Add(500 * time.Millisecond)})
	l.Append(Event{Type: "later", At: midnight.Add(time.Second)})
	if err := l.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	evs, err := l.Events(context.Background(), Filter{Since: midnight, Until: midnight.Add(time.Second)})
	if err != nil || len(evs) != 1 || evs[0].Type != "after" {
		t.Fatalf("events in [00:00:00, 00:00:01): %+v, %v; want the one at 00:00:00.5", evs, err)
	}
}

// TestAppendAfterClose is refused and logged, not a panic.
func TestAppendAfterClose(t *testing.T) {
	h := signalHandler{Handler: slog.DiscardHandler, want: "append after close", seen: make(chan string, 1)}
	l, err := Open(filepath.Join(t.TempDir(), "acd.db"), slog.New(h))
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l.Append(Event{Type: "late"})
	select {
	case <-h.seen:
	default:
		t.Fatal("a late append was not logged")
	}
	if err := l.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestRegistrationsSurviveReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "acd.db")
	l, err := Open(path, slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	regs, err := OpenRegistrations(l)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	now := time.Now()
	live := Registration{Agent: "1001", Contact: "sip:1001@192.0.2.10:5060", Source: "198.51.100.7:40000", Transport: "UDP",
		CallID: "c1", CSeq: 7, Expires: now.Add(time.Hour).Truncate(time.Microsecond)}
	expired := Registration{Agent: "1001", Contact: "sip:1001@192.0.2.11:5060", Source: "198.51.100.7:40001", Transport: "UDP",
		CallID: "c2", CSeq: 1, Expires: now.Add(-time.Second)}
	if err := regs.Replace(ctx, "1001", []Registration{live, expired}); err != nil {
		t.Fatal(err)
	}
	if err := regs.Replace(ctx, "1002", []Registration{{Agent: "1002", Contact: "sip:1002@x", Expires: now.Add(time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	if err := regs.Replace(ctx, "1002", nil); err != nil { // unregistered
		t.Fatal(err)
	}
	l.Close()
	l, _ = Open(path, slog.Default())
	defer l.Close()
	regs, _ = OpenRegistrations(l)
	got, err := regs.Live(ctx, now)
	if err != nil || len(got) != 1 || got[0] != live {
		t.Fatalf("after reopening: %+v %v; want only %+v", got, err, live)
	}
}
