// Package store keeps the server's records in SQLite: one ordered event log
// that analytics and the live views read, and (later) durable requests.
package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	_ "github.com/mattn/go-sqlite3" // the embedded default database
)

// Event is one state change, as appended to the log.
type Event struct {
	Seq    int64             `json:"seq"`
	At     time.Time         `json:"at"`
	Type   string            `json:"type"`
	CallID string            `json:"call_id,omitempty"`
	Queue  string            `json:"queue,omitempty"`
	Agent  string            `json:"agent,omitempty"`
	Data   map[string]string `json:"data,omitempty"`
}

// Log is the ordered event log. Append assigns sequence numbers in call
// order and returns at once; one writer goroutine commits events in
// batches, so the owner of the state never waits on the disk.
type Log struct {
	db      *sql.DB
	log     *slog.Logger
	mu      sync.Mutex
	seq     int64
	pending chan Event
	done    chan struct{}
	flushes chan chan struct{}
}

const schema = `
CREATE TABLE IF NOT EXISTS events (
	seq     INTEGER PRIMARY KEY,
	at      TEXT NOT NULL,
	type    TEXT NOT NULL,
	call_id TEXT NOT NULL DEFAULT '',
	queue   TEXT NOT NULL DEFAULT '',
	agent   TEXT NOT NULL DEFAULT '',
	data    TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS events_at ON events(at);
CREATE INDEX IF NOT EXISTS events_call ON events(call_id);
`

// Open opens (creating if needed) the database file in WAL mode.
func Open(path string, log *slog.Logger) (*Log, error) {
	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_synchronous=NORMAL&_busy_timeout=5000&_foreign_keys=on")
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	db.SetMaxOpenConns(1) // SQLite has one writer; queue in Go, not in SQLite
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("creating schema in %s: %w", path, err)
	}
	l := &Log{db: db, log: log, pending: make(chan Event, 65536), done: make(chan struct{}), flushes: make(chan chan struct{})}
	if err := db.QueryRow(`SELECT COALESCE(MAX(seq), 0) FROM events`).Scan(&l.seq); err != nil {
		db.Close()
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	go l.write()
	return l, nil
}

// DB gives other stores the same database.
func (l *Log) DB() *sql.DB { return l.db }

// Append adds an event at the end of the log. Events appended by one
// goroutine, or under one lock, keep their order.
func (l *Log) Append(e Event) {
	l.mu.Lock()
	l.seq++
	e.Seq = l.seq
	if e.At.IsZero() {
		e.At = time.Now()
	}
	l.mu.Unlock()
	l.pending <- e
}

// Flush returns once every event appended before it is committed.
func (l *Log) Flush(ctx context.Context) error {
	ack := make(chan struct{})
	select {
	case l.flushes <- ack:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-ack:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close commits what is pending and closes the database.
func (l *Log) Close() error {
	close(l.pending)
	<-l.done
	return l.db.Close()
}

func (l *Log) write() {
	defer close(l.done)
	batch := make([]Event, 0, 256)
	for {
		var ack chan struct{}
		select {
		case e, ok := <-l.pending:
			if !ok {
				l.commit(batch)
				return
			}
			batch = append(batch, e)
		case ack = <-l.flushes:
		}
		// Take whatever else is already waiting and commit it in batches;
		// a flush waits until nothing appended before it is left.
		for more := true; more; {
			more = false
		drain:
			for len(batch) < cap(batch) {
				select {
				case e, ok := <-l.pending:
					if !ok {
						break drain
					}
					batch = append(batch, e)
				default:
					break drain
				}
			}
			more = len(batch) == cap(batch)
			l.commit(batch)
			batch = batch[:0]
		}
		if ack != nil {
			close(ack)
		}
	}
}

func (l *Log) commit(batch []Event) {
	if len(batch) == 0 {
		return
	}
	tx, err := l.db.Begin()
	if err != nil {
		l.log.Error("event log: begin", "error", err)
		return
	}
	stmt, err := tx.Prepare(`INSERT INTO events(seq, at, type, call_id, queue, agent, data) VALUES (?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		_ = tx.Rollback()
		l.log.Error("event log: prepare", "error", err)
		return
	}
	defer stmt.Close()
	for _, e := range batch {
		data, _ := json.Marshal(e.Data)
		if _, err := stmt.Exec(e.Seq, e.At.UTC().Format(time.RFC3339Nano), e.Type, e.CallID, e.Queue, e.Agent, string(data)); err != nil {
			l.log.Error("event log: insert", "seq", e.Seq, "type", e.Type, "error", err)
		}
	}
	if err := tx.Commit(); err != nil {
		l.log.Error("event log: commit", "error", err)
	}
}

// Filter selects events; empty fields match everything.
type Filter struct {
	CallID, Queue, Agent string
	Since, Until         time.Time
	AfterSeq             int64
}

// Events reads events in order.
func (l *Log) Events(ctx context.Context, f Filter) ([]Event, error) {
	q := `SELECT seq, at, type, call_id, queue, agent, data FROM events WHERE seq > ?`
	args := []any{f.AfterSeq}
	for _, c := range []struct{ col, v string }{{"call_id", f.CallID}, {"queue", f.Queue}, {"agent", f.Agent}} {
		if c.v != "" {
			q += " AND " + c.col + " = ?"
			args = append(args, c.v)
		}
	}
	if !f.Since.IsZero() {
		q += " AND at >= ?"
		args = append(args, f.Since.UTC().Format(time.RFC3339Nano))
	}
	if !f.Until.IsZero() {
		q += " AND at < ?"
		args = append(args, f.Until.UTC().Format(time.RFC3339Nano))
	}
	rows, err := l.db.QueryContext(ctx, q+" ORDER BY seq", args...)
	if err != nil {
		return nil, fmt.Errorf("reading events: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var at, data string
		if err := rows.Scan(&e.Seq, &at, &e.Type, &e.CallID, &e.Queue, &e.Agent, &data); err != nil {
			return nil, fmt.Errorf("reading events: %w", err)
		}
		e.At, _ = time.Parse(time.RFC3339Nano, at)
		_ = json.Unmarshal([]byte(data), &e.Data)
		out = append(out, e)
	}
	return out, rows.Err()
}
