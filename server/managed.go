package server

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/acdserver/acd/config"
	"github.com/acdserver/acd/store"
)

// Kinds of managed object, as store.Managed files them.
const (
	kindQueue    = "queue"
	kindAgent    = "agent"
	kindDialplan = "dialplan"
	kindNumber   = "number"
	kindTrunk    = "trunk"
)

// configurator makes the API's changes to queues and agents: each is
// validated with the file and the other managed objects as one
// configuration, stored, and then put in force as a SIGHUP would, so
// that one storage model serves start, reload and the API.
type configurator struct {
	mu       sync.Mutex // one change at a time, from reading to activating
	store    *store.Managed
	current  *atomic.Pointer[Program]
	activate func(old, next *config.Config)
	log      *slog.Logger
	messages *messageDesk // nil: no recorded messages (tests of the configurator alone)
}

// managed reads the stored objects; a read that fails leaves them out,
// said in the log.
func (c *configurator) managed(ctx context.Context) config.Managed {
	all, err := c.store.All(ctx)
	if err != nil {
		c.log.Error("reading the queues and agents made through the API", "error", err)
		return config.Managed{}
	}
	return config.Managed{Queues: all[kindQueue], Agents: all[kindAgent], Dialplans: all[kindDialplan], Numbers: all[kindNumber], Trunks: all[kindTrunk]}
}

// section is where the objects of a kind are in a config.Managed.
func section(m *config.Managed, kind string) *map[string]string {
	switch kind {
	case kindAgent:
		return &m.Agents
	case kindDialplan:
		return &m.Dialplans
	case kindNumber:
		return &m.Numbers
	case kindTrunk:
		return &m.Trunks
	}
	return &m.Queues
}

// Change sets (body non-nil) or removes one managed object. A change that
// makes the configuration invalid is refused with its problems
// (config.Errors) and changes nothing.
func (c *configurator) Change(ctx context.Context, kind, id string, body *string) error {
	return c.change(ctx, kind, id, body, func(ctx context.Context) error {
		if body != nil {
			return c.store.Put(ctx, kind, id, *body)
		}
		if err := c.store.Delete(ctx, kind, id); err != nil {
			return err
		}
		if kind == kindDialplan {
			return c.store.Delete(ctx, "dialplan-version", id) // its versions are kept
		}
		return nil
	})
}

// UploadPlan keeps a new version of a dial plan and puts it in force,
// once it validates with everything else; it returns the version.
func (c *configurator) UploadPlan(ctx context.Context, name, body, by string) (int, error) {
	var v int
	err := c.change(ctx, kindDialplan, name, &body, func(ctx context.Context) (err error) {
		v, err = c.store.AddPlanVersion(ctx, name, body, by, time.Now())
		return err
	})
	return v, err
}

// ActivatePlan puts a kept version of a dial plan back in force.
func (c *configurator) ActivatePlan(ctx context.Context, name string, version int) error {
	pv, err := c.store.PlanVersion(ctx, name, version)
	if err != nil {
		return err
	}
	return c.change(ctx, kindDialplan, name, &pv.Body, func(ctx context.Context) error {
		return c.store.ActivatePlanVersion(ctx, name, version)
	})
}

// PlanVersions lists a dial plan's kept versions and the one in force
// (0: none).
func (c *configurator) PlanVersions(ctx context.Context, name string) ([]store.PlanVersion, int, error) {
	versions, err := c.store.PlanVersions(ctx, name)
	if err != nil {
		return nil, 0, err
	}
	all, err := c.store.All(ctx)
	if err != nil {
		return nil, 0, err
	}
	active, _ := strconv.Atoi(all["dialplan-version"][name])
	return versions, active, nil
}

// change validates the configuration with one object set or removed,
// then commits it to the store and puts the new version in force: new
// calls take it, calls in progress keep theirs.
func (c *configurator) change(ctx context.Context, kind, id string, body *string, commit func(context.Context) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.managed(ctx)
	objects := section(&m, kind)
	if *objects == nil {
		*objects = map[string]string{}
	}
	if body != nil {
		(*objects)[id] = *body
	} else {
		delete(*objects, id)
	}
	old := c.current.Load()
	path := old.cfg.File
	if path == config.DefaultName {
		path = ""
	}
	next, err := loadProgramWith(path, m, messagesOf(old))
	if err != nil {
		return err
	}
	if err := commit(ctx); err != nil {
		return fmt.Errorf("storing the change: %w", err)
	}
	next.cfg.Server = old.cfg.Server
	c.current.Store(next)
	c.activate(old.cfg, next.cfg)
	c.log.Info("configuration changed through the API", kind, id, "removed", body == nil, "old_version", old.plan.Version, "version", next.plan.Version)
	return nil
}
