package server

import (
	"context"
	"log/slog"
	"time"

	"github.com/acdserver/acd/config"
	"github.com/acdserver/acd/dialplan"
)

// The configurator also serves the dial plan editor: checking a draft,
// drawing it, and simulating calls through the plans in force.

// CheckPlan validates a draft of a dial plan with the file and every
// other managed object, as an upload would, and keeps nothing.
func (c *configurator) CheckPlan(ctx context.Context, name, body string) error {
	m := c.managed(ctx)
	if m.Dialplans == nil {
		m.Dialplans = map[string]string{}
	}
	m.Dialplans[name] = body
	_, err := loadProgramWith(c.filePath(), m, messagesOf(c.current.Load()))
	return err
}

// SketchPlan draws a dial plan: a draft (body), or the one in force. A
// draft with errors is drawn as far as it reads.
func (c *configurator) SketchPlan(ctx context.Context, name, body string) (dialplan.Graph, bool, error) {
	cur := c.current.Load()
	cfg := cur.cfg
	if body != "" {
		m := c.managed(ctx)
		if m.Dialplans == nil {
			m.Dialplans = map[string]string{}
		}
		m.Dialplans[name] = body
		source, err := configSource(c.filePath())
		if err != nil {
			return dialplan.Graph{}, false, err
		}
		// With errors, ParseWith still returns what it read.
		if parsed, _ := config.ParseWith(cur.cfg.File, source, m); parsed != nil {
			cfg = parsed
		}
	}
	g, ok := dialplan.Sketch(cfg, cur.sounds, name)
	return g, ok, nil
}

// Simulate walks a call through the plans in force without SIP.
func (c *configurator) Simulate(ctx context.Context, number, digits string, at time.Time) ([]dialplan.Step, error) {
	cur := c.current.Load()
	var steps []dialplan.Step
	st := &dialplan.State{
		Sounds: cur.sounds,
		Log:    slog.New(slog.DiscardHandler),
		Trace:  func(s dialplan.Step) { steps = append(steps, s) },
	}
	err := dialplan.Simulate(ctx, cur.plan, number, digits, at, st)
	return steps, err
}

// Prompts names the prompts in force: the built-in ones and prompts_dir's.
func (c *configurator) Prompts() []string { return c.current.Load().sounds.Names() }

// filePath is the configuration file's path, "" for the embedded one.
func (c *configurator) filePath() string {
	path := c.current.Load().cfg.File
	if path == config.DefaultName {
		return ""
	}
	return path
}
