package dialplan

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/acdserver/acd/config"
)

// Node is one step of a dial plan. Run returns the name of the next node,
// or "" to end the call.
type Node interface {
	Run(ctx context.Context, s *State) (next string, err error)
}

// edge is a named connector from a node to another.
type edge struct {
	from      string
	connector string
	target    string
	line      int
}

// builder is handed to each node type's compile function.
type builder struct {
	cfg    *config.Config
	sounds Sounds
	errs   *config.Errors
	plan   string
	node   string
	line   int
	yaml   *yaml.Node
	edges  []edge
}

// has reports whether the node's YAML sets a field.
func (b *builder) has(key string) bool {
	if b.yaml == nil || b.yaml.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(b.yaml.Content); i += 2 {
		if b.yaml.Content[i].Value == key {
			return true
		}
	}
	return false
}

// lineOf finds the line of a field by its key path, or the node's line.
func (b *builder) lineOf(path ...string) int {
	n, line := b.yaml, b.line
	for _, key := range path {
		if n == nil || n.Kind != yaml.MappingNode {
			return line
		}
		var found *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				line, found = n.Content[i].Line, n.Content[i+1]
				break
			}
		}
		n = found
	}
	return line
}

// decode fills spec from the node's YAML strictly (unknown fields are errors).
func (b *builder) decode(n *yaml.Node, spec any) {
	config.Decode(b.cfg.File, "dialplans."+b.plan+".nodes."+b.node, n, spec, b.errs)
}

func (b *builder) fail(format string, args ...any) {
	b.errs.Add(b.cfg.File, b.line, "dial plan %q, node %q: %s", b.plan, b.node, fmt.Sprintf(format, args...))
}

// connect declares a connector; required ones must be set.
// The connector is a key path ("on_timeout", or "choices", "1").
func (b *builder) connect(target string, required bool, path ...string) {
	connector := strings.Join(path, ".")
	if target == "" {
		if required {
			b.fail("%s is missing: every connector must lead somewhere", connector)
		}
		return
	}
	b.edges = append(b.edges, edge{from: b.node, connector: connector, target: target, line: b.lineOf(path...)})
}

func (b *builder) prompt(field, name string) {
	if name == "" {
		b.fail("%s is missing", field)
		return
	}
	if !b.sounds.Has(name) {
		b.fail("%s %q does not exist: add %s.wav to prompts_dir, or upload a recorded message of that name", field, name, name)
	}
}

// typeOf names a compiled node's type.
func typeOf(n Node) string {
	if t, ok := n.(interface{ typeName() string }); ok {
		return t.typeName()
	}
	return fmt.Sprintf("%T", n)
}

// compileFunc builds one node type from its YAML.
type compileFunc func(b *builder, n *yaml.Node) Node

// nodeTypes is filled by each node type's file in init and only read after.
var nodeTypes = map[string]compileFunc{}

func register(typ string, f compileFunc) { nodeTypes[typ] = f }

// Plan is one compiled dial plan.
type Plan struct {
	Name  string
	Entry string
	nodes map[string]Node
}

// Program is one compiled configuration: every dial plan and the number
// routes. A call runs on the Program it started with, so that a reload
// never disturbs calls in progress.
type Program struct {
	Version  string
	MaxSteps int
	plans    map[string]*Plan
	numbers  map[string]*Plan // by numbers: key, exact or pattern
	routes   *config.NumberRoutes
	// shown are the variables whose values the log may show.
	shown map[string]bool
}

// Route finds the dial plan for a dialled number: the number's own entry
// in numbers:, else the most specific pattern that takes it.
func (p *Program) Route(number string) (*Plan, bool) {
	plan, _, ok := p.Match(number)
	return plan, ok
}

// Match is Route that also says which numbers: key took the number: the
// number itself, or the pattern.
func (p *Program) Match(number string) (plan *Plan, key string, ok bool) {
	if p.routes == nil {
		return nil, "", false
	}
	_, key, ok = p.routes.Route(number)
	if !ok {
		return nil, "", false
	}
	return p.numbers[key], key, true
}

// Compile checks and builds every dial plan; the error is config.Errors.
func Compile(cfg *config.Config, sounds Sounds, source []byte) (*Program, error) {
	var errs config.Errors
	sum := sha256.Sum256(source)
	prog := &Program{
		Version:  hex.EncodeToString(sum[:])[:12],
		MaxSteps: cfg.MaxSteps,
		plans:    map[string]*Plan{},
		numbers:  map[string]*Plan{},
	}
	names := make([]string, 0, len(cfg.Dialplans))
	for name := range cfg.Dialplans {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		prog.plans[name] = compilePlan(cfg, sounds, name, cfg.Dialplans[name], &errs)
	}
	for num, ref := range cfg.Numbers {
		prog.numbers[num] = prog.plans[ref.Name]
	}
	checkHoldMusic(cfg, sounds, &errs)
	prog.routes = cfg.Routes()
	prog.shown = shownVariables(prog.plans)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return prog, nil
}

// checkHoldMusic refuses a queue whose hold music or announcement is no
// prompt nor recorded message: its callers would wait in silence.
func checkHoldMusic(cfg *config.Config, sounds Sounds, errs *config.Errors) {
	if sounds == nil {
		return
	}
	ids := make([]string, 0, len(cfg.Queues))
	for id := range cfg.Queues {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		q := cfg.Queues[id]
		if q.HoldMusic != "" && !sounds.Has(q.HoldMusic) {
			errs.Add(cfg.File, int(q.Line), "queue %q: hold_music %q does not exist: add %s.wav to prompts_dir, or upload a recorded message of that name", id, q.HoldMusic, q.HoldMusic)
		}
		if q.Announcement != "" && !sounds.Has(q.Announcement) {
			errs.Add(cfg.File, int(q.Line), "queue %q: announcement %q does not exist: add %s.wav to prompts_dir, or upload a recorded message of that name", id, q.Announcement, q.Announcement)
		}
	}
}

func compilePlan(cfg *config.Config, sounds Sounds, name string, d *config.Dialplan, errs *config.Errors) *Plan {
	plan := &Plan{Name: name, Entry: d.Entry, nodes: map[string]Node{}}
	lines := map[string]int{}
	var edges []edge
	for nodeName, n := range d.Nodes {
		n := n
		b := &builder{cfg: cfg, sounds: sounds, errs: errs, plan: name, node: nodeName, line: n.Line, yaml: &n}
		lines[nodeName] = n.Line
		typ := nodeType(&n)
		compile, ok := nodeTypes[typ]
		if !ok {
			b.fail("type %q: want one of %s", typ, typeList())
			continue
		}
		plan.nodes[nodeName] = compile(b, &n)
		edges = append(edges, b.edges...)
	}
	if len(d.Nodes) == 0 {
		errs.Add(cfg.File, int(d.Line), "dial plan %q has no nodes", name)
		return plan
	}
	if _, ok := d.Nodes[d.Entry]; d.Entry != "" && !ok {
		errs.Add(cfg.File, int(d.Line), "dial plan %q: entry %q is not a node", name, d.Entry)
	}
	next := map[string][]string{}
	for _, e := range edges {
		if _, ok := d.Nodes[e.target]; !ok {
			errs.Add(cfg.File, e.line, "dial plan %q, node %q: %s leads to node %q, which does not exist", name, e.from, e.connector, e.target)
			continue
		}
		next[e.from] = append(next[e.from], e.target)
	}
	// Reachability from the entry: a node nobody can reach is a mistake.
	seen := map[string]bool{}
	stack := []string{d.Entry}
	for len(stack) > 0 {
		cur := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[cur] {
			continue
		}
		seen[cur] = true
		stack = append(stack, next[cur]...)
	}
	for nodeName := range d.Nodes {
		if !seen[nodeName] && d.Entry != "" {
			errs.Add(cfg.File, lines[nodeName], "dial plan %q: node %q cannot be reached from entry %q", name, nodeName, d.Entry)
		}
	}
	return plan
}

func nodeType(n *yaml.Node) string {
	if n.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "type" {
			return n.Content[i+1].Value
		}
	}
	return ""
}

func typeList() string {
	names := make([]string, 0, len(nodeTypes))
	for n := range nodeTypes {
		names = append(names, n)
	}
	sort.Strings(names)
	return fmt.Sprint(names)
}
