package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Settings keeps the organisation's settings made through the API, by
// name: what the configuration file leaves to administrators.
type Settings struct {
	db, reader *sql.DB
}

const settingsSchema = `
CREATE TABLE IF NOT EXISTS settings (
	name  TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
`

// OpenSettings creates the settings table in the log's database.
func OpenSettings(l *Log) (*Settings, error) {
	if _, err := l.db.Exec(settingsSchema); err != nil {
		return nil, fmt.Errorf("creating the settings table: %w", err)
	}
	return &Settings{db: l.db, reader: l.reader}, nil
}

// Get reads a setting; ok is false when it was never set.
func (s *Settings) Get(ctx context.Context, name string) (value string, ok bool, err error) {
	err = s.reader.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, name).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("reading setting %s: %w", name, err)
	}
	return value, true, nil
}

// Set stores a setting.
func (s *Settings) Set(ctx context.Context, name, value string) error {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO settings(name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value`, name, value); err != nil {
		return fmt.Errorf("storing setting %s: %w", name, err)
	}
	return nil
}
