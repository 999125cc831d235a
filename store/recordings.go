package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Recording is a call recording's entry in the index. Ended is zero while
// it is being written.
type Recording struct {
	ID          string
	Interaction string
	CallID      string // the customer's side
	Queue       string
	Agents      []string // in the order the contact reached them
	Started     time.Time
	Ended       time.Time
	DurationMS  int64
	File        string // relative to the data directory
	Bytes       int64
}

// RecordingFilter selects recordings; zero fields select all.
type RecordingFilter struct {
	Interaction, Queue, Agent string
	Since, Until              time.Time // on Started: [Since, Until)
	Queues                    []string  // non-nil: only these queues (a restricted supervisor's)
	Limit                     int
}

const recordingSchema = `
CREATE TABLE IF NOT EXISTS recordings (
	id          TEXT PRIMARY KEY,
	interaction TEXT NOT NULL,
	call_id     TEXT NOT NULL,
	queue       TEXT NOT NULL,
	agents      TEXT NOT NULL,
	started     INTEGER NOT NULL,
	ended       INTEGER NOT NULL DEFAULT 0,
	duration_ms INTEGER NOT NULL DEFAULT 0,
	file        TEXT NOT NULL,
	bytes       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS recordings_started ON recordings(started);
CREATE INDEX IF NOT EXISTS recordings_interaction ON recordings(interaction);
`

// Recordings is the index of call recordings; the files are on disk.
type Recordings struct {
	db     *sql.DB
	reader *sql.DB
}

// OpenRecordings uses the event log's database.
func OpenRecordings(l *Log) (*Recordings, error) {
	if _, err := l.db.Exec(recordingSchema); err != nil {
		return nil, fmt.Errorf("creating recordings table: %w", err)
	}
	return &Recordings{db: l.db, reader: l.reader}, nil
}

// agents are kept as ",a,b," so that one agent is matched exactly.
func joinAgents(a []string) string { return "," + strings.Join(a, ",") + "," }

func splitAgents(s string) []string {
	s = strings.Trim(s, ",")
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// AddRecording stores a recording that has started.
func (r *Recordings) AddRecording(ctx context.Context, rec Recording) error {
	_, err := r.db.ExecContext(ctx, `INSERT INTO recordings(id, interaction, call_id, queue, agents, started, file) VALUES(?,?,?,?,?,?,?)`,
		rec.ID, rec.Interaction, rec.CallID, rec.Queue, joinAgents(rec.Agents), rec.Started.UnixNano(), rec.File)
	if err != nil {
		return fmt.Errorf("storing recording %s: %w", rec.ID, err)
	}
	return nil
}

// UpdateRecording stores a recording's agents, end, duration and size.
func (r *Recordings) UpdateRecording(ctx context.Context, rec Recording) error {
	var ended int64
	if !rec.Ended.IsZero() {
		ended = rec.Ended.UnixNano()
	}
	_, err := r.db.ExecContext(ctx, `UPDATE recordings SET agents=?, ended=?, duration_ms=?, bytes=? WHERE id=?`,
		joinAgents(rec.Agents), ended, rec.DurationMS, rec.Bytes, rec.ID)
	if err != nil {
		return fmt.Errorf("updating recording %s: %w", rec.ID, err)
	}
	return nil
}

// DeleteRecording removes a recording's entry; ErrNotFound when none.
func (r *Recordings) DeleteRecording(ctx context.Context, id string) error {
	res, err := r.db.ExecContext(ctx, `DELETE FROM recordings WHERE id=?`, id)
	if err != nil {
		return fmt.Errorf("deleting recording %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// Recording reads one entry; ErrNotFound when none.
func (r *Recordings) Recording(ctx context.Context, id string) (Recording, error) {
	list, err := r.query(ctx, `WHERE id=?`, []any{id}, 1)
	if err != nil {
		return Recording{}, err
	}
	if len(list) == 0 {
		return Recording{}, ErrNotFound
	}
	return list[0], nil
}

// OpenRecordingsLeft are the recordings never closed: the server stopped
// while writing them.
func (r *Recordings) OpenRecordingsLeft(ctx context.Context) ([]Recording, error) {
	return r.query(ctx, `WHERE ended=0`, nil, 0)
}

// ListRecordings lists the recordings f selects, newest first.
func (r *Recordings) ListRecordings(ctx context.Context, f RecordingFilter) ([]Recording, error) {
	var where []string
	var args []any
	if f.Interaction != "" {
		where, args = append(where, "interaction=?"), append(args, f.Interaction)
	}
	if f.Queue != "" {
		where, args = append(where, "queue=?"), append(args, f.Queue)
	}
	if f.Agent != "" {
		where, args = append(where, "instr(agents, ?) > 0"), append(args, ","+f.Agent+",")
	}
	if !f.Since.IsZero() {
		where, args = append(where, "started>=?"), append(args, f.Since.UnixNano())
	}
	if !f.Until.IsZero() {
		where, args = append(where, "started<?"), append(args, f.Until.UnixNano())
	}
	if f.Queues != nil {
		ph := make([]string, len(f.Queues))
		for i, q := range f.Queues {
			ph[i], args = "?", append(args, q)
		}
		if len(ph) == 0 {
			return nil, nil
		}
		where = append(where, "queue IN ("+strings.Join(ph, ",")+")")
	}
	clause := ""
	if len(where) > 0 {
		clause = "WHERE " + strings.Join(where, " AND ")
	}
	return r.query(ctx, clause, args, f.Limit)
}

func (r *Recordings) query(ctx context.Context, where string, args []any, limit int) ([]Recording, error) {
	q := `SELECT id, interaction, call_id, queue, agents, started, ended, duration_ms, file, bytes FROM recordings ` + where + ` ORDER BY started DESC, id`
	if limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", limit)
	}
	rows, err := r.reader.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("listing recordings: %w", err)
	}
	defer rows.Close()
	var out []Recording
	for rows.Next() {
		var rec Recording
		var agents string
		var started, ended int64
		if err := rows.Scan(&rec.ID, &rec.Interaction, &rec.CallID, &rec.Queue, &agents, &started, &ended, &rec.DurationMS, &rec.File, &rec.Bytes); err != nil {
			return nil, fmt.Errorf("listing recordings: %w", err)
		}
		rec.Agents, rec.Started = splitAgents(agents), time.Unix(0, started)
		if ended != 0 {
			rec.Ended = time.Unix(0, ended)
		}
		out = append(out, rec)
	}
	if err := rows.Err(); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("listing recordings: %w", err)
	}
	return out, nil
}
