package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// baresipCtl is a running baresip driven through its ctrl_tcp module, which
// answers each command: a test can wait for a hold to be sent.
type baresipCtl struct {
	ctrl   net.Conn
	reader *bufio.Reader
	log    string
}

// startBaresipCtl runs baresip registered as user at server, answering
// calls at once and sending silence; it stops with the test.
func startBaresipCtl(t *testing.T, bin, server, user, password string) *baresipCtl {
	t.Helper()
	dir := t.TempDir()
	silence := filepath.Join(dir, "silence.wav")
	writeWAV(t, silence, 60*8000, func(int) int16 { return 0 })
	writeWAV(t, filepath.Join(dir, "alert.wav"), 800, func(i int) int16 { return int16(3000 * math.Sin(float64(i))) })
	ctrl := freeTCPPort(t)
	config := fmt.Sprintf(`sip_listen 127.0.0.1:%s
audio_player aufile,%s
audio_source aufile,%s
audio_alert aufile,%s
module_path /usr/lib/baresip/modules
module g711.so
module aufile.so
module_app account.so
module_app menu.so
module_app ctrl_tcp.so
ctrl_tcp_listen 127.0.0.1:%s
rtp_ports 41000-41999
`, freeUDPPort(t), filepath.Join(dir, "heard.wav"), silence, filepath.Join(dir, "alert.wav"), ctrl)
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	account := fmt.Sprintf("<sip:%s@%s>;auth_pass=%s;answermode=auto;regint=300;audio_codecs=PCMU\n", user, server, password)
	if err := os.WriteFile(filepath.Join(dir, "accounts"), []byte(account), 0o600); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "baresip.log")
	out, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-f", dir)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // the baresip this test started, by its PID
		_ = cmd.Wait()
		_ = out.Close()
		if t.Failed() {
			text, _ := os.ReadFile(logPath)
			t.Logf("baresip log:\n%s", lastLines(string(text), 40))
		}
	})
	b := &baresipCtl{log: logPath}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", "127.0.0.1:"+ctrl)
		if err == nil {
			b.ctrl, b.reader = c, bufio.NewReader(c)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("baresip's control port never opened: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Cleanup(func() { _ = b.ctrl.Close() })
	return b
}

// command runs a baresip command and returns its answer.
func (b *baresipCtl) command(t *testing.T, name, params string) string {
	t.Helper()
	msg, _ := json.Marshal(map[string]string{"command": name, "params": params, "token": name})
	if _, err := fmt.Fprintf(b.ctrl, "%d:%s,", len(msg), msg); err != nil {
		t.Fatal(err)
	}
	_ = b.ctrl.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		lenText, err := b.reader.ReadString(':')
		if err != nil {
			t.Fatalf("baresip %s: %v", name, err)
		}
		n, err := strconv.Atoi(strings.TrimSpace(lenText[:len(lenText)-1]))
		if err != nil {
			t.Fatalf("baresip sent %q", lenText)
		}
		body := make([]byte, n+1)
		if _, err := io.ReadFull(b.reader, body); err != nil {
			t.Fatal(err)
		}
		var reply struct {
			Response bool   `json:"response"`
			OK       bool   `json:"ok"`
			Data     string `json:"data"`
			Token    string `json:"token"`
		}
		if json.Unmarshal(body[:n], &reply) == nil && reply.Response && reply.Token == name {
			if !reply.OK {
				t.Fatalf("baresip %s failed: %s", name, reply.Data)
			}
			return reply.Data
		}
	}
}

// waitBaresipIdle waits until baresip has no call up.
func waitBaresipIdle(t *testing.T, ctx context.Context, b *baresipCtl) {
	t.Helper()
	for {
		if out := b.command(t, "listcalls", ""); !strings.Contains(out, "sip:") {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatal("baresip's feature-code call never ended")
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func writeWAV(t *testing.T, path string, samples int, f func(int) int16) {
	t.Helper()
	data := make([]byte, 44+2*samples)
	copy(data, "RIFF")
	binary.LittleEndian.PutUint32(data[4:], uint32(36+2*samples))
	copy(data[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(data[16:], 16)
	binary.LittleEndian.PutUint16(data[20:], 1)    // PCM
	binary.LittleEndian.PutUint16(data[22:], 1)    // mono
	binary.LittleEndian.PutUint32(data[24:], 8000) // Hz
	binary.LittleEndian.PutUint32(data[28:], 16000)
	binary.LittleEndian.PutUint16(data[32:], 2)
	binary.LittleEndian.PutUint16(data[34:], 16)
	copy(data[36:], "data")
	binary.LittleEndian.PutUint32(data[40:], uint32(2*samples))
	for i := range samples {
		binary.LittleEndian.PutUint16(data[44+2*i:], uint16(f(i)))
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
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

// waitOutput waits until baresip has printed want.
func (b *baresip) waitOutput(t *testing.T, ctx context.Context, want string) {
	t.Helper()
	for !strings.Contains(b.output(), want) {
		select {
		case <-ctx.Done():
			t.Fatalf("baresip never printed %q; it said:\n%s", want, lastLines(b.output(), 30))
		case <-time.After(20 * time.Millisecond):
		}
	}
}
