package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/store"
)

const planYAML = `numbers: {"100": main}
queues:
  support: {announce_every: 1h}
  sales: {announce_every: 1h}
dialplans:
  main:
    entry: welcome
    nodes:
      welcome: {type: play, prompt: welcome, next: menu}
      menu:
        type: menu
        prompt: main-menu
        choices: {"1": support, "2": account}
        timeout: 1s
        retries: 0
        on_timeout: sales
      account:
        type: collect
        prompt: enter-account
        variable: account
        digits: {min: 4, max: 8}
        terminator: "#"
        timeout: 3s
        next: sales
        on_timeout: sales
      support: {type: queue, queue: support, timeout: 60s, on_timeout: sorry, on_exit: goodbye}
      sales:   {type: queue, queue: sales, timeout: 1s, on_timeout: sorry, on_exit: goodbye}
      sorry:   {type: play, prompt: no-agents, next: bye}
      goodbye: {type: play, prompt: goodbye, next: bye}
      bye:     {type: hangup}
`

func TestDialPlanMenuQueueExit(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, planYAML), "-log-level", "debug")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	phone := dial(t, ctx, s)
	s.waitLog(t, 5*time.Second, `node=welcome`, `next=menu`)
	phone.SendDTMF('1', 101)
	s.waitLog(t, 5*time.Second, `node=menu`, `did="key 1"`, `next=support`)
	s.waitLog(t, 5*time.Second, `caller joined queue`, `queue=support`)
	phone.SendDTMF('*', 101)
	s.waitLog(t, 5*time.Second, `node=support`, `did="queue support: exit"`, `next=goodbye`)
	s.waitLog(t, 5*time.Second, `node=goodbye`, `next=bye`)
	waitBye(t, ctx, phone)
	if st := phone.Stats(); st.SpeechFrames < 20 {
		t.Fatalf("heard %d frames of sound, want the prompts", st.SpeechFrames)
	}
}

func TestDialPlanMenuAndQueueTimeouts(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, planYAML), "-log-level", "debug")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	phone := dial(t, ctx, s)
	s.waitLog(t, 10*time.Second, `node=menu`, `no key after 1 tries: on_timeout`, `next=sales`)
	s.waitLog(t, 10*time.Second, `node=sales`, `did="queue sales: timeout"`, `next=sorry`)
	s.waitLog(t, 10*time.Second, `node=sorry`, `next=bye`)
	waitBye(t, ctx, phone)
}

func TestDialPlanCollectReachesQueue(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, planYAML), "-log-level", "debug")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	phone := dial(t, ctx, s)
	s.waitLog(t, 5*time.Second, `node=welcome`)
	for _, k := range "24711#" {
		phone.SendDTMF(k, 101)
	}
	// The log says how many digits the caller typed, never which.
	lines := s.linesUntil(t, 5*time.Second, `caller joined queue`, `queue=sales`, `vars="map[account:(4 digits)]"`)
	if countLines(lines, `caller information collected`, `variable=account`, `value="(4 digits)"`) != 1 ||
		countLines(lines, `node=account`, `did="account=(4 digits)"`) != 1 {
		t.Errorf("the log does not say 4 digits were collected:\n%s", strings.Join(lines, "\n"))
	}
	if n := countLines(lines, "4711"); n > 0 {
		t.Errorf("%d log lines show the digits typed:\n%s", n, strings.Join(lines, "\n"))
	}
	// The queue has them.
	if vars := joinedVars(t, s); vars["account"] != "4711" {
		t.Errorf("the queue was given %v, want account 4711", vars)
	}
	waitBye(t, ctx, phone)
}

// joinedVars are the dial plan's variables a caller joined a queue with,
// as the event log has them.
func joinedVars(t *testing.T, s *server) map[string]string {
	t.Helper()
	eventsOf(t, s, store.Filter{}, has("caller.joined:")) // committed
	l, err := store.Open(filepath.Join(s.data, "acd.db"), slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	evs, err := l.Events(context.Background(), store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.Type == "caller.joined" {
			p, err := event.Decode(e)
			if err != nil {
				t.Fatal(err)
			}
			return p.(event.CallerJoined).Vars
		}
	}
	t.Fatal("no caller.joined event")
	return nil
}

// TestReloadKeepsCallsOnTheirVersion: a SIGHUP during a call applies the
// new plan to new calls only; an invalid file is rejected and changes
// nothing.
func TestReloadKeepsCallsOnTheirVersion(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, planYAML)
	s := startAcd(t, "-config", path, "-log-level", "debug")
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()

	first := dial(t, ctx, s)
	s.waitLog(t, 5*time.Second, `node=welcome`)
	first.SendDTMF('1', 101)
	joined := s.waitLog(t, 5*time.Second, `caller joined queue`, `queue=support`)
	_ = joined

	// The new version sends * to "sorry" instead of "goodbye".
	prompts := strings.Split(readFile(t, path), "\n")[0]
	changed := prompts + "\n" + strings.Replace(planYAML, "on_exit: goodbye}\n      sales", "on_exit: sorry}\n      sales", 1)
	if err := os.WriteFile(path, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = s.cmd.Process.Signal(syscall.SIGHUP)
	reloaded := s.waitLog(t, 5*time.Second, `configuration reloaded`)
	oldVersion := field(reloaded, "old_version")
	newVersion := field(reloaded, "version")
	if oldVersion == newVersion {
		t.Fatalf("reload kept version %s", newVersion)
	}

	first.SendDTMF('*', 101)
	s.waitLog(t, 5*time.Second, `node=support`, `config_version=`+oldVersion, `next=goodbye`)
	waitBye(t, ctx, first)

	second := dial(t, ctx, s)
	s.waitLog(t, 5*time.Second, `node=welcome`, `config_version=`+newVersion)
	second.SendDTMF('1', 101)
	s.waitLog(t, 5*time.Second, `caller joined queue`, `queue=support`)
	second.SendDTMF('*', 101)
	s.waitLog(t, 5*time.Second, `node=support`, `config_version=`+newVersion, `next=sorry`)
	waitBye(t, ctx, second)

	// A broken file is rejected with the check messages; the version stays.
	os.WriteFile(path, []byte(prompts+"\n"+planYAML+"      extra: {type: play, prompt: nope, next: bye}\n"), 0o644)
	_ = s.cmd.Process.Signal(syscall.SIGHUP)
	line := s.waitLog(t, 5*time.Second, `configuration reload rejected`)
	if !strings.Contains(line, `prompt \"nope\" does not exist`) || !strings.Contains(line, "version="+newVersion) {
		t.Fatalf("rejection line lacks the problem or the kept version: %s", line)
	}
}

// field reads key=value from a log line.
func field(line, key string) string {
	for _, f := range strings.Fields(line) {
		if v, ok := strings.CutPrefix(f, key+"="); ok {
			return v
		}
	}
	return ""
}

// TestMaxCallsRefusesWith503 runs the binary with room for one call: the
// second caller is refused with 503 and Retry-After while the first is up.
func TestMaxCallsRefusesWith503(t *testing.T) {
	s := startAcd(t, "-config", writeConfig(t, "server: {max_calls: 1}\n"+planYAML))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dial(t, ctx, s)

	expect503(t, ctx, s, "second call")
	if body := healthz(t, s); !strings.Contains(body, `"calls_refused":1,`) {
		t.Fatalf("healthz does not count the refused call: %s", body)
	}
}
