package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/acdserver/acd/acd"
	"github.com/acdserver/acd/directory"
	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/store"
)

// reasonTaker records the lists the distributor is given, as acd.Center
// would put them in force.
type reasonTaker struct {
	mu   sync.Mutex
	last []acd.PauseReason
	sets int
}

func (r *reasonTaker) SetPauseReasons(rs []acd.PauseReason) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.last, r.sets = rs, r.sets+1
}

// offered is what *52N numbers, in order.
func (r *reasonTaker) offered() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, p := range r.last {
		if p.Enabled {
			out = append(out, p.Name)
		}
	}
	return strings.Join(out, ",")
}

// catalogService opens (or reopens) a service with catalogues on the
// database at path, starting its pause reasons as the server does.
func catalogService(t *testing.T, path string) (*Service, *reasonTaker, *store.Log) {
	t.Helper()
	l, err := store.Open(path, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	users, err := store.OpenUsers(l)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.OpenCatalog(l)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, u := range []store.User{{ID: "root", Role: "administrator"}, {ID: "sue", Role: "supervisor"}, {ID: "1001", Role: "agent"}, {ID: "1002", Role: "agent"}} {
		u.Name, u.PasswordHash = u.ID, "h"
		if err := users.Create(ctx, u); err != nil && !errors.Is(err, store.ErrExists) {
			t.Fatal(err)
		}
	}
	taker := &reasonTaker{}
	file := []FileReason{{Name: "Lunch", Source: "acd.yaml:3"}, {Name: "Training", Source: "acd.yaml:3"}}
	cat := Catalog{Store: st, FileReasons: file, Distributor: taker}
	if err := StartPauseReasons(ctx, cat, time.Now()); err != nil {
		t.Fatal(err)
	}
	fc := &fakeCenter{state: map[string]acd.State{"1001": acd.LoggedOut, "1002": acd.LoggedOut}}
	s := New(Config{Users: users, Events: l, Distributor: fc, Catalog: cat,
		Agents: []AgentConfig{{ID: "1001", Queues: []string{"support"}}, {ID: "1002", Queues: []string{"sales"}}}})
	return s, taker, l
}

// actors as the service sees them after signing in with default
// permissions.
func catalogActors() (admin, sup, agent, other *Actor) {
	return &Actor{UserID: "root", Role: directory.Administrator},
		&Actor{UserID: "sue", Role: directory.Supervisor, Permissions: directory.Effective(directory.Supervisor, nil)},
		&Actor{UserID: "1001", Role: directory.Agent, Permissions: directory.Effective(directory.Agent, nil)},
		&Actor{UserID: "1002", Role: directory.Agent, Permissions: directory.Effective(directory.Agent, nil)}
}

func fieldOf(err error) (Kind, string) {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind, e.Field
	}
	return 0, ""
}

func ptr[T any](v T) *T { return &v }

func auditTypes(t *testing.T, s *Service, l *store.Log, prefix string) []string {
	t.Helper()
	if err := l.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	evs, err := s.Audit(context.Background(), &Actor{UserID: "root", Role: directory.Administrator}, AuditQuery{Type: prefix})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		p, err := event.Decode(e)
		if err != nil {
			t.Fatal(err)
		}
		a := p.(event.Audit)
		out = append(out, fmt.Sprintf("%s:%s:%s", e.Type, a.Actor.ID, a.Detail["name"]))
	}
	return out
}

func TestPauseReasonsAdministration(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "acd.db")
	s, taker, l := catalogService(t, path)
	ctx := context.Background()
	admin, sup, agent, _ := catalogActors()
	if got := taker.offered(); got != "Lunch,Training" {
		t.Fatalf("at start the distributor offers %q", got)
	}
	coaching, err := s.CreatePauseReason(ctx, admin, NewPauseReason{Name: "Coaching"})
	if err != nil {
		t.Fatal(err)
	}
	if coaching.Number != 3 || coaching.Provisioned || coaching.Source != "" || coaching.CreatedBy != "root" || taker.offered() != "Lunch,Training,Coaching" {
		t.Fatalf("created %+v; the distributor offers %q", coaching, taker.offered())
	}
	list, _ := s.PauseReasons(ctx, sup)
	training := list[1]
	if !training.Provisioned || training.Source != "acd.yaml:3" || training.CreatedBy != "configuration" {
		t.Fatalf("the file's Training: %+v", training)
	}
	// The file's reasons are enabled and disabled here, renamed and
	// deleted only in the file.
	if _, err := s.UpdatePauseReason(ctx, admin, training.ID, PauseReasonChange{Enabled: ptr(false)}); err != nil {
		t.Fatal(err)
	}
	if got := taker.offered(); got != "Lunch,Coaching" {
		t.Fatalf("with Training disabled the distributor offers %q", got)
	}
	_, err = s.UpdatePauseReason(ctx, admin, training.ID, PauseReasonChange{Name: ptr("Schooling")})
	if k, f := fieldOf(err); k != Conflict || f != "name" || !strings.Contains(err.Error(), "acd.yaml:3") {
		t.Fatalf("renaming the file's reason: %v", err)
	}
	if _, err := s.UpdatePauseReason(ctx, admin, training.ID, PauseReasonChange{Name: ptr("Training"), Enabled: ptr(false)}); err != nil {
		t.Fatalf("sending back the file's reason unchanged: %v", err)
	}
	if err := s.DeletePauseReason(ctx, admin, training.ID); kindOf(err) != Conflict || !strings.Contains(err.Error(), "acd.yaml:3") {
		t.Fatalf("deleting the file's reason: %v", err)
	}
	for _, tc := range []struct {
		name  string
		kind  Kind
		field string
	}{
		{"coaching", Conflict, "name"},
		{"TRAINING", Conflict, "name"},
		{"No Answer", Conflict, "name"},
		{"Tea\tbreak", Invalid, "name"},
		{strings.Repeat("x", 256), Invalid, "name"},
		{"", Invalid, "name"},
	} {
		if _, err := s.CreatePauseReason(ctx, admin, NewPauseReason{Name: tc.name}); func() bool { k, f := fieldOf(err); return k != tc.kind || f != tc.field }() {
			t.Errorf("creating %q: %v; want kind %d on %s", tc.name, err, tc.kind, tc.field)
		}
	}
	if _, err := s.UpdatePauseReason(ctx, admin, coaching.ID, PauseReasonChange{Name: ptr("lunch")}); kindOf(err) != Conflict {
		t.Fatalf("renaming onto Lunch: %v", err)
	}
	if _, err := s.UpdatePauseReason(ctx, admin, coaching.ID, PauseReasonChange{Name: ptr("Coaching 1:1")}); err != nil {
		t.Fatal(err)
	}

	// Who may do what.
	if _, err := s.CreatePauseReason(ctx, sup, NewPauseReason{Name: "Meeting"}); kindOf(err) != Forbidden {
		t.Fatalf("a supervisor without pause_reasons.manage: %v", err)
	}
	if _, err := s.CreatePauseReason(ctx, agent, NewPauseReason{Name: "Meeting"}); kindOf(err) != Forbidden {
		t.Fatalf("an agent: %v", err)
	}
	sup.Permissions[directory.PauseReasonsManage] = true
	meeting, err := s.CreatePauseReason(ctx, sup, NewPauseReason{Name: "Meeting", Enabled: ptr(false)})
	if err != nil || meeting.Number != 0 {
		t.Fatalf("a supervisor granted pause_reasons.manage: %+v %v", meeting, err)
	}
	if all, _ := s.PauseReasons(ctx, sup); len(all) != 4 {
		t.Fatalf("the supervisor sees %d reasons, want all 4", len(all))
	}
	mine, _ := s.PauseReasons(ctx, agent)
	if len(mine) != 2 || mine[0].Name != "Lunch" || mine[1].Name != "Coaching 1:1" || mine[1].Number != 2 {
		t.Fatalf("an agent sees %+v; want the enabled ones in *52N order", mine)
	}
	if _, err := s.PauseReason(ctx, agent, meeting.ID); kindOf(err) != NotFound {
		t.Fatalf("an agent reading a disabled reason: %v", err)
	}
	delete(sup.Permissions, directory.PauseReasonsManage)
	delete(sup.Permissions, directory.PauseReasonsView)
	if got, _ := s.PauseReasons(ctx, sup); len(got) != 2 {
		t.Fatalf("a supervisor without pause_reasons.view sees %d reasons; want the 2 enabled", len(got))
	}
	if err := s.DeletePauseReason(ctx, admin, meeting.ID); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"audit.pause_reason.created:root:Coaching",
		"audit.pause_reason.updated:root:Training",
		"audit.pause_reason.updated:root:Coaching 1:1",
		"audit.pause_reason.created:sue:Meeting",
		"audit.pause_reason.deleted:root:Meeting",
	}
	if got := auditTypes(t, s, l, "audit.pause_reason."); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("audit trail\n got %v\nwant %v", got, want)
	}

	// The next start keeps what the API made and the file's reasons'
	// flags.
	l.Close()
	s, taker, _ = catalogService(t, path)
	if got := taker.offered(); got != "Lunch,Coaching 1:1" {
		t.Fatalf("after a restart the distributor offers %q", got)
	}
	if list, _ := s.PauseReasons(ctx, admin); len(list) != 3 || list[1].Enabled || list[2].ID != coaching.ID {
		t.Fatalf("after a restart: %+v", list)
	}
}

func TestTagsAdministration(t *testing.T) {
	t.Parallel()
	s, _, l := catalogService(t, filepath.Join(t.TempDir(), "acd.db"))
	ctx := context.Background()
	admin, sup, agent, _ := catalogActors()
	vip, err := s.CreateTag(ctx, agent, NewTag{Name: "VIP"})
	if err != nil || !vip.Enabled || vip.CreatedBy != "1001" {
		t.Fatalf("an agent's tag: %+v %v", vip, err)
	}
	if _, err := s.CreateTag(ctx, agent, NewTag{Name: "Hidden", Enabled: ptr(false)}); kindOf(err) != Forbidden {
		t.Fatalf("an agent creating a disabled tag: %v", err)
	}
	if _, err := s.CreateTag(ctx, sup, NewTag{Name: "vip"}); func() bool { k, f := fieldOf(err); return k != Conflict || f != "name" }() {
		t.Fatalf("a second vip: %v", err)
	}
	if _, err := s.CreateTag(ctx, sup, NewTag{Name: "Réclamation\u200b"}); kindOf(err) != Invalid {
		t.Fatalf("a tag with an invisible character: %v", err)
	}
	if _, err := s.UpdateTag(ctx, agent, vip.ID, TagChange{Name: ptr("V.I.P.")}); kindOf(err) != Forbidden {
		t.Fatalf("an agent renaming a tag: %v", err)
	}
	if _, err := s.UpdateTag(ctx, sup, vip.ID, TagChange{Name: ptr("V.I.P."), Enabled: ptr(false)}); err != nil {
		t.Fatalf("a supervisor with tags.manage by default: %v", err)
	}
	if got, _ := s.Tags(ctx, agent); len(got) != 0 {
		t.Fatalf("an agent sees disabled tags: %+v", got)
	}
	if got, _ := s.Tags(ctx, sup); len(got) != 1 || got[0].Name != "V.I.P." || got[0].Enabled {
		t.Fatalf("the supervisor sees %+v", got)
	}
	agent.Permissions = directory.Effective(directory.Agent, map[string]bool{string(directory.TagsCreate): false})
	if _, err := s.CreateTag(ctx, agent, NewTag{Name: "Urgent"}); kindOf(err) != Forbidden {
		t.Fatalf("an agent without tags.create: %v", err)
	}
	if err := s.DeleteTag(ctx, sup, 999); kindOf(err) != NotFound {
		t.Fatalf("deleting no tag: %v", err)
	}
	if err := s.DeleteTag(ctx, admin, vip.ID); err != nil {
		t.Fatal(err)
	}
	want := "audit.tag.created:1001:VIP|audit.tag.updated:sue:V.I.P.|audit.tag.deleted:root:V.I.P."
	if got := strings.Join(auditTypes(t, s, l, "audit.tag."), "|"); got != want {
		t.Fatalf("audit trail %s; want %s", got, want)
	}
}

func TestCannedMessagesAdministration(t *testing.T) {
	t.Parallel()
	s, _, l := catalogService(t, filepath.Join(t.TempDir(), "acd.db"))
	ctx := context.Background()
	admin, sup, agent, other := catalogActors()
	hello, err := s.CreateCannedMessage(ctx, agent, NewCannedMessage{Shortcut: "/hello", Text: "Hello,\nhow may I help?"})
	if err != nil || hello.Visibility != "private" || hello.Owner != "1001" || !hello.Active {
		t.Fatalf("an agent's message: %+v %v", hello, err)
	}
	// Another agent neither sees nor changes it, and may have its own.
	if _, err := s.CannedMessage(ctx, other, hello.ID); kindOf(err) != NotFound {
		t.Fatalf("another agent reading it: %v", err)
	}
	if _, err := s.UpdateCannedMessage(ctx, other, hello.ID, CannedMessageChange{Text: ptr("hijacked")}); kindOf(err) != NotFound {
		t.Fatalf("another agent editing it: %v", err)
	}
	if err := s.DeleteCannedMessage(ctx, other, hello.ID); kindOf(err) != NotFound {
		t.Fatalf("another agent deleting it: %v", err)
	}
	if _, err := s.CreateCannedMessage(ctx, other, NewCannedMessage{Shortcut: "/Hello", Text: "Hi!"}); err != nil {
		t.Fatalf("another agent's own /Hello: %v", err)
	}
	if _, err := s.CannedMessages(ctx, other, "1001"); kindOf(err) != Forbidden {
		t.Fatalf("an agent listing another's messages: %v", err)
	}
	// Public messages are the managers'.
	if _, err := s.CreateCannedMessage(ctx, agent, NewCannedMessage{Shortcut: "/bye", Text: "Goodbye", Visibility: "public"}); kindOf(err) != Forbidden {
		t.Fatalf("an agent creating a public message: %v", err)
	}
	if _, err := s.CreateCannedMessage(ctx, sup, NewCannedMessage{Shortcut: "/bye", Text: "Goodbye", Visibility: "public"}); kindOf(err) != Forbidden {
		t.Fatalf("a supervisor without the permission: %v", err)
	}
	if _, err := s.CreateCannedMessage(ctx, admin, NewCannedMessage{Shortcut: "/HELLO", Text: "Hello", Visibility: "public"}); func() bool { k, f := fieldOf(err); return k != Conflict || f != "shortcut" }() {
		t.Fatalf("a public /HELLO beside agents' private ones: %v", err)
	}
	bye, err := s.CreateCannedMessage(ctx, admin, NewCannedMessage{Shortcut: "/bye", Text: "Goodbye", Visibility: "public"})
	if err != nil || bye.Owner != "" {
		t.Fatalf("a public message: %+v %v", bye, err)
	}
	if _, err := s.CreateCannedMessage(ctx, agent, NewCannedMessage{Shortcut: "/BYE", Text: "Ciao"}); kindOf(err) != Conflict {
		t.Fatalf("a private /BYE beside the public one: %v", err)
	}
	if _, err := s.UpdateCannedMessage(ctx, agent, bye.ID, CannedMessageChange{Active: ptr(false)}); kindOf(err) != Forbidden {
		t.Fatalf("an agent deactivating a public message: %v", err)
	}
	if _, err := s.UpdateCannedMessage(ctx, admin, bye.ID, CannedMessageChange{Active: ptr(false)}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.CannedMessages(ctx, agent, ""); len(got) != 1 || got[0].ID != hello.ID {
		t.Fatalf("an agent's list with the public message inactive: %+v", got)
	}
	agent.Permissions[directory.PublicCannedMessagesManage] = true
	if got, _ := s.CannedMessages(ctx, agent, ""); len(got) != 2 {
		t.Fatalf("a manager of public messages sees inactive ones: %+v", got)
	}
	if _, err := s.UpdateCannedMessage(ctx, agent, bye.ID, CannedMessageChange{Active: ptr(true), Text: ptr("Goodbye, and thank you")}); err != nil {
		t.Fatal(err)
	}
	// Made public, a private message is no one's.
	pub, err := s.UpdateCannedMessage(ctx, agent, hello.ID, CannedMessageChange{Visibility: ptr("public")})
	if kindOf(err) != Conflict {
		t.Fatalf("making /hello public beside 1002's /Hello: %+v %v", pub, err)
	}
	if err := s.DeleteCannedMessage(ctx, agent, hello.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.CannedMessages(ctx, admin, "1002"); len(got) != 1 || got[0].Shortcut != "/Hello" {
		t.Fatalf("an administrator listing 1002's messages: %+v", got)
	}
	for _, tc := range []struct {
		m     NewCannedMessage
		field string
	}{
		{NewCannedMessage{Shortcut: "hello", Text: "x"}, "shortcut"},
		{NewCannedMessage{Shortcut: "/", Text: "x"}, "shortcut"},
		{NewCannedMessage{Shortcut: "/two words", Text: "x"}, "shortcut"},
		{NewCannedMessage{Shortcut: "/a!", Text: "x"}, "shortcut"},
		{NewCannedMessage{Shortcut: "/" + strings.Repeat("a", 32), Text: "x"}, "shortcut"},
		{NewCannedMessage{Shortcut: "/привет", Text: "x"}, "shortcut"},
		{NewCannedMessage{Shortcut: "/ok", Text: " \n "}, "text"},
		{NewCannedMessage{Shortcut: "/ok", Text: "beep\a"}, "text"},
		{NewCannedMessage{Shortcut: "/ok", Text: strings.Repeat("x", 2001)}, "text"},
		{NewCannedMessage{Shortcut: "/ok", Text: "x", Visibility: "team"}, "visibility"},
	} {
		if _, err := s.CreateCannedMessage(ctx, other, tc.m); func() bool { k, f := fieldOf(err); return k != Invalid || f != tc.field }() {
			t.Errorf("%+v: %v; want invalid %s", tc.m, err, tc.field)
		}
	}
	if m, err := s.CreateCannedMessage(ctx, other, NewCannedMessage{Shortcut: "/grüße-2_b.c", Text: "Здравствуйте!\tمرحبا"}); err != nil {
		t.Fatalf("a Latin shortcut and a text in any script: %+v %v", m, err)
	}
	if err := l.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	evs, _ := s.Audit(ctx, admin, AuditQuery{Type: "audit.canned_message."})
	if len(evs) != 7 {
		t.Fatalf("%d audit events for canned messages; want 7", len(evs))
	}
	for _, e := range evs {
		if strings.Contains(string(e.Data), "Goodbye") {
			t.Fatalf("the audit trail holds a message's text: %s", e.Data)
		}
	}
}
