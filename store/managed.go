package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
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
	if _, err := l.db.Exec(managedSchema + planVersionsSchema); err != nil {
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
	tx, err := m.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("storing %s %s: %w", kind, id, err)
	}
	defer tx.Rollback()
	if err := putTx(ctx, tx, kind, id, body); err != nil {
		return err
	}
	return tx.Commit()
}

// Delete removes an object's definition.
func (m *Managed) Delete(ctx context.Context, kind, id string) error {
	if _, err := m.db.ExecContext(ctx, `DELETE FROM managed_objects WHERE kind = ? AND id = ?`, kind, id); err != nil {
		return fmt.Errorf("deleting %s %s: %w", kind, id, err)
	}
	return nil
}

const planVersionsSchema = `
CREATE TABLE IF NOT EXISTS dialplan_versions (
	name       TEXT NOT NULL,
	version    INTEGER NOT NULL,
	body       TEXT NOT NULL,
	created_ns INTEGER NOT NULL,
	created_by TEXT NOT NULL,
	PRIMARY KEY (name, version)
);
`

// PlanVersion is one uploaded version of a dial plan.
type PlanVersion struct {
	Name      string
	Version   int
	Body      string
	CreatedAt time.Time
	CreatedBy string
}

// AddPlanVersion keeps a new version of an uploaded dial plan and puts it
// in force, in one transaction; it returns the version's number.
func (m *Managed) AddPlanVersion(ctx context.Context, name, body, by string, at time.Time) (int, error) {
	tx, err := m.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("storing dial plan %s: %w", name, err)
	}
	defer tx.Rollback()
	var v int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) + 1 FROM dialplan_versions WHERE name = ?`, name).Scan(&v); err != nil {
		return 0, fmt.Errorf("numbering dial plan %s: %w", name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO dialplan_versions(name, version, body, created_ns, created_by) VALUES (?, ?, ?, ?, ?)`,
		name, v, body, at.UnixNano(), by); err != nil {
		return 0, fmt.Errorf("storing dial plan %s: %w", name, err)
	}
	if err := putTx(ctx, tx, "dialplan", name, body); err != nil {
		return 0, err
	}
	if err := putTx(ctx, tx, "dialplan-version", name, fmt.Sprint(v)); err != nil {
		return 0, err
	}
	return v, tx.Commit()
}

// ActivatePlanVersion puts a kept version back in force.
func (m *Managed) ActivatePlanVersion(ctx context.Context, name string, v int) error {
	pv, err := m.PlanVersion(ctx, name, v)
	if err != nil {
		return err
	}
	tx, err := m.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("activating dial plan %s: %w", name, err)
	}
	defer tx.Rollback()
	if err := putTx(ctx, tx, "dialplan", name, pv.Body); err != nil {
		return err
	}
	if err := putTx(ctx, tx, "dialplan-version", name, fmt.Sprint(v)); err != nil {
		return err
	}
	return tx.Commit()
}

// PlanVersion reads one kept version; ErrNotFound when there is none.
func (m *Managed) PlanVersion(ctx context.Context, name string, v int) (PlanVersion, error) {
	pv := PlanVersion{Name: name, Version: v}
	var at int64
	err := m.reader.QueryRowContext(ctx, `SELECT body, created_ns, created_by FROM dialplan_versions WHERE name = ? AND version = ?`, name, v).
		Scan(&pv.Body, &at, &pv.CreatedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return PlanVersion{}, ErrNotFound
	}
	if err != nil {
		return PlanVersion{}, fmt.Errorf("reading dial plan %s version %d: %w", name, v, err)
	}
	pv.CreatedAt = time.Unix(0, at)
	return pv, nil
}

// PlanVersions lists the kept versions of a dial plan, oldest first.
func (m *Managed) PlanVersions(ctx context.Context, name string) ([]PlanVersion, error) {
	rows, err := m.reader.QueryContext(ctx, `SELECT version, body, created_ns, created_by FROM dialplan_versions WHERE name = ? ORDER BY version`, name)
	if err != nil {
		return nil, fmt.Errorf("reading dial plan %s: %w", name, err)
	}
	defer rows.Close()
	var out []PlanVersion
	for rows.Next() {
		pv := PlanVersion{Name: name}
		var at int64
		if err := rows.Scan(&pv.Version, &pv.Body, &at, &pv.CreatedBy); err != nil {
			return nil, fmt.Errorf("reading dial plan %s: %w", name, err)
		}
		pv.CreatedAt = time.Unix(0, at)
		out = append(out, pv)
	}
	return out, rows.Err()
}

func putTx(ctx context.Context, tx *sql.Tx, kind, id, body string) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO managed_objects(kind, id, body) VALUES (?, ?, ?)
		ON CONFLICT(kind, id) DO UPDATE SET body = excluded.body`, kind, id, body); err != nil {
		return fmt.Errorf("storing %s %s: %w", kind, id, err)
	}
	return nil
}
