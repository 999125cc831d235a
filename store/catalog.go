package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Named is an entry of a catalogue of names: a pause reason or a tag.
// Key is the name's identity without regard to case, unique in its
// catalogue; callers compute it, so that one rule (config.NameKey)
// decides what is a duplicate.
type Named struct {
	ID      int64
	Name    string
	Key     string
	Enabled bool
	// Provisioned: a pause reason the configuration file declares. Tags
	// never are.
	Provisioned bool
	CreatedBy   string
	Created     time.Time
	Updated     time.Time
}

// CannedMessage is a prepared answer an agent sends by its shortcut.
// Owner is the user a private message belongs to, "" for a public one;
// ShortcutKey is the shortcut's identity without regard to case.
type CannedMessage struct {
	ID          int64
	Shortcut    string
	ShortcutKey string
	Text        string
	Owner       string
	Active      bool
	CreatedBy   string
	Created     time.Time
	Updated     time.Time
}

// AUTOINCREMENT, so that the id of a deleted entry never names another:
// the audit trail refers to entries by id. A private canned message goes
// with its owner: a deleted user's messages would be nobody's to manage.
const catalogSchema = `
CREATE TABLE IF NOT EXISTS pause_reasons (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	name        TEXT NOT NULL,
	name_key    TEXT NOT NULL UNIQUE,
	enabled     INTEGER NOT NULL DEFAULT 1,
	provisioned INTEGER NOT NULL DEFAULT 0,
	created_by  TEXT NOT NULL DEFAULT '',
	created_ns  INTEGER NOT NULL,
	updated_ns  INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS tags (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	name       TEXT NOT NULL,
	name_key   TEXT NOT NULL UNIQUE,
	enabled    INTEGER NOT NULL DEFAULT 1,
	created_by TEXT NOT NULL DEFAULT '',
	created_ns INTEGER NOT NULL,
	updated_ns INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS canned_messages (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	shortcut     TEXT NOT NULL,
	shortcut_key TEXT NOT NULL,
	text         TEXT NOT NULL,
	owner        TEXT REFERENCES users(id) ON DELETE CASCADE,
	active       INTEGER NOT NULL DEFAULT 1,
	created_by   TEXT NOT NULL DEFAULT '',
	created_ns   INTEGER NOT NULL,
	updated_ns   INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS canned_messages_shortcut ON canned_messages(ifnull(owner, ''), shortcut_key);
CREATE INDEX IF NOT EXISTS canned_messages_owner ON canned_messages(owner);
`

// Catalog keeps what administrators list for agents to pick from: pause
// reasons, tags and canned messages, in the event log's database.
type Catalog struct {
	db      *sql.DB
	reasons names
	tags    names
	canned  table
}

// OpenCatalog uses the event log's database, creating the tables it
// lacks (and the users table that canned messages' owners refer to).
func OpenCatalog(l *Log) (*Catalog, error) {
	if _, err := l.db.Exec(usersSchema); err != nil {
		return nil, fmt.Errorf("creating user tables: %w", err)
	}
	if _, err := l.db.Exec(catalogSchema); err != nil {
		return nil, fmt.Errorf("creating catalogue tables: %w", err)
	}
	return &Catalog{db: l.db,
		reasons: names{table: table{db: l.db, reader: l.reader, name: "pause_reasons", what: "pause reason"}, provisioned: "provisioned"},
		tags:    names{table: table{db: l.db, reader: l.reader, name: "tags", what: "tag"}, provisioned: "0"},
		canned:  table{db: l.db, reader: l.reader, name: "canned_messages", what: "canned message"},
	}, nil
}

// PauseReasons lists every pause reason, the file's and the API's, by id.
func (c *Catalog) PauseReasons(ctx context.Context) ([]Named, error) { return c.reasons.list(ctx) }

// CreatePauseReason adds a pause reason; ErrExists when its key is taken.
func (c *Catalog) CreatePauseReason(ctx context.Context, r Named) (Named, error) {
	return c.reasons.create(ctx, r)
}

// UpdatePauseReason stores a reason's name, key and enabled flag;
// ErrNotFound, or ErrExists when the new key is another's.
func (c *Catalog) UpdatePauseReason(ctx context.Context, r Named) error {
	return c.reasons.update(ctx, r)
}

// DeletePauseReason removes a reason; ErrNotFound when there is none.
func (c *Catalog) DeletePauseReason(ctx context.Context, id int64) error {
	return c.reasons.delete(ctx, id)
}

// Provisioning is what ProvisionPauseReasons changed.
type Provisioning struct {
	// Adopted were made through the API and are now declared in the
	// file too: they keep their id and enabled flag and become the
	// file's.
	Adopted []Named
	// Dropped were the file's and no longer are: they are deleted.
	Dropped []Named
}

// ProvisionPauseReasons makes the stored reasons agree with the file's:
// each of file (by key) is stored as provisioned, with the file's
// spelling and, when new, enabled; the provisioned reasons the file no
// longer declares are deleted. A stored reason's enabled flag is kept: it
// is the administrators' to set, the file's or not.
func (c *Catalog) ProvisionPauseReasons(ctx context.Context, file []Named, now time.Time) (Provisioning, error) {
	var p Provisioning
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return p, fmt.Errorf("provisioning pause reasons: %w", err)
	}
	defer tx.Rollback()
	stored, err := c.reasons.query(ctx, tx, ``)
	if err != nil {
		return p, fmt.Errorf("provisioning pause reasons: %w", err)
	}
	byKey := map[string]Named{}
	for _, r := range stored {
		byKey[r.Key] = r
	}
	inFile := map[string]bool{}
	for _, f := range file {
		inFile[f.Key] = true
		r, ok := byKey[f.Key]
		switch {
		case !ok:
			_, err = tx.ExecContext(ctx, `INSERT INTO pause_reasons(name, name_key, enabled, provisioned, created_by, created_ns, updated_ns) VALUES (?, ?, 1, 1, ?, ?, ?)`,
				f.Name, f.Key, f.CreatedBy, ns(now), ns(now))
		case r.Name != f.Name || !r.Provisioned:
			if !r.Provisioned {
				p.Adopted = append(p.Adopted, r)
			}
			_, err = tx.ExecContext(ctx, `UPDATE pause_reasons SET name = ?, provisioned = 1, updated_ns = ? WHERE id = ?`, f.Name, ns(now), r.ID)
		}
		if err != nil {
			return p, fmt.Errorf("provisioning pause reason %s: %w", f.Name, err)
		}
	}
	for _, r := range stored {
		if r.Provisioned && !inFile[r.Key] {
			if _, err := tx.ExecContext(ctx, `DELETE FROM pause_reasons WHERE id = ?`, r.ID); err != nil {
				return p, fmt.Errorf("dropping pause reason %s: %w", r.Name, err)
			}
			p.Dropped = append(p.Dropped, r)
		}
	}
	if err := tx.Commit(); err != nil {
		return p, fmt.Errorf("provisioning pause reasons: %w", err)
	}
	return p, nil
}

// Tags lists every tag, by id.
func (c *Catalog) Tags(ctx context.Context) ([]Named, error) { return c.tags.list(ctx) }

// CreateTag adds a tag; ErrExists when its key is taken.
func (c *Catalog) CreateTag(ctx context.Context, t Named) (Named, error) {
	return c.tags.create(ctx, t)
}

// UpdateTag stores a tag's name, key and enabled flag; ErrNotFound, or
// ErrExists when the new key is another's.
func (c *Catalog) UpdateTag(ctx context.Context, t Named) error { return c.tags.update(ctx, t) }

// DeleteTag removes a tag; ErrNotFound when there is none.
func (c *Catalog) DeleteTag(ctx context.Context, id int64) error { return c.tags.delete(ctx, id) }

// table is one catalogue's table; the catalogues' writes share its
// steps.
type table struct {
	db, reader *sql.DB
	name, what string // "tags", "tag"
}

// querier is a connection or a transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// queryAll reads every row query finds with scan.
func queryAll[T any](ctx context.Context, q querier, scan func(*sql.Rows) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		e, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// missing is a write's finding that its row is not there: reported as
// it is, not as a failure of the write.
type missing struct{ error }

// write runs fn in a transaction, every failure wrapped with doing.
func (t table) write(ctx context.Context, doing string, fn func(tx *sql.Tx) error) error {
	tx, err := t.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", doing, err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		if m, ok := err.(missing); ok {
			return m.error
		}
		return fmt.Errorf("%s: %w", doing, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: %w", doing, err)
	}
	return nil
}

// insert adds the entry labelled label, once check (in the same
// transaction) lets it, and gives its id.
func (t table) insert(ctx context.Context, label string, check func(*sql.Tx) error, query string, args ...any) (int64, error) {
	var id int64
	err := t.write(ctx, fmt.Sprintf("creating %s %s", t.what, label), func(tx *sql.Tx) error {
		if err := check(tx); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	return id, err
}

// update changes entry id, once check (in the same transaction) lets it;
// ErrNotFound when there is none.
func (t table) update(ctx context.Context, id int64, check func(*sql.Tx) error, query string, args ...any) error {
	return t.write(ctx, fmt.Sprintf("updating %s %d", t.what, id), func(tx *sql.Tx) error {
		if err := check(tx); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return missing{fmt.Errorf("%s %d: %w", t.what, id, ErrNotFound)}
		}
		return nil
	})
}

func (t table) delete(ctx context.Context, id int64) error {
	res, err := t.db.ExecContext(ctx, `DELETE FROM `+t.name+` WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("deleting %s %d: %w", t.what, id, err)
	}
	if k, _ := res.RowsAffected(); k == 0 {
		return fmt.Errorf("%s %d: %w", t.what, id, ErrNotFound)
	}
	return nil
}

// names is one table of Named entries.
type names struct {
	table
	provisioned string // the column, or the constant for a table without one
}

func scanNamed(rows *sql.Rows) (Named, error) {
	var e Named
	var c, u int64
	err := rows.Scan(&e.ID, &e.Name, &e.Key, &e.Enabled, &e.Provisioned, &e.CreatedBy, &c, &u)
	e.Created, e.Updated = fromNS(c), fromNS(u)
	return e, err
}

func (n names) query(ctx context.Context, q querier, where string, args ...any) ([]Named, error) {
	return queryAll(ctx, q, scanNamed, `SELECT id, name, name_key, enabled, `+n.provisioned+`, created_by, created_ns, updated_ns FROM `+n.name+` `+where+` ORDER BY id`, args...)
}

func (n names) list(ctx context.Context) ([]Named, error) {
	out, err := n.query(ctx, n.reader, ``)
	if err != nil {
		return nil, fmt.Errorf("listing %ss: %w", n.what, err)
	}
	return out, nil
}

// taken gives a check that fails with ErrExists when another entry than
// id has key.
func (n names) taken(ctx context.Context, key string, id int64) func(*sql.Tx) error {
	return func(tx *sql.Tx) error {
		var other int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+n.name+` WHERE name_key = ? AND id <> ?`, key, id).Scan(&other); err != nil {
			return err
		}
		if other > 0 {
			return ErrExists
		}
		return nil
	}
}

func (n names) create(ctx context.Context, e Named) (Named, error) {
	var err error
	e.ID, err = n.insert(ctx, e.Name, n.taken(ctx, e.Key, 0), `INSERT INTO `+n.name+`(name, name_key, enabled, created_by, created_ns, updated_ns) VALUES (?, ?, ?, ?, ?, ?)`,
		e.Name, e.Key, e.Enabled, e.CreatedBy, ns(e.Created), ns(e.Updated))
	if err != nil {
		return Named{}, err
	}
	return e, nil
}

func (n names) update(ctx context.Context, e Named) error {
	return n.table.update(ctx, e.ID, n.taken(ctx, e.Key, e.ID), `UPDATE `+n.name+` SET name = ?, name_key = ?, enabled = ?, updated_ns = ? WHERE id = ?`,
		e.Name, e.Key, e.Enabled, ns(e.Updated), e.ID)
}

// CannedMessages lists the messages owner has (none for ""), and the
// public ones with public; by shortcut.
func (c *Catalog) CannedMessages(ctx context.Context, owner string, public bool) ([]CannedMessage, error) {
	out, err := c.queryCanned(ctx, `WHERE (? AND owner IS NULL) OR owner = ?`, public, owner)
	if err != nil {
		return nil, fmt.Errorf("listing canned messages: %w", err)
	}
	return out, nil
}

// CannedMessage reads one message; ErrNotFound when there is none.
func (c *Catalog) CannedMessage(ctx context.Context, id int64) (CannedMessage, error) {
	out, err := c.queryCanned(ctx, `WHERE id = ?`, id)
	if err != nil {
		return CannedMessage{}, fmt.Errorf("reading canned message %d: %w", id, err)
	}
	if len(out) == 0 {
		return CannedMessage{}, fmt.Errorf("canned message %d: %w", id, ErrNotFound)
	}
	return out[0], nil
}

func scanCanned(rows *sql.Rows) (CannedMessage, error) {
	var m CannedMessage
	var cr, up int64
	err := rows.Scan(&m.ID, &m.Shortcut, &m.ShortcutKey, &m.Text, &m.Owner, &m.Active, &m.CreatedBy, &cr, &up)
	m.Created, m.Updated = fromNS(cr), fromNS(up)
	return m, err
}

func (c *Catalog) queryCanned(ctx context.Context, where string, args ...any) ([]CannedMessage, error) {
	return queryAll(ctx, c.canned.reader, scanCanned, `SELECT id, shortcut, shortcut_key, text, ifnull(owner, ''), active, created_by, created_ns, updated_ns
		FROM canned_messages `+where+` ORDER BY shortcut_key, id`, args...)
}

// shortcutTaken fails with ErrExists when a message other than id would
// share m's shortcut with it in someone's list: a public shortcut is in
// everyone's, a private one in its owner's only. So each user's public
// and private messages have distinct shortcuts, and two users may each
// have a private message of the same shortcut.
func shortcutTaken(ctx context.Context, tx *sql.Tx, m CannedMessage) error {
	var other int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM canned_messages WHERE shortcut_key = ? AND id <> ?
		AND (? = '' OR owner IS NULL OR owner = ?)`, m.ShortcutKey, m.ID, m.Owner, m.Owner).Scan(&other); err != nil {
		return err
	}
	if other > 0 {
		return ErrExists
	}
	return nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// cannedCheck is what a message must pass to be stored: its shortcut
// free (shortcutTaken), its owner a user (ownerExists).
func cannedCheck(ctx context.Context, m CannedMessage) func(*sql.Tx) error {
	return func(tx *sql.Tx) error {
		if err := shortcutTaken(ctx, tx, m); err != nil {
			return err
		}
		return ownerExists(ctx, tx, m.Owner)
	}
}

// CreateCannedMessage adds a message; ErrExists when its shortcut is
// taken (shortcutTaken), ErrNotFound when its owner is no user.
func (c *Catalog) CreateCannedMessage(ctx context.Context, m CannedMessage) (CannedMessage, error) {
	m.ID = 0
	var err error
	m.ID, err = c.canned.insert(ctx, m.Shortcut, cannedCheck(ctx, m), `INSERT INTO canned_messages(shortcut, shortcut_key, text, owner, active, created_by, created_ns, updated_ns)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, m.Shortcut, m.ShortcutKey, m.Text, nullable(m.Owner), m.Active, m.CreatedBy, ns(m.Created), ns(m.Updated))
	if err != nil {
		return CannedMessage{}, err
	}
	return m, nil
}

// ownerExists fails with ErrNotFound when a private message's owner is
// no user: the foreign key would refuse it with a less useful error.
func ownerExists(ctx context.Context, tx *sql.Tx, owner string) error {
	if owner == "" {
		return nil
	}
	var id string
	err := tx.QueryRowContext(ctx, `SELECT id FROM users WHERE id = ?`, owner).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("user %s: %w", owner, ErrNotFound)
	}
	return err
}

// UpdateCannedMessage stores every field of a message but its creation;
// ErrNotFound, or ErrExists when its shortcut is taken.
func (c *Catalog) UpdateCannedMessage(ctx context.Context, m CannedMessage) error {
	return c.canned.update(ctx, m.ID, cannedCheck(ctx, m), `UPDATE canned_messages SET shortcut = ?, shortcut_key = ?, text = ?, owner = ?, active = ?, updated_ns = ? WHERE id = ?`,
		m.Shortcut, m.ShortcutKey, m.Text, nullable(m.Owner), m.Active, ns(m.Updated), m.ID)
}

// DeleteCannedMessage removes a message; ErrNotFound when there is none.
func (c *Catalog) DeleteCannedMessage(ctx context.Context, id int64) error {
	return c.canned.delete(ctx, id)
}
