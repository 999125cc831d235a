package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/acdserver/acd/directory"
	"github.com/acdserver/acd/store"
)

// Token kinds.
const (
	KindSession = "session" // from a login; expires
	KindAPI     = "api"     // for scripts; until revoked or its expiry
)

// tokenPrefix marks the server's secrets, so that a scanner of leaked
// credentials can spot them.
const tokenPrefix = "acd_"

func newSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("drawing a token: %w", err)
	}
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(b), nil
}

func newTokenID() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("drawing a token id: %w", err)
	}
	return hex.EncodeToString(b), nil
}

func hashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// CSRFToken is the value a browser must echo in X-CSRF-Token with every
// unsafe request it authenticates with the session cookie. It is derived
// from the session secret, so it needs no storage, changes with every
// session, and cannot be computed by a page that cannot read the
// (HttpOnly) session cookie.
func CSRFToken(secret string) string {
	h := sha256.Sum256([]byte("acd csrf\x00" + secret))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// CheckCSRF compares in constant time.
func CheckCSRF(secret, got string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(CSRFToken(secret)), []byte(got)) == 1
}

// Session is a signed-in user's credential.
type Session struct {
	Token   string
	ID      string
	Expires time.Time
	User    string
}

// Login checks a user's password and opens a session. Attempts are
// throttled (see throttle) and failures logged as security lines.
func (s *Service) Login(ctx context.Context, user, password string, from netip.Addr) (Session, error) {
	att, wait, scope := s.throttle.beginLogin(s.now(), user, from)
	if wait > 0 {
		s.log.Warn("security: API login refused: too many failures", "event", "login_throttled", "source", from.String(), "user", user, "throttled", scope)
		return Session{}, &Error{Kind: Throttled, Msg: "too many failed logins: try again later", RetryAfter: wait}
	}
	u, err := s.users.Get(ctx, user)
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.hasher.Waste(ctx, password)
		return Session{}, s.loginFailed(att, user, from, "no such user")
	case err != nil:
		s.throttle.release(att)
		return Session{}, fmt.Errorf("signing in %s: %w", user, err)
	}
	if err := s.hasher.Verify(ctx, u.PasswordHash, password); err != nil {
		if !errors.Is(err, directory.ErrMismatch) {
			s.log.Error("verifying a password", "user", user, "error", err)
		}
		return Session{}, s.loginFailed(att, user, from, "wrong password")
	}
	s.throttle.succeeded(s.now(), att, user, from)
	sess, err := s.issue(ctx, u.ID, KindSession, "", s.now().Add(s.sessionTTL))
	if err != nil {
		return Session{}, err
	}
	s.log.Info("user signed in", "user", u.ID, "role", u.Role, "source", from.String(), "token_id", sess.ID)
	s.audit(&Actor{UserID: u.ID}, "session.created", "", map[string]string{"source": from.String(), "token_id": sess.ID})
	return sess, nil
}

func (s *Service) loginFailed(att attempt, user string, from netip.Addr, why string) error {
	blocked := s.throttle.failed(s.now(), att)
	args := []any{"event", "login_failure", "source", from.String(), "user", user, "reason", why, "blocked", len(blocked) > 0}
	if len(blocked) > 0 {
		args = append(args, "throttled", strings.Join(blocked, ","))
	}
	s.log.Warn("security: API login failed", args...)
	return &Error{Kind: Unauthenticated, Msg: "wrong user or password"}
}

func (s *Service) issue(ctx context.Context, userID, kind, name string, expires time.Time) (Session, error) {
	secret, err := newSecret()
	if err != nil {
		return Session{}, err
	}
	id, err := newTokenID()
	if err != nil {
		return Session{}, err
	}
	t := store.Token{ID: id, UserID: userID, Kind: kind, Name: name, Hash: hashSecret(secret), Created: s.now(), Expires: expires}
	if err := s.users.CreateToken(ctx, t); err != nil {
		return Session{}, fmt.Errorf("issuing a token for %s: %w", userID, err)
	}
	return Session{Token: secret, ID: id, Expires: expires, User: userID}, nil
}

// Authenticate finds the actor a bearer secret belongs to.
func (s *Service) Authenticate(ctx context.Context, secret string) (*Actor, error) {
	if !strings.HasPrefix(secret, tokenPrefix) || len(secret) > 128 {
		return nil, errUnauthenticated
	}
	t, err := s.users.TokenByHash(ctx, hashSecret(secret))
	if errors.Is(err, store.ErrNotFound) {
		return nil, errUnauthenticated
	}
	if err != nil {
		return nil, fmt.Errorf("authenticating: %w", err)
	}
	now := s.now()
	if !t.Expires.IsZero() && !now.Before(t.Expires) {
		return nil, errUnauthenticated
	}
	u, err := s.users.Get(ctx, t.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errUnauthenticated
	}
	if err != nil {
		return nil, fmt.Errorf("authenticating: %w", err)
	}
	a, err := s.actorFor(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("authenticating %s: %w", u.ID, err)
	}
	a.TokenID, a.TokenKind = t.ID, t.Kind
	// Once a minute at most: a write per request would queue every read
	// behind SQLite's one writer.
	if now.Sub(t.LastUsed) > time.Minute {
		if err := s.users.TouchToken(ctx, t.ID, now); err != nil {
			s.log.Warn("recording a token's use", "user", u.ID, "token_id", t.ID, "error", err)
		}
	}
	return a, nil
}

// Logout ends the session (or revokes the API token) the actor used.
func (s *Service) Logout(ctx context.Context, a *Actor) error {
	if a == nil {
		return errUnauthenticated
	}
	if err := s.users.DeleteToken(ctx, a.UserID, a.TokenID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("signing out %s: %w", a.UserID, err)
	}
	s.revoked()
	s.log.Info("user signed out", "user", a.UserID, "token_id", a.TokenID)
	s.audit(a, "session.ended", "", map[string]string{"token_id": a.TokenID, "kind": a.TokenKind})
	return nil
}

// TokenInfo describes a token; the secret is shown once, at creation.
type TokenInfo struct {
	ID       string     `json:"id"`
	User     string     `json:"user"`
	Kind     string     `json:"kind" enum:"session,api"`
	Name     string     `json:"name"`
	Created  time.Time  `json:"created"`
	Expires  *time.Time `json:"expires,omitempty"`
	LastUsed *time.Time `json:"last_used,omitempty"`
}

func tokenInfo(t store.Token) TokenInfo {
	info := TokenInfo{ID: t.ID, User: t.UserID, Kind: t.Kind, Name: t.Name, Created: t.Created}
	if !t.Expires.IsZero() {
		e := t.Expires
		info.Expires = &e
	}
	if !t.LastUsed.IsZero() {
		u := t.LastUsed
		info.LastUsed = &u
	}
	return info
}

// CreateToken issues an API token for scripts, in the actor's name and
// with the actor's rights; ttl 0 means until revoked.
func (s *Service) CreateToken(ctx context.Context, a *Actor, name string, ttl time.Duration) (TokenInfo, string, error) {
	if a == nil {
		return TokenInfo{}, "", errUnauthenticated
	}
	name = strings.TrimSpace(name)
	if err := checkText(name, 1, 64); err != nil {
		return TokenInfo{}, "", invalid("name", "%v", err)
	}
	if ttl < 0 {
		return TokenInfo{}, "", invalid("expires_in_seconds", "must not be negative")
	}
	var expires time.Time
	if ttl > 0 {
		expires = s.now().Add(ttl)
	}
	sess, err := s.issue(ctx, a.UserID, KindAPI, name, expires)
	if err != nil {
		return TokenInfo{}, "", err
	}
	s.log.Info("API token created", "user", a.UserID, "token_id", sess.ID, "name", name)
	s.audit(a, "token.created", "", map[string]string{"token_id": sess.ID, "name": name})
	info := TokenInfo{ID: sess.ID, User: a.UserID, Kind: KindAPI, Name: name, Created: s.now()}
	if !expires.IsZero() {
		info.Expires = &expires
	}
	return info, sess.Token, nil
}

// Tokens lists the actor's tokens; an administrator may name another
// user, or "*" for everyone's.
func (s *Service) Tokens(ctx context.Context, a *Actor, user string) ([]TokenInfo, error) {
	if a == nil {
		return nil, errUnauthenticated
	}
	switch {
	case user == "" || user == a.UserID:
		user = a.UserID
	case !a.is(directory.Administrator):
		return nil, forbidden("only administrators list other users' tokens")
	case user == "*":
		user = ""
	}
	list, err := s.users.Tokens(ctx, user)
	if err != nil {
		return nil, err
	}
	out := make([]TokenInfo, 0, len(list))
	for _, t := range list {
		out = append(out, tokenInfo(t))
	}
	return out, nil
}

// RevokeToken revokes one of the actor's tokens (an administrator's: any).
func (s *Service) RevokeToken(ctx context.Context, a *Actor, id string) error {
	if a == nil {
		return errUnauthenticated
	}
	owner := a.UserID
	if a.is(directory.Administrator) {
		owner = ""
	}
	if err := s.users.DeleteToken(ctx, owner, id); errors.Is(err, store.ErrNotFound) {
		return notFound("no token %q", id)
	} else if err != nil {
		return err
	}
	s.revoked()
	s.log.Info("token revoked", "user", a.UserID, "token_id", id)
	s.audit(a, "token.revoked", "", map[string]string{"token_id": id})
	return nil
}

// BeginSetup draws the one-time setup token when there are no users yet,
// and returns it ("" when there are users).
func (s *Service) BeginSetup(ctx context.Context) (string, error) {
	n, err := s.users.Count(ctx)
	if err != nil {
		return "", err
	}
	s.setupMu.Lock()
	defer s.setupMu.Unlock()
	if n > 0 {
		s.setupToken = ""
		return "", nil
	}
	tok, err := newSecret()
	if err != nil {
		return "", err
	}
	s.setupToken = tok
	return tok, nil
}

// Setup creates the first administrator with the setup token, over
// loopback only; the token is void afterwards, and once any user exists.
func (s *Service) Setup(ctx context.Context, token string, from netip.Addr, nu NewUser) (User, error) {
	now := s.now()
	if !from.Unmap().IsLoopback() {
		s.log.Warn("security: API setup refused: not over loopback", "event", "setup_refused", "source", from.String())
		return User{}, forbidden("setup is allowed only from this machine (loopback)")
	}
	att, wait, _ := s.throttle.beginSetup(now, from)
	if wait > 0 {
		return User{}, &Error{Kind: Throttled, Msg: "too many failed attempts: try again later", RetryAfter: wait}
	}
	s.setupMu.Lock()
	defer s.setupMu.Unlock()
	n, err := s.users.Count(ctx)
	if err != nil {
		s.throttle.release(att)
		return User{}, err
	}
	if n > 0 || s.setupToken == "" {
		s.throttle.release(att)
		s.setupToken = ""
		return User{}, conflict("setup is done: sign in with POST /api/v1/login")
	}
	if subtle.ConstantTimeCompare([]byte(token), []byte(s.setupToken)) != 1 {
		blocked := s.throttle.failed(s.now(), att)
		s.log.Warn("security: API setup token wrong", "event", "setup_failure", "source", from.String(), "blocked", len(blocked) > 0)
		return User{}, forbidden("wrong setup token")
	}
	s.throttle.release(att)
	nu.Role = string(directory.Administrator)
	u, err := s.createUser(ctx, nu)
	if err != nil {
		return User{}, err
	}
	s.setupToken = ""
	s.log.Info("first administrator created by setup; the setup token is void", "user", u.ID, "source", from.String())
	s.audit(&Actor{UserID: u.ID}, "setup.completed", "", map[string]string{"user": u.ID})
	return u, nil
}

// SetupPending says whether the first administrator is still to be made
// with the setup token: no user exists and the token is drawn.
func (s *Service) SetupPending(ctx context.Context) bool {
	s.setupMu.Lock()
	pending := s.setupToken != ""
	s.setupMu.Unlock()
	if !pending {
		return false
	}
	n, err := s.users.Count(ctx)
	return err == nil && n == 0
}
