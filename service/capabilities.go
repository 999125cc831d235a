package service

import "github.com/acdserver/acd/directory"

// Capability is a part of the contact centre's administration: what one
// section of the administration console is for. The operations behind a
// section check the same capability, so that a console shows a section
// exactly to those the service lets do its work.
type Capability string

// The capabilities, one per kind of thing administered.
const (
	ManageUsers        Capability = "users"
	ManagePermissions  Capability = "permissions"
	ManageSettings     Capability = "settings"
	ManageQueues       Capability = "queues"         // create and delete queues
	ChangeQueues       Capability = "queue_settings" // change the settings of the queues one sees
	ManageAgents       Capability = "agents"
	ManageTrunks       Capability = "trunks"
	ManagePauseReasons Capability = "pause_reasons"
	ManageTags         Capability = "tags"
	ManagePublicCanned Capability = "canned_messages"
	ManageDialplans    Capability = "dialplans" // dial plans, numbers and their tools
	ManageRecorded     Capability = "recorded_messages"
)

// Capabilities lists every capability, in the order the console shows
// its sections.
func Capabilities() []Capability {
	return []Capability{ManageUsers, ManagePermissions, ManageSettings, ManageQueues, ChangeQueues, ManageAgents,
		ManageTrunks, ManagePauseReasons, ManageTags, ManagePublicCanned, ManageDialplans, ManageRecorded}
}

// May says whether the actor has a capability. This is the one table of
// who administers what: the service's operations ask it, and so do the
// consoles when they decide what to show.
func (a *Actor) May(c Capability) bool {
	if a == nil {
		return false
	}
	if a.is(directory.Administrator) {
		return true // every capability, and none can be taken away
	}
	switch c {
	case ChangeQueues:
		return a.is(directory.Supervisor) && a.Permissions[directory.QueueSettingsManage]
	case ManagePauseReasons:
		return a.is(directory.Supervisor) && a.Permissions[directory.PauseReasonsManage]
	case ManageTags:
		return a.is(directory.Supervisor) && a.Permissions[directory.TagsManage]
	case ManagePublicCanned:
		// Supervisors' and agents' permission alike.
		return a.Permissions[directory.PublicCannedMessagesManage]
	case ManageRecorded:
		// Supervisors' and agents' permission alike.
		return a.Permissions[directory.RecordedMessagesManage]
	}
	return false
}

// configuration is whether a capability's section is part of the
// contact centre's configuration, which configuration.access opens to a
// supervisor to read. Users and permissions are not: they say who may
// do what, which is the administrators' alone.
func configuration(c Capability) bool {
	switch c {
	case ManageSettings, ManageQueues, ChangeQueues, ManageAgents, ManageTrunks, ManagePauseReasons, ManageDialplans, ManageRecorded:
		return true
	}
	return false
}

// Sees says whether the actor may read a section: everyone who may
// change it, and supervisors granted configuration.access, who see the
// configuration's sections read-only unless they hold the matching
// manage permission too (May says so); restricted to their queues, they
// see the queues, agents, pause reasons and settings, not the trunks and
// dial plans.
func (a *Actor) Sees(c Capability) bool {
	if a.May(c) {
		return true
	}
	if !a.is(directory.Supervisor) || !a.Permissions[directory.ConfigurationAccess] || !configuration(c) {
		return false
	}
	// Trunks and dial plans route every queue's calls: a supervisor
	// restricted to its queues would read other queues' in them.
	return !a.Restricted || (c != ManageTrunks && c != ManageDialplans)
}

// refused is the refusal of someone short of a capability: what it
// takes, by whom it may be granted.
func refused(c Capability) error {
	switch c {
	case ChangeQueues:
		return forbidden("changing queue settings takes an administrator, or a supervisor granted %s for the queue", directory.QueueSettingsManage)
	case ManagePauseReasons:
		return forbidden("managing pause reasons takes an administrator, or a supervisor granted %s", directory.PauseReasonsManage)
	case ManageTags:
		return forbidden("renaming, enabling, disabling and deleting tags takes an administrator, or a supervisor granted %s", directory.TagsManage)
	case ManagePublicCanned:
		return forbidden("public canned messages are managed by administrators, and by supervisors and agents granted %s", directory.PublicCannedMessagesManage)
	case ManageRecorded:
		return forbidden("recorded messages are managed by administrators, and by supervisors and agents granted %s", directory.RecordedMessagesManage)
	case ManageUsers, ManagePermissions:
		return forbidden("only administrators manage users and permissions")
	case ManageSettings:
		return forbidden("only administrators change the organisation settings")
	case ManageDialplans:
		return forbidden("only administrators manage dial plans and numbers")
	}
	return forbidden("only administrators manage %s", c)
}

// Authorize is nil when the actor has the capability, else the refusal
// (401 without an actor, 403 with what it takes).
func Authorize(a *Actor, c Capability) error {
	if a == nil {
		return errUnauthenticated
	}
	if !a.May(c) {
		return refused(c)
	}
	return nil
}

// AuthorizeView is nil when the actor may read a section (Sees), else
// the refusal.
func AuthorizeView(a *Actor, c Capability) error {
	if a == nil {
		return errUnauthenticated
	}
	if !a.Sees(c) {
		if configuration(c) && a.Restricted && a.Permissions[directory.ConfigurationAccess] {
			return forbidden("%s route every queue's calls: not for a supervisor restricted to its queues", c)
		}
		if configuration(c) {
			return forbidden("the contact centre's configuration (%s) is for administrators, and for supervisors granted %s to read it", c, directory.ConfigurationAccess)
		}
		return refused(c)
	}
	return nil
}

// AuthorizeAny is nil when the actor may read at least one section: the
// administration console is for anyone with something to administer or
// to look at.
func AuthorizeAny(a *Actor) error {
	if a == nil {
		return errUnauthenticated
	}
	for _, c := range Capabilities() {
		if a.Sees(c) {
			return nil
		}
	}
	return forbidden("the administration console is for administrators, for supervisors granted %s, and for supervisors and agents granted a permission to manage something", directory.ConfigurationAccess)
}
