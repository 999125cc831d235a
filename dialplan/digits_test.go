package dialplan

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"
)

const collectPlan = `numbers: {"100": main}
dialplans:
  main:
    entry: account
    nodes:
      account: {type: collect, prompt: enter-account, variable: account, terminator: "#", next: order, on_timeout: order}
      order:   {type: collect, prompt: enter-account, variable: order, terminator: "#", log_digits: true, next: card, on_timeout: card}
      card:    {type: collect, prompt: enter-account, variable: card, terminator: "#", log_digits: true, next: bye, on_timeout: bye}
      bye:     {type: hangup}
  other:
    entry: card
    nodes:
      card: {type: collect, prompt: enter-account, variable: card, next: bye, on_timeout: bye}
      bye:  {type: hangup}
`

// TestCollectedDigitsMasked: the log, at every level, shows how many keys
// a caller typed into a collect node, not which, unless the node says
// log_digits; a card number keeps only its last four even then. The
// trace, which acd simulate prints, keeps every digit.
func TestCollectedDigitsMasked(t *testing.T) {
	t.Parallel()
	prog, err := compileYAML(t, collectPlan)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	var trace []string
	lib, _ := loadSounds()
	st := &State{Sounds: lib, Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Trace: func(s Step) { trace = append(trace, s.Detail) }}
	if err := Simulate(context.Background(), prog, "100", "4711#9876#4111111111111111#", time.Now(), st); err != nil {
		t.Fatal(err)
	}
	log := logs.String()
	for _, typed := range []string{"4711", "4111111111111111"} {
		if strings.Contains(log, typed) {
			t.Errorf("the log shows %s:\n%s", typed, log)
		}
	}
	for _, want := range []string{
		`msg="caller information collected" call_id=simulation config_version=` + prog.Version + ` variable=account value="(4 digits)"`,
		`node=account did="account=(4 digits)"`,
		`variable=order value=9876`,
		`node=order did="order=9876"`,
		`variable=card value=************1111`,
	} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %q:\n%s", want, log)
		}
	}
	if got := strings.Join(trace, " "); !strings.HasPrefix(got, "account=4711 order=9876 card=4111111111111111") {
		t.Errorf("trace %q, want every digit", got)
	}
	if st.Vars["account"] != "4711" || st.Vars["card"] != "4111111111111111" {
		t.Errorf("vars %v, want the digits typed", st.Vars)
	}
	// card is also filled by a node that masks it: the variable is masked.
	for v, want := range map[string]bool{"account": false, "order": true, "card": false, "unknown": false} {
		if got := prog.LogsDigits(v); got != want {
			t.Errorf("LogsDigits(%q) = %v, want %v", v, got, want)
		}
	}
}
