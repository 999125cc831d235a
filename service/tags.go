package service

import (
	"context"
	"errors"
	"strconv"
	"strings"
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
type NewTag struct {
	Name    string
	Enabled *bool
}

// TagChange is a partial update: nil fields are left as they are.
type TagChange struct {
	Name    *string
	Enabled *bool
}

func tagView(t store.Named) Tag {
	return Tag{ID: t.ID, Name: t.Name, Enabled: t.Enabled, CreatedBy: t.CreatedBy, Created: t.Created, Updated: t.Updated}
}

// requireTagManager: administrators, and supervisors granted tags.manage.
func requireTagManager(a *Actor) error { return Authorize(a, ManageTags) }

// Tags lists the tags, oldest first: every one for those who manage
// them, the enabled ones (what can be tagged with) for everyone else.
func (s *Service) Tags(ctx context.Context, a *Actor) ([]Tag, error) {
	if a == nil {
		return nil, errUnauthenticated
	}
	st, err := s.catalog.store()
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
	return Tag{}, notFound("no tag %d", id)
}

// tagTaken explains a refused name.
func (s *Service) tagTaken(ctx context.Context, st CatalogStore, name string) error {
	rows, err := st.Tags(ctx)
	if err != nil {
		return err
	}
	key := config.NameKey(name)
	for _, t := range rows {
		if t.Key == key {
			return conflictOn("name", "tag %q (%d) exists; names are compared without case", t.Name, t.ID)
		}
	}
	return conflictOn("name", "another tag has this name; names are compared without case")
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
	enabled := nt.Enabled == nil || *nt.Enabled
	if !enabled && !a.May(ManageTags) {
		return Tag{}, forbidden("disabling tags takes an administrator, or a supervisor granted %s", directory.TagsManage)
	}
	st, err := s.catalog.store()
	if err != nil {
		return Tag{}, err
	}
	if err := config.CheckName("tag", nt.Name); err != nil {
		return Tag{}, invalid("name", "%v", err)
	}
	now := s.now()
	t, err := st.CreateTag(ctx, store.Named{Name: nt.Name, Key: config.NameKey(nt.Name), Enabled: enabled, CreatedBy: a.UserID, Created: now, Updated: now})
	if errors.Is(err, store.ErrExists) {
		return Tag{}, s.tagTaken(ctx, st, nt.Name)
	} else if err != nil {
		return Tag{}, err
	}
	s.log.Info("tag created", "actor", a.UserID, "id", t.ID, "name", t.Name, "enabled", enabled)
	s.audit(a, "tag.created", "", map[string]string{"id": idText(t.ID), "name": t.Name, "enabled": strconv.FormatBool(enabled)})
	return tagView(t), nil
}

// UpdateTag renames, enables or disables a tag (administrators, and
// supervisors granted tags.manage).
func (s *Service) UpdateTag(ctx context.Context, a *Actor, id int64, c TagChange) (Tag, error) {
	if err := requireTagManager(a); err != nil {
		return Tag{}, err
	}
	st, err := s.catalog.store()
	if err != nil {
		return Tag{}, err
	}
	cur, err := s.storedTag(ctx, st, id)
	if err != nil {
		return Tag{}, err
	}
	var changed []string
	detail := map[string]string{"id": idText(id)}
	if c.Name != nil && *c.Name != cur.Name {
		if err := config.CheckName("tag", *c.Name); err != nil {
			return Tag{}, invalid("name", "%v", err)
		}
		detail["from"] = cur.Name
		cur.Name, cur.Key, changed = *c.Name, config.NameKey(*c.Name), append(changed, "name")
	}
	if c.Enabled != nil && *c.Enabled != cur.Enabled {
		cur.Enabled, changed = *c.Enabled, append(changed, "enabled")
	}
	if len(changed) == 0 {
		return tagView(cur), nil
	}
	cur.Updated = s.now()
	if err := st.UpdateTag(ctx, cur); errors.Is(err, store.ErrExists) {
		return Tag{}, s.tagTaken(ctx, st, cur.Name)
	} else if errors.Is(err, store.ErrNotFound) {
		return Tag{}, notFound("no tag %d", id)
	} else if err != nil {
		return Tag{}, err
	}
	detail["name"], detail["enabled"], detail["changed"] = cur.Name, strconv.FormatBool(cur.Enabled), strings.Join(changed, ",")
	s.log.Info("tag updated", "actor", a.UserID, "id", id, "name", cur.Name, "enabled", cur.Enabled, "changed", detail["changed"])
	s.audit(a, "tag.updated", "", detail)
	return tagView(cur), nil
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
	return store.Named{}, notFound("no tag %d", id)
}

// DeleteTag removes a tag (administrators, and supervisors granted
// tags.manage).
func (s *Service) DeleteTag(ctx context.Context, a *Actor, id int64) error {
	if err := requireTagManager(a); err != nil {
		return err
	}
	st, err := s.catalog.store()
	if err != nil {
		return err
	}
	cur, err := s.storedTag(ctx, st, id)
	if err != nil {
		return err
	}
	if err := st.DeleteTag(ctx, id); errors.Is(err, store.ErrNotFound) {
		return notFound("no tag %d", id)
	} else if err != nil {
		return err
	}
	s.log.Info("tag deleted", "actor", a.UserID, "id", id, "name", cur.Name)
	s.audit(a, "tag.deleted", "", map[string]string{"id": idText(id), "name": cur.Name})
	return nil
}
