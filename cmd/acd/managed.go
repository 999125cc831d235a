package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/acdserver/acd/config"
	"github.com/acdserver/acd/store"
)

// Kinds of managed object, as store.Managed files them.
const (
	kindQueue = "queue"
	kindAgent = "agent"
)

// configurator makes the API's changes to queues and agents: each is
// validated with the file and the other managed objects as one
// configuration, stored, and then put in force as a SIGHUP would, so
// that one storage model serves start, reload and the API.
type configurator struct {
	mu       sync.Mutex // one change at a time, from reading to activating
	store    *store.Managed
	current  *atomic.Pointer[program]
	activate func(old, next *config.Config)
	log      *slog.Logger
}

// managed reads the stored objects; a read that fails leaves them out,
// said in the log.
func (c *configurator) managed(ctx context.Context) config.Managed {
	all, err := c.store.All(ctx)
	if err != nil {
		c.log.Error("reading the queues and agents made through the API", "error", err)
		return config.Managed{}
	}
	return config.Managed{Queues: all[kindQueue], Agents: all[kindAgent]}
}

// Change sets (body non-nil) or removes one managed object. A change that
// makes the configuration invalid is refused with its problems
// (config.Errors) and changes nothing.
func (c *configurator) Change(ctx context.Context, kind, id string, body *string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.managed(ctx)
	section := &m.Queues
	if kind == kindAgent {
		section = &m.Agents
	}
	if *section == nil {
		*section = map[string]string{}
	}
	if body != nil {
		(*section)[id] = *body
	} else {
		delete(*section, id)
	}
	old := c.current.Load()
	path := old.cfg.File
	if path == config.DefaultName {
		path = ""
	}
	next, err := loadProgramWith(path, m)
	if err != nil {
		return err
	}
	if body != nil {
		err = c.store.Put(ctx, kind, id, *body)
	} else {
		err = c.store.Delete(ctx, kind, id)
	}
	if err != nil {
		return fmt.Errorf("storing the change: %w", err)
	}
	next.cfg.Server = old.cfg.Server
	c.current.Store(next)
	c.activate(old.cfg, next.cfg)
	c.log.Info("configuration changed through the API", kind, id, "removed", body == nil, "old_version", old.plan.Version, "version", next.plan.Version)
	return nil
}
