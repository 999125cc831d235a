package dialplan

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

const fullPlan = `numbers:
  "100": main
  "2001": desk
schedules:
  business:
    timezone: America/New_York
    hours: {mon-fri: "09:00-17:00", sat: "10:00-13:00"}
    holidays: ["2026-12-25"]
queues:
  support: {extension: "600"}
  sales: {extension: "601"}
dialplans:
  main:
    entry: welcome
    nodes:
      welcome:  {type: play, prompt: welcome, next: open}
      open:     {type: schedule, schedule: business, open: menu, closed: closed}
      menu:
        type: menu
        prompt: main-menu
        choices: {"1": account, "2": support, "0": desk, "9": to-sales}
        timeout: 5s
        retries: 1
        on_timeout: support
      account:
        type: collect
        prompt: enter-account
        variable: account
        digits: {min: 4, max: 6}
        terminator: "#"
        next: sales
        on_timeout: sales
      support:  {type: queue, queue: support, timeout: 300s, on_timeout: sorry, on_exit: goodbye}
      sales:    {type: queue, queue: sales, timeout: 120s, on_timeout: sorry, on_exit: goodbye}
      to-sales: {type: transfer, to: "601", next: goodbye}
      sorry:    {type: play, prompt: no-agents, next: bye}
      closed:   {type: play, prompt: closed, next: bye}
      goodbye:  {type: play, prompt: goodbye, next: bye}
      desk:     {type: transfer, to: "2001", next: bye}
      bye:      {type: hangup}
  desk:
    entry: hi
    nodes:
      hi:   {type: play, prompt: please-hold, next: back}
      back: {type: goto, dialplan: main}
`

func simulatePath(t *testing.T, src, number, digits, at string) (string, map[string]string) {
	t.Helper()
	prog, err := compileYAML(t, src)
	if err != nil {
		t.Fatal(err)
	}
	when, err := time.Parse(time.RFC3339, at)
	if err != nil {
		t.Fatal(err)
	}
	var path []string
	st := &State{Log: slog.New(slog.DiscardHandler), Trace: func(s Step) {
		path = append(path, fmt.Sprintf("%s/%s(%s)", s.Plan, s.Node, s.Detail))
	}}
	lib, _ := loadSounds()
	st.Sounds = lib
	if err := Simulate(context.Background(), prog, number, digits, when, st); err != nil {
		t.Fatal(err)
	}
	return strings.Join(path, " "), st.Vars
}

func TestSimulate(t *testing.T) {
	const tue10 = "2026-11-24T15:00:00Z" // Tuesday 10:00 in New York
	tests := []struct {
		name, number, digits, at string
		want                     string
	}{
		{"menu to queue and out with *", "100", "2*", tue10,
			"main/welcome(welcome) main/open(business is open) main/menu(key 2) main/support(queue support: exit) main/goodbye(goodbye) main/bye(call ends)"},
		{"closed at night", "100", "", "2026-11-25T02:00:00Z",
			"main/welcome(welcome) main/open(business is closed) main/closed(closed) main/bye(call ends)"},
		{"closed on a holiday", "100", "", "2026-12-25T15:00:00Z",
			"main/welcome(welcome) main/open(business is closed) main/closed(closed) main/bye(call ends)"},
		{"menu timeout", "100", "", tue10,
			"main/welcome(welcome) main/open(business is open) main/menu(no key after 2 tries: on_timeout) main/support(queue support: timeout) main/sorry(no-agents) main/bye(call ends)"},
		{"invalid key then timeout", "100", "7", tue10,
			"main/welcome(welcome) main/open(business is open) main/menu(no key after 2 tries: on_timeout) main/support(queue support: timeout) main/sorry(no-agents) main/bye(call ends)"},
		{"collect with terminator", "100", "112345#*", tue10,
			"main/welcome(welcome) main/open(business is open) main/menu(key 1) main/account(account=12345) main/sales(queue sales: exit) main/goodbye(goodbye) main/bye(call ends)"},
		{"collect too short", "100", "112#", tue10,
			"main/welcome(welcome) main/open(business is open) main/menu(key 1) main/account(account: 2 of at least 4 digits: on_timeout) main/sales(queue sales: timeout) main/sorry(no-agents) main/bye(call ends)"},
		{"transfer to a queue extension", "100", "9*", tue10,
			"main/welcome(welcome) main/open(business is open) main/menu(key 9) main/to-sales(to queue sales: exit) main/goodbye(goodbye) main/bye(call ends)"},
		{"transfer to a number, goto back", "100", "02", tue10,
			"main/welcome(welcome) main/open(business is open) main/menu(key 0) main/desk(to number 2001 (dial plan desk)) desk/hi(please-hold) desk/back(to dial plan main) main/welcome(welcome) main/open(business is open) main/menu(key 2) main/support(queue support: timeout) main/sorry(no-agents) main/bye(call ends)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := simulatePath(t, fullPlan, tt.number, tt.digits, tt.at)
			if got != tt.want {
				t.Fatalf("path\n got: %s\nwant: %s", got, tt.want)
			}
		})
	}
	_, vars := simulatePath(t, fullPlan, "100", "1987654", "2026-11-24T15:00:00Z")
	if vars["account"] != "987654" {
		t.Fatalf("account = %q, want 987654 (max 6 digits)", vars["account"])
	}
}

func TestLoopGuard(t *testing.T) {
	src := `numbers: {"100": a}
max_steps: 10
schedules:
  always: {timezone: UTC, hours: {mon-sun: "00:00-24:00"}}
dialplans:
  a: {entry: x, nodes: {x: {type: goto, dialplan: b}}}
  b:
    entry: y
    nodes:
      y: {type: schedule, schedule: always, open: z, closed: z}
      z: {type: goto, dialplan: a}
`
	prog, err := compileYAML(t, src)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	steps := 0
	lib, _ := loadSounds()
	st := &State{Sounds: lib, Log: slog.New(slog.NewTextHandler(&logs, nil)), Trace: func(Step) { steps++ }}
	if err := Simulate(context.Background(), prog, "100", "", time.Now(), st); err != nil {
		t.Fatal(err)
	}
	if steps != 11 {
		t.Fatalf("%d steps before the guard, want 11", steps)
	}
	if !strings.Contains(logs.String(), "dial plan loop") || !strings.Contains(logs.String(), "loop=") {
		t.Fatalf("no log line naming the loop:\n%s", logs.String())
	}
}
