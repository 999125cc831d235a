package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"
)

func openUsers(t *testing.T) (*Log, *Users) {
	t.Helper()
	l, err := Open(filepath.Join(t.TempDir(), "acd.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	u, err := OpenUsers(l)
	if err != nil {
		t.Fatal(err)
	}
	return l, u
}

func TestUsersCreateUpdateDelete(t *testing.T) {
	_, s := openUsers(t)
	ctx := context.Background()
	now := time.Now()
	admin := User{ID: "root", Name: "Root", Role: "administrator", PasswordHash: "h1", Created: now, Updated: now}
	if err := s.Create(ctx, admin); err != nil {
		t.Fatal(err)
	}
	if err := s.Create(ctx, admin); !errors.Is(err, ErrExists) {
		t.Fatalf("a second user with the same id: %v, want ErrExists", err)
	}
	sup := User{ID: "sue", Name: "Sue", Role: "supervisor", PasswordHash: "h2", Queues: []string{"sales", "support"}, RestrictQueues: true, Created: now, Updated: now}
	if err := s.Create(ctx, sup); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, "sue")
	if err != nil || got.Name != "Sue" || !got.RestrictQueues || len(got.Queues) != 2 || got.Queues[0] != "sales" || got.Created.UnixNano() != now.UnixNano() {
		t.Fatalf("Get: %+v, %v", got, err)
	}
	if _, err := s.Get(ctx, "nobody"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get of nobody: %v", err)
	}
	// The last administrator stays one.
	admin.Role = "supervisor"
	if err := s.Update(ctx, admin); !errors.Is(err, ErrLastAdmin) {
		t.Fatalf("demoting the last administrator: %v", err)
	}
	if err := s.Delete(ctx, "root"); !errors.Is(err, ErrLastAdmin) {
		t.Fatalf("deleting the last administrator: %v", err)
	}
	sup.Role, sup.Queues = "administrator", []string{"support"}
	if err := s.Update(ctx, sup); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "root"); err != nil {
		t.Fatalf("deleting an administrator while another remains: %v", err)
	}
	all, err := s.List(ctx)
	if err != nil || len(all) != 1 || all[0].ID != "sue" || len(all[0].Queues) != 1 {
		t.Fatalf("List: %+v, %v", all, err)
	}
	if n, _ := s.Count(ctx); n != 1 {
		t.Fatalf("Count: %d", n)
	}
	if err := s.Delete(ctx, "root"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleting twice: %v", err)
	}
}

func TestTokens(t *testing.T) {
	_, s := openUsers(t)
	ctx := context.Background()
	now := time.Now()
	for _, id := range []string{"a", "b"} {
		if err := s.Create(ctx, User{ID: id, Name: id, Role: "administrator", PasswordHash: "h-" + id, Created: now, Updated: now}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateToken(ctx, Token{ID: "t1", UserID: "a", Kind: "api", Name: "script", Hash: []byte("hash1"), Created: now}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateToken(ctx, Token{ID: "t2", UserID: "a", Kind: "session", Hash: []byte("hash2"), Created: now, Expires: now.Add(-time.Second)}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateToken(ctx, Token{ID: "t3", UserID: "ghost", Kind: "api", Hash: []byte("hash3"), Created: now}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a token for nobody: %v", err)
	}
	tok, err := s.TokenByHash(ctx, []byte("hash1"))
	if err != nil || tok.ID != "t1" || tok.UserID != "a" || tok.Name != "script" {
		t.Fatalf("TokenByHash: %+v, %v", tok, err)
	}
	if err := s.TouchToken(ctx, "t1", now); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteToken(ctx, "b", "t1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("revoking another user's token: %v", err)
	}
	if err := s.DeleteExpiredTokens(ctx, now); err != nil {
		t.Fatal(err)
	}
	list, err := s.Tokens(ctx, "a")
	if err != nil || len(list) != 1 || list[0].ID != "t1" || list[0].LastUsed.UnixNano() != now.UnixNano() {
		t.Fatalf("Tokens after expiry: %+v, %v", list, err)
	}
	// A new password revokes every token of the user.
	u, _ := s.Get(ctx, "a")
	u.PasswordHash = "new"
	if err := s.Update(ctx, u); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TokenByHash(ctx, []byte("hash1")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("token after a password change: %v", err)
	}
	// Deleting a user takes its tokens.
	if err := s.CreateToken(ctx, Token{ID: "t4", UserID: "b", Kind: "api", Hash: []byte("hash4"), Created: now}); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TokenByHash(ctx, []byte("hash4")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("token of a deleted user: %v", err)
	}
}

func TestPermissionOverrides(t *testing.T) {
	_, s := openUsers(t)
	ctx := context.Background()
	if err := s.SetPermission(ctx, "supervisor", "queues.settings.manage", true); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPermission(ctx, "supervisor", "queues.settings.manage", false); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPermission(ctx, "agent", "tags.create", false); err != nil {
		t.Fatal(err)
	}
	o, err := s.PermissionOverrides(ctx)
	if err != nil || len(o) != 2 || o["supervisor"]["queues.settings.manage"] || o["agent"]["tags.create"] {
		t.Fatalf("overrides: %v, %v", o, err)
	}
	if err := s.ClearPermissions(ctx, "agent"); err != nil {
		t.Fatal(err)
	}
	if o, _ := s.PermissionOverrides(ctx); len(o) != 1 || o["agent"] != nil {
		t.Fatalf("after clearing agent: %v", o)
	}
	if err := s.ClearPermissions(ctx); err != nil {
		t.Fatal(err)
	}
	if o, _ := s.PermissionOverrides(ctx); len(o) != 0 {
		t.Fatalf("after clearing all: %v", o)
	}
}

func TestPage(t *testing.T) {
	l, _ := openUsers(t)
	ctx := context.Background()
	base := time.Now()
	for i := range 10 {
		typ := "agent.state"
		var data json.RawMessage
		if i%2 == 0 {
			typ = "audit.user.created"
			data = json.RawMessage(fmt.Sprintf(`{"actor":{"kind":"user","id":%q}}`, []string{"ann", "bob"}[i%4/2]))
		}
		l.Append(Event{At: base.Add(time.Duration(i) * time.Second), Type: typ, Data: data})
	}
	if err := l.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if seq, err := l.LastSeq(ctx); err != nil || seq != 10 {
		t.Fatalf("LastSeq: %d, %v", seq, err)
	}
	evs, err := l.Page(ctx, Query{TypePrefix: "audit.", Limit: 3})
	if err != nil || len(evs) != 3 || evs[0].Seq != 1 || evs[2].Seq != 5 {
		t.Fatalf("audit page: %+v, %v", evs, err)
	}
	evs, _ = l.Page(ctx, Query{TypePrefix: "audit.", Actor: "bob"})
	if len(evs) != 2 || evs[0].Seq != 3 || evs[1].Seq != 7 {
		t.Fatalf("bob's events: %+v", evs)
	}
	l.Append(Event{At: base.Add(time.Minute), Type: "agent.state", Data: json.RawMessage(`{"actor":{"kind":"user","id":"ann"}}`)})
	l.Append(Event{At: base.Add(time.Minute), Type: "agent.state", Data: json.RawMessage(`{"actor":{"kind":"phone","id":"1001"}}`)})
	if err := l.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	evs, _ = l.Page(ctx, Query{Audit: true, Actor: "ann", Filter: Filter{AfterSeq: 0}})
	if len(evs) != 4 || evs[3].Seq != 11 {
		t.Fatalf("ann's audit trail, her state change made through the API included: %+v", evs)
	}
	evs, _ = l.Page(ctx, Query{Audit: true, Filter: Filter{AfterSeq: 10}})
	if len(evs) != 1 || evs[0].Seq != 11 {
		t.Fatalf("the audit trail keeps a user's state change and leaves out a phone's: %+v", evs)
	}
	evs, _ = l.Page(ctx, Query{Filter: Filter{AfterSeq: 8}, Limit: 2})
	if len(evs) != 2 || evs[0].Seq != 9 {
		t.Fatalf("after 8: %+v", evs)
	}
	evs, _ = l.Page(ctx, Query{Filter: Filter{Since: base.Add(2 * time.Second), Until: base.Add(4 * time.Second)}})
	if len(evs) != 2 || evs[0].Seq != 3 {
		t.Fatalf("time window: %+v", evs)
	}
}
