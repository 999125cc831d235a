package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/store"
)

func TestVersionAndHelp(t *testing.T) {
	t.Parallel()
	out, err := exec.Command(acdBinary, "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "acd ") {
		t.Fatalf("acd version: %q, %v", out, err)
	}
	if err := exec.Command(acdBinary, "frobnicate").Run(); err == nil {
		t.Fatal("an unknown command exited 0")
	}
	for _, args := range [][]string{{"--version"}, {"-version"}} {
		out, err := exec.Command(acdBinary, args...).Output()
		if err != nil || !strings.HasPrefix(string(out), "acd ") {
			t.Fatalf("acd %s: %q, %v", args[0], out, err)
		}
	}
	for _, args := range [][]string{{"-h"}, {"--help"}, {"help"}, {"serve", "-h"}} {
		out, _ := exec.Command(acdBinary, args...).CombinedOutput()
		if !strings.Contains(string(out), "acd check -config FILE") || strings.Contains(string(out), "Usage of serve") {
			t.Fatalf("acd %s printed %q; want the usage of every command", strings.Join(args, " "), out)
		}
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(good, []byte("numbers: {\"100\": main}\ndialplans:\n  main:\n    entry: hi\n    nodes:\n      hi: {type: play, prompt: welcome, next: bye}\n      bye: {type: hangup}\n"), 0o644)
	os.WriteFile(bad, []byte("numbers: {\"100\": main}\nserver:\n  sipp: 1\ndialplans:\n  main:\n    entry: hi\n    nodes:\n      hi: {type: play, prompt: nope, next: gone}\n"), 0o644)

	cmd := exec.Command(acdBinary, "check", "-config", good)
	if out, err := cmd.CombinedOutput(); err != nil || len(out) != 0 {
		t.Fatalf("check of a good file: %v, output %q; want silence and 0", err, out)
	}
	out, err := exec.Command(acdBinary, "check", "-config", bad).CombinedOutput()
	if code := exitStatus(err); code != 1 {
		t.Fatalf("check of a bad file exited %d, want 1", code)
	}
	want := []string{
		bad + `:3: server: unknown field "sipp"`,
		bad + `:8: dial plan "main", node "hi": prompt "nope" does not exist`,
		bad + `:8: dial plan "main", node "hi": next leads to node "gone", which does not exist`,
	}
	for _, w := range want {
		if !strings.Contains(string(out), w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	if err := exec.Command(acdBinary, "check").Run(); err != nil {
		t.Fatalf("the embedded default does not pass check: %v", err)
	}
}

func TestHealthz(t *testing.T) {
	t.Parallel()
	s := startAcd(t)
	res, err := http.Get("http://" + s.http + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), `"status":"ok"`) {
		t.Fatalf("healthz: %d %s", res.StatusCode, body)
	}
	if !strings.Contains(string(body), `"rtp_send":"raw"`) && !strings.Contains(string(body), `"rtp_send":"socket"`) {
		t.Fatalf("healthz does not say how RTP is sent: %s", body)
	}
	// startAcd narrows -rtp-ports below the default max_calls.
	s.waitLog(t, 5*time.Second, "rtp_ports holds fewer calls than max_calls", "calls=499")
}

// TestOneServerPerDataDirectory: a second server on a data directory in use
// stops at once with a clear error, and the first goes on.
func TestOneServerPerDataDirectory(t *testing.T) {
	t.Parallel()
	s := startAcd(t)
	out, err := exec.Command(acdBinary, "serve", "-sip", "127.0.0.1:0", "-http", "127.0.0.1:0", "-data", s.data).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "data directory in use by another acd") || !strings.Contains(string(out), fmt.Sprintf("pid %d", s.cmd.Process.Pid)) {
		t.Fatalf("second server: %v, %q; want a refusal naming the first's pid", err, out)
	}
	res, err := http.Get("http://" + s.http + "/healthz")
	if err != nil {
		t.Fatalf("the first server stopped: %v", err)
	}
	res.Body.Close()
}

// TestReloadAppliesQueuesAndAgents: a SIGHUP puts new queues and agents
// in force on the running server: a new agent's phone registers and is
// rung for a new queue's number, and an agent taken out of the file is
// logged out, while calls in progress go on.
func TestReloadAppliesQueuesAndAgents(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, agentsYAML)
	s := startAcd(t, "-config", path)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	old := agentPhone(t, ctx, s, "1002", testutil.AnswerMode{After: 50 * time.Millisecond})
	newcomer := testutil.NewPhone(t)
	if code, _ := newcomer.Register(ctx, s.sip, "1003", "secret-1003", 300); code == 200 {
		t.Fatal("an agent the configuration does not have registered")
	}

	next := strings.Replace(agentsYAML, `  "1002": {name: Bob, password: secret-1002, queues: [support, sales]}`,
		`  "1003": {name: Carol, password: secret-1003, queues: [billing]}`, 1)
	next = strings.Replace(next, `numbers: {"100": main, "200": sales}`, `numbers: {"100": main, "200": sales, "300": billing}`, 1)
	next = strings.Replace(next, "queues:\n", "queues:\n  billing: {strategy: linear, ring_timeout: 5s, announce_every: 1h}\n", 1)
	next += `  billing:
    entry: q
    nodes:
      q:   {type: queue, queue: billing, timeout: 30s, on_timeout: bye, on_exit: bye}
      bye: {type: hangup}
`
	if err := os.WriteFile(path, []byte(next), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = s.cmd.Process.Signal(syscall.SIGHUP)
	s.waitLog(t, 5*time.Second, "configuration reloaded")
	eventsOf(t, s, store.Filter{Agent: "1002"}, has("agent.state>logged-out:1002"))

	carol := agentPhone(t, ctx, s, "1003", testutil.AnswerMode{After: 50 * time.Millisecond})
	caller := dialAs(t, ctx, s, "300", "+14155550199")
	incoming(t, ctx, carol)
	got := eventsOf(t, s, store.Filter{Queue: "billing"}, has("caller.joined:", "agent.answered:1003"))
	expectSequence(t, got, "agent.logged_in:1003", "caller.joined:", "caller.offered:1003", "agent.answered:1003")
	select {
	case <-old.IncomingCalls():
		t.Fatal("the removed agent was rung")
	default:
	}
	_ = caller.Hangup(ctx)
}

// TestDrainOnSIGTERM: a stopping server refuses new calls with 503 and
// says it is draining, while a call in progress goes on hearing its audio;
// once that call ends, the server stops by itself.
func TestDrainOnSIGTERM(t *testing.T) {
	s := startAcd(t, "-drain-timeout", "1m")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	caller := dial(t, ctx, s)
	s.waitLog(t, 5*time.Second, "caller joined queue")
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	s.waitLog(t, 5*time.Second, "draining: new calls get 503", "calls=1")

	expect503(t, ctx, s, "a new call while draining")
	if body := healthz(t, s); !strings.Contains(body, `"status":"draining"`) {
		t.Fatalf("healthz while draining: %s", body)
	}
	speechGrows(t, ctx, caller, "the queued caller")

	if err := caller.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	s.waitLog(t, 10*time.Second, "drained: no call in progress")
	exited := make(chan error, 1)
	go func() { exited <- s.cmd.Wait() }()
	select {
	case <-exited:
	case <-ctx.Done():
		t.Fatal("the server did not stop once drained")
	}
}
