package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
