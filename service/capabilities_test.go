package service

import (
	"errors"
	"testing"

	"github.com/acdserver/acd/directory"
)

// TestCapabilities: who has each capability, with the roles' default
// permissions and with grants and revocations; a refusal is a 403 and
// no actor is a 401.
func TestCapabilities(t *testing.T) {
	actor := func(r directory.Role, overrides map[string]bool) *Actor {
		return &Actor{UserID: "u", Role: r, Permissions: directory.Effective(r, overrides)}
	}
	all := Capabilities()
	cases := []struct {
		name  string
		actor *Actor
		has   []Capability
	}{
		{"administrator", actor(directory.Administrator, nil), all},
		{"supervisor by default", actor(directory.Supervisor, nil), []Capability{ManageTags}},
		{"supervisor without tags.manage", actor(directory.Supervisor, map[string]bool{"tags.manage": false}), nil},
		{"supervisor granted pause reasons, queue settings and public canned messages",
			actor(directory.Supervisor, map[string]bool{"pause_reasons.manage": true, "queues.settings.manage": true, "canned_messages.public.manage": true}),
			[]Capability{ChangeQueues, ManagePauseReasons, ManageTags, ManagePublicCanned}},
		{"agent by default", actor(directory.Agent, nil), nil},
		{"agent granted public canned messages", actor(directory.Agent, map[string]bool{"canned_messages.public.manage": true}), []Capability{ManagePublicCanned}},
		{"agent granted recorded messages", actor(directory.Agent, map[string]bool{"recorded_messages.manage": true}), []Capability{ManageRecorded}},
		{"supervisor granted recorded messages", actor(directory.Supervisor, map[string]bool{"recorded_messages.manage": true}), []Capability{ManageTags, ManageRecorded}},
		// An agent holds no supervisor permission, even one stored for it.
		{"agent with a supervisor's permission set", &Actor{Role: directory.Agent, Permissions: map[directory.Permission]bool{directory.TagsManage: true, directory.PauseReasonsManage: true}}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := map[Capability]bool{}
			for _, cp := range c.has {
				want[cp] = true
			}
			for _, cp := range all {
				if got := c.actor.May(cp); got != want[cp] {
					t.Errorf("May(%s) = %v; want %v", cp, got, want[cp])
				}
				err := Authorize(c.actor, cp)
				var se *Error
				switch {
				case want[cp] && err != nil:
					t.Errorf("Authorize(%s) = %v; want nil", cp, err)
				case !want[cp] && (!errors.As(err, &se) || se.Kind != Forbidden || se.Msg == ""):
					t.Errorf("Authorize(%s) = %v; want a 403 saying what it takes", cp, err)
				}
			}
		})
	}
	for _, cp := range all {
		var se *Error
		if err := Authorize(nil, cp); !errors.As(err, &se) || se.Kind != Unauthenticated {
			t.Errorf("Authorize(nil, %s) = %v; want unauthenticated", cp, err)
		}
	}
}

// TestConfigurationAccessSees: configuration.access lets a supervisor
// read the configuration's sections, and change none of them; users,
// permissions, tags and canned messages are not the configuration's.
func TestConfigurationAccessSees(t *testing.T) {
	granted := &Actor{UserID: "s", Role: directory.Supervisor,
		Permissions: directory.Effective(directory.Supervisor, map[string]bool{"configuration.access": true, "tags.manage": false})}
	plain := &Actor{UserID: "s", Role: directory.Supervisor,
		Permissions: directory.Effective(directory.Supervisor, map[string]bool{"tags.manage": false})}
	reads := map[Capability]bool{ManageSettings: true, ManageQueues: true, ChangeQueues: true, ManageAgents: true,
		ManageTrunks: true, ManagePauseReasons: true, ManageDialplans: true, ManageRecorded: true}
	for _, c := range Capabilities() {
		if got := granted.Sees(c); got != reads[c] {
			t.Errorf("granted configuration.access: Sees(%s) = %v; want %v", c, got, reads[c])
		}
		if granted.May(c) {
			t.Errorf("granted configuration.access: May(%s); want read-only", c)
		}
		if err := AuthorizeView(plain, c); kindOf(err) != Forbidden {
			t.Errorf("without configuration.access: AuthorizeView(%s) = %v; want 403", c, err)
		}
	}
	restricted := &Actor{UserID: "r", Role: directory.Supervisor, Restricted: true, Queues: map[string]bool{"billing": true},
		Permissions: granted.Permissions}
	for _, c := range []Capability{ManageTrunks, ManageDialplans} {
		if restricted.Sees(c) {
			t.Errorf("a restricted supervisor granted configuration.access sees %s, which routes every queue's calls", c)
		}
	}
	if !restricted.Sees(ChangeQueues) || !restricted.Sees(ManageAgents) {
		t.Error("a restricted supervisor granted configuration.access does not see its queues and agents")
	}
	if err := AuthorizeAny(plain); kindOf(err) != Forbidden {
		t.Errorf("the console for a supervisor with nothing to manage or read: %v; want 403", err)
	}
	if err := AuthorizeAny(granted); err != nil {
		t.Errorf("the console for a supervisor granted configuration.access: %v", err)
	}
}
