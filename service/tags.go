package service

import (
	"context"
	"time"

	"github.com/acdserver/acd/config"
	"github.com/acdserver/acd/directory"
	"github.com/acdserver/acd/store"
)

// Tag is a label for interactions, as the API shows it.
type Tag struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Enabled   bool      `json:"enabled" doc:"offered for tagging; a disabled tag is kept but not offered"`
	CreatedBy string    `json:"created_by" doc:"the user who made it"`
	Created   time.Time `json:"created"`
	Updated   time.Time `json:"updated"`
}

// NewTag is a tag to create; Enabled nil means enabled.
type NewTag = NewNamed

// TagChange is a partial update: nil fields are left as they are.
type TagChange = NamedChange

func tagKind() namedKind {
	k := namedKind{kind: kind[store.Named]{noun: "tag", event: "tag"},
		check: checkField("name", func(name string) error { return config.CheckName("tag", name) })}
	return k.withStore(CatalogStore.Tags, CatalogStore.CreateTag, CatalogStore.UpdateTag, CatalogStore.DeleteTag)
}

func tagView(t store.Named) Tag {
	return Tag{ID: t.ID, Name: t.Name, Enabled: t.Enabled, CreatedBy: t.CreatedBy, Created: t.Created, Updated: t.Updated}
}

// Tags lists the tags, oldest first: every one for those who manage
// them, the enabled ones (what can be tagged with) for everyone else.
func (s *Service) Tags(ctx context.Context, a *Actor) ([]Tag, error) {
	st, err := s.catalog.storeFor(a)
	if err != nil {
		return nil, err
	}
	rows, err := st.Tags(ctx)
	if err != nil {
		return nil, err
	}
	out := []Tag{}
	for _, t := range rows {
		if t.Enabled || a.May(ManageTags) {
			out = append(out, tagView(t))
		}
	}
	return out, nil
}

// Tag reads one tag, as Tags would list it.
func (s *Service) Tag(ctx context.Context, a *Actor, id int64) (Tag, error) {
	list, err := s.Tags(ctx, a)
	if err != nil {
		return Tag{}, err
	}
	for _, t := range list {
		if t.ID == id {
			return t, nil
		}
	}
	return Tag{}, tagKind().notFound(id)
}

// CreateTag adds a tag: administrators, supervisors granted tags.manage,
// and agents granted tags.create (an agent's tag is enabled at once).
func (s *Service) CreateTag(ctx context.Context, a *Actor, nt NewTag) (Tag, error) {
	if a == nil {
		return Tag{}, errUnauthenticated
	}
	mayCreate := a.May(ManageTags) || (a.is(directory.Agent) && a.Permissions[directory.TagsCreate])
	if !mayCreate {
		return Tag{}, forbidden("creating tags takes an administrator, a supervisor granted %s or an agent granted %s", directory.TagsManage, directory.TagsCreate)
	}
	if nt.Enabled != nil && !*nt.Enabled && !a.May(ManageTags) {
		return Tag{}, forbidden("disabling tags takes an administrator, or a supervisor granted %s", directory.TagsManage)
	}
	st, err := s.catalog.store()
	if err != nil {
		return Tag{}, err
	}
	t, err := s.createNamed(ctx, a, st, tagKind(), nt)
	if err != nil {
		return Tag{}, err
	}
	s.recordNamed(a, tagKind(), "created", t, nil)
	return tagView(t), nil
}

// UpdateTag renames, enables or disables a tag (administrators, and
// supervisors granted tags.manage).
func (s *Service) UpdateTag(ctx context.Context, a *Actor, id int64, c TagChange) (Tag, error) {
	st, err := s.catalog.storeFor(a, ManageTags)
	if err != nil {
		return Tag{}, err
	}
	cur, err := s.storedTag(ctx, st, id)
	if err != nil {
		return Tag{}, err
	}
	k := tagKind()
	t, detail, err := s.updateNamed(ctx, st, k, cur, c, k.check)
	if err != nil {
		return Tag{}, err
	}
	if detail != nil {
		s.recordNamed(a, k, "updated", t, detail)
	}
	return tagView(t), nil
}

func (s *Service) storedTag(ctx context.Context, st CatalogStore, id int64) (store.Named, error) {
	rows, err := st.Tags(ctx)
	if err != nil {
		return store.Named{}, err
	}
	for _, t := range rows {
		if t.ID == id {
			return t, nil
		}
	}
	return store.Named{}, tagKind().notFound(id)
}

// DeleteTag removes a tag (administrators, and supervisors granted
// tags.manage).
func (s *Service) DeleteTag(ctx context.Context, a *Actor, id int64) error {
	st, err := s.catalog.storeFor(a, ManageTags)
	if err != nil {
		return err
	}
	cur, err := s.storedTag(ctx, st, id)
	if err != nil {
		return err
	}
	if err := tagKind().delete(ctx, st, id); err != nil {
		return err
	}
	s.recordNamed(a, tagKind(), "deleted", cur, nil)
	return nil
}
