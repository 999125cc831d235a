package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/acdserver/acd/config"
)

const unitFile = "../../docs/systemd/acd.service"

// TestSystemdUnit holds the unit in docs/systemd to what the server
// needs, and has systemd-analyze check it when the machine has it.
func TestSystemdUnit(t *testing.T) {
	t.Parallel()
	text := readFile(t, unitFile)
	unit := map[string][]string{}
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if key, value, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			unit[key] = append(unit[key], value)
		}
	}
	for key, want := range map[string]string{
		"User":                  "acd",
		"Group":                 "acd",
		"StateDirectory":        "acd",
		"ExecReload":            "/bin/kill -HUP $MAINPID",
		"KillSignal":            "SIGTERM",
		"NoNewPrivileges":       "yes",
		"ProtectSystem":         "strict",
		"ProtectHome":           "yes",
		"PrivateTmp":            "yes",
		"RestrictSUIDSGID":      "yes",
		"SystemCallFilter":      "@system-service",
		"WorkingDirectory":      "/var/lib/acd",
		"ExecStart":             "/usr/local/bin/acd serve -config /etc/acd/acd.yaml",
		"CapabilityBoundingSet": "CAP_NET_RAW CAP_NET_BIND_SERVICE",
	} {
		if got := unit[key]; !slices.Equal(got, []string{want}) {
			t.Errorf("%s=%v, want %s", key, got, want)
		}
	}
	if caps := strings.Fields(strings.Join(unit["AmbientCapabilities"], " ")); !slices.Equal(caps, []string{"CAP_NET_RAW", "CAP_NET_BIND_SERVICE"}) {
		t.Errorf("AmbientCapabilities=%v, want CAP_NET_RAW (raw RTP sends) and CAP_NET_BIND_SERVICE (port 5060) alone", caps)
	}
	// The drain, then the hang-ups after it (a few seconds), must finish
	// before systemd kills the server.
	def, err := config.Default()
	if err != nil {
		t.Fatal(err)
	}
	stop, err := time.ParseDuration(strings.Join(unit["TimeoutStopSec"], ""))
	if err != nil || stop < def.Server.DrainTimeout.D()+15*time.Second {
		t.Errorf("TimeoutStopSec=%v (%v), want at least drain_timeout (%v) and 15 s", unit["TimeoutStopSec"], err, def.Server.DrainTimeout.D())
	}

	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed: the unit's syntax is not checked")
	}
	// verify wants ExecStart's binary to exist: the one under test.
	checked := filepath.Join(t.TempDir(), "acd.service")
	if err := os.WriteFile(checked, []byte(strings.ReplaceAll(text, "/usr/local/bin/acd", acdBinary)), 0o644); err != nil {
		t.Fatal(err)
	}
	// It exits 0 on an unknown key, but says so.
	if out, err := exec.Command(analyze, "verify", checked).CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// TestStateDirectory: with data_dir unset, a server run by systemd with
// StateDirectory= keeps its records in $STATE_DIRECTORY; run by hand, in
// ./data.
func TestStateDirectory(t *testing.T) {
	t.Parallel()
	state, cwd := t.TempDir(), t.TempDir()
	runUntilStarted(t, cwd, "STATE_DIRECTORY="+state)
	for _, name := range []string{"acd.db", "ctl.token"} {
		if _, err := os.Stat(filepath.Join(state, name)); err != nil {
			t.Errorf("under systemd: %v; want %s in $STATE_DIRECTORY", err, name)
		}
	}
	if _, err := os.Stat(filepath.Join(cwd, "data")); !os.IsNotExist(err) {
		t.Errorf("under systemd the server made ./data (%v)", err)
	}

	byHand := t.TempDir()
	runUntilStarted(t, byHand)
	if _, err := os.Stat(filepath.Join(byHand, "data", "acd.db")); err != nil {
		t.Errorf("run by hand: %v; want ./data/acd.db", err)
	}
}

// runUntilStarted runs the server on the embedded configuration, on free
// ports and without -data, in dir with env added to the environment
// (STATE_DIRECTORY removed), until it has started; it is stopped when
// the test ends.
func runUntilStarted(t *testing.T, dir string, env ...string) {
	t.Helper()
	cmd := exec.Command(acdBinary, "serve", "-sip", "127.0.0.1:0", "-http", "127.0.0.1:0", "-rtp-ports", "41000-41999", "-drain-timeout", "0")
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "STATE_DIRECTORY=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	lines := bufio.NewScanner(stderr)
	var seen []string
	for lines.Scan() {
		seen = append(seen, lines.Text())
		if started.MatchString(lines.Text()) {
			go func() {
				for lines.Scan() {
				}
			}()
			return
		}
	}
	t.Fatalf("acd exited before it started:\n%s", strings.Join(seen, "\n"))
}
