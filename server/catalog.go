package server

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/acdserver/acd/acd"
	"github.com/acdserver/acd/config"
	"github.com/acdserver/acd/service"
	"github.com/acdserver/acd/store"
)

// catalogOf builds the service's catalogues over the event log's
// database and the configuration's pause reasons; dist takes the pause
// reasons when it can (the distributor does; the command line has none).
func catalogOf(cfg *config.Config, events *store.Log, dist any, log *slog.Logger) (service.Catalog, error) {
	st, err := store.OpenCatalog(events)
	if err != nil {
		return service.Catalog{}, err
	}
	c := service.Catalog{Store: st, FileReasons: fileReasons(cfg), Log: log}
	if taker, ok := dist.(service.PauseReasonTaker); ok {
		c.Distributor = taker
	}
	return c, nil
}

// startPauseReasons puts the file's and the database's pause reasons in
// force in the distributor before agents are restored, so that an agent
// paused with a reason made through the API is restored with it.
func startPauseReasons(ctx context.Context, cfg *config.Config, events *store.Log, center *acd.Center, log *slog.Logger) error {
	c, err := catalogOf(cfg, events, center, log)
	if err != nil {
		return err
	}
	if err := service.StartPauseReasons(ctx, c, time.Now()); err != nil {
		return fmt.Errorf("pause reasons: %w", err)
	}
	return nil
}

// fileReasons are a configuration's pause reasons, with where it declares
// each.
func fileReasons(cfg *config.Config) []service.FileReason {
	file := make([]service.FileReason, 0, len(cfg.PauseReasons))
	for i, name := range cfg.PauseReasons {
		file = append(file, service.FileReason{Name: name, Source: cfg.PauseReasonSource(i)})
	}
	return file
}
