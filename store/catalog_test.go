package store

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func openCatalog(t *testing.T, path string) (*Log, *Catalog) {
	t.Helper()
	l, err := Open(path, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	c, err := OpenCatalog(l)
	if err != nil {
		t.Fatal(err)
	}
	return l, c
}

func spell(list []Named) string {
	var out []string
	for _, n := range list {
		s := n.Name
		if !n.Enabled {
			s += "(off)"
		}
		if n.Provisioned {
			s += "(file)"
		}
		out = append(out, s)
	}
	return strings.Join(out, ",")
}

// TestPauseReasonsProvisioning: the file's reasons are stored as the
// file's, keep the enabled flag administrators gave them across starts,
// adopt a reason of the same name made through the API, and go when the
// file drops them; the API's stay.
func TestPauseReasonsProvisioning(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "acd.db")
	ctx := context.Background()
	now := time.Now()
	file := func(names ...string) []Named {
		var out []Named
		for _, n := range names {
			out = append(out, Named{Name: n, Key: strings.ToLower(n), CreatedBy: "configuration"})
		}
		return out
	}
	l, c := openCatalog(t, path)
	if _, err := c.ProvisionPauseReasons(ctx, file("Lunch", "Training"), now); err != nil {
		t.Fatal(err)
	}
	coaching, err := c.CreatePauseReason(ctx, Named{Name: "Coaching", Key: "coaching", Enabled: true, CreatedBy: "root", Created: now, Updated: now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreatePauseReason(ctx, Named{Name: "LUNCH", Key: "lunch", Enabled: true}); !errors.Is(err, ErrExists) {
		t.Fatalf("a second Lunch: %v, want ErrExists", err)
	}
	if _, err := c.CreatePauseReason(ctx, Named{Name: "Meeting", Key: "meeting"}); err != nil {
		t.Fatal(err)
	}
	all, _ := c.PauseReasons(ctx)
	lunch := all[0]
	lunch.Enabled, lunch.Updated = false, now
	if err := c.UpdatePauseReason(ctx, lunch); err != nil {
		t.Fatal(err)
	}
	coaching.Name, coaching.Key = "Training", "training"
	if err := c.UpdatePauseReason(ctx, coaching); !errors.Is(err, ErrExists) {
		t.Fatalf("renaming onto the file's Training: %v, want ErrExists", err)
	}
	l.Close()

	// The next start: Meeting is now in the file, Training is not.
	_, c = openCatalog(t, path)
	p, err := c.ProvisionPauseReasons(ctx, file("Lunch", "meeting"), now)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Adopted) != 1 || p.Adopted[0].Name != "Meeting" || len(p.Dropped) != 1 || p.Dropped[0].Name != "Training" {
		t.Fatalf("provisioning: %+v", p)
	}
	all, _ = c.PauseReasons(ctx)
	if got := spell(all); got != "Lunch(off)(file),Coaching,meeting(off)(file)" {
		t.Fatalf("after the second start: %s", got)
	}
	if err := c.DeletePauseReason(ctx, coaching.ID); err != nil {
		t.Fatal(err)
	}
	if err := c.DeletePauseReason(ctx, coaching.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleting twice: %v", err)
	}
	// Ids are never reused: the audit trail names entries by them.
	again, err := c.CreatePauseReason(ctx, Named{Name: "Coaching", Key: "coaching", Enabled: true})
	if err != nil || again.ID <= coaching.ID {
		t.Fatalf("re-created: %+v %v; want an id above %d", again, err, coaching.ID)
	}
}

func TestTags(t *testing.T) {
	t.Parallel()
	_, c := openCatalog(t, filepath.Join(t.TempDir(), "acd.db"))
	ctx := context.Background()
	vip, err := c.CreateTag(ctx, Named{Name: "VIP", Key: "vip", Enabled: true, CreatedBy: "1001"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateTag(ctx, Named{Name: "vip", Key: "vip"}); !errors.Is(err, ErrExists) {
		t.Fatalf("a second vip: %v", err)
	}
	vip.Name, vip.Enabled = "Vip", false // a change of case is the same tag
	if err := c.UpdateTag(ctx, vip); err != nil {
		t.Fatal(err)
	}
	list, _ := c.Tags(ctx)
	if got := spell(list); got != "Vip(off)" || list[0].CreatedBy != "1001" {
		t.Fatalf("tags: %s %+v", got, list)
	}
	if err := c.UpdateTag(ctx, Named{ID: 99, Name: "x", Key: "x"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("updating no tag: %v", err)
	}
	if err := c.DeleteTag(ctx, vip.ID); err != nil {
		t.Fatal(err)
	}
	if list, _ := c.Tags(ctx); len(list) != 0 {
		t.Fatalf("after delete: %+v", list)
	}
}

// TestCannedMessageShortcuts: no two messages in one user's list share a
// shortcut; two users' private messages may. A deleted user's private
// messages go with it.
func TestCannedMessageShortcuts(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "acd.db")
	l, c := openCatalog(t, path)
	users, err := OpenUsers(l)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	now := time.Now()
	for _, id := range []string{"root", "1001", "1002"} {
		role := "agent"
		if id == "root" {
			role = "administrator"
		}
		if err := users.Create(ctx, User{ID: id, Name: id, Role: role, PasswordHash: "h", Created: now, Updated: now}); err != nil {
			t.Fatal(err)
		}
	}
	msg := func(shortcut, owner string) CannedMessage {
		return CannedMessage{Shortcut: shortcut, ShortcutKey: strings.ToLower(shortcut), Text: "text of " + shortcut, Owner: owner, Active: true, CreatedBy: "root", Created: now, Updated: now}
	}
	hello, err := c.CreateCannedMessage(ctx, msg("/hello", ""))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		m    CannedMessage
		want error
	}{
		{msg("/Hello", ""), ErrExists},     // another public one
		{msg("/HELLO", "1001"), ErrExists}, // in 1001's list with the public one
		{msg("/bye", "1001"), nil},         // 1001's own
		{msg("/bye", "1002"), nil},         // 1002's own, of the same shortcut
		{msg("/Bye", "1001"), ErrExists},   // twice in 1001's list
		{msg("/bye", ""), ErrExists},       // public, it would join 1001's and 1002's lists
		{msg("/x", "nobody"), ErrNotFound}, // no such user
		{msg("/thanks", "1002"), nil},
	} {
		if _, err := c.CreateCannedMessage(ctx, tc.m); !errors.Is(err, tc.want) && (err != nil || tc.want != nil) {
			t.Errorf("creating %s of %q: %v; want %v", tc.m.Shortcut, tc.m.Owner, err, tc.want)
		}
	}
	mine, _ := c.CannedMessages(ctx, "1001", true)
	if len(mine) != 2 || mine[0].Shortcut != "/bye" || mine[1].Shortcut != "/hello" || mine[1].Owner != "" {
		t.Fatalf("1001's list: %+v", mine)
	}
	// Making the public /hello 1002's private one is fine; making it
	// /bye is not.
	hello.Owner, hello.Updated = "1002", now
	if err := c.UpdateCannedMessage(ctx, hello); err != nil {
		t.Fatal(err)
	}
	hello.Shortcut, hello.ShortcutKey = "/bye", "/bye"
	if err := c.UpdateCannedMessage(ctx, hello); !errors.Is(err, ErrExists) {
		t.Fatalf("renaming onto 1002's /bye: %v", err)
	}
	if got, err := c.CannedMessage(ctx, hello.ID); err != nil || got.Owner != "1002" || got.Shortcut != "/hello" || got.Text != "text of /hello" {
		t.Fatalf("read back: %+v %v", got, err)
	}
	if err := users.Delete(ctx, "1002"); err != nil {
		t.Fatal(err)
	}
	if left, _ := c.CannedMessages(ctx, "1002", true); len(left) != 0 {
		t.Fatalf("a deleted user's messages: %+v", left)
	}
	if err := c.DeleteCannedMessage(ctx, hello.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleting a message gone with its owner: %v", err)
	}
}
