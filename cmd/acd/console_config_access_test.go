package main

import (
	"strings"
	"testing"
)

// TestConsolePermissionsSayWhatIsPlanned: the permissions page marks the
// permissions of features still to come, which guard nothing yet.
func TestConsolePermissionsSayWhatIsPlanned(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	setupAdmin(t, s)
	_, body := consoleRequest(t, s, login(t, s, "root", testPassword), "GET", "/admin/permissions", nil)
	for _, perm := range []string{"skills.view", "skills.manage", "recorded_messages.manage"} {
		i := strings.Index(body, `data-permission="`+perm+`"`)
		if i < 0 {
			t.Fatalf("the permissions page lacks %s", perm)
		}
		row, _, _ := strings.Cut(body[i:], "</tr>")
		if !strings.Contains(row, `data-testid="planned"`) {
			t.Errorf("the permissions page does not say %s belongs to a feature still to come:\n%s", perm, row)
		}
	}
	i := strings.Index(body, `data-permission="tags.manage"`)
	if row, _, _ := strings.Cut(body[i:], "</tr>"); strings.Contains(row, `data-testid="planned"`) {
		t.Errorf("tags.manage is marked as guarding nothing")
	}
}
