package dialplan

import (
	"context"
	"sort"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/acdserver/acd/config"
	"github.com/acdserver/acd/media"
)

func init() { register("menu", compileMenu) }

// menuNode plays a prompt and routes on one key. A key pressed during the
// prompt counts at once. No key within timeout replays the menu up to
// retries times, then takes on_timeout; a key that is not a choice plays
// invalid-option, then takes on_invalid (or replays, like a timeout).
type menuNode struct {
	prompt    string
	choices   map[rune]string
	timeout   time.Duration
	retries   int
	onTimeout string
	onInvalid string
}

func compileMenu(b *builder, n *yaml.Node) Node {
	var spec struct {
		Type      string            `yaml:"type"`
		Prompt    string            `yaml:"prompt"`
		Choices   map[string]string `yaml:"choices"`
		Timeout   config.Duration   `yaml:"timeout"`
		Retries   int               `yaml:"retries"`
		OnTimeout string            `yaml:"on_timeout"`
		OnInvalid string            `yaml:"on_invalid"`
	}
	b.decode(n, &spec)
	b.prompt("prompt", spec.Prompt)
	m := &menuNode{prompt: spec.Prompt, choices: map[rune]string{}, timeout: spec.Timeout.D(),
		retries: spec.Retries, onTimeout: spec.OnTimeout, onInvalid: spec.OnInvalid}
	if m.timeout == 0 {
		m.timeout = 5 * time.Second
	}
	if spec.Retries < 0 {
		b.fail("retries must not be negative")
	}
	if len(spec.Choices) == 0 {
		b.fail("choices is empty: map keys to nodes, like {\"1\": sales}")
	}
	keys := make([]string, 0, len(spec.Choices))
	for k := range spec.Choices {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		r := []rune(k)
		if _, ok := media.DigitEvent(firstRune(r)); len(r) != 1 || !ok || r[0] == '!' {
			b.line = b.lineOf("choices", k)
			b.fail("choice %q is not a single key (0-9, *, #, A-D)", k)
			continue
		}
		m.choices[r[0]] = spec.Choices[k]
		b.connect(spec.Choices[k], true, "choices", k)
	}
	b.connect(spec.OnTimeout, true, "on_timeout")
	b.connect(spec.OnInvalid, false, "on_invalid")
	return m
}

func firstRune(r []rune) rune {
	if len(r) == 0 {
		return 0
	}
	return r[0]
}

func (m *menuNode) typeName() string { return "menu" }

func (m *menuNode) Run(ctx context.Context, s *State) (string, error) {
	for attempt := 0; ; attempt++ {
		if _, err := s.play(ctx, m.prompt); err != nil {
			return "", err
		}
		key, ok, err := s.key(ctx, s.after(m.timeout))
		if err != nil {
			return "", err
		}
		if !ok {
			if attempt < m.retries {
				continue
			}
			s.note("no key after %d tries: on_timeout", attempt+1)
			return m.onTimeout, nil
		}
		if next, ok := m.choices[key]; ok {
			s.note("key %c", key)
			return next, nil
		}
		if _, err := s.play(ctx, "invalid-option"); err != nil {
			return "", err
		}
		if m.onInvalid != "" {
			s.note("key %c is not a choice: on_invalid", key)
			return m.onInvalid, nil
		}
		if attempt >= m.retries {
			s.note("key %c is not a choice, no tries left: on_timeout", key)
			return m.onTimeout, nil
		}
	}
}
