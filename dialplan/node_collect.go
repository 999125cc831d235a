package dialplan

import (
	"context"
	"regexp"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/acdserver/acd/config"
)

func init() { register("collect", compileCollect) }

// collectNode gathers caller information by DTMF (an account number, say)
// into a variable that later nodes and the queue see (R-DP-3). Collection
// ends on the terminator, at max digits, or when timeout passes between
// keys; fewer than min digits takes on_timeout.
type collectNode struct {
	prompt     string
	variable   string
	min, max   int
	terminator rune
	timeout    time.Duration
	next       string
	onTimeout  string
	// logDigits lets the log show what the caller typed.
	logDigits bool
}

var variableName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

func compileCollect(b *builder, n *yaml.Node) Node {
	var spec struct {
		Type     string `yaml:"type"`
		Prompt   string `yaml:"prompt"`
		Variable string `yaml:"variable"`
		Digits   struct {
			Min int `yaml:"min"`
			Max int `yaml:"max"`
		} `yaml:"digits"`
		Terminator string          `yaml:"terminator"`
		Timeout    config.Duration `yaml:"timeout"`
		Next       string          `yaml:"next"`
		OnTimeout  string          `yaml:"on_timeout"`
		LogDigits  bool            `yaml:"log_digits"`
	}
	b.decode(n, &spec)
	b.prompt("prompt", spec.Prompt)
	c := &collectNode{prompt: spec.Prompt, variable: spec.Variable, min: spec.Digits.Min, max: spec.Digits.Max,
		timeout: spec.Timeout.D(), next: spec.Next, onTimeout: spec.OnTimeout, logDigits: spec.LogDigits}
	if !variableName.MatchString(spec.Variable) {
		b.fail("variable %q: want a lower-case name like account", spec.Variable)
	}
	if c.max == 0 {
		c.max = 20
	}
	if c.min < 1 {
		c.min = 1
	}
	if c.min > c.max || c.max > 64 {
		b.fail("digits: want 1 <= min <= max <= 64, got min %d, max %d", spec.Digits.Min, spec.Digits.Max)
	}
	switch spec.Terminator {
	case "":
	case "#", "*":
		c.terminator = rune(spec.Terminator[0])
	default:
		b.fail("terminator %q: want # or *", spec.Terminator)
	}
	if c.timeout == 0 {
		c.timeout = 5 * time.Second
	}
	b.connect(spec.Next, true, "next")
	b.connect(spec.OnTimeout, true, "on_timeout")
	return c
}

func (c *collectNode) typeName() string { return "collect" }

func (c *collectNode) Run(ctx context.Context, s *State) (string, error) {
	if _, err := s.play(ctx, c.prompt); err != nil {
		return "", err
	}
	var digits []rune
	for len(digits) < c.max {
		key, ok, err := s.key(ctx, s.after(c.timeout))
		if err != nil {
			return "", err
		}
		if !ok || (c.terminator != 0 && key == c.terminator) {
			break
		}
		digits = append(digits, key)
	}
	if len(digits) < c.min {
		s.note("%s: %d of at least %d digits: on_timeout", c.variable, len(digits), c.min)
		return c.onTimeout, nil
	}
	value := string(digits)
	s.Vars[c.variable] = value
	s.Log.Info("caller information collected", "variable", c.variable, "value", LoggedValue(value, c.logDigits))
	s.noteCollected(c.variable, value, c.logDigits)
	return c.next, nil
}
