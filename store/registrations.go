package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Registration is where an agent's phone can be reached, as its last
// REGISTER said.
type Registration struct {
	Agent     string
	Contact   string // the Contact URI
	Source    string // IP:PORT the REGISTER came from (NAT)
	Transport string
	CallID    string
	CSeq      uint32
	Expires   time.Time
}

const registrationSchema = `
CREATE TABLE IF NOT EXISTS registrations (
	agent      TEXT NOT NULL,
	contact    TEXT NOT NULL,
	source     TEXT NOT NULL,
	transport  TEXT NOT NULL,
	call_id    TEXT NOT NULL,
	cseq       INTEGER NOT NULL,
	expires_ns INTEGER NOT NULL,
	PRIMARY KEY (agent, contact)
);
`

// Registrations keeps phones' registrations across restarts: without them
// a restarted server could not ring an agent until the phone registered
// again, which for many phones is an hour later.
type Registrations struct {
	db     *sql.DB
	reader *sql.DB
}

// OpenRegistrations uses the event log's database.
func OpenRegistrations(l *Log) (*Registrations, error) {
	if _, err := l.db.Exec(registrationSchema); err != nil {
		return nil, fmt.Errorf("creating registrations table: %w", err)
	}
	return &Registrations{db: l.db, reader: l.reader}, nil
}

// Replace stores an agent's registrations, replacing what was stored.
func (r *Registrations) Replace(ctx context.Context, agent string, regs []Registration) error {
	tx, err := r.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("storing registrations of %s: %w", agent, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM registrations WHERE agent = ?`, agent); err != nil {
		return fmt.Errorf("storing registrations of %s: %w", agent, err)
	}
	for _, g := range regs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO registrations(agent, contact, source, transport, call_id, cseq, expires_ns) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			agent, g.Contact, g.Source, g.Transport, g.CallID, g.CSeq, g.Expires.UnixNano()); err != nil {
			return fmt.Errorf("storing registrations of %s: %w", agent, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("storing registrations of %s: %w", agent, err)
	}
	return nil
}

// Live lists the registrations that have not expired at now.
func (r *Registrations) Live(ctx context.Context, now time.Time) ([]Registration, error) {
	rows, err := r.reader.QueryContext(ctx, `SELECT agent, contact, source, transport, call_id, cseq, expires_ns
		FROM registrations WHERE expires_ns > ? ORDER BY agent, expires_ns`, now.UnixNano())
	if err != nil {
		return nil, fmt.Errorf("reading registrations: %w", err)
	}
	defer rows.Close()
	var out []Registration
	for rows.Next() {
		var g Registration
		var ns int64
		if err := rows.Scan(&g.Agent, &g.Contact, &g.Source, &g.Transport, &g.CallID, &g.CSeq, &ns); err != nil {
			return nil, fmt.Errorf("reading registrations: %w", err)
		}
		g.Expires = time.Unix(0, ns)
		out = append(out, g)
	}
	return out, rows.Err()
}
