// Package store keeps the server's records in SQLite: one ordered event log
// that analytics and the live views read, and (later) durable requests.
package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	_ "github.com/mattn/go-sqlite3" // the embedded default database
)

// Event is one state change, as appended to the log. Data is the JSON of
// the kind's payload (package event has their types); Version is its
// schema version, 0 for rows written before events were typed.
type Event struct {
	Seq         int64           `json:"seq"`
	At          time.Time       `json:"at"`
	Type        string          `json:"type"`
	Version     int             `json:"v"`
	CallID      string          `json:"call_id,omitempty"`
	Interaction string          `json:"interaction,omitempty" doc:"the inbound call this event belongs to, across transfers and callbacks"`
	Queue       string          `json:"queue,omitempty"`
	Agent       string          `json:"agent,omitempty"`
	Data        json.RawMessage `json:"data,omitempty"`
}

// Log is the ordered event log. Append assigns sequence numbers in call
// order and returns at once; one writer goroutine commits events in
// batches, so the owner of the state never waits on the disk. Readers
// have connections of their own, so a report never holds up a commit.
type Log struct {
	db     *sql.DB // the one writer connection
	reader *sql.DB // read-only connections (WAL lets them read during a commit)
	log    *slog.Logger
	retry  time.Duration // first wait after a failed commit
	// gather is how long the writer lets appends gather into one batch
	// before it commits them, unless a flush, a full batch or Close
	// hurries it.
	gather time.Duration
	// gathering, when set (by tests), hears that the writer waits.
	gathering func()

	mu      sync.Mutex // guards seq, queue, closed and flushes; Append holds it briefly
	seq     int64
	queue   []Event         // appended, not yet taken by the writer
	flushes []chan struct{} // closed once everything before them is committed
	closed  bool
	wake    chan struct{} // one token: the queue has work
	hurry   chan struct{} // one token: commit now (a flush, a full batch, Close)
	done    chan struct{}

	// Owned by the writer goroutine (write, commit), closed after it.
	inserts map[int]*sql.Stmt // INSERTs of n rows, prepared once
	args    []any             // one INSERT's parameters, reused
}

const (
	// batchSize is the most events one commit stores.
	batchSize = 256
	// rowsPerInsert is the most events one INSERT stores: one statement
	// for many rows spares SQLite and database/sql their per-statement
	// work, and its 10 parameters a row stay far below SQLite's limit.
	rowsPerInsert = 64
	// gatherTime lets the events of many calls share a commit. Each
	// commit rewrites the table's and every index's last pages in the
	// WAL, whatever the number of rows: at 1 000 calls/s, committing
	// the few events each wake-up finds cost more CPU than the rest of
	// a call's handling. Flush does not wait for it, so a callback
	// request is acknowledged as soon as its commit is done; an event
	// only appended (never promised to be stored) reaches the disk, and
	// the live views, at most this much later.
	gatherTime = 10 * time.Millisecond
)

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
CREATE INDEX IF NOT EXISTS events_call ON events(call_id);
`

// Open opens (creating if needed) the database file in WAL mode.
func Open(path string, log *slog.Logger) (*Log, error) {
	return open(path, log, 5*time.Second, 10*time.Millisecond, gatherTime)
}

func open(path string, log *slog.Logger, busy, retry, gather time.Duration) (*Log, error) {
	if err := createOwnerOnly(path); err != nil {
		return nil, err
	}
	dsn := fmt.Sprintf("file:%s?_journal_mode=WAL&_synchronous=NORMAL&_busy_timeout=%d&_foreign_keys=on", path, busy.Milliseconds())
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	db.SetMaxOpenConns(1) // SQLite has one writer; queue in Go, not in SQLite
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("creating schema in %s: %w", path, err)
	}
	// SQLite gives its -wal and -shm files the database's mode; files
	// left by an older version are narrowed here.
	if err := narrow(path+"-wal", path+"-shm"); err != nil {
		db.Close()
		return nil, err
	}
	if err := migrateTyped(db); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrating %s: %w", path, err)
	}
	if err := migrateAtNS(db); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrating %s: %w", path, err)
	}
	reader, err := sql.Open("sqlite3", dsn+"&mode=ro&_query_only=1")
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("opening %s for reading: %w", path, err)
	}
	reader.SetMaxOpenConns(4)
	l := &Log{db: db, reader: reader, log: log, retry: retry, gather: gather,
		wake: make(chan struct{}, 1), hurry: make(chan struct{}, 1), done: make(chan struct{}),
		inserts: map[int]*sql.Stmt{}}
	if err := db.QueryRow(`SELECT COALESCE(MAX(seq), 0) FROM events`).Scan(&l.seq); err != nil {
		db.Close()
		reader.Close()
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	go l.write()
	return l, nil
}

// createOwnerOnly creates the database file, before SQLite opens it,
// readable by the server's user only whatever the umask (it holds
// password hashes), and narrows it if an older version left it wider.
func createOwnerOnly(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("creating %s: %w", path, err)
	}
	f.Close()
	return narrow(path)
}

// narrow makes the files that exist of paths readable by their owner only.
func narrow(paths ...string) error {
	for _, p := range paths {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("making %s readable by its owner only: %w", p, err)
		}
	}
	return nil
}

// migrateAtNS adds the integer timestamp that queries order and filter
// by. The text form (RFC 3339 with as many decimals as needed) does not
// sort as time does across whole seconds: "00:00:00.5Z" sorts before
// "00:00:00Z".
func migrateAtNS(db *sql.DB) error {
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM pragma_table_info('events') WHERE name = 'at_ns'`).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		if _, err := db.Exec(`ALTER TABLE events ADD COLUMN at_ns INTEGER NOT NULL DEFAULT 0`); err != nil {
			return err
		}
	}
	rows, err := db.Query(`SELECT seq, at FROM events WHERE at_ns = 0`)
	if err != nil {
		return err
	}
	type fix struct {
		seq int64
		ns  int64
	}
	var fixes []fix
	for rows.Next() {
		var f fix
		var at string
		if err := rows.Scan(&f.seq, &at); err != nil {
			rows.Close()
			return err
		}
		t, _ := time.Parse(time.RFC3339Nano, at)
		f.ns = t.UnixNano()
		fixes = append(fixes, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, f := range fixes {
		if _, err := tx.Exec(`UPDATE events SET at_ns = ? WHERE seq = ?`, f.ns, f.seq); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(`CREATE INDEX IF NOT EXISTS events_at_ns ON events(at_ns)`); err != nil {
		return err
	}
	return tx.Commit()
}

// migrateTyped adds the schema version of each row's data (rows from
// before have 0) and the interaction id.
func migrateTyped(db *sql.DB) error {
	for _, col := range []struct{ name, def string }{
		{"v", "INTEGER NOT NULL DEFAULT 0"},
		{"interaction", "TEXT NOT NULL DEFAULT ''"},
	} {
		var n int
		if err := db.QueryRow(`SELECT COUNT(*) FROM pragma_table_info('events') WHERE name = ?`, col.name).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			if _, err := db.Exec(`ALTER TABLE events ADD COLUMN ` + col.name + ` ` + col.def); err != nil {
				return err
			}
		}
	}
	_, err := db.Exec(`CREATE INDEX IF NOT EXISTS events_interaction ON events(interaction) WHERE interaction != '';
		CREATE INDEX IF NOT EXISTS events_type_agent ON events(type, agent, queue)`)
	return err
}

// DB gives other stores the same database (its writer connection).
func (l *Log) DB() *sql.DB { return l.db }

// Reader gives other stores the log's read-only connections: WAL lets
// them read while the writer commits, so a long query never holds up the
// log.
func (l *Log) Reader() *sql.DB { return l.reader }

// Append adds an event at the end of the log. Events appended by one
// goroutine, or under one lock, keep their order. It never waits on the
// disk: while commits fail the queue grows in memory, and is committed in
// order once they succeed. After Close an event is refused and logged.
func (l *Log) Append(e Event) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		l.log.Error("event log: append after close", "type", e.Type, "call_id", e.CallID)
		return
	}
	l.seq++
	e.Seq = l.seq
	if e.At.IsZero() {
		e.At = time.Now()
	}
	l.queue = append(l.queue, e)
	// The writer, once woken, gathers what follows by itself: only the
	// first event and a full batch need a signal.
	first, full := len(l.queue) == 1, len(l.queue) == batchSize
	l.mu.Unlock()
	if first {
		signal(l.wake)
	}
	if full {
		signal(l.hurry)
	}
}

// signal leaves a token in ch unless one is there already.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// Pending is how many appended events are not yet committed: near 0
// while the disk keeps up.
func (l *Log) Pending() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.queue)
}

// Flush returns once every event appended before it is committed.
func (l *Log) Flush(ctx context.Context) error {
	ack := make(chan struct{})
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil // Close committed everything
	}
	l.flushes = append(l.flushes, ack)
	l.mu.Unlock()
	signal(l.wake)
	signal(l.hurry)
	select {
	case <-ack:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close commits what is pending and closes the database.
func (l *Log) Close() error {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	signal(l.wake)
	signal(l.hurry)
	<-l.done
	for _, st := range l.inserts {
		st.Close()
	}
	l.reader.Close()
	return l.db.Close()
}

// write commits the queue in batches, in order. A batch that fails to
// commit is retried, with growing waits, until it is stored: a later
// batch never goes in before it, so the stored sequence has no gaps, and
// no flush is acknowledged before its events are on disk.
func (l *Log) write() {
	defer close(l.done)
	const closeRetries = 10 // about 5 s of retries once closing
	gather := time.NewTimer(time.Hour)
	gather.Stop()
	for {
		l.waitForBatch(gather)
		l.mu.Lock()
		n := min(len(l.queue), batchSize)
		// The batch shares the queue's array: Append only writes past
		// the queue's end, and the queue is cut from the front.
		batch := l.queue[:n:n]
		var acks []chan struct{}
		if n == len(l.queue) {
			acks, l.flushes = l.flushes, nil // everything before them is in this batch
		}
		closed := l.closed
		l.mu.Unlock()
		if n == 0 {
			for _, a := range acks {
				close(a)
			}
			if closed {
				return
			}
			<-l.wake
			continue
		}
		wait := l.retry
		for failures := 0; ; failures++ {
			err := l.commit(batch)
			if err == nil {
				break
			}
			if failures == 0 || failures%100 == 0 {
				l.log.Error("event log: commit failed; retrying", "events", len(batch), "first_seq", batch[0].Seq, "failures", failures+1, "error", err)
			}
			l.mu.Lock()
			closing, left := l.closed, len(l.queue)
			l.mu.Unlock()
			if closing && failures >= closeRetries {
				// Shutting down on a disk that refuses writes: say what is
				// lost rather than hold the shutdown forever.
				l.log.Error("event log: events not stored at close", "events", left, "first_seq", batch[0].Seq, "error", err)
				return
			}
			time.Sleep(wait)
			wait = min(2*wait, time.Second)
		}
		l.mu.Lock()
		l.queue = l.queue[n:]
		l.mu.Unlock()
		for _, a := range acks {
			close(a)
		}
	}
}

// waitForBatch lets appends gather for up to l.gather when the queue
// has some but not a full batch, and nobody waits for them: a flush or
// Close ends the wait at once.
func (l *Log) waitForBatch(gather *time.Timer) {
	l.mu.Lock()
	n, urgent := len(l.queue), len(l.flushes) > 0 || l.closed
	l.mu.Unlock()
	if n == 0 || n >= batchSize || urgent || l.gather <= 0 {
		return
	}
	gather.Reset(l.gather)
	if l.gathering != nil {
		l.gathering()
	}
	select {
	case <-gather.C:
	case <-l.hurry:
		gather.Stop()
	}
}

// commit stores a batch in one transaction: all of it or none.
func (l *Log) commit(batch []Event) error {
	// Prepared before the transaction takes the one connection.
	for _, n := range []int{min(len(batch), rowsPerInsert), len(batch) % rowsPerInsert} {
		if err := l.prepareInsert(n); err != nil {
			return err
		}
	}
	tx, err := l.db.Begin()
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	for len(batch) > 0 {
		rows := batch[:min(len(batch), rowsPerInsert)]
		if err := l.insert(tx, rows); err != nil {
			return err
		}
		batch = batch[len(rows):]
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// insert stores rows with one INSERT statement.
func (l *Log) insert(tx *sql.Tx, rows []Event) error {
	args := l.args[:0]
	for _, e := range rows {
		data := string(e.Data)
		if data == "" {
			data = "{}"
		}
		args = append(args, e.Seq, e.At.UTC().Format(time.RFC3339Nano), e.At.UnixNano(), e.Type, e.Version,
			e.CallID, e.Interaction, e.Queue, e.Agent, data)
	}
	l.args = args
	stmt := tx.Stmt(l.inserts[len(rows)]) // prepared on the writer's one connection: not again
	defer stmt.Close()
	if _, err := stmt.Exec(args...); err != nil {
		return fmt.Errorf("insert seq %d to %d: %w", rows[0].Seq, rows[len(rows)-1].Seq, err)
	}
	clear(args) // let the batch's strings go
	return nil
}

// prepareInsert prepares the INSERT statement of n rows, the first time
// a batch needs it.
func (l *Log) prepareInsert(n int) error {
	if _, ok := l.inserts[n]; ok || n == 0 {
		return nil
	}
	q := `INSERT INTO events(seq, at, at_ns, type, v, call_id, interaction, queue, agent, data) VALUES ` +
		strings.Repeat(`(?, ?, ?, ?, ?, ?, ?, ?, ?, ?), `, n-1) + `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	st, err := l.db.Prepare(q)
	if err != nil {
		return fmt.Errorf("preparing the insert of %d events: %w", n, err)
	}
	l.inserts[n] = st
	return nil
}

// Filter selects events; empty fields match everything.
type Filter struct {
	CallID, Interaction, Queue, Agent string
	Since, Until                      time.Time
	AfterSeq                          int64
}

// Events reads events in order.
func (l *Log) Events(ctx context.Context, f Filter) ([]Event, error) {
	q := `SELECT ` + eventColumns + ` FROM events WHERE seq > ?`
	args := []any{f.AfterSeq}
	q, args = f.match(q, args)
	if !f.Since.IsZero() {
		q += " AND at_ns >= ?"
		args = append(args, f.Since.UnixNano())
	}
	if !f.Until.IsZero() {
		q += " AND at_ns < ?"
		args = append(args, f.Until.UnixNano())
	}
	rows, err := l.reader.QueryContext(ctx, q+" ORDER BY seq", args...)
	if err != nil {
		return nil, fmt.Errorf("reading events: %w", err)
	}
	return scanEvents(rows)
}

// eventColumns is what scanEvents reads, in its order.
const eventColumns = `seq, at_ns, type, v, call_id, interaction, queue, agent, data`

// match adds the filter's equality conditions to a query.
func (f Filter) match(q string, args []any) (string, []any) {
	for _, c := range []struct{ col, v string }{{"call_id", f.CallID}, {"interaction", f.Interaction}, {"queue", f.Queue}, {"agent", f.Agent}} {
		if c.v != "" {
			q += " AND " + c.col + " = ?"
			args = append(args, c.v)
		}
	}
	return q, args
}

// scanEvents reads the rows of a query selecting eventColumns, and
// closes them.
func scanEvents(rows *sql.Rows) ([]Event, error) {
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var at int64
		var data string
		if err := rows.Scan(&e.Seq, &at, &e.Type, &e.Version, &e.CallID, &e.Interaction, &e.Queue, &e.Agent, &data); err != nil {
			return nil, fmt.Errorf("reading events: %w", err)
		}
		e.At = time.Unix(0, at).UTC()
		if data != "" && data != "{}" {
			e.Data = json.RawMessage(data)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading events: %w", err)
	}
	return out, nil
}
