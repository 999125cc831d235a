package service

import (
	"context"

	"github.com/acdserver/acd/config"
)

// FileObject is an object of the configuration file as the file writes
// it, for the consoles to show what they may not change.
type FileObject struct {
	Kind   string `json:"kind" doc:"queue, agent, trunk or dialplan"`
	ID     string `json:"id"`
	Source string `json:"source" doc:"FILE:LINE"`
	YAML   string `json:"yaml" doc:"as written in the file, passwords left out"`
}

// fileKinds maps each kind of file object to its section of the file
// and the capability that reads it.
var fileKinds = map[string]struct {
	section string
	need    Capability
}{
	"queue":    {"queues", ChangeQueues},
	"agent":    {"agents", ManageAgents},
	"trunk":    {"trunks", ManageTrunks},
	"dialplan": {"dialplans", ManageDialplans},
}

// FileObject reads an object of the configuration file: a queue (for
// those who change the settings of queues, among the queues they see),
// an agent, a trunk or a dial plan (for those who manage them). Objects
// made through the API are not the file's: NotFound.
func (s *Service) FileObject(ctx context.Context, a *Actor, kind, id string) (FileObject, error) {
	k, ok := fileKinds[kind]
	if !ok {
		return FileObject{}, invalid("kind", "want queue, agent, trunk or dialplan")
	}
	if err := AuthorizeView(a, k.need); err != nil {
		return FileObject{}, err
	}
	if err := s.requireConfigurator(); err != nil {
		return FileObject{}, err
	}
	if kind == "queue" && !a.seesQueue(id) {
		return FileObject{}, forbidden("queue %s is not one of yours", id)
	}
	cfg := s.running()
	missing := notFound("the configuration file has no %s %q", kind, id)
	var line config.Line
	switch kind {
	case "queue":
		q, ok := cfg.Queues[id]
		if !ok || q.Managed {
			return FileObject{}, missing
		}
		line = q.Line
	case "agent":
		ag, ok := cfg.Agents[id]
		if !ok || ag.Managed {
			return FileObject{}, missing
		}
		line = ag.Line
	case "trunk":
		t, ok := cfg.Trunks[id]
		if !ok || t.Managed {
			return FileObject{}, missing
		}
		line = t.Line
	case "dialplan":
		d, ok := cfg.Dialplans[id]
		if _, uploaded := s.uploadedPlans(ctx)[id]; !ok || uploaded {
			return FileObject{}, missing
		}
		line = d.Line
	}
	text, ok := cfg.Excerpt(k.section, id)
	if !ok || line == 0 {
		return FileObject{}, missing
	}
	return FileObject{Kind: kind, ID: id, Source: cfg.Source(line, false), YAML: text}, nil
}

// fileYAML is the YAML of a dial plan of the file, empty for another.
func (s *Service) fileYAML(ctx context.Context, a *Actor, plan string) string {
	o, err := s.FileObject(ctx, a, "dialplan", plan)
	if err != nil {
		return ""
	}
	return o.YAML
}
