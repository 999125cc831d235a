package store

import (
	"context"
	"fmt"
)

// Query selects a page of events for the API: Filter's fields, plus a
// type prefix, the actor recorded in an event's data, and a limit.
type Query struct {
	Filter
	TypePrefix string // "audit." matches every audit event
	Actor      string // the id of data.actor
	// Audit keeps the audit trail: "audit." events and every other
	// event a user caused (data.actor.kind "user": agents' state changes
	// made through the API).
	Audit bool
	Limit int // 0: no limit
}

// Page reads events in order of sequence, at most q.Limit of them.
func (l *Log) Page(ctx context.Context, q Query) ([]Event, error) {
	sqlq := `SELECT ` + eventColumns + ` FROM events WHERE seq > ?`
	args := []any{q.AfterSeq}
	sqlq, args = q.match(sqlq, args)
	if q.TypePrefix != "" {
		// A range rather than LIKE: no escaping of _ and %, and the
		// comparison is exact bytes.
		sqlq += " AND type >= ? AND type < ?"
		args = append(args, q.TypePrefix, q.TypePrefix+"\U0010FFFF")
	}
	if q.Audit {
		sqlq += ` AND ((type >= 'audit.' AND type < 'audit/') OR json_extract(data, '$.actor.kind') = 'user')`
	}
	if q.Actor != "" {
		sqlq += " AND json_extract(data, '$.actor.id') = ?"
		args = append(args, q.Actor)
	}
	if !q.Since.IsZero() {
		sqlq += " AND at_ns >= ?"
		args = append(args, q.Since.UnixNano())
	}
	if !q.Until.IsZero() {
		sqlq += " AND at_ns < ?"
		args = append(args, q.Until.UnixNano())
	}
	sqlq += " ORDER BY seq"
	if q.Limit > 0 {
		sqlq += fmt.Sprintf(" LIMIT %d", q.Limit)
	}
	rows, err := l.reader.QueryContext(ctx, sqlq, args...)
	if err != nil {
		return nil, fmt.Errorf("reading events: %w", err)
	}
	return scanEvents(rows)
}

// LastSeq is the sequence number of the last committed event (0 when
// there is none): what a reader can see now, which may be behind what
// Append has numbered.
func (l *Log) LastSeq(ctx context.Context) (int64, error) {
	var seq int64
	if err := l.reader.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM events`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("reading the last event: %w", err)
	}
	return seq, nil
}

// AgentHistory reads what restoring agents needs: for each agent its last
// agent.state event, and for each agent and queue its last
// agent.logged_in or agent.logged_out, in log order.
func (l *Log) AgentHistory(ctx context.Context) ([]Event, error) {
	rows, err := l.reader.QueryContext(ctx, `SELECT `+eventColumns+` FROM events WHERE seq IN (
		SELECT MAX(seq) FROM events WHERE type = 'agent.state' GROUP BY agent
		UNION ALL
		SELECT MAX(seq) FROM events WHERE type IN ('agent.logged_in', 'agent.logged_out') GROUP BY agent, queue
	) ORDER BY seq`)
	if err != nil {
		return nil, fmt.Errorf("reading agents' last states: %w", err)
	}
	return scanEvents(rows)
}
