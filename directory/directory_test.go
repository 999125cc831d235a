package directory

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestHashAndVerify(t *testing.T) {
	h := NewHasher(2)
	ctx := context.Background()
	enc, err := h.Hash(ctx, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Contains(enc, "horse") {
		t.Fatalf("encoding %q", enc)
	}
	if err := h.Verify(ctx, enc, "correct horse battery"); err != nil {
		t.Fatalf("the right password: %v", err)
	}
	if err := h.Verify(ctx, enc, "correct horse batterx"); !errors.Is(err, ErrMismatch) {
		t.Fatalf("a wrong password: %v", err)
	}
	again, _ := h.Hash(ctx, "correct horse battery")
	if again == enc {
		t.Fatal("two hashes of one password are equal: the salt is not fresh")
	}
	for _, bad := range []string{"", "md5:abc", "$argon2id$v=19$m=99999999,t=2,p=1$c2FsdA$a2V5a2V5a2V5a2V5a2V5", "$argon2i$v=19$m=8,t=1,p=1$c2FsdA$a2V5"} {
		if err := h.Verify(ctx, bad, "x"); err == nil || errors.Is(err, ErrMismatch) {
			t.Fatalf("hash %q: %v; want a decoding error", bad, err)
		}
	}
}

func TestVerifyWaitsForASlot(t *testing.T) {
	h := NewHasher(1)
	h.slots <- struct{}{} // the one slot is taken
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Hash(ctx, "correct horse battery"); !errors.Is(err, context.Canceled) {
		t.Fatalf("hashing with every slot taken and the request gone: %v", err)
	}
}

func TestCheckPassword(t *testing.T) {
	for pw, ok := range map[string]bool{
		"":                         false,
		"short":                    false,
		"twelve chars":             true,
		"with\x00nul and more":     false,
		"tab\there and more":       false,
		strings.Repeat("é", 12):    true,
		strings.Repeat("a", 257):   false,
		string([]byte{0xff, 0xfe}): false,
	} {
		if err := CheckPassword(pw); (err == nil) != ok {
			t.Errorf("CheckPassword(%q) = %v, want ok=%v", pw, err, ok)
		}
	}
}

func TestEffectivePermissions(t *testing.T) {
	def := Effective(Supervisor, nil)
	if !def[QueueSettingsView] || def[QueueSettingsManage] || def[RestrictToAssignedQueues] {
		t.Fatalf("supervisor defaults: %v", def)
	}
	got := Effective(Supervisor, map[string]bool{string(QueueSettingsManage): true, string(QueueSettingsView): false, "gone.permission": true})
	if !got[QueueSettingsManage] || got[QueueSettingsView] || got["gone.permission"] {
		t.Fatalf("with overrides: %v", got)
	}
	if len(Effective(Administrator, nil)) != 0 || Known(Administrator, ConfigurationAccess) {
		t.Fatal("administrators have grantable permissions")
	}
	if !Known(Agent, TagsCreate) || Known(Agent, SkillsManage) {
		t.Fatal("Known mixes the roles' catalogues")
	}
}

func TestParseRoleAndID(t *testing.T) {
	if r, err := ParseRole("admin"); err != nil || r != Administrator {
		t.Fatalf("admin: %v %v", r, err)
	}
	if _, err := ParseRole("root"); err == nil {
		t.Fatal("root is a role")
	}
	for id, ok := range map[string]bool{"1001": true, "ann.smith@example": true, "": false, "-x": false, "a b": false, strings.Repeat("a", 65): false} {
		if err := ValidID(id); (err == nil) != ok {
			t.Errorf("ValidID(%q) = %v", id, err)
		}
	}
}

// BenchmarkHash measures one argon2id hash with the parameters new
// passwords get; a login costs one of these.
func BenchmarkHash(b *testing.B) {
	h := NewHasher(1)
	ctx := context.Background()
	for b.Loop() {
		if _, err := h.Hash(ctx, "correct horse battery"); err != nil {
			b.Fatal(err)
		}
	}
}
