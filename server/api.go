package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"sort"

	"github.com/acdserver/acd/api"
	"github.com/acdserver/acd/config"
	"github.com/acdserver/acd/directory"
	"github.com/acdserver/acd/report"
	"github.com/acdserver/acd/service"
	"github.com/acdserver/acd/store"
	"github.com/acdserver/acd/web"
)

// newService builds the service over a configuration's queues and
// agents. dist may be nil for the command line, which changes no agent
// (and whose catalog is empty).
func NewService(cfg *config.Config, users *store.Users, events *store.Log, dist service.Distributor, log *slog.Logger, catalog service.Catalog) *service.Service {
	return newServiceFor(func() *config.Config { return cfg }, users, nil, events, dist, nil, catalog, nil, log)
}

// newServiceFor builds the service over the running configuration
// version, whose file settings it reads as they change.
func newServiceFor(running func() *config.Config, users *store.Users, settings *store.Settings, events *store.Log, dist service.Distributor,
	conf service.Configurator, catalog service.Catalog, reports service.Reporter, log *slog.Logger) *service.Service {
	queues, agents := directoryOf(running())
	var stored service.SettingsStore
	if settings != nil {
		stored = settings
	}
	// The server's configurator also checks, draws and simulates plans.
	plans, _ := conf.(service.PlanTools)
	var rec service.Recorded
	if c, ok := conf.(*configurator); ok && c.messages != nil {
		rec = service.Recorded{Store: c.messages.store, Desk: c.messages}
	}
	return service.New(service.Config{
		Users: users, Events: events, Distributor: dist, Queues: queues, Agents: agents, Log: log, Catalog: catalog, Recorded: rec,
		Settings: stored, Configurator: conf, Plans: plans, Running: running, Reports: reports,
		File: func() service.FileSetting {
			on, declared, source := running().UnassignedLogin()
			return service.FileSetting{On: on, Declared: declared, Source: source}
		},
		StreamsPerUser: running().Server.HTTPLimits.StreamsPerUser,
		// Half the cores at most: logins must not starve calls.
		Hasher: directory.NewHasher(max(runtime.GOMAXPROCS(0)/2, 1)),
	})
}

// directoryOf is what the service needs of a configuration's queues and
// agents.
func directoryOf(cfg *config.Config) ([]service.Queue, []service.AgentConfig) {
	var queues []service.Queue
	for id, q := range cfg.Queues {
		typ := q.Type
		if typ == "" {
			typ = "standard"
		}
		name := q.Name
		if name == "" {
			name = id // what people see of a queue the file gave no name
		}
		queues = append(queues, service.Queue{ID: id, Name: name, Extension: q.Extension, Type: typ, Source: cfg.Source(q.Line, q.Managed)})
	}
	var agents []service.AgentConfig
	for id, a := range cfg.Agents {
		qs := append([]string(nil), a.Queues...)
		sort.Strings(qs)
		agents = append(agents, service.AgentConfig{ID: id, Name: a.Name, Queues: qs, Source: cfg.Source(a.Line, a.Managed)})
	}
	return queues, agents
}

// mountAPI builds the service and mounts the API on mux. The event
// streams end when hs shuts down; the returned function stops the rest.
// With no users yet, it logs the one-time setup token.
func mountAPI(ctx context.Context, mux *http.ServeMux, hs *http.Server, running func() *config.Config, dist service.Distributor, events *store.Log,
	conf service.Configurator, reports service.Reporter, version string, log *slog.Logger) (func(), *service.Service, error) {
	users, err := store.OpenUsers(events)
	if err != nil {
		return nil, nil, err
	}
	settings, err := store.OpenSettings(events)
	if err != nil {
		return nil, nil, err
	}
	catalog, err := catalogOf(running(), events, dist, log)
	if err != nil {
		return nil, nil, err
	}
	svc := newServiceFor(running, users, settings, events, dist, conf, catalog, reports, log)
	if err := svc.ApplySettings(ctx); err != nil {
		return nil, nil, fmt.Errorf("applying the organisation settings: %w", err)
	}
	streams, endStreams := context.WithCancel(ctx)
	hs.RegisterOnShutdown(endStreams)
	api.Mount(mux, svc, api.Options{Version: version, Log: log, Streams: streams})
	web.Mount(mux, svc, web.Options{Version: version, Log: log, Streams: streams})

	run, stopRun := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		svc.Run(run)
	}()
	stop := func() {
		stopRun()
		endStreams()
		<-done
	}
	token, err := svc.BeginSetup(ctx)
	if err != nil {
		stop()
		return nil, nil, fmt.Errorf("checking for users: %w", err)
	}
	if token != "" {
		// The one secret the log carries: it only works once, from this
		// machine, and only while there is no user at all.
		log.Warn("no users yet: create the first administrator from this machine with POST /api/v1/setup and this one-time token, or stop the server and run acd user add",
			"setup_token", token)
	}
	return stop, svc, nil
}

// startReports builds the reports over the log and starts the projector
// that keeps them in step with it; the returned function stops it, and
// must run before the log closes.
func startReports(events *store.Log, running func() *config.Config, log *slog.Logger) (*report.Reports, func(), error) {
	projector, err := report.NewProjector(report.ProjectorConfig{Log: events, DB: events.DB(), Logger: log})
	if err != nil {
		return nil, nil, err
	}
	reports := report.New(report.Options{
		Projector: projector,
		DB:        events.Reader(),
		Settings: func(queue string) report.QueueSettings {
			q, ok := running().Queues[queue]
			if !ok {
				return report.QueueSettings{} // a queue since removed: the defaults
			}
			threshold, target := q.ServiceLevelOf()
			return report.QueueSettings{Threshold: threshold, Target: target, ShortAbandon: q.ShortAbandon.D()}
		},
		AgentsNeeded: report.AgentsNeeded,
		Names: func(agent string) string {
			if a, ok := running().Agents[agent]; ok {
				return a.Name
			}
			return "" // an agent since removed
		},
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		projector.Run(ctx)
	}()
	return reports, func() { cancel(); <-done }, nil
}
