package service

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/acdserver/acd/acd"
	"github.com/acdserver/acd/store"
)

// CatalogStore keeps pause reasons, tags and canned messages
// (store.Catalog).
type CatalogStore interface {
	PauseReasons(ctx context.Context) ([]store.Named, error)
	CreatePauseReason(ctx context.Context, r store.Named) (store.Named, error)
	UpdatePauseReason(ctx context.Context, r store.Named) error
	DeletePauseReason(ctx context.Context, id int64) error
	ProvisionPauseReasons(ctx context.Context, file []store.Named, now time.Time) (store.Provisioning, error)
	Tags(ctx context.Context) ([]store.Named, error)
	CreateTag(ctx context.Context, t store.Named) (store.Named, error)
	UpdateTag(ctx context.Context, t store.Named) error
	DeleteTag(ctx context.Context, id int64) error
	CannedMessages(ctx context.Context, owner string, public bool) ([]store.CannedMessage, error)
	CannedMessage(ctx context.Context, id int64) (store.CannedMessage, error)
	CreateCannedMessage(ctx context.Context, m store.CannedMessage) (store.CannedMessage, error)
	UpdateCannedMessage(ctx context.Context, m store.CannedMessage) error
	DeleteCannedMessage(ctx context.Context, id int64) error
}

// PauseReasonTaker is the distributor's side of pause reasons:
// acd.Center puts a new list in force at once, for every agent.
type PauseReasonTaker interface {
	SetPauseReasons(reasons []acd.PauseReason)
}

// FileReason is a pause reason the configuration file declares, and
// where (FILE:LINE).
type FileReason struct {
	Name   string
	Source string
}

// Catalog is what the catalogues of a Service are built from. The zero
// Catalog has none: the command line needs no catalogue.
type Catalog struct {
	Store CatalogStore
	// FileReasons are the configuration's pause_reasons, in its order.
	FileReasons []FileReason
	// Distributor takes the pause reasons agents may give.
	Distributor PauseReasonTaker
	Log         *slog.Logger
}

// catalog is a Service's catalogues.
type catalog struct {
	Catalog
	// mu orders changes of pause reasons with putting them in force: two
	// administrators changing reasons at once must not leave the
	// distributor with the older of two lists.
	mu sync.Mutex
	// fileMu guards FileReasons, which a reload replaces while readers
	// list the reasons without mu.
	fileMu sync.RWMutex
}

// fileReasons is the configuration's pause reasons now.
func (c *catalog) fileReasons() []FileReason {
	c.fileMu.RLock()
	defer c.fileMu.RUnlock()
	return c.FileReasons
}

func newCatalog(c Catalog) *catalog {
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	return &catalog{Catalog: c}
}

var errNoCatalog = errors.New("the catalogues are not available to this command")

// store gives the catalogue store, or an error where there is none.
func (c *catalog) store() (CatalogStore, error) {
	if c == nil || c.Store == nil {
		return nil, errNoCatalog
	}
	return c.Store, nil
}

// kind describes one catalogue whose entries the store keeps as E: pause
// reasons and tags (store.Named) or canned messages. Its steps answer
// the store's refusals the same way for every kind.
type kind[E any] struct {
	noun  string // in messages and logs: "pause reason"
	event string // the audit events' prefix: "pause_reason"
	add   func(CatalogStore, context.Context, E) (E, error)
	put   func(CatalogStore, context.Context, E) error
	drop  func(CatalogStore, context.Context, int64) error
	// taken explains why e was refused as a duplicate: what has its name.
	taken func(context.Context, CatalogStore, E) error
}

func (k kind[E]) notFound(id int64) error { return notFound("no %s %d", k.noun, id) }

// create stores a new entry.
func (k kind[E]) create(ctx context.Context, st CatalogStore, e E) (E, error) {
	created, err := k.add(st, ctx, e)
	if errors.Is(err, store.ErrExists) {
		return created, k.taken(ctx, st, e)
	}
	return created, err
}

// update stores e, the entry id.
func (k kind[E]) update(ctx context.Context, st CatalogStore, id int64, e E) error {
	err := k.put(st, ctx, e)
	switch {
	case errors.Is(err, store.ErrExists):
		return k.taken(ctx, st, e)
	case errors.Is(err, store.ErrNotFound):
		return k.notFound(id)
	}
	return err
}

// delete removes the entry id.
func (k kind[E]) delete(ctx context.Context, st CatalogStore, id int64) error {
	err := k.drop(st, ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return k.notFound(id)
	}
	return err
}

// storeFor gives the catalogue store to a signed-in actor that may do
// what need says (nothing more when need is empty).
func (c *catalog) storeFor(a *Actor, need ...Capability) (CatalogStore, error) {
	if a == nil {
		return nil, errUnauthenticated
	}
	for _, n := range need {
		if err := Authorize(a, n); err != nil {
			return nil, err
		}
	}
	return c.store()
}

// conflictOn is a refusal by the current state caused by one field of
// the request: a name taken, a file's reason renamed.
func conflictOn(field, format string, args ...any) error {
	e := conflict(format, args...).(*Error)
	e.Field = field
	return e
}

// idText is an id as the audit trail's details carry it.
func idText(n int64) string { return strconv.FormatInt(n, 10) }
