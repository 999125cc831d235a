package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Callback request states.
const (
	CallbackPending   = "pending"
	CallbackDialing   = "dialing"
	CallbackCompleted = "completed"
	CallbackFailed    = "failed"
)

// CallbackRequest is a caller's request to be called back; it keeps the
// caller's place in the queue through Joined.
type CallbackRequest struct {
	ID          int64
	Queue       string
	Number      string // E.164
	CallID      string // the call that asked
	Joined      time.Time
	Status      string
	Attempts    int
	NextAttempt time.Time
}

const callbackSchema = `
CREATE TABLE IF NOT EXISTS callback_requests (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	queue        TEXT NOT NULL,
	number       TEXT NOT NULL,
	call_id      TEXT NOT NULL,
	joined       TEXT NOT NULL,
	status       TEXT NOT NULL,
	attempts     INTEGER NOT NULL DEFAULT 0,
	next_attempt TEXT NOT NULL DEFAULT '',
	updated      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS callback_open ON callback_requests(status, queue);
`

// Callbacks keeps callback requests durably: every change of a request is
// on disk, with synchronous=FULL, before it is acted on — a request before
// the caller hears it was taken, a completion before the next dial could
// repeat it after a power cut.
type Callbacks struct {
	db     *sql.DB // the writer
	reader *sql.DB
}

// OpenCallbacks uses the event log's database.
func OpenCallbacks(l *Log) (*Callbacks, error) {
	if _, err := l.db.Exec(callbackSchema); err != nil {
		return nil, fmt.Errorf("creating callback table: %w", err)
	}
	return &Callbacks{db: l.db, reader: l.reader}, nil
}

// durably runs fn in a transaction committed with synchronous=FULL: it
// survives a power cut the moment it returns.
func (c *Callbacks) durably(ctx context.Context, fn func(tx *sql.Tx) error) error {
	conn, err := c.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA synchronous=FULL`); err != nil {
		return err
	}
	defer conn.ExecContext(context.Background(), `PRAGMA synchronous=NORMAL`)
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// Request records a request, or merges it with a pending one for the same
// number in the same queue (the earlier place is kept). It returns the
// request and whether it merged.
func (c *Callbacks) Request(ctx context.Context, r CallbackRequest) (CallbackRequest, bool, error) {
	merged := false
	err := c.durably(ctx, func(tx *sql.Tx) error {
		var existing CallbackRequest
		var joined string
		err := tx.QueryRowContext(ctx, `SELECT id, joined, attempts FROM callback_requests
			WHERE queue = ? AND number = ? AND status IN (?, ?) ORDER BY id LIMIT 1`,
			r.Queue, r.Number, CallbackPending, CallbackDialing).Scan(&existing.ID, &joined, &existing.Attempts)
		switch {
		case err == nil:
			existing.Queue, existing.Number, existing.Status = r.Queue, r.Number, CallbackPending
			existing.Joined, _ = time.Parse(time.RFC3339Nano, joined)
			existing.CallID = r.CallID
			if _, err := tx.ExecContext(ctx, `UPDATE callback_requests SET updated = ? WHERE id = ?`, ts(time.Now()), existing.ID); err != nil {
				return err
			}
			r, merged = existing, true
			return nil
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		r.Status = CallbackPending
		res, err := tx.ExecContext(ctx, `INSERT INTO callback_requests(queue, number, call_id, joined, status, updated) VALUES (?, ?, ?, ?, ?, ?)`,
			r.Queue, r.Number, r.CallID, ts(r.Joined), r.Status, ts(time.Now()))
		if err != nil {
			return err
		}
		r.ID, _ = res.LastInsertId()
		return nil
	})
	if err != nil {
		return r, false, fmt.Errorf("recording a callback request: %w", err)
	}
	return r, merged, nil
}

// Update stores a request's status, attempts and next attempt.
func (c *Callbacks) Update(ctx context.Context, r CallbackRequest) error {
	err := c.durably(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE callback_requests SET status = ?, attempts = ?, next_attempt = ?, updated = ? WHERE id = ?`,
			r.Status, r.Attempts, ts(r.NextAttempt), ts(time.Now()), r.ID)
		return err
	})
	if err != nil {
		return fmt.Errorf("callback request %d: %w", r.ID, err)
	}
	return nil
}

// Open lists pending and dialing requests (all queues when queue is ""),
// in the order callers joined.
func (c *Callbacks) Open(ctx context.Context, queue string) ([]CallbackRequest, error) {
	rows, err := c.reader.QueryContext(ctx, `SELECT id, queue, number, call_id, joined, status, attempts, next_attempt
		FROM callback_requests WHERE status IN (?, ?) AND (? = '' OR queue = ?) ORDER BY joined, id`,
		CallbackPending, CallbackDialing, queue, queue)
	if err != nil {
		return nil, fmt.Errorf("reading callback requests: %w", err)
	}
	defer rows.Close()
	var out []CallbackRequest
	for rows.Next() {
		var r CallbackRequest
		var joined, next string
		if err := rows.Scan(&r.ID, &r.Queue, &r.Number, &r.CallID, &joined, &r.Status, &r.Attempts, &next); err != nil {
			return nil, err
		}
		r.Joined, _ = time.Parse(time.RFC3339Nano, joined)
		r.NextAttempt, _ = time.Parse(time.RFC3339Nano, next)
		out = append(out, r)
	}
	return out, rows.Err()
}
