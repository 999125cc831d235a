package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var acdBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "acd-bin")
	if err != nil {
		panic(err)
	}
	acdBinary = filepath.Join(dir, "acd")
	if out, err := exec.Command("go", "build", "-race", "-o", acdBinary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building acd: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// server is a running acd process.
type server struct {
	cmd       *exec.Cmd
	sip, http string
	data      string
	log       chan string // every log line, after start-up

	tailMu sync.Mutex // guards tail
	tail   []string   // the last lines logged, shown when the test fails
}

// logTail is how many of the server's last log lines a failed test shows.
const logTail = 60

// keep notes a log line among the last ones.
func (s *server) keep(line string) {
	s.tailMu.Lock()
	defer s.tailMu.Unlock()
	if len(s.tail) == logTail {
		s.tail = append(s.tail[:0], s.tail[1:]...)
	}
	s.tail = append(s.tail, line)
}

// started is the start-up line in either log format.
var started = regexp.MustCompile(`msg="acd started".* sip=(\S+) http=(\S+)|"msg":"acd started".*"sip":"([^"]+)","http":"([^"]+)"`)

// startAcd runs the binary on free loopback ports and waits for its
// start-up line.
func startAcd(t *testing.T, args ...string) *server {
	t.Helper()
	return startAcdVia(t, nil, args...)
}

// startAcdVia is startAcd with the binary run by a wrapper command (such
// as prlimit), which is given the binary and its arguments.
func startAcdVia(t *testing.T, wrapper []string, args ...string) *server {
	t.Helper()
	data := t.TempDir()
	for i, a := range args {
		if a == "-data" && i+1 < len(args) {
			data = args[i+1] // the last -data wins, as for the flag package
		}
	}
	// No drain by default: a test ends with its calls still up.
	args = append([]string{"serve", "-sip", "127.0.0.1:0", "-http", "127.0.0.1:0", "-data", data, "-rtp-ports", "40000-40999", "-drain-timeout", "0"}, args...)
	args = append([]string{acdBinary}, args...)
	if len(wrapper) > 0 {
		args = append(append([]string(nil), wrapper...), args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	// A test binary stopped by its timeout runs no cleanup: the server
	// must not outlive it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, log: make(chan string, 1024), data: data}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		if t.Failed() {
			s.tailMu.Lock()
			t.Logf("the server's last log lines:\n%s", strings.Join(s.tail, "\n"))
			s.tailMu.Unlock()
		}
	})
	lines := bufio.NewScanner(stderr)
	var early []string // what it said before starting, for the failure below
	for lines.Scan() {
		if m := started.FindStringSubmatch(lines.Text()); m != nil {
			s.sip, s.http = m[1]+m[3], m[2]+m[4]
			break
		}
		early = append(early, lines.Text())
		select {
		case s.log <- lines.Text(): // start-up warnings, for waitLog
		default:
		}
	}
	if s.sip == "" {
		t.Fatalf("acd exited before it started; it said:\n%s", strings.Join(early, "\n"))
	}
	go func() {
		for lines.Scan() {
			s.keep(lines.Text())
			select {
			case s.log <- lines.Text():
			default:
			}
		}
		close(s.log)
	}()
	return s
}

// waitLog waits for a log line containing every part.
func (s *server) waitLog(t *testing.T, d time.Duration, parts ...string) string {
	t.Helper()
	timeout := time.After(d)
	var seen []string
	for {
		select {
		case line, ok := <-s.log:
			if !ok {
				t.Fatalf("acd exited before logging %q", parts)
			}
			seen = append(seen, line)
			all := true
			for _, p := range parts {
				all = all && strings.Contains(line, p)
			}
			if all {
				return line
			}
		case <-timeout:
			t.Fatalf("no log line with %q in %v; lines seen meanwhile:\n%s", parts, d, lastLines(strings.Join(seen, "\n"), 20))
		}
	}
}

func exitStatus(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -1
}

func freeUDPPort(t *testing.T) string {
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return fmt.Sprint(c.LocalAddr().(*net.UDPAddr).Port)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// linesUntil returns the log lines up to and with the first holding every
// part.
func (s *server) linesUntil(t *testing.T, d time.Duration, parts ...string) []string {
	t.Helper()
	timeout := time.After(d)
	var seen []string
	for {
		select {
		case line, ok := <-s.log:
			if !ok {
				t.Fatalf("acd exited before logging %q", parts)
			}
			seen = append(seen, line)
			if countLines([]string{line}, parts...) == 1 {
				return seen
			}
		case <-timeout:
			t.Fatalf("no log line with %q in %v; lines seen meanwhile:\n%s", parts, d, lastLines(strings.Join(seen, "\n"), 20))
		}
	}
}

// countLines counts the lines holding every part.
func countLines(lines []string, parts ...string) int {
	n := 0
	for _, line := range lines {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			n++
		}
	}
	return n
}

// writeConfig writes a configuration whose prompts are short tones, so
// that calls move quickly, and returns its path.
func writeConfig(t *testing.T, yaml string) string {
	t.Helper()
	dir := t.TempDir()
	prompts := filepath.Join(dir, "prompts")
	os.Mkdir(prompts, 0o755)
	for _, name := range []string{"welcome", "main-menu", "enter-account", "goodbye", "no-agents", "please-hold", "invalid-option"} {
		os.WriteFile(filepath.Join(prompts, name+".wav"), tone(300*time.Millisecond), 0o644)
	}
	path := filepath.Join(dir, "acd.yaml")
	if err := os.WriteFile(path, []byte("prompts_dir: "+prompts+"\n"+yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func readFile(t *testing.T, path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// healthz returns the body of GET /healthz.
func healthz(t *testing.T, s *server) string {
	t.Helper()
	res, err := http.Get("http://" + s.http + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return string(body)
}

func freeTCPPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// awaitUDPBound waits until another process (SIPp starting as a phone)
// holds the loopback UDP port: a request sent before then is lost.
func awaitUDPBound(t *testing.T, ctx context.Context, port string) {
	t.Helper()
	for {
		c, err := net.ListenPacket("udp", "127.0.0.1:"+port)
		if err != nil {
			return // taken: it is listening
		}
		c.Close()
		select {
		case <-ctx.Done():
			t.Fatalf("nothing came to listen on UDP port %s", port)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
