package directory

import "testing"

// TestCataloguePermissions: who manages pause reasons, tags and canned
// messages by default, as docs/api.md tells administrators.
func TestCataloguePermissions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		role    Role
		perm    Permission
		granted bool
	}{
		{Supervisor, PauseReasonsView, true},
		{Supervisor, PauseReasonsManage, false},
		{Supervisor, TagsManage, true},
		{Supervisor, PublicCannedMessagesManage, false},
		{Supervisor, CallsMonitor, true},
		{Supervisor, CallsBarge, false},
		{Agent, TagsCreate, true},
		{Agent, PublicCannedMessagesManage, false},
	} {
		if !Known(tc.role, tc.perm) {
			t.Errorf("%s has no permission %s", tc.role, tc.perm)
		}
		if got := Effective(tc.role, nil)[tc.perm]; got != tc.granted {
			t.Errorf("%s %s by default: %v, want %v", tc.role, tc.perm, got, tc.granted)
		}
	}
	if Known(Agent, TagsManage) {
		t.Error("agents may be granted tags.manage: renaming and deleting tags is a supervisor's")
	}
}
