package report

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/acdserver/acd/store"
)

// Source is the event log as the projector reads it (store.Log).
type Source interface {
	Page(ctx context.Context, q store.Query) ([]store.Event, error)
	LastSeq(ctx context.Context) (int64, error)
}

// ProjectorConfig is what a Projector is built from.
type ProjectorConfig struct {
	Log Source
	// DB is the database the log is in, through its writer connection:
	// SQLite has one writer, and the projections' short transactions
	// take their turn with the log's commits rather than contend for
	// the file's lock.
	DB *sql.DB
	// Poll is how often Run looks for new events (default 250 ms).
	Poll time.Duration
	// Batch is how many events one transaction applies (default 5000).
	Batch  int
	Logger *slog.Logger
}

// Projector keeps the projections in step with the log: it reads the
// events after its position in batches and applies each batch in one
// transaction, the position with it, so that a crash never applies an
// event twice or skips one.
type Projector struct {
	src   Source
	db    *sql.DB
	poll  time.Duration
	batch int
	log   *slog.Logger

	mu sync.Mutex // one application at a time: Run, Sync and Rebuild
	st *state     // what the projector follows; nil: load it from the tables
}

// NewProjector creates the projections' tables if needed.
func NewProjector(c ProjectorConfig) (*Projector, error) {
	p := &Projector{src: c.Log, db: c.DB, poll: c.Poll, batch: c.Batch, log: c.Logger}
	if p.poll <= 0 {
		p.poll = 250 * time.Millisecond
	}
	if p.batch <= 0 {
		p.batch = 5000
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if _, err := p.db.Exec(schema); err != nil {
		return nil, fmt.Errorf("creating the report tables: %w", err)
	}
	return p, nil
}

// Run applies new events as the log grows, until ctx ends.
func (p *Projector) Run(ctx context.Context) {
	tick := time.NewTicker(p.poll)
	defer tick.Stop()
	for {
		if err := p.Sync(ctx); err != nil && ctx.Err() == nil {
			p.log.Warn("reports: applying events to the projections", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Sync applies every event committed to the log before it was called;
// reports call it so that they include what the log holds.
func (p *Projector) Sync(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	last, err := p.src.LastSeq(ctx)
	if err != nil {
		return err
	}
	return p.catchUp(ctx, last)
}

// Position is the seq of the last event applied.
func (p *Projector) Position(ctx context.Context) (int64, error) {
	var seq int64
	if err := p.db.QueryRowContext(ctx, `SELECT seq FROM report_position`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("reading the projections' position: %w", err)
	}
	return seq, nil
}

// Rebuild drops the projections and builds them again from the whole
// log. Reports asked for meanwhile wait for it (their Sync does).
func (p *Projector) Rebuild(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, err := p.db.ExecContext(ctx, dropSchema+schema); err != nil {
		return fmt.Errorf("recreating the report tables: %w", err)
	}
	p.st = newState()
	last, err := p.src.LastSeq(ctx)
	if err != nil {
		return err
	}
	return p.catchUp(ctx, last)
}

// catchUp applies events up to seq upTo; p.mu is held.
func (p *Projector) catchUp(ctx context.Context, upTo int64) error {
	if p.st == nil {
		st, err := loadState(ctx, p.db)
		if err != nil {
			return err
		}
		p.st = st
	}
	for p.st.seq < upTo {
		evs, err := p.src.Page(ctx, store.Query{Filter: store.Filter{AfterSeq: p.st.seq}, Limit: p.batch})
		if err != nil {
			return fmt.Errorf("reading events after %d: %w", p.st.seq, err)
		}
		if len(evs) == 0 {
			return nil
		}
		if err := p.applyBatch(ctx, evs); err != nil {
			// The memory may hold part of the failed batch: read it
			// again from what was committed.
			p.st = nil
			return err
		}
	}
	return nil
}

// applyBatch applies events in one transaction.
func (p *Projector) applyBatch(ctx context.Context, evs []store.Event) error {
	tx, err := p.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("beginning a projection batch: %w", err)
	}
	defer tx.Rollback()
	a, err := newApplier(ctx, tx, p.st)
	if err != nil {
		return err
	}
	defer a.close()
	for _, e := range evs {
		if err := a.apply(e); err != nil {
			var u *unreadable
			if errors.As(err, &u) {
				p.log.Warn("reports: an event's data does not decode; its figures are left out", "seq", e.Seq, "type", e.Type, "error", err)
				continue
			}
			return fmt.Errorf("applying event %d (%s): %w", e.Seq, e.Type, err)
		}
	}
	if err := a.finish(); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing a projection batch: %w", err)
	}
	return nil
}

// state is what the projector follows between events: each agent's open
// interval and queues, and the stays still waiting or talking. It is the
// tables' own content (report_agent_state, open stints), kept in memory
// so that applying an event rarely reads the database.
type state struct {
	seq, lastAt, maxInterval int64
	agents                   map[string]*agentState
	open                     map[string][]*openStint // by call_id
}

type agentState struct {
	state, reason, queue, call string
	since                      int64
	// stint is the stay the agent's call answered, for its wrap-up.
	stint  int64
	missed bool
	// queues: those the agent is logged in to; ivQueues: those it was in
	// at any time during the open interval, which the interval keeps.
	queues, ivQueues queueSet
}

type openStint struct {
	id                    int64
	queue, agent, outcome string
}

func newState() *state {
	return &state{agents: map[string]*agentState{}, open: map[string][]*openStint{}}
}

// loadState reads the state from the tables.
func loadState(ctx context.Context, db *sql.DB) (*state, error) {
	st := newState()
	err := db.QueryRowContext(ctx, `SELECT seq, last_at_ns, max_interval_ns FROM report_position`).Scan(&st.seq, &st.lastAt, &st.maxInterval)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the projections' position: %w", err)
	}
	rows, err := db.QueryContext(ctx, `SELECT agent, state, since_ns, reason, queue, call_id, stint, missed, queues, iv_queues FROM report_agent_state`)
	if err != nil {
		return nil, fmt.Errorf("reading agents' open intervals: %w", err)
	}
	for rows.Next() {
		var id, qs, ivqs string
		a := &agentState{}
		if err := rows.Scan(&id, &a.state, &a.since, &a.reason, &a.queue, &a.call, &a.stint, &a.missed, &qs, &ivqs); err != nil {
			rows.Close()
			return nil, fmt.Errorf("reading agents' open intervals: %w", err)
		}
		a.queues, a.ivQueues = parseQueueSet(qs), parseQueueSet(ivqs)
		st.agents[id] = a
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading agents' open intervals: %w", err)
	}
	rows, err = db.QueryContext(ctx, `SELECT id, call_id, queue, agent, outcome FROM report_stints WHERE open = 1 ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("reading open stays: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var call string
		s := &openStint{}
		if err := rows.Scan(&s.id, &call, &s.queue, &s.agent, &s.outcome); err != nil {
			return nil, fmt.Errorf("reading open stays: %w", err)
		}
		st.open[call] = append(st.open[call], s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading open stays: %w", err)
	}
	return st, nil
}
