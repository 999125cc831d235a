package store

import (
	"context"
	"database/sql"
	"fmt"
)

// Managed keeps the queues and agents made through the API: each one's
// definition as the configuration file would hold it (YAML), by kind
// ("queue", "agent") and id. What the file declares is never here.
type Managed struct {
	db, reader *sql.DB
}

const managedSchema = `
CREATE TABLE IF NOT EXISTS managed_objects (
	kind TEXT NOT NULL,
	id   TEXT NOT NULL,
	body TEXT NOT NULL,
	PRIMARY KEY (kind, id)
);
`

// OpenManaged creates the table in the log's database.
func OpenManaged(l *Log) (*Managed, error) {
	if _, err := l.db.Exec(managedSchema); err != nil {
		return nil, fmt.Errorf("creating the managed objects table: %w", err)
	}
	return &Managed{db: l.db, reader: l.reader}, nil
}

// All reads every managed object: kind, then id, to its definition.
func (m *Managed) All(ctx context.Context) (map[string]map[string]string, error) {
	rows, err := m.db.QueryContext(ctx, `SELECT kind, id, body FROM managed_objects`)
	if err != nil {
		return nil, fmt.Errorf("reading managed objects: %w", err)
	}
	defer rows.Close()
	out := map[string]map[string]string{}
	for rows.Next() {
		var kind, id, body string
		if err := rows.Scan(&kind, &id, &body); err != nil {
			return nil, fmt.Errorf("reading managed objects: %w", err)
		}
		if out[kind] == nil {
			out[kind] = map[string]string{}
		}
		out[kind][id] = body
	}
	return out, rows.Err()
}

// Put stores an object's definition, new or replaced; Delete removes
// one. Both are durable before they return.
func (m *Managed) Put(ctx context.Context, kind, id, body string) error {
	if _, err := m.db.ExecContext(ctx, `INSERT INTO managed_objects(kind, id, body) VALUES (?, ?, ?)
		ON CONFLICT(kind, id) DO UPDATE SET body = excluded.body`, kind, id, body); err != nil {
		return fmt.Errorf("storing %s %s: %w", kind, id, err)
	}
	return nil
}

// Delete removes an object's definition.
func (m *Managed) Delete(ctx context.Context, kind, id string) error {
	if _, err := m.db.ExecContext(ctx, `DELETE FROM managed_objects WHERE kind = ? AND id = ?`, kind, id); err != nil {
		return fmt.Errorf("deleting %s %s: %w", kind, id, err)
	}
	return nil
}
