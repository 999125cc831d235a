package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"time"
)

// RecordedVersion is one version of a recorded message: its audio as
// 8 kHz 16-bit little-endian linear mono, and where it came from.
type RecordedVersion struct {
	Version   int
	Samples   int // at 8 kHz
	Source    string
	CreatedBy string
	Created   time.Time
}

// Duration is how long the version plays.
func (v RecordedVersion) Duration() time.Duration {
	return time.Duration(v.Samples) * time.Second / 8000
}

// RecordedMessage is a recorded message with every version kept, oldest
// first, and the one in force.
type RecordedMessage struct {
	Name     string
	Current  int
	Versions []RecordedVersion
}

// The audio is kept in the database, not in files: a version is written
// with its message in one transaction, so that no upload is ever half
// stored, and the data directory holds no file named by a user.
const recordedSchema = `
CREATE TABLE IF NOT EXISTS recorded_messages (
	name       TEXT PRIMARY KEY,
	current    INTEGER NOT NULL,
	created_ns INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS recorded_message_versions (
	name       TEXT NOT NULL REFERENCES recorded_messages(name) ON DELETE CASCADE,
	version    INTEGER NOT NULL,
	pcm        BLOB NOT NULL,
	samples    INTEGER NOT NULL,
	source     TEXT NOT NULL,
	created_by TEXT NOT NULL DEFAULT '',
	created_ns INTEGER NOT NULL,
	PRIMARY KEY (name, version)
);
`

// RecordedMessages keeps recorded messages in the event log's database.
type RecordedMessages struct {
	db     *sql.DB
	reader *sql.DB
}

// OpenRecordedMessages uses the event log's database, creating the
// tables it lacks.
func OpenRecordedMessages(l *Log) (*RecordedMessages, error) {
	if _, err := l.db.Exec(recordedSchema); err != nil {
		return nil, fmt.Errorf("creating recorded message tables: %w", err)
	}
	return &RecordedMessages{db: l.db, reader: l.reader}, nil
}

// RecordedMessages lists every message with its versions, by name.
func (r *RecordedMessages) RecordedMessages(ctx context.Context) ([]RecordedMessage, error) {
	rows, err := r.reader.QueryContext(ctx, `SELECT m.name, m.current, v.version, v.samples, v.source, v.created_by, v.created_ns
		FROM recorded_messages m JOIN recorded_message_versions v ON v.name = m.name
		ORDER BY m.name, v.version`)
	if err != nil {
		return nil, fmt.Errorf("listing recorded messages: %w", err)
	}
	defer rows.Close()
	var out []RecordedMessage
	for rows.Next() {
		var (
			name    string
			current int
			v       RecordedVersion
			ns      int64
		)
		if err := rows.Scan(&name, &current, &v.Version, &v.Samples, &v.Source, &v.CreatedBy, &ns); err != nil {
			return nil, fmt.Errorf("listing recorded messages: %w", err)
		}
		v.Created = time.Unix(0, ns).UTC()
		if len(out) == 0 || out[len(out)-1].Name != name {
			out = append(out, RecordedMessage{Name: name, Current: current})
		}
		out[len(out)-1].Versions = append(out[len(out)-1].Versions, v)
	}
	return out, rows.Err()
}

// AddRecordedVersion stores pcm as the next version of the message name,
// creating the message if it is new, and puts it in force.
func (r *RecordedMessages) AddRecordedVersion(ctx context.Context, name string, pcm []byte, v RecordedVersion) (int, error) {
	tx, err := r.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var next int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) + 1 FROM recorded_message_versions WHERE name = ?`, name).Scan(&next); err != nil {
		return 0, fmt.Errorf("numbering the version of %s: %w", name, err)
	}
	ns := v.Created.UnixNano()
	if _, err := tx.ExecContext(ctx, `INSERT INTO recorded_messages (name, current, created_ns) VALUES (?, ?, ?)
		ON CONFLICT(name) DO UPDATE SET current = excluded.current`, name, next, ns); err != nil {
		return 0, fmt.Errorf("storing recorded message %s: %w", name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO recorded_message_versions (name, version, pcm, samples, source, created_by, created_ns)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, name, next, pcm, len(pcm)/2, v.Source, v.CreatedBy, ns); err != nil {
		return 0, fmt.Errorf("storing version %d of %s: %w", next, name, err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("storing recorded message %s: %w", name, err)
	}
	return next, nil
}

// RecordedAudio is a version's audio (0: the one in force) and its
// number; ErrNotFound when the message or the version does not exist.
func (r *RecordedMessages) RecordedAudio(ctx context.Context, name string, version int) ([]byte, int, error) {
	var pcm []byte
	err := r.reader.QueryRowContext(ctx, `SELECT v.pcm, v.version FROM recorded_messages m
		JOIN recorded_message_versions v ON v.name = m.name
		WHERE m.name = ? AND v.version = CASE WHEN ? = 0 THEN m.current ELSE ? END`, name, version, version).Scan(&pcm, &version)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, ErrNotFound
	}
	if err != nil {
		return nil, 0, fmt.Errorf("reading recorded message %s: %w", name, err)
	}
	return pcm, version, nil
}

// DeleteRecordedMessage removes a message and every version of it;
// ErrNotFound when there is none.
func (r *RecordedMessages) DeleteRecordedMessage(ctx context.Context, name string) error {
	res, err := r.db.ExecContext(ctx, `DELETE FROM recorded_messages WHERE name = ?`, name)
	if err != nil {
		return fmt.Errorf("deleting recorded message %s: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// RecordedMessageNames reads the names of the recorded messages of the
// database at path without opening it for writing, for checking a
// configuration beside a running server. No database: no messages.
func RecordedMessageNames(ctx context.Context, path string) ([]string, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	db, err := sql.Open("sqlite3", fmt.Sprintf("file:%s?mode=ro&_query_only=1&_busy_timeout=5000", path))
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	defer db.Close()
	var exists int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'recorded_messages'`).Scan(&exists); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if exists == 0 {
		return nil, nil
	}
	rows, err := db.QueryContext(ctx, `SELECT name FROM recorded_messages ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("reading recorded messages in %s: %w", path, err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	return names, rows.Err()
}
