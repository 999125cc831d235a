// Package directory holds who may do what: users with one role each, the
// permissions each role may be granted, their defaults, and how passwords
// are kept. It has no storage and no HTTP of its own.
package directory

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Role is what a user is in the contact centre.
type Role string

// The three roles. An administrator may do everything, and is the only
// role that manages users and permissions.
const (
	Administrator Role = "administrator"
	Supervisor    Role = "supervisor"
	Agent         Role = "agent"
)

// Roles lists the roles in order of reach.
func Roles() []Role { return []Role{Administrator, Supervisor, Agent} }

// ParseRole reads a role name; "admin" is accepted for the command line.
func ParseRole(s string) (Role, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "administrator", "admin":
		return Administrator, nil
	case "supervisor":
		return Supervisor, nil
	case "agent":
		return Agent, nil
	}
	return "", fmt.Errorf("role %q: want administrator, supervisor or agent", s)
}

// Permission is a named right that an administrator grants to, or
// revokes from, every user of a role.
type Permission string

// Supervisor permissions.
const (
	ConfigurationAccess      Permission = "configuration.access"
	RestrictToAssignedQueues Permission = "queues.restrict_to_assigned"
	QueueSettingsView        Permission = "queues.settings.view"
	QueueSettingsManage      Permission = "queues.settings.manage"
	PauseReasonsView         Permission = "pause_reasons.view"
	PauseReasonsManage       Permission = "pause_reasons.manage"
	SkillsView               Permission = "skills.view"
	SkillsManage             Permission = "skills.manage"
	TagsManage               Permission = "tags.manage"
	// RecordingsView is a supervisor's (its queues' recordings, all
	// when unrestricted) and an agent's (its own calls' recordings).
	RecordingsView   Permission = "recordings.view"
	RecordingsDelete Permission = "recordings.delete"
	CallsMonitor     Permission = "calls.monitor"
	CallsBarge       Permission = "calls.barge"
)

// Agent permissions (PublicCannedMessagesManage and RecordedMessagesManage
// are a supervisor's too).
const (
	RecordedMessagesManage     Permission = "recorded_messages.manage"
	PublicCannedMessagesManage Permission = "canned_messages.public.manage"
	TagsCreate                 Permission = "tags.create"
)

// PermissionInfo describes a permission of a role and its default.
type PermissionInfo struct {
	Name        Permission
	Description string
	Default     bool
	// Planned: a permission of a feature still to come, stored and
	// reported meanwhile, guarding nothing yet.
	Planned bool
}

// catalogue is every grantable permission per role, in the order the
// guide lists them. Administrators are not in it: they have every right
// and none can be taken from them, or nobody could give it back.
func catalogue(r Role) []PermissionInfo {
	switch r {
	case Supervisor:
		return []PermissionInfo{
			{ConfigurationAccess, "Read the contact-centre configuration: the organisation, queues, agents, trunks, pause reasons and dial plans pages, read-only unless the matching manage permission is held too", false, false},
			{RestrictToAssignedQueues, "Restrict to assigned queues only: every read and write, the event stream included, is limited to the supervisor's queues", false, false},
			{QueueSettingsView, "View queue settings", true, false},
			{QueueSettingsManage, "Manage queue settings", false, false},
			{PauseReasonsView, "View pause reasons", true, false},
			{PauseReasonsManage, "Manage pause reasons", false, false},
			{SkillsView, "View skills and agents' skill assignment", true, true},
			{SkillsManage, "Manage skills and agents' skill assignment", false, true},
			// Agents create tags by default: someone short of an
			// administrator must be able to tidy them.
			{TagsManage, "Manage tags: create, rename, delete, enable and disable", true, false},
			// Public canned messages speak to customers in the centre's
			// name: administrators' by default, as they are agents'.
			{PublicCannedMessagesManage, "Manage public canned messages", false, false},
			// Recorded messages are played to every queue's callers:
			// administrators' by default, as they are agents'.
			{RecordedMessagesManage, "Manage recorded messages: upload, record by phone and delete", false, false},
			{RecordingsView, "Listen to and download call recordings (of the assigned queues when restricted)", true, false},
			// Deleting destroys evidence a dispute may need: off until
			// an administrator decides otherwise.
			{RecordingsDelete, "Delete call recordings", false, false},
			// Whispering is heard by the agent alone, as coaching: it
			// counts as monitoring. Barging speaks to the customer.
			{CallsMonitor, "Monitor agents' calls: listen, and whisper to the agent", true, false},
			{CallsBarge, "Barge in on agents' calls: speak to the customer and the agent", false, false},
		}
	case Agent:
		return []PermissionInfo{
			{RecordedMessagesManage, "Manage recorded messages: upload, record by phone and delete", false, false},
			{PublicCannedMessagesManage, "Manage public canned messages", false, false},
			{TagsCreate, "Create custom tags", true, false},
			// Recordings hold customers' personal data: an agent hears
			// its own calls back only when granted.
			{RecordingsView, "Listen to the recordings of one's own calls", false, false},
		}
	}
	return nil
}

// Catalogue lists the grantable permissions of a role with their defaults.
func Catalogue(r Role) []PermissionInfo { return catalogue(r) }

// Known reports whether p is a grantable permission of r.
func Known(r Role, p Permission) bool {
	return slices.ContainsFunc(catalogue(r), func(i PermissionInfo) bool { return i.Name == p })
}

// Effective applies stored overrides (permission → granted) to a role's
// defaults. Overrides naming permissions the role no longer has are
// ignored, so a permission dropped from the catalogue leaves no trace.
func Effective(r Role, overrides map[string]bool) map[Permission]bool {
	out := map[Permission]bool{}
	for _, info := range catalogue(r) {
		granted := info.Default
		if o, ok := overrides[string(info.Name)]; ok {
			granted = o
		}
		if granted {
			out[info.Name] = true
		}
	}
	return out
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$`)

// ValidID checks a user id: 1 to 64 letters, digits and . _ @ + -,
// starting with a letter or digit. Agents' ids (their SIP user names,
// digits as a rule) fit.
func ValidID(id string) error {
	if !idPattern.MatchString(id) {
		return fmt.Errorf("user id %q: want 1 to 64 letters, digits and . _ @ + -, starting with a letter or digit", id)
	}
	return nil
}
