package dialplan

import (
	"strings"
	"testing"

	"github.com/acdserver/acd/config"
	"github.com/acdserver/acd/prompts"
)

func compileYAML(t *testing.T, src string) (*Program, error) {
	t.Helper()
	cfg, err := config.Parse("plan.yaml", []byte(src))
	if cfg == nil {
		return nil, err
	}
	lib, lerr := prompts.Load("")
	if lerr != nil {
		t.Fatal(lerr)
	}
	var errs config.Errors
	if ce, ok := err.(config.Errors); ok {
		errs = append(errs, ce...)
	}
	prog, err := Compile(cfg, lib, []byte(src))
	if ce, ok := err.(config.Errors); ok {
		errs = append(errs, ce...)
	}
	return prog, errs.Err()
}

// header gives each case a queue, a schedule and number 100 -> main.
const header = `numbers: {"100": main}
queues: {support: {}}
schedules:
  biz: {timezone: UTC, hours: {mon-fri: "09:00-17:00"}}
dialplans:
  main:
    entry: a
    nodes:
`

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name  string
		nodes string // appended to header; line 9 is the first node
		want  []string
	}{
		{"missing node", `      a: {type: play, prompt: welcome, next: nowhere}`,
			[]string{`plan.yaml:9: dial plan "main", node "a": next leads to node "nowhere", which does not exist`}},
		{"unreachable node", "      a: {type: hangup}\n      b: {type: hangup}",
			[]string{`plan.yaml:10: dial plan "main": node "b" cannot be reached from entry "a"`}},
		{"missing queue", "      a: {type: queue, queue: nope, timeout: 5s, on_timeout: b, on_exit: b}\n      b: {type: hangup}",
			[]string{`plan.yaml:9: dial plan "main", node "a": queue "nope" does not exist`}},
		{"missing schedule", "      a: {type: schedule, schedule: nope, open: b, closed: b}\n      b: {type: hangup}",
			[]string{`plan.yaml:9: dial plan "main", node "a": schedule "nope" does not exist`}},
		{"missing prompt", "      a: {type: play, prompt: nope, next: b}\n      b: {type: hangup}",
			[]string{`plan.yaml:9: dial plan "main", node "a": prompt "nope" does not exist: add nope.wav to prompts_dir`}},
		{"missing dial plan", `      a: {type: goto, dialplan: nope}`,
			[]string{`plan.yaml:9: dial plan "main", node "a": dialplan "nope" does not exist`}},
		{"queue without connectors", `      a: {type: queue, queue: support, timeout: 5s}`,
			[]string{
				`plan.yaml:9: dial plan "main", node "a": on_timeout is missing: every connector must lead somewhere`,
				`plan.yaml:9: dial plan "main", node "a": on_exit is missing: every connector must lead somewhere`,
			}},
		{"queue rebinding keys", "      a: {type: queue, queue: support, timeout: 5s, on_timeout: b, on_exit: b, exit_key: \"#\", callback_key: \"1\"}\n      b: {type: hangup}",
			[]string{
				`plan.yaml:9: dial plan "main", node "a": exit_key cannot be changed: * always leaves a queue`,
				`plan.yaml:9: dial plan "main", node "a": callback_key cannot be changed: # is the callback key`,
			}},
		{"menu choice not a key", "      a:\n        type: menu\n        prompt: main-menu\n        choices: {\"12\": b, \"x\": b, \"1\": b}\n        on_timeout: b\n      b: {type: hangup}",
			[]string{
				`plan.yaml:12: dial plan "main", node "a": choice "12" is not a single key (0-9, *, #, A-D)`,
				`plan.yaml:12: dial plan "main", node "a": choice "x" is not a single key (0-9, *, #, A-D)`,
			}},
		{"duration not positive", "      a: {type: queue, queue: support, timeout: 0s, on_timeout: b, on_exit: b}\n      b: {type: hangup}",
			[]string{
				`plan.yaml:9: dialplans.main.nodes.a.timeout: "0s" must be positive`,
			}},
		{"duration junk", "      a: {type: menu, prompt: main-menu, choices: {\"1\": b}, timeout: soon, on_timeout: b}\n      b: {type: hangup}",
			[]string{`plan.yaml:9: dialplans.main.nodes.a.timeout: "soon" is not a duration`}},
		{"typo in a field", "      a: {type: queue, queue: support, timeout: 5s, on_timout: b, on_exit: b}\n      b: {type: hangup}",
			[]string{
				`plan.yaml:9: dialplans.main.nodes.a: unknown field "on_timout"`,
				`plan.yaml:9: dial plan "main", node "a": on_timeout is missing`,
			}},
		{"unknown type", `      a: {type: dance}`,
			[]string{`plan.yaml:9: dial plan "main", node "a": type "dance": want one of [collect goto hangup menu play queue schedule transfer]`}},
		{"transfer anywhere", "      a: {type: transfer, to: \"0114420555\", next: b}\n      b: {type: hangup}",
			[]string{`plan.yaml:9: dial plan "main", node "a": to "0114420555" is neither a number in numbers, a queue extension nor an agent`}},
		{"collect settings", "      a: {type: collect, prompt: enter-account, variable: Account, digits: {min: 5, max: 2}, terminator: \"1\", next: b, on_timeout: b}\n      b: {type: hangup}",
			[]string{
				`plan.yaml:9: dial plan "main", node "a": variable "Account": want a lower-case name like account`,
				`plan.yaml:9: dial plan "main", node "a": digits: want 1 <= min <= max <= 64, got min 5, max 2`,
				`plan.yaml:9: dial plan "main", node "a": terminator "1": want # or *`,
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := compileYAML(t, header+tt.nodes+"\n")
			if err == nil {
				t.Fatal("compiled without error")
			}
			got := strings.Split(err.Error(), "\n")
			if len(got) != len(tt.want) {
				t.Fatalf("got %d errors, want %d:\n%s", len(got), len(tt.want), err)
			}
			for _, w := range tt.want {
				found := false
				for _, g := range got {
					found = found || strings.HasPrefix(g, w)
				}
				if !found {
					t.Errorf("missing %q in:\n%s", w, err)
				}
			}
		})
	}
}

func TestNumberToMissingPlan(t *testing.T) {
	_, err := compileYAML(t, "numbers: {\"100\": main, \"200\": gone}\ndialplans:\n  main: {entry: a, nodes: {a: {type: hangup}}}\n")
	if err == nil || !strings.Contains(err.Error(), `plan.yaml:1: number "200" routes to dial plan "gone", which does not exist`) {
		t.Fatalf("got %v", err)
	}
}

func TestDefaultCompiles(t *testing.T) {
	cfg, err := config.Default()
	if err != nil {
		t.Fatal(err)
	}
	lib, _ := prompts.Load("")
	if _, err := Compile(cfg, lib, nil); err != nil {
		t.Fatal(err)
	}
}

func loadSounds() (*prompts.Library, error) { return prompts.Load("") }

// A queue's hold music names a prompt: one that does not exist is
// refused at its line, as a dial plan's missing prompt is.
func TestQueueHoldMusicIsAPrompt(t *testing.T) {
	_, err := compileYAML(t, "queues:\n  support: {name: Support, hold_music: nope}\ndialplans:\n  main: {entry: a, nodes: {a: {type: hangup}}}\n")
	if err == nil || !strings.Contains(err.Error(), `plan.yaml:2: queue "support": hold_music "nope" does not exist: add nope.wav to prompts_dir`) {
		t.Fatalf("got %v", err)
	}
	if _, err := compileYAML(t, "queues:\n  support: {name: Support, hold_music: welcome}\ndialplans:\n  main: {entry: a, nodes: {a: {type: hangup}}}\n"); err != nil {
		t.Fatalf("a queue playing the prompt welcome as hold music: %v", err)
	}
}
