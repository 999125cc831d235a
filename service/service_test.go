package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/acdserver/acd/acd"
	"github.com/acdserver/acd/directory"
	"github.com/acdserver/acd/store"
)

// fakeCenter stands in for the distributor: it records the calls made.
type fakeCenter struct {
	mu    sync.Mutex
	state map[string]acd.State
	calls []string
	// waiting is every queue's waiting list; nil: one caller of a minute.
	waiting []acd.WaitingCaller
}

func (f *fakeCenter) do(call, id string, err error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call+":"+id)
	return err
}
func (f *fakeCenter) Login(id string, by acd.Actor) error {
	f.state[id] = acd.Ready
	return f.do("login", id, nil)
}
func (f *fakeCenter) LoginQueue(id, q string, by acd.Actor) error {
	f.state[id] = acd.Ready
	return f.do("login-queue-"+q, id, nil)
}
func (f *fakeCenter) Logout(id string, by acd.Actor) error { return f.do("logout", id, nil) }
func (f *fakeCenter) Pause(id, reason string, by acd.Actor) error {
	if reason != "" && reason != "Lunch" {
		return acd.ErrBadReason
	}
	f.state[id] = acd.Paused
	return f.do("pause", id, nil)
}
func (f *fakeCenter) Ready(id string, by acd.Actor) error { return f.do("ready", id, acd.ErrLoggedOut) }
func (f *fakeCenter) EndWrapUp(id string, by acd.Actor) error {
	if by.Role == "agent" {
		return acd.ErrEndNotAllowed
	}
	return f.do("end", id, nil)
}
func (f *fakeCenter) SetAllowUnassigned(bool) {}

func (f *fakeCenter) LogoutQueue(id, q string, by acd.Actor) error {
	return f.do("logout-queue-"+q, id, nil)
}

func (f *fakeCenter) Agent(id string) (acd.AgentInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.state[id]
	if !ok {
		return acd.AgentInfo{}, acd.ErrUnknownAgent
	}
	return acd.AgentInfo{ID: id, State: s}, nil
}
func (f *fakeCenter) Waiting(q string) ([]acd.WaitingCaller, error) {
	if f.waiting != nil {
		return f.waiting, nil
	}
	return []acd.WaitingCaller{{Waiter: &acd.Waiter{CallID: "c1", Caller: "+1555", Joined: time.Now().Add(-time.Minute)}}}, nil
}

func newTestService(t *testing.T) (*Service, *fakeCenter, *store.Log) {
	t.Helper()
	l, err := store.Open(filepath.Join(t.TempDir(), "acd.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	users, err := store.OpenUsers(l)
	if err != nil {
		t.Fatal(err)
	}
	fc := &fakeCenter{state: map[string]acd.State{"1001": acd.LoggedOut, "1002": acd.LoggedOut}}
	s := New(Config{
		Users: users, Events: l, Distributor: fc,
		Queues: []Queue{{ID: "support", Name: "Support"}, {ID: "sales", Name: "Sales"}},
		Agents: []AgentConfig{{ID: "1001", Queues: []string{"support"}, Source: "acd.yaml:10"}, {ID: "1002", Queues: []string{"sales"}, Source: "acd.yaml:11"}},
	})
	return s, fc, l
}

func kindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}

func TestSetupThenLogin(t *testing.T) {
	s, _, l := newTestService(t)
	ctx := context.Background()
	tok, err := s.BeginSetup(ctx)
	if err != nil || tok == "" {
		t.Fatalf("BeginSetup: %q, %v", tok, err)
	}
	loop := netip.MustParseAddr("127.0.0.1")
	nu := NewUser{ID: "root", Password: "a long enough password"}
	if _, err := s.Setup(ctx, tok, netip.MustParseAddr("192.0.2.1"), nu); kindOf(err) != Forbidden {
		t.Fatalf("setup from beyond loopback: %v", err)
	}
	if _, err := s.Setup(ctx, "acd_wrong", loop, nu); kindOf(err) != Forbidden {
		t.Fatalf("setup with a wrong token: %v", err)
	}
	u, err := s.Setup(ctx, tok, loop, nu)
	if err != nil || u.Role != "administrator" {
		t.Fatalf("setup: %+v, %v", u, err)
	}
	if _, err := s.Setup(ctx, tok, loop, NewUser{ID: "again", Password: "a long enough password"}); kindOf(err) != Conflict {
		t.Fatalf("setup a second time: %v", err)
	}
	sess, err := s.Login(ctx, "root", "a long enough password", loop)
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.Authenticate(ctx, sess.Token)
	if err != nil || a.UserID != "root" || a.Role != directory.Administrator {
		t.Fatalf("Authenticate: %+v, %v", a, err)
	}
	if err := s.Logout(ctx, a); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, sess.Token); kindOf(err) != Unauthenticated {
		t.Fatalf("a session after logout: %v", err)
	}
	l.Flush(ctx)
	evs, _ := s.Audit(ctx, &Actor{UserID: "root", Role: directory.Administrator}, AuditQuery{Actor: "root"})
	var types []string
	for _, e := range evs {
		types = append(types, e.Type)
	}
	want := []string{"audit.setup.completed", "audit.session.created", "audit.session.ended"}
	if len(types) != 3 || types[0] != want[0] || types[1] != want[1] || types[2] != want[2] {
		t.Fatalf("audit trail %v, want %v", types, want)
	}
}

func TestLoginThrottle(t *testing.T) {
	s, _, _ := newTestService(t)
	ctx := context.Background()
	admin := &Actor{UserID: "x", Role: directory.Administrator}
	if _, err := s.CreateUser(ctx, admin, NewUser{ID: "sue", Role: "supervisor", Password: "a long enough password"}); err != nil {
		t.Fatal(err)
	}
	from := netip.MustParseAddr("127.0.0.1")
	for i := range 5 {
		if _, err := s.Login(ctx, "sue", "wrong password!", from); kindOf(err) != Unauthenticated {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	_, err := s.Login(ctx, "sue", "a long enough password", from)
	var e *Error
	if !errors.As(err, &e) || e.Kind != Throttled || e.RetryAfter <= 0 {
		t.Fatalf("the right password after five failures: %v; want throttled", err)
	}
	// Another user from another address is not held up.
	if _, err := s.CreateUser(ctx, admin, NewUser{ID: "sam", Role: "supervisor", Password: "a long enough password"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Login(ctx, "sam", "a long enough password", netip.MustParseAddr("127.0.0.2")); err != nil {
		t.Fatalf("another user: %v", err)
	}
}

func TestThrottleByAddress(t *testing.T) {
	th := newThrottle()
	now := time.Now()
	a, b := netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2")
	if addrKey(a) != addrKey(b) {
		t.Fatalf("one /64 counted as two: %s, %s", addrKey(a), addrKey(b))
	}
	for i := range th.addr.Limit {
		att, wait, _ := th.beginLogin(now, fmt.Sprint("user", i), a)
		if wait > 0 {
			t.Fatalf("refused after %d failures", i)
		}
		th.failed(now, att)
	}
	if _, wait, scope := th.beginLogin(now, "another", b); wait <= 0 || scope != scopeAddr {
		t.Fatalf("not blocked at the limit: %v %q", wait, scope)
	}
	if _, wait, _ := th.beginLogin(now.Add(th.addr.Block+time.Second), "another", b); wait != 0 {
		t.Fatal("still blocked after the block")
	}
}

// TestThrottleCountsAttemptsBeforeTheCheck: attempts still being checked
// fill the limit, so that guesses sent together are not all checked; one
// that succeeds gives its place back.
func TestThrottleCountsAttemptsBeforeTheCheck(t *testing.T) {
	th := newThrottle()
	now := time.Now()
	from := netip.MustParseAddr("192.0.2.1")
	var inFlight []attempt
	for range th.pair.Limit {
		att, wait, _ := th.beginLogin(now, "sue", from)
		if wait > 0 {
			t.Fatalf("refused with %d attempts in flight", len(inFlight))
		}
		inFlight = append(inFlight, att)
	}
	if _, wait, scope := th.beginLogin(now, "sue", from); wait <= 0 || scope != scopePair {
		t.Fatalf("a sixth attempt in flight let through: %v %q", wait, scope)
	}
	th.succeeded(now, inFlight[0], "sue", from)
	if _, wait, _ := th.beginLogin(now, "sue", from); wait != 0 {
		t.Fatalf("a success did not give its place back: %v", wait)
	}
}

// TestThrottleSparesProvenAddresses: guesses from many addresses at one
// user are bounded, and block the user from addresses it never signed in
// from, but not from one it did.
func TestThrottleSparesProvenAddresses(t *testing.T) {
	th := newThrottle()
	now := time.Now()
	home := netip.MustParseAddr("192.0.2.1")
	att, _, _ := th.beginLogin(now, "sue", home)
	th.succeeded(now, att, "sue", home)
	checked := 0
	for i := range 100 {
		att, wait, _ := th.beginLogin(now, "sue", netip.AddrFrom4([4]byte{198, 51, 100, byte(i)}))
		if wait == 0 {
			checked++
			th.failed(now, att)
		}
	}
	if checked != th.user.Limit {
		t.Fatalf("%d guesses from 100 addresses checked; want %d", checked, th.user.Limit)
	}
	if _, wait, _ := th.beginLogin(now, "sue", netip.MustParseAddr("203.0.113.1")); wait <= 0 {
		t.Fatal("a new address not held by the user's block")
	}
	if _, wait, scope := th.beginLogin(now, "sue", home); wait != 0 {
		t.Fatalf("the user locked out at the address it signed in from: %v %q", wait, scope)
	}
}

func TestUserRules(t *testing.T) {
	s, _, _ := newTestService(t)
	ctx := context.Background()
	admin := &Actor{UserID: "root", Role: directory.Administrator}
	sup := &Actor{UserID: "sue", Role: directory.Supervisor}
	pw := "a long enough password"
	for _, tc := range []struct {
		nu    NewUser
		kind  Kind
		field string
	}{
		{NewUser{ID: "bad id", Role: "agent", Password: pw}, Invalid, "id"},
		{NewUser{ID: "x", Role: "root", Password: pw}, Invalid, "role"},
		{NewUser{ID: "x", Role: "supervisor", Password: "short"}, Invalid, "password"},
		{NewUser{ID: "9999", Role: "agent", Password: pw}, Invalid, "id"},
		{NewUser{ID: "1001", Role: "agent", Password: pw, Queues: []string{"sales"}}, Conflict, ""},
		{NewUser{ID: "x", Role: "supervisor", Password: pw, Queues: []string{"nope"}}, Invalid, "queues"},
		{NewUser{ID: "x", Role: "agent", Password: pw, RestrictToAssignedQueues: true}, Invalid, "id"},
		{NewUser{ID: "x", Role: "administrator", Password: pw, RestrictToAssignedQueues: true}, Invalid, "restrict_to_assigned_queues"},
	} {
		_, err := s.CreateUser(ctx, admin, tc.nu)
		var e *Error
		if !errors.As(err, &e) || e.Kind != tc.kind || e.Field != tc.field {
			t.Errorf("%+v: %v; want kind %d field %q", tc.nu, err, tc.kind, tc.field)
		}
	}
	if _, err := s.CreateUser(ctx, sup, NewUser{ID: "x", Role: "agent", Password: pw}); kindOf(err) != Forbidden {
		t.Fatalf("a supervisor creating a user: %v", err)
	}
	u, err := s.CreateUser(ctx, admin, NewUser{ID: "1001", Role: "agent", Password: pw})
	if err != nil || len(u.Queues) != 1 || u.Queues[0] != "support" {
		t.Fatalf("an agent user: %+v, %v", u, err)
	}
	if _, err := s.CreateUser(ctx, admin, NewUser{ID: "1001", Role: "agent", Password: pw}); kindOf(err) != Conflict {
		t.Fatalf("the same id twice: %v", err)
	}
	if _, err := s.CreateUser(ctx, admin, NewUser{ID: "root", Role: "admin", Password: pw}); err != nil {
		t.Fatal(err)
	}
	demote := "supervisor"
	if _, err := s.UpdateUser(ctx, admin, "root", UserChange{Role: &demote}); kindOf(err) != Conflict {
		t.Fatalf("demoting the last administrator: %v", err)
	}
	if err := s.DeleteUser(ctx, admin, "nobody"); kindOf(err) != NotFound {
		t.Fatalf("deleting nobody: %v", err)
	}
}

func TestPermissionsGrantRevokeRestore(t *testing.T) {
	s, _, _ := newTestService(t)
	ctx := context.Background()
	admin := &Actor{UserID: "root", Role: directory.Administrator}
	granted := func(role, perm string) bool {
		rps, err := s.Permissions(ctx, admin)
		if err != nil {
			t.Fatal(err)
		}
		for _, rp := range rps {
			for _, p := range rp.Permissions {
				if rp.Role == role && p.Name == perm {
					return p.Granted
				}
			}
		}
		t.Fatalf("no permission %s of %s", perm, role)
		return false
	}
	if granted("supervisor", "queues.settings.manage") {
		t.Fatal("managing queue settings is granted by default")
	}
	if err := s.SetPermission(ctx, admin, "supervisor", "queues.settings.manage", true); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPermission(ctx, admin, "agent", "tags.create", false); err != nil {
		t.Fatal(err)
	}
	if !granted("supervisor", "queues.settings.manage") || granted("agent", "tags.create") {
		t.Fatal("grant or revoke not applied")
	}
	for _, bad := range [][2]string{{"administrator", "tags.create"}, {"agent", "skills.manage"}, {"admin", "tags.create"}} {
		if err := s.SetPermission(ctx, admin, bad[0], bad[1], true); kindOf(err) != NotFound {
			t.Fatalf("%v: %v", bad, err)
		}
	}
	if err := s.RestoreDefaults(ctx, admin, ""); err != nil {
		t.Fatal(err)
	}
	if granted("supervisor", "queues.settings.manage") || !granted("agent", "tags.create") {
		t.Fatal("restore defaults did not restore")
	}
}

func TestRestrictedSupervisorScope(t *testing.T) {
	s, fc, l := newTestService(t)
	ctx := context.Background()
	sup := &Actor{UserID: "sue", Role: directory.Supervisor, Restricted: true, Queues: map[string]bool{"support": true}}
	if qs, _ := s.Queues(sup); len(qs) != 1 || qs[0].ID != "support" {
		t.Fatalf("queues of a restricted supervisor: %+v", qs)
	}
	if _, err := s.Waiting(sup, "sales"); kindOf(err) != Forbidden {
		t.Fatalf("another queue's waiting list: %v", err)
	}
	if w, err := s.Waiting(sup, "support"); err != nil || len(w) != 1 || w[0].Position != 1 || w[0].WaitedSeconds < 59 {
		t.Fatalf("own waiting list: %+v, %v", w, err)
	}
	if _, err := s.Waiting(sup, "nope"); kindOf(err) != NotFound {
		t.Fatalf("unknown queue: %v", err)
	}
	if _, err := s.AgentAction(sup, "1002", ActionPause, ""); kindOf(err) != Forbidden {
		t.Fatalf("pausing another queue's agent: %v", err)
	}
	if _, err := s.AgentAction(sup, "1001", ActionLogin, ""); err != nil {
		t.Fatal(err)
	}
	if st, err := s.AgentAction(sup, "1001", ActionPause, "Lunch"); err != nil || st.State != "paused" {
		t.Fatalf("pause: %+v, %v", st, err)
	}
	if _, err := s.AgentAction(sup, "1001", ActionPause, "Nap"); kindOf(err) != Invalid {
		t.Fatalf("an unknown reason: %v", err)
	}
	if _, err := s.AgentAction(sup, "1001", ActionReady, ""); kindOf(err) != Conflict {
		t.Fatalf("a refused ready: %v", err)
	}
	if fc.calls[0] != "login-queue-support:1001" {
		t.Fatalf("a restricted supervisor's login: %v", fc.calls)
	}
	agent := &Actor{UserID: "1001", Role: directory.Agent, Queues: map[string]bool{"support": true}}
	if _, err := s.AgentAction(agent, "1001", ActionEndWrapUp, ""); kindOf(err) != Forbidden {
		t.Fatalf("an agent ending wrap-up where the queue forbids it: %v", err)
	}
	if _, err := s.AgentState(agent, "1002"); kindOf(err) != Forbidden {
		t.Fatalf("an agent reading another's state: %v", err)
	}
	if _, err := s.AgentState(&Actor{UserID: "root", Role: directory.Administrator}, "4242"); kindOf(err) != NotFound {
		t.Fatalf("an unknown agent: %v", err)
	}

	l.Append(store.Event{Type: "caller.joined", Queue: "sales"})
	l.Append(store.Event{Type: "caller.joined", Queue: "support"})
	l.Append(store.Event{Type: "agent.state", Agent: "1002"})
	l.Append(store.Event{Type: "agent.state", Agent: "1001"})
	l.Append(store.Event{Type: "audit.user.created", Data: json.RawMessage(`{"actor":{"kind":"user","id":"root"}}`)})
	l.Append(store.Event{Type: "server.started"})
	l.Flush(ctx)
	seen := func(a *Actor) []string {
		evs, _, _, err := s.StreamPage(ctx, a, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range evs {
			out = append(out, e.Type+":"+e.Queue+e.Agent)
		}
		return out
	}
	got := seen(sup)
	want := []string{"caller.joined:support", "agent.state:1001", "server.started:"}
	if len(got) != len(want) {
		t.Fatalf("a restricted supervisor's stream: %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("a restricted supervisor's stream: %v, want %v", got, want)
		}
	}
	if got := seen(agent); len(got) != 2 { // its state, the server's start
		t.Fatalf("an agent's stream: %v", got)
	}
	if got := seen(&Actor{UserID: "root", Role: directory.Administrator}); len(got) != 6 {
		t.Fatalf("an administrator's stream: %v", got)
	}
}

func TestFeedWakesWaiters(t *testing.T) {
	f := newFeed()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.wait(context.Background(), 0, time.Minute)
	}()
	time.Sleep(10 * time.Millisecond)
	f.advance(1)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("a waiter was not woken")
	}
	start := time.Now()
	f.wait(context.Background(), 0, time.Minute) // already past
	if time.Since(start) > time.Second {
		t.Fatal("waited for an event already there")
	}
}

// BenchmarkLogin measures a whole login: the throttle, reading the user,
// one argon2id verification and storing the session.
func BenchmarkLogin(b *testing.B) {
	l, err := store.Open(filepath.Join(b.TempDir(), "acd.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	users, err := store.OpenUsers(l)
	if err != nil {
		b.Fatal(err)
	}
	s := New(Config{Users: users, Events: l, Distributor: &fakeCenter{state: map[string]acd.State{}}})
	ctx := context.Background()
	if _, err := s.CreateUser(ctx, &Actor{UserID: "x", Role: directory.Administrator}, NewUser{ID: "sue", Role: "supervisor", Password: "a long enough password"}); err != nil {
		b.Fatal(err)
	}
	from := netip.MustParseAddr("127.0.0.1")
	for b.Loop() {
		if _, err := s.Login(ctx, "sue", "a long enough password", from); err != nil {
			b.Fatal(err)
		}
	}
}
