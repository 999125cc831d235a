package service

import (
	"errors"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/acdserver/acd/acd"
	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/store"
)

// phoneCenter is the fake distributor that also keeps who each change
// was made by, and refuses every end of wrap-up as a queue may.
type phoneCenter struct {
	*fakeCenter
	by []acd.Actor
}

func (p *phoneCenter) Login(id string, by acd.Actor) error {
	p.by = append(p.by, by)
	return p.fakeCenter.Login(id, by)
}

func (p *phoneCenter) Pause(id, reason string, by acd.Actor) error {
	p.by = append(p.by, by)
	return p.fakeCenter.Pause(id, reason, by)
}

func (p *phoneCenter) EndWrapUp(id string, by acd.Actor) error { return acd.ErrEndNotAllowed }

func TestPhoneActorChangesItsOwnAgentAsThePhone(t *testing.T) {
	l, err := store.Open(filepath.Join(t.TempDir(), "acd.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	users, err := store.OpenUsers(l)
	if err != nil {
		t.Fatal(err)
	}
	pc := &phoneCenter{fakeCenter: &fakeCenter{state: map[string]acd.State{"1001": acd.LoggedOut, "1002": acd.LoggedOut}}}
	s := New(Config{Users: users, Events: l, Distributor: pc,
		Queues: []Queue{{ID: "support", Name: "Support"}},
		Agents: []AgentConfig{{ID: "1001", Queues: []string{"support"}}, {ID: "1002", Queues: []string{"support"}}}})

	phone := PhoneActor("1001")
	if _, err := s.AgentAction(phone, "1001", ActionLogin, ""); err != nil {
		t.Fatalf("logging in from the agent's phone: %v", err)
	}
	if _, err := s.AgentAction(phone, "1001", ActionPause, "Lunch"); err != nil {
		t.Fatalf("pausing from the agent's phone: %v", err)
	}
	for i, by := range pc.by {
		if by != event.Phone("1001") {
			t.Fatalf("change %d made by %+v; want the phone of 1001", i, by)
		}
	}
	if _, err := s.AgentAction(phone, "1002", ActionPause, ""); kindOf(err) != Forbidden {
		t.Fatalf("a phone pausing another agent: %v; want forbidden", err)
	}
	// A phone answers a refused end of wrap-up with its own prompt: the
	// distributor's reason stays readable behind the service's refusal.
	_, err = s.AgentAction(phone, "1001", ActionEndWrapUp, "")
	if kindOf(err) != Forbidden || !errors.Is(err, acd.ErrEndNotAllowed) {
		t.Fatalf("a refused end of wrap-up: %v; want forbidden, for acd.ErrEndNotAllowed", err)
	}
}
