package service

import (
	"context"
	"fmt"
	"time"

	"github.com/acdserver/acd/acd"
	"github.com/acdserver/acd/config"
	"github.com/acdserver/acd/directory"
	"github.com/acdserver/acd/store"
)

// PauseReason is a pause reason as the API shows it.
type PauseReason struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Enabled     bool      `json:"enabled" doc:"offered to agents; a disabled reason is kept but refused"`
	Number      int       `json:"number,omitempty" doc:"N of *52N, which pauses with this reason: its place among the enabled reasons; absent while disabled"`
	Provisioned bool      `json:"provisioned" doc:"declared in the configuration file, which owns its name: it is renamed and deleted there, and only enabled or disabled here"`
	Source      string    `json:"source,omitempty" doc:"FILE:LINE where the configuration file declares it"`
	CreatedBy   string    `json:"created_by" doc:"the user who made it, or configuration"`
	Created     time.Time `json:"created"`
	Updated     time.Time `json:"updated"`
}

// NewPauseReason is a reason to create; Enabled nil means enabled.
type NewPauseReason = NewNamed

// PauseReasonChange is a partial update: nil fields are left as they are.
type PauseReasonChange = NamedChange

// byConfiguration is who made the file's reasons, as they show it.
const byConfiguration = "configuration"

// StartPauseReasons stores the configuration file's reasons as the
// file's and puts every reason, the file's and the API's, in force in the
// distributor. It runs at start before agents are restored, so that an
// agent paused with a reason made through the API is restored with it.
func StartPauseReasons(ctx context.Context, c Catalog, now time.Time) error {
	return newCatalog(c).provision(ctx, now)
}

// ReloadPauseReasons puts a reloaded configuration file's pause reasons
// in force: new ones are added, removed ones deleted, and agents'
// choices change at once, as they would at a restart.
func (s *Service) ReloadPauseReasons(ctx context.Context, reasons []FileReason) error {
	s.catalog.mu.Lock()
	defer s.catalog.mu.Unlock()
	s.catalog.fileMu.Lock()
	s.catalog.FileReasons = reasons
	s.catalog.fileMu.Unlock()
	return s.catalog.provision(ctx, s.now())
}

// provision stores the file's pause reasons beside those made through
// the API and puts them all in force; c.mu is held, or nothing else runs
// yet.
func (c *catalog) provision(ctx context.Context, now time.Time) error {
	st, err := c.store()
	if err != nil {
		return err
	}
	reasons := c.fileReasons()
	file := make([]store.Named, 0, len(reasons))
	for _, f := range reasons {
		file = append(file, store.Named{Name: f.Name, Key: config.NameKey(f.Name), CreatedBy: byConfiguration})
	}
	p, err := st.ProvisionPauseReasons(ctx, file, now)
	if err != nil {
		return err
	}
	for _, r := range p.Adopted {
		c.Log.Info("pause reason made through the API is now the configuration file's", "id", r.ID, "name", r.Name)
	}
	for _, r := range p.Dropped {
		c.Log.Info("pause reason removed from the configuration file: deleted", "id", r.ID, "name", r.Name)
	}
	_, err = c.apply(ctx)
	return err
}

// reasons lists every stored reason in the order *52N numbers them: the
// file's in the file's order, then those made through the API, oldest
// first.
func (c *catalog) reasons(ctx context.Context) ([]PauseReason, error) {
	st, err := c.store()
	if err != nil {
		return nil, err
	}
	rows, err := st.PauseReasons(ctx)
	if err != nil {
		return nil, err
	}
	fromFile := map[string]store.Named{}
	for _, r := range rows {
		if r.Provisioned {
			fromFile[r.Key] = r
		}
	}
	out := make([]PauseReason, 0, len(rows))
	for _, f := range c.fileReasons() {
		if r, ok := fromFile[config.NameKey(f.Name)]; ok {
			out = append(out, reasonView(r, f.Source))
		}
	}
	for _, r := range rows {
		if !r.Provisioned {
			out = append(out, reasonView(r, ""))
		}
	}
	n := 0
	for i := range out {
		if out[i].Enabled {
			n++
			out[i].Number = n
		}
	}
	return out, nil
}

func reasonView(r store.Named, source string) PauseReason {
	return PauseReason{ID: r.ID, Name: r.Name, Enabled: r.Enabled, Provisioned: r.Provisioned, Source: source,
		CreatedBy: r.CreatedBy, Created: r.Created, Updated: r.Updated}
}

// apply puts the stored reasons in force in the distributor and returns
// them; c.mu is held, or nothing else runs yet.
func (c *catalog) apply(ctx context.Context) ([]PauseReason, error) {
	list, err := c.reasons(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading pause reasons to put them in force: %w", err)
	}
	if c.Distributor != nil {
		rs := make([]acd.PauseReason, 0, len(list))
		for _, r := range list {
			rs = append(rs, acd.PauseReason{Name: r.Name, Enabled: r.Enabled})
		}
		c.Distributor.SetPauseReasons(rs)
	}
	return list, nil
}

func findReason(list []PauseReason, id int64) (PauseReason, bool) {
	for _, r := range list {
		if r.ID == id {
			return r, true
		}
	}
	return PauseReason{}, false
}

// seesAllReasons: the catalogue with its disabled reasons is for those
// who may view it; everyone else sees what an agent may pause with.
func seesAllReasons(a *Actor) bool {
	return a.Sees(ManagePauseReasons) || (a.is(directory.Supervisor) && a.Permissions[directory.PauseReasonsView])
}

// PauseReasons lists the reasons in *52N order: every one for
// administrators and supervisors who may view them, the enabled ones
// (what an agent may pause with) for everyone else.
func (s *Service) PauseReasons(ctx context.Context, a *Actor) ([]PauseReason, error) {
	if a == nil {
		return nil, errUnauthenticated
	}
	list, err := s.catalog.reasons(ctx)
	if err != nil {
		return nil, err
	}
	if seesAllReasons(a) {
		return list, nil
	}
	enabled := []PauseReason{}
	for _, r := range list {
		if r.Enabled {
			enabled = append(enabled, r)
		}
	}
	return enabled, nil
}

// PauseReason reads one reason, as PauseReasons would list it.
func (s *Service) PauseReason(ctx context.Context, a *Actor, id int64) (PauseReason, error) {
	list, err := s.PauseReasons(ctx, a)
	if err != nil {
		return PauseReason{}, err
	}
	r, ok := findReason(list, id)
	if !ok {
		return PauseReason{}, notFound("no pause reason %d", id)
	}
	return r, nil
}

// reasonKind is the pause reasons as named entries: their names are
// checked by checkReasonName and the file's are declared in it.
func (c *catalog) reasonKind() namedKind {
	k := namedKind{kind: kind[store.Named]{noun: "pause reason", event: "pause_reason"},
		check: checkReasonName,
		declared: func(key string) (string, bool) {
			for _, f := range c.fileReasons() {
				if config.NameKey(f.Name) == key {
					return f.Source, true
				}
			}
			return "", false
		}}
	return k.withStore(CatalogStore.PauseReasons, CatalogStore.CreatePauseReason, CatalogStore.UpdatePauseReason, CatalogStore.DeletePauseReason)
}

// checkReasonName applies the rule for names, and keeps the reason the
// server itself gives for its own: reports must tell an agent's choice
// from a pause for missed offers.
func checkReasonName(name string) error {
	if err := checkField("name", config.CheckPauseReason)(name); err != nil {
		return err
	}
	if config.NameKey(name) == config.NameKey(acd.NoAnswerReason) {
		return conflictOn("name", "%q is the reason the server gives when it pauses an agent after missed offers", acd.NoAnswerReason)
	}
	return nil
}

// CreatePauseReason adds a reason through the API (administrators, and
// supervisors granted pause_reasons.manage). It is stored in the
// database, comes after every other in *52N order, and is in force at
// once.
func (s *Service) CreatePauseReason(ctx context.Context, a *Actor, nr NewPauseReason) (PauseReason, error) {
	st, err := s.catalog.storeFor(a, ManagePauseReasons)
	if err != nil {
		return PauseReason{}, err
	}
	s.catalog.mu.Lock()
	defer s.catalog.mu.Unlock()
	k := s.catalog.reasonKind()
	r, err := s.createNamed(ctx, a, st, k, nr)
	if err != nil {
		return PauseReason{}, err
	}
	list, err := s.catalog.apply(ctx)
	if err != nil {
		return PauseReason{}, err
	}
	s.recordNamed(a, k, "created", r, nil)
	v, _ := findReason(list, r.ID)
	return v, nil
}

// storedReason is a reason of list as the store keeps it.
func storedReason(r PauseReason) store.Named {
	return store.Named{ID: r.ID, Name: r.Name, Key: config.NameKey(r.Name), Enabled: r.Enabled, Provisioned: r.Provisioned}
}

// UpdatePauseReason renames, enables or disables a reason, in force at
// once. The file's reasons are only enabled or disabled here: their
// names are the file's. Agents paused with a reason keep the name they
// paused with.
func (s *Service) UpdatePauseReason(ctx context.Context, a *Actor, id int64, c PauseReasonChange) (PauseReason, error) {
	st, err := s.catalog.storeFor(a, ManagePauseReasons)
	if err != nil {
		return PauseReason{}, err
	}
	s.catalog.mu.Lock()
	defer s.catalog.mu.Unlock()
	list, err := s.catalog.reasons(ctx)
	if err != nil {
		return PauseReason{}, err
	}
	cur, ok := findReason(list, id)
	if !ok {
		return PauseReason{}, notFound("no pause reason %d", id)
	}
	rename := func(name string) error {
		if cur.Provisioned {
			return conflictOn("name", "pause reason %q is declared in %s: rename it there (the file's reasons are read at start)", cur.Name, cur.Source)
		}
		return checkReasonName(name)
	}
	k := s.catalog.reasonKind()
	row, detail, err := s.updateNamed(ctx, st, k, storedReason(cur), c, rename)
	if err != nil {
		return PauseReason{}, err
	}
	if detail == nil {
		return cur, nil
	}
	if list, err = s.catalog.apply(ctx); err != nil {
		return PauseReason{}, err
	}
	s.recordNamed(a, k, "updated", row, detail)
	v, _ := findReason(list, id)
	return v, nil
}

// DeletePauseReason removes a reason made through the API; the file's
// are removed from the file.
func (s *Service) DeletePauseReason(ctx context.Context, a *Actor, id int64) error {
	st, err := s.catalog.storeFor(a, ManagePauseReasons)
	if err != nil {
		return err
	}
	s.catalog.mu.Lock()
	defer s.catalog.mu.Unlock()
	list, err := s.catalog.reasons(ctx)
	if err != nil {
		return err
	}
	cur, ok := findReason(list, id)
	if !ok {
		return notFound("no pause reason %d", id)
	}
	if cur.Provisioned {
		return conflict("pause reason %q is declared in %s: remove it there (the file's reasons are read at start), or disable it here", cur.Name, cur.Source)
	}
	k := s.catalog.reasonKind()
	if err := k.delete(ctx, st, id); err != nil {
		return err
	}
	if _, err := s.catalog.apply(ctx); err != nil {
		return err
	}
	s.recordNamed(a, k, "deleted", storedReason(cur), nil)
	return nil
}
