package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Errors of the user store.
var (
	ErrNotFound  = errors.New("not found")
	ErrExists    = errors.New("already exists")
	ErrLastAdmin = errors.New("the last administrator cannot be removed or demoted")
)

// adminRole is the role the store keeps at least one user in once there
// is one: without an administrator nobody could manage users again short
// of editing the database.
const adminRole = "administrator"

// User is a person who signs in to the API. PasswordHash is an encoded
// hash (never the password); Queues are the queues assigned to a
// supervisor.
type User struct {
	ID             string
	Name           string
	Role           string
	PasswordHash   string
	RestrictQueues bool
	Queues         []string
	Created        time.Time
	Updated        time.Time
}

// Token is a bearer credential: a login session or a script's API token.
// Only the SHA-256 of the secret is stored, so a copy of the database
// does not let anyone sign in.
type Token struct {
	ID       string // public handle, for listing and revoking
	UserID   string
	Kind     string // "session" or "api"
	Name     string
	Hash     []byte
	Created  time.Time
	Expires  time.Time // zero: until revoked
	LastUsed time.Time
}

const usersSchema = `
CREATE TABLE IF NOT EXISTS users (
	id              TEXT PRIMARY KEY,
	name            TEXT NOT NULL,
	role            TEXT NOT NULL,
	password_hash   TEXT NOT NULL,
	restrict_queues INTEGER NOT NULL DEFAULT 0,
	created_ns      INTEGER NOT NULL,
	updated_ns      INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS user_queues (
	user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	queue   TEXT NOT NULL,
	PRIMARY KEY (user_id, queue)
);
CREATE TABLE IF NOT EXISTS tokens (
	id           TEXT PRIMARY KEY,
	user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	kind         TEXT NOT NULL,
	name         TEXT NOT NULL DEFAULT '',
	hash         BLOB NOT NULL UNIQUE,
	created_ns   INTEGER NOT NULL,
	expires_ns   INTEGER NOT NULL DEFAULT 0,
	last_used_ns INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS tokens_user ON tokens(user_id);
CREATE TABLE IF NOT EXISTS role_permissions (
	role       TEXT NOT NULL,
	permission TEXT NOT NULL,
	granted    INTEGER NOT NULL,
	PRIMARY KEY (role, permission)
);
`

// Users keeps users, their queue assignments, their tokens and the
// per-role permission overrides, in the event log's database.
type Users struct {
	db     *sql.DB
	reader *sql.DB
}

// OpenUsers uses the event log's database.
func OpenUsers(l *Log) (*Users, error) {
	if _, err := l.db.Exec(usersSchema); err != nil {
		return nil, fmt.Errorf("creating user tables: %w", err)
	}
	return &Users{db: l.db, reader: l.reader}, nil
}

func ns(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNS(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// Count says how many users there are.
func (s *Users) Count(ctx context.Context) (int, error) {
	var n int
	if err := s.reader.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting users: %w", err)
	}
	return n, nil
}

// Create adds a user; ErrExists when the id is taken.
func (s *Users) Create(ctx context.Context, u User) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("creating user %s: %w", u.ID, err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE id = ?`, u.ID).Scan(&n); err != nil {
		return fmt.Errorf("creating user %s: %w", u.ID, err)
	}
	if n > 0 {
		return fmt.Errorf("user %s: %w", u.ID, ErrExists)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO users(id, name, role, password_hash, restrict_queues, created_ns, updated_ns) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.Name, u.Role, u.PasswordHash, u.RestrictQueues, ns(u.Created), ns(u.Updated)); err != nil {
		return fmt.Errorf("creating user %s: %w", u.ID, err)
	}
	if err := setQueues(ctx, tx, u.ID, u.Queues); err != nil {
		return fmt.Errorf("creating user %s: %w", u.ID, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("creating user %s: %w", u.ID, err)
	}
	return nil
}

func setQueues(ctx context.Context, tx *sql.Tx, id string, queues []string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM user_queues WHERE user_id = ?`, id); err != nil {
		return err
	}
	for _, q := range queues {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO user_queues(user_id, queue) VALUES (?, ?)`, id, q); err != nil {
			return err
		}
	}
	return nil
}

// Get reads one user; ErrNotFound when there is none.
func (s *Users) Get(ctx context.Context, id string) (User, error) {
	users, err := s.query(ctx, `WHERE id = ?`, id)
	if err != nil {
		return User{}, fmt.Errorf("reading user %s: %w", id, err)
	}
	if len(users) == 0 {
		return User{}, fmt.Errorf("user %s: %w", id, ErrNotFound)
	}
	return users[0], nil
}

// List reads every user, by id.
func (s *Users) List(ctx context.Context) ([]User, error) {
	users, err := s.query(ctx, ``)
	if err != nil {
		return nil, fmt.Errorf("listing users: %w", err)
	}
	return users, nil
}

// query reads through the read-only connections, as every read here does:
// each request authenticates, and on the one writer connection it would
// queue behind the event log's commits. In WAL mode a read begun after a
// commit sees it, so a change is seen by the next request.
func (s *Users) query(ctx context.Context, where string, args ...any) ([]User, error) {
	rows, err := s.reader.QueryContext(ctx, `SELECT id, name, role, password_hash, restrict_queues, created_ns, updated_ns FROM users `+where+` ORDER BY id`, args...)
	if err != nil {
		return nil, err
	}
	var out []User
	for rows.Next() {
		var u User
		var c, up int64
		if err := rows.Scan(&u.ID, &u.Name, &u.Role, &u.PasswordHash, &u.RestrictQueues, &c, &up); err != nil {
			rows.Close()
			return nil, err
		}
		u.Created, u.Updated = fromNS(c), fromNS(up)
		out = append(out, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		q, err := s.reader.QueryContext(ctx, `SELECT queue FROM user_queues WHERE user_id = ? ORDER BY queue`, out[i].ID)
		if err != nil {
			return nil, err
		}
		for q.Next() {
			var name string
			if err := q.Scan(&name); err != nil {
				q.Close()
				return nil, err
			}
			out[i].Queues = append(out[i].Queues, name)
		}
		q.Close()
		if err := q.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Update stores a user's name, role, password hash, restriction and
// queues. Demoting the last administrator is refused with ErrLastAdmin.
// A changed password hash revokes the user's tokens in the same
// transaction, so a stolen session dies with the old password.
func (s *Users) Update(ctx context.Context, u User) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("updating user %s: %w", u.ID, err)
	}
	defer tx.Rollback()
	var oldRole, oldHash string
	err = tx.QueryRowContext(ctx, `SELECT role, password_hash FROM users WHERE id = ?`, u.ID).Scan(&oldRole, &oldHash)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("user %s: %w", u.ID, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("updating user %s: %w", u.ID, err)
	}
	if oldRole == adminRole && u.Role != adminRole {
		if err := keepAnAdmin(ctx, tx, u.ID); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE users SET name = ?, role = ?, password_hash = ?, restrict_queues = ?, updated_ns = ? WHERE id = ?`,
		u.Name, u.Role, u.PasswordHash, u.RestrictQueues, ns(u.Updated), u.ID); err != nil {
		return fmt.Errorf("updating user %s: %w", u.ID, err)
	}
	if err := setQueues(ctx, tx, u.ID, u.Queues); err != nil {
		return fmt.Errorf("updating user %s: %w", u.ID, err)
	}
	if oldHash != u.PasswordHash {
		if _, err := tx.ExecContext(ctx, `DELETE FROM tokens WHERE user_id = ?`, u.ID); err != nil {
			return fmt.Errorf("revoking the tokens of user %s: %w", u.ID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("updating user %s: %w", u.ID, err)
	}
	return nil
}

// keepAnAdmin fails with ErrLastAdmin unless an administrator other than
// id remains.
func keepAnAdmin(ctx context.Context, tx *sql.Tx, id string) error {
	var others int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE role = ? AND id <> ?`, adminRole, id).Scan(&others); err != nil {
		return fmt.Errorf("counting administrators: %w", err)
	}
	if others == 0 {
		return fmt.Errorf("user %s: %w", id, ErrLastAdmin)
	}
	return nil
}

// Delete removes a user with its queues and tokens; ErrNotFound when
// there is none, ErrLastAdmin for the last administrator.
func (s *Users) Delete(ctx context.Context, id string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("deleting user %s: %w", id, err)
	}
	defer tx.Rollback()
	var role string
	err = tx.QueryRowContext(ctx, `SELECT role FROM users WHERE id = ?`, id).Scan(&role)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("user %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("deleting user %s: %w", id, err)
	}
	if role == adminRole {
		if err := keepAnAdmin(ctx, tx, id); err != nil {
			return err
		}
	}
	// Explicit deletes rather than trusting ON DELETE CASCADE: the
	// connection may not have foreign keys on.
	for _, q := range []string{`DELETE FROM tokens WHERE user_id = ?`, `DELETE FROM user_queues WHERE user_id = ?`, `DELETE FROM users WHERE id = ?`} {
		if _, err := tx.ExecContext(ctx, q, id); err != nil {
			return fmt.Errorf("deleting user %s: %w", id, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("deleting user %s: %w", id, err)
	}
	return nil
}

// CreateToken stores a token for an existing user.
func (s *Users) CreateToken(ctx context.Context, t Token) error {
	res, err := s.db.ExecContext(ctx, `INSERT INTO tokens(id, user_id, kind, name, hash, created_ns, expires_ns)
		SELECT ?, id, ?, ?, ?, ?, ? FROM users WHERE id = ?`,
		t.ID, t.Kind, t.Name, t.Hash, ns(t.Created), ns(t.Expires), t.UserID)
	if err != nil {
		return fmt.Errorf("storing a token for %s: %w", t.UserID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("user %s: %w", t.UserID, ErrNotFound)
	}
	return nil
}

// TokenByHash finds the token whose secret hashes to hash; ErrNotFound
// when none does (revoked, or never issued). Expiry is the caller's
// to judge.
func (s *Users) TokenByHash(ctx context.Context, hash []byte) (Token, error) {
	var t Token
	var c, e, u int64
	err := s.reader.QueryRowContext(ctx, `SELECT id, user_id, kind, name, hash, created_ns, expires_ns, last_used_ns FROM tokens WHERE hash = ?`, hash).
		Scan(&t.ID, &t.UserID, &t.Kind, &t.Name, &t.Hash, &c, &e, &u)
	if errors.Is(err, sql.ErrNoRows) {
		return Token{}, ErrNotFound
	}
	if err != nil {
		return Token{}, fmt.Errorf("reading a token: %w", err)
	}
	t.Created, t.Expires, t.LastUsed = fromNS(c), fromNS(e), fromNS(u)
	return t, nil
}

// TouchToken records when a token was last used.
func (s *Users) TouchToken(ctx context.Context, id string, at time.Time) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE tokens SET last_used_ns = ? WHERE id = ?`, ns(at), id); err != nil {
		return fmt.Errorf("recording the use of token %s: %w", id, err)
	}
	return nil
}

// Tokens lists a user's tokens ("" for everyone's), oldest first.
func (s *Users) Tokens(ctx context.Context, userID string) ([]Token, error) {
	rows, err := s.reader.QueryContext(ctx, `SELECT id, user_id, kind, name, created_ns, expires_ns, last_used_ns FROM tokens
		WHERE (? = '' OR user_id = ?) ORDER BY created_ns, id`, userID, userID)
	if err != nil {
		return nil, fmt.Errorf("listing tokens: %w", err)
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		var t Token
		var c, e, u int64
		if err := rows.Scan(&t.ID, &t.UserID, &t.Kind, &t.Name, &c, &e, &u); err != nil {
			return nil, fmt.Errorf("listing tokens: %w", err)
		}
		t.Created, t.Expires, t.LastUsed = fromNS(c), fromNS(e), fromNS(u)
		out = append(out, t)
	}
	return out, rows.Err()
}

// DeleteToken revokes a token; with userID set, only that user's.
// ErrNotFound when there is no such token.
func (s *Users) DeleteToken(ctx context.Context, userID, id string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM tokens WHERE id = ? AND (? = '' OR user_id = ?)`, id, userID, userID)
	if err != nil {
		return fmt.Errorf("revoking token %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("token %s: %w", id, ErrNotFound)
	}
	return nil
}

// DeleteExpiredTokens drops tokens that expired before now.
func (s *Users) DeleteExpiredTokens(ctx context.Context, now time.Time) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM tokens WHERE expires_ns <> 0 AND expires_ns < ?`, ns(now)); err != nil {
		return fmt.Errorf("dropping expired tokens: %w", err)
	}
	return nil
}

// PermissionOverrides reads the grants and revocations that differ from
// the defaults: role → permission → granted.
func (s *Users) PermissionOverrides(ctx context.Context) (map[string]map[string]bool, error) {
	rows, err := s.reader.QueryContext(ctx, `SELECT role, permission, granted FROM role_permissions`)
	if err != nil {
		return nil, fmt.Errorf("reading permissions: %w", err)
	}
	defer rows.Close()
	out := map[string]map[string]bool{}
	for rows.Next() {
		var role, perm string
		var granted bool
		if err := rows.Scan(&role, &perm, &granted); err != nil {
			return nil, fmt.Errorf("reading permissions: %w", err)
		}
		if out[role] == nil {
			out[role] = map[string]bool{}
		}
		out[role][perm] = granted
	}
	return out, rows.Err()
}

// SetPermission records that role has (or has not) permission.
func (s *Users) SetPermission(ctx context.Context, role, permission string, granted bool) error {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO role_permissions(role, permission, granted) VALUES (?, ?, ?)
		ON CONFLICT(role, permission) DO UPDATE SET granted = excluded.granted`, role, permission, granted); err != nil {
		return fmt.Errorf("storing permission %s of %s: %w", permission, role, err)
	}
	return nil
}

// ClearPermissions drops the overrides of the given roles (all roles when
// none is given): they have their defaults again.
func (s *Users) ClearPermissions(ctx context.Context, roles ...string) error {
	q, args := `DELETE FROM role_permissions`, []any{}
	if len(roles) > 0 {
		q += ` WHERE role IN (?` + strings.Repeat(`, ?`, len(roles)-1) + `)`
		for _, r := range roles {
			args = append(args, r)
		}
	}
	if _, err := s.db.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("restoring default permissions: %w", err)
	}
	return nil
}
