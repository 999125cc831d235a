package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestTraceReloaded: sip.trace writes a peer's SIP to the log, and a
// SIGHUP changes whose, without a restart.
func TestTraceReloaded(t *testing.T) {
	t.Parallel()
	const base = "numbers: {}\nsip:\n  trace:\n    sources: [%s]\n"
	path := writeConfig(t, fmt.Sprintf(base, "127.0.0.1/32"))
	s := startAcd(t, "-config", path)
	s.waitLog(t, 5*time.Second, "SIP trace on", "sources=127.0.0.1/32")
	conn, err := net.Dial("udp", s.sip)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	probe := func(callID string) {
		t.Helper()
		local := conn.LocalAddr().String()
		fmt.Fprintf(conn, "OPTIONS sip:100@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-%s\r\nFrom: <sip:probe@%s>;tag=1\r\n"+
			"To: <sip:100@%s>\r\nCall-ID: %s\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n", s.sip, local, callID, local, s.sip, callID)
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 4096)
		if n, err := conn.Read(buf); err != nil || !strings.HasPrefix(string(buf[:n]), "SIP/2.0 200") {
			t.Fatalf("OPTIONS: %q %v", buf[:n], err)
		}
	}
	probe("before-reload")
	s.waitLog(t, 5*time.Second, "SIP trace: RECV "+s.sip+" <- "+conn.LocalAddr().String()+" over UDP", `Call-ID: before-reload`)
	s.waitLog(t, 5*time.Second, "SIP trace: SEND "+s.sip+" -> "+conn.LocalAddr().String()+" over UDP", `SIP/2.0 200 OK`, `Call-ID: before-reload`)

	prompts := strings.Split(readFile(t, path), "\n")[0]
	if err := os.WriteFile(path, []byte(prompts+"\n"+fmt.Sprintf(base, "192.0.2.0/24")), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = s.cmd.Process.Signal(syscall.SIGHUP)
	s.waitLog(t, 5*time.Second, "SIP trace on", "sources=192.0.2.0/24")
	s.waitLog(t, 5*time.Second, "configuration reloaded")
	probe("after-reload")
	quiet := time.After(time.Second)
	for {
		select {
		case line := <-s.log:
			if strings.Contains(line, "SIP trace:") {
				t.Fatalf("traced after the trace moved to another prefix: %s", line)
			}
		case <-quiet:
			return
		}
	}
}

// TestLogFormatJSON: server.log_format json makes every line one JSON
// object, with the call's attributes as fields; a collect node with
// log_digits lets the log show what the caller typed. -log-format
// overrides the file.
func TestLogFormatJSON(t *testing.T) {
	t.Parallel()
	yaml := "server: {log_format: json}\n" + strings.Replace(planYAML, "variable: account\n", "variable: account\n        log_digits: true\n", 1)
	if !strings.Contains(yaml, "log_digits: true") {
		t.Fatal("planYAML no longer has the collect node this test expects")
	}
	path := writeConfig(t, yaml)
	s := startAcd(t, "-config", path, "-log-level", "debug")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	phone := dial(t, ctx, s)
	for _, k := range "24711#" {
		phone.SendDTMF(k, 101)
	}
	lines := s.linesUntil(t, 5*time.Second, `"msg":"caller joined queue"`)
	for _, line := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("a log line is not JSON: %v\n%s", err, line)
		}
	}
	joined := lines[len(lines)-1]
	for _, want := range []string{`"queue":"sales"`, `"vars":{"account":"4711"}`, `"call_id":"`} {
		if !strings.Contains(joined, want) {
			t.Errorf("the line of a caller joining lacks %s:\n%s", want, joined)
		}
	}
	if countLines(lines, `"msg":"caller information collected"`, `"variable":"account","value":"4711"`) != 1 {
		t.Errorf("the log does not show the digits of a node with log_digits:\n%s", strings.Join(lines, "\n"))
	}
	waitBye(t, ctx, phone)

	// startAcd narrows -rtp-ports, which is warned of before the start.
	text := startAcd(t, "-config", path, "-log-format", "text")
	text.waitLog(t, 5*time.Second, `level=WARN msg="rtp_ports holds fewer calls than max_calls`)
}
