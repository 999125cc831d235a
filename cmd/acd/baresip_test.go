package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/acdserver/acd/store"
)

// TestBaresipAgent: Debian's own softphone, with nothing but an account
// line, registers as an agent against the default configuration, logs in
// with *50 and answers a queued caller, who hears it through the bridge.
func TestBaresipAgent(t *testing.T) {
	t.Parallel()
	modules := requireBaresip(t)
	s := startAcd(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	phone := startBaresip(t, modules, "<sip:1001@"+s.sip+">;auth_pass=demo-1001;answermode=auto")

	eventsOf(t, s, store.Filter{}, has("agent.registered:1001"))
	phone.command(t, "/dial *50")
	s.waitLog(t, 15*time.Second, "feature code", "agent=1001", "code=*50", "prompt=agent-logged-in")
	s.waitLog(t, 10*time.Second, `msg="call ended"`, `why="server hung up`) // after its confirmation

	caller := dial(t, ctx, s)
	got := eventsOf(t, s, store.Filter{}, has("agent.answered:1001"))
	expectSequence(t, got, "agent.registered:1001", "agent.logged_in:1001", "caller.joined:", "caller.offered:1001", "agent.answered:1001")
	speechGrows(t, ctx, caller, "the caller (baresip's tone)")
	if err := caller.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	eventsOf(t, s, store.Filter{}, has("agent.answered:1001", "call.ended:1001"))
}

// requireBaresip returns the directory of baresip's modules.
func requireBaresip(t *testing.T) string {
	t.Helper()
	skipInShort(t, "baresip")
	if _, err := exec.LookPath("baresip"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("baresip is not installed: the test command installs baresip-core")
		}
		t.Skip("baresip not installed (apt-get install baresip-core)")
	}
	// Its own default is the working directory; packages put them here.
	for _, dir := range []string{"/usr/lib/baresip/modules", "/usr/local/lib/baresip/modules", "/usr/lib/x86_64-linux-gnu/baresip/modules"} {
		if _, err := os.Stat(filepath.Join(dir, "g711.so")); err == nil {
			return dir
		}
	}
	t.Fatal("baresip is installed but its modules (g711.so) are nowhere to be found")
	return ""
}

// baresip is a running baresip, driven on its standard input.
type baresip struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	mu    sync.Mutex
	out   []string // what it printed, for a failure's message
}

// startBaresip runs baresip headless with one account: a sine tone as
// its microphone, no speaker, and a configuration of its own in a
// temporary directory, listening on a free loopback port. Extra lines
// (modules an account names, their settings) come before the accounts.
func startBaresip(t *testing.T, modules, account string, extra ...string) *baresip {
	t.Helper()
	return startBaresipWith(t, modules, extra, account)
}

// startBaresipWith is startBaresip with more lines of configuration.
func startBaresipWith(t *testing.T, modules string, extra []string, account string) *baresip {
	t.Helper()
	dir := t.TempDir()
	config := strings.Join(append(append([]string{
		"module_path " + modules,
		"poll_method epoll",
		"sip_listen 127.0.0.1:" + freeUDPPort(t),
		"rtp_ports 41000-41999",
		// ausine makes only 48 kHz stereo; baresip resamples for G.711.
		"audio_source ausine,440",
		"ausrc_srate 48000",
		"ausrc_channels 2",
		"audio_player aubridge,nil",
		"audio_alert aubridge,nil",
		"statmode_default off",
		"module stdio.so",
		"module g711.so",
		"module ausine.so",
		"module aubridge.so",
	}, extra...), "module_tmp account.so", "module_app menu.so"), "\n") + "\n"
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "accounts"), []byte(account+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b := &baresip{cmd: exec.Command("baresip", "-f", dir)}
	var err error
	if b.stdin, err = b.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := b.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	b.cmd.Stderr = b.cmd.Stdout
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() {
		lines := bufio.NewScanner(out)
		for lines.Scan() {
			b.mu.Lock()
			b.out = append(b.out, lines.Text())
			b.mu.Unlock()
		}
		close(exited)
	}()
	t.Cleanup(func() {
		_ = syscall.Kill(b.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(b.cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		_ = b.cmd.Wait()
		if t.Failed() {
			t.Logf("baresip said:\n%s", lastLines(b.output(), 40))
		}
	})
	return b
}

func (b *baresip) command(t *testing.T, cmd string) {
	t.Helper()
	if _, err := fmt.Fprintln(b.stdin, cmd); err != nil {
		t.Fatalf("baresip %s: %v", cmd, err)
	}
}

func (b *baresip) output() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Join(b.out, "\n")
}
