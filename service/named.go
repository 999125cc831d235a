package service

import (
	"context"
	"strconv"
	"strings"

	"github.com/acdserver/acd/config"
	"github.com/acdserver/acd/store"
)

// NewNamed is a named entry to create, a pause reason or a tag; Enabled
// nil means enabled.
type NewNamed struct {
	Name    string
	Enabled *bool
}

// NamedChange is a partial update of a named entry: nil fields are left
// as they are.
type NamedChange struct {
	Name    *string
	Enabled *bool
}

// namedKind is a kind of named entries, pause reasons or tags, with the
// names it takes.
type namedKind struct {
	kind[store.Named]
	list func(CatalogStore, context.Context) ([]store.Named, error)
	// check refuses a name the kind does not take, as a service error.
	check func(name string) error
	// declared is where the configuration file declares an entry it
	// owns, false when it no longer does; nil for a kind the file never
	// declares.
	declared func(key string) (string, bool)
}

// withStore completes k with where its entries are stored.
func (k namedKind) withStore(list func(CatalogStore, context.Context) ([]store.Named, error), add func(CatalogStore, context.Context, store.Named) (store.Named, error),
	put func(CatalogStore, context.Context, store.Named) error, drop func(CatalogStore, context.Context, int64) error) namedKind {
	k.list, k.add, k.put, k.drop = list, add, put, drop
	k.taken = k.nameTaken
	return k
}

// nameTaken explains a refused name: which entry has it.
func (k namedKind) nameTaken(ctx context.Context, st CatalogStore, n store.Named) error {
	rows, err := k.list(st, ctx)
	if err != nil {
		return err
	}
	key := config.NameKey(n.Name)
	for _, e := range rows {
		if e.Key != key {
			continue
		}
		if e.Provisioned && k.declared != nil {
			if source, ok := k.declared(key); ok {
				return conflictOn("name", "%s %q (%d) is declared in %s; names are compared without case", k.noun, e.Name, e.ID, source)
			}
			continue
		}
		return conflictOn("name", "%s %q (%d) exists; names are compared without case", k.noun, e.Name, e.ID)
	}
	return conflictOn("name", "another %s has this name; names are compared without case", k.noun)
}

// create checks and stores a new entry made by a.
func (s *Service) createNamed(ctx context.Context, a *Actor, st CatalogStore, k namedKind, nn NewNamed) (store.Named, error) {
	if err := k.check(nn.Name); err != nil {
		return store.Named{}, err
	}
	now := s.now()
	return k.create(ctx, st, store.Named{Name: nn.Name, Key: config.NameKey(nn.Name), Enabled: nn.Enabled == nil || *nn.Enabled,
		CreatedBy: a.UserID, Created: now, Updated: now})
}

// edits are the fields a partial update changes, for the audit trail.
type edits []string

// set puts *to in *field when it is given and differs, once check (if
// any) accepts it, and notes the change under name.
func set[T comparable](e *edits, name string, field, to *T, check func(T) error) error {
	if to == nil || *to == *field {
		return nil
	}
	if check != nil {
		if err := check(*to); err != nil {
			return err
		}
	}
	*field, *e = *to, append(*e, name)
	return nil
}

// updateNamed applies c to cur, a new name once check accepts it, and
// stores it. It returns the audit trail's details of the change, nil
// when nothing changes (and nothing is stored).
func (s *Service) updateNamed(ctx context.Context, st CatalogStore, k namedKind, cur store.Named, c NamedChange, check func(string) error) (store.Named, map[string]string, error) {
	var changed edits
	from := cur.Name
	if err := set(&changed, "name", &cur.Name, c.Name, check); err != nil {
		return cur, nil, err
	}
	set(&changed, "enabled", &cur.Enabled, c.Enabled, nil)
	if len(changed) == 0 {
		return cur, nil, nil
	}
	cur.Key, cur.Updated = config.NameKey(cur.Name), s.now()
	if err := k.update(ctx, st, cur.ID, cur); err != nil {
		return cur, nil, err
	}
	detail := map[string]string{"changed": strings.Join(changed, ",")}
	if cur.Name != from {
		detail["from"] = from
	}
	return cur, detail, nil
}

// recordNamed logs and audits what a did to e ("created", "updated",
// "deleted"); detail adds to the audit's details what updateNamed
// returned.
func (s *Service) recordNamed(a *Actor, k namedKind, verb string, e store.Named, detail map[string]string) {
	d := map[string]string{"id": idText(e.ID), "name": e.Name}
	attrs := []any{"actor", a.UserID, "id", e.ID, "name", e.Name}
	if verb != "deleted" {
		d["enabled"] = strconv.FormatBool(e.Enabled)
		attrs = append(attrs, "enabled", e.Enabled)
	}
	for key, v := range detail {
		d[key] = v
	}
	if ch, ok := detail["changed"]; ok {
		attrs = append(attrs, "changed", ch)
	}
	s.log.Info(k.noun+" "+verb, attrs...)
	s.audit(a, k.event+"."+verb, "", d)
}
