package service

import (
	"context"
	"errors"
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

// namedKind describes one catalogue of named entries, pause reasons or
// tags: what the entries are called, where they are stored and which
// names they take. The create, update, delete and record steps below
// are the same for every kind.
type namedKind struct {
	noun  string // in messages and logs: "pause reason"
	event string // the audit events' prefix: "pause_reason"
	list  func(CatalogStore, context.Context) ([]store.Named, error)
	add   func(CatalogStore, context.Context, store.Named) (store.Named, error)
	put   func(CatalogStore, context.Context, store.Named) error
	drop  func(CatalogStore, context.Context, int64) error
	// check refuses a name the kind does not take, as a service error.
	check func(name string) error
	// declared is where the configuration file declares an entry it
	// owns, false when it no longer does; nil for a kind the file never
	// declares.
	declared func(key string) (string, bool)
}

func (k namedKind) notFound(id int64) error { return notFound("no %s %d", k.noun, id) }

// taken explains a refused name: which entry has it.
func (k namedKind) taken(ctx context.Context, st CatalogStore, name string) error {
	rows, err := k.list(st, ctx)
	if err != nil {
		return err
	}
	key := config.NameKey(name)
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
	e, err := k.add(st, ctx, store.Named{Name: nn.Name, Key: config.NameKey(nn.Name), Enabled: nn.Enabled == nil || *nn.Enabled,
		CreatedBy: a.UserID, Created: now, Updated: now})
	if errors.Is(err, store.ErrExists) {
		return store.Named{}, k.taken(ctx, st, nn.Name)
	}
	return e, err
}

// updateNamed applies c to cur and stores it. fixed, when not nil,
// refuses a rename. It returns the audit trail's details of the change,
// nil when nothing changes (and nothing is stored).
func (s *Service) updateNamed(ctx context.Context, st CatalogStore, k namedKind, cur store.Named, c NamedChange, fixed func() error) (store.Named, map[string]string, error) {
	var changed []string
	detail := map[string]string{}
	if c.Name != nil && *c.Name != cur.Name {
		if fixed != nil {
			if err := fixed(); err != nil {
				return cur, nil, err
			}
		}
		if err := k.check(*c.Name); err != nil {
			return cur, nil, err
		}
		detail["from"] = cur.Name
		cur.Name, cur.Key, changed = *c.Name, config.NameKey(*c.Name), append(changed, "name")
	}
	if c.Enabled != nil && *c.Enabled != cur.Enabled {
		cur.Enabled, changed = *c.Enabled, append(changed, "enabled")
	}
	if len(changed) == 0 {
		return cur, nil, nil
	}
	cur.Updated = s.now()
	if err := k.put(st, ctx, cur); errors.Is(err, store.ErrExists) {
		return cur, nil, k.taken(ctx, st, cur.Name)
	} else if errors.Is(err, store.ErrNotFound) {
		return cur, nil, k.notFound(cur.ID)
	} else if err != nil {
		return cur, nil, err
	}
	detail["changed"] = strings.Join(changed, ",")
	return cur, detail, nil
}

// deleteNamed removes an entry from the store.
func (s *Service) deleteNamed(ctx context.Context, st CatalogStore, k namedKind, id int64) error {
	if err := k.drop(st, ctx, id); errors.Is(err, store.ErrNotFound) {
		return k.notFound(id)
	} else if err != nil {
		return err
	}
	return nil
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
