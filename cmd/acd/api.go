package main

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
	"github.com/acdserver/acd/service"
	"github.com/acdserver/acd/store"
)

// newService builds the service over a configuration's queues and
// agents. dist may be nil for the command line, which changes no agent
// (and whose catalog is empty).
func newService(cfg *config.Config, users *store.Users, events *store.Log, dist service.Distributor, log *slog.Logger, catalog service.Catalog) *service.Service {
	var queues []service.Queue
	for id, q := range cfg.Queues {
		typ := q.Type
		if typ == "" {
			typ = "standard"
		}
		queues = append(queues, service.Queue{ID: id, Name: q.Name, Extension: q.Extension, Type: typ})
	}
	var agents []service.AgentConfig
	for id, a := range cfg.Agents {
		qs := append([]string(nil), a.Queues...)
		sort.Strings(qs)
		agents = append(agents, service.AgentConfig{ID: id, Name: a.Name, Queues: qs, Source: fmt.Sprintf("%s:%d", cfg.File, a.Line)})
	}
	return service.New(service.Config{
		Users: users, Events: events, Distributor: dist, Queues: queues, Agents: agents, Log: log, Catalog: catalog,
		// Half the cores at most: logins must not starve calls.
		Hasher: directory.NewHasher(max(runtime.GOMAXPROCS(0)/2, 1)),
	})
}

// mountAPI builds the service and mounts the API on mux. The event
// streams end when hs shuts down; the returned function stops the rest.
// With no users yet, it logs the one-time setup token.
func mountAPI(ctx context.Context, mux *http.ServeMux, hs *http.Server, cfg *config.Config, dist service.Distributor, events *store.Log, log *slog.Logger) (func(), error) {
	users, err := store.OpenUsers(events)
	if err != nil {
		return nil, err
	}
	catalog, err := catalogOf(cfg, events, dist, log)
	if err != nil {
		return nil, err
	}
	svc := newService(cfg, users, events, dist, log, catalog)
	streams, endStreams := context.WithCancel(ctx)
	hs.RegisterOnShutdown(endStreams)
	api.Mount(mux, svc, api.Options{Version: version, Log: log, Streams: streams})

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
		return nil, fmt.Errorf("checking for users: %w", err)
	}
	if token != "" {
		// The one secret the log carries: it only works once, from this
		// machine, and only while there is no user at all.
		log.Warn("no users yet: create the first administrator from this machine with POST /api/v1/setup and this one-time token, or stop the server and run acd user add",
			"setup_token", token)
	}
	return stop, nil
}
