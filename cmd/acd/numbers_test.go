package main

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/store"
)

// patternYAML routes one exact number and a block of numbers by pattern,
// each to a dial plan of its own.
const patternYAML = `numbers:
  "100": main
  "+14155550100": main
  "_+1415555XXXX": sales
queues:
  support: {name: Support, announce_every: 1h}
dialplans:
  main:
    entry: bye
    nodes:
      bye: {type: hangup}
  sales:
    entry: welcome
    nodes:
      welcome: {type: play, prompt: welcome, next: q}
      q:       {type: queue, queue: support, timeout: 60s, on_timeout: bye, on_exit: goodbye}
      goodbye: {type: play, prompt: goodbye, next: bye}
      bye:     {type: hangup}
`

// arrivals waits until the event log holds n call.arrived events and
// returns them.
func arrivals(t *testing.T, s *server, n int) []event.CallArrived {
	t.Helper()
	l, err := store.Open(filepath.Join(s.data, "acd.db"), slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		evs, err := l.Events(context.Background(), store.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		var out []event.CallArrived
		for _, e := range evs {
			if e.Type != "call.arrived" {
				continue
			}
			p, err := event.Decode(e)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, p.(event.CallArrived))
		}
		if len(out) >= n {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("the event log holds %d call.arrived events, want %d", len(out), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSIPpCallToPatternNumber: SIPp calls a number that only a pattern
// of numbers: takes; the call runs that pattern's dial plan (it hears
// the welcome, waits in the queue, leaves with * and is said goodbye),
// and call.arrived names the number dialled and the pattern.
func TestSIPpCallToPatternNumber(t *testing.T) {
	t.Parallel()
	sipp := requireSIPp(t)
	s := startAcd(t, "-config", writeConfig(t, patternYAML))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	cmd := exec.CommandContext(ctx, sipp, "-sf", "../../bench/sipp/caller_star.xml", "-s", "+14155550123",
		"-i", "127.0.0.1", "-p", freeUDPPort(t), "-mp", freeUDPPort(t), "-m", "1", "-l", "1",
		"-timeout", "40s", "-timeout_error", "-nostdin", "-trace_err", "-error_file", filepath.Join(dir, "errors.log"),
		s.sip)
	out, err := cmd.CombinedOutput()
	if err != nil {
		errs, _ := os.ReadFile(filepath.Join(dir, "errors.log"))
		t.Fatalf("sipp failed: %v\n%s\n%s", err, lastLines(string(out), 30), errs)
	}
	s.waitLog(t, 10*time.Second, "caller left queue with *")
	got := arrivals(t, s, 1)[0]
	if got.To != "+14155550123" || got.Pattern != "_+1415555XXXX" || got.Plan != "sales" {
		t.Fatalf("call.arrived %+v; want to +14155550123 by pattern _+1415555XXXX, dial plan sales", got)
	}
}

// TestAPIPatternNumber: a pattern routed through the API takes calls at
// once, the exact number of the file still wins over it, and a bad
// pattern is a 422 naming the field and what to write.
func TestAPIPatternNumber(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, patternYAML))
	admin := setupAdmin(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	code, body, _ := admin.do(t, "PUT", "/numbers/_+1628%5B2-9%5DX.", map[string]string{"dialplan": "sales"})
	if code != 200 {
		t.Fatalf("PUT a pattern: %d %s", code, body)
	}
	for _, tc := range []struct{ path, says string }{
		{"/numbers/_9%5B1-5", "has no ]"},
		{"/numbers/_9.1", "must come last"},
		{"/numbers/+44X*", "a prefix is digits"},
	} {
		code, body, _ := admin.do(t, "PUT", tc.path, map[string]string{"dialplan": "sales"})
		if code != 422 || !strings.Contains(string(body), "number") || !strings.Contains(string(body), tc.says) {
			t.Errorf("PUT %s: %d %s; want 422 naming number and saying %q", tc.path, code, body, tc.says)
		}
	}
	var list struct {
		Numbers []struct{ Number, Dialplan, Source string }
	}
	admin.expect(t, "GET", "/numbers", nil, 200, &list)
	found := false
	for _, n := range list.Numbers {
		found = found || (n.Number == "_+1628[2-9]X." && n.Dialplan == "sales" && n.Source == "database")
	}
	if !found {
		t.Fatalf("GET /numbers: %+v; want the pattern", list.Numbers)
	}

	a := dialAs(t, ctx, s, "+16285550123", "+14155550177") // the API's pattern
	s.waitLog(t, 10*time.Second, "caller joined queue", "queue=support")
	_ = a.Hangup(ctx)
	b := dialAs(t, ctx, s, "+14155550100", "+14155550178") // the file's exact number, inside its pattern
	waitBye(t, ctx, b)
	got := arrivals(t, s, 2)
	if got[0].Plan != "sales" || got[0].Pattern != "_+1628[2-9]X." || got[0].To != "+16285550123" {
		t.Errorf("first call %+v; want dial plan sales by the API's pattern", got[0])
	}
	if got[1].Plan != "main" || got[1].Pattern != "" {
		t.Errorf("second call %+v; want dial plan main, by its own number", got[1])
	}
}
