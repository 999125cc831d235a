package main

import (
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
