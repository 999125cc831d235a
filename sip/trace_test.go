package sip_test

import (
	"bufio"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	sipmsg "github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	acdsip "github.com/acdserver/acd/sip"
)

// logBuffer collects a server's log records.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// traces are the trace records written so far.
func (l *logBuffer) traces() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, line := range strings.Split(l.b.String(), "\n") {
		if strings.Contains(line, `msg="SIP trace: `) {
			out = append(out, line)
		}
	}
	return out
}

// exchange sends one request over conn and returns the response text.
func exchange(t *testing.T, conn net.Conn, req string) string {
	t.Helper()
	if _, err := conn.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 65535)
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatalf("no answer to %.30q: %v", req, err)
	}
	return string(buf[:n])
}

func options(conn net.Conn, transport, callID string) string {
	local := conn.LocalAddr().String()
	return fmt.Sprintf("OPTIONS sip:100@%s SIP/2.0\r\nVia: SIP/2.0/%s %s;branch=z9hG4bK-%s\r\nFrom: <sip:probe@%s>;tag=1\r\n"+
		"To: <sip:100@%s>\r\nCall-ID: %s\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
		conn.RemoteAddr(), transport, local, callID, local, conn.RemoteAddr(), callID)
}

// TestTrace: a trace on the peer's prefix logs each message it sends and
// each one it is sent, over UDP and TCP; a trace on another prefix logs
// none; a trace on a user shows its REGISTER without the digest response.
func TestTrace(t *testing.T) {
	var logs logBuffer
	addr, srv := startServer(t, nil, func(c *acdsip.Config) {
		c.Log = slog.New(slog.NewTextHandler(&logs, nil))
		c.Trace = acdsip.Trace{Sources: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
		c.Realm = "acd.local"
		c.Secrets = func(user string) (string, string, bool) { return "pw-" + user, "", user == "1001" }
	})
	udp, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	tcp, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()

	for _, c := range []struct {
		conn      net.Conn
		transport string
	}{{udp, "UDP"}, {tcp, "TCP"}} {
		if res := exchange(t, c.conn, options(c.conn, c.transport, "traced-"+c.transport)); !strings.HasPrefix(res, "SIP/2.0 200") {
			t.Fatalf("OPTIONS over %s: %q", c.transport, res)
		}
		want := []string{
			fmt.Sprintf(`msg="SIP trace: RECV %s <- %s over %s"`, addr, c.conn.LocalAddr(), c.transport),
			fmt.Sprintf(`msg="SIP trace: SEND %s -> %s over %s"`, addr, c.conn.LocalAddr(), c.transport),
		}
		texts := []string{`text="OPTIONS sip:100@`, `text="SIP/2.0 200 OK\r\n`}
		waitTraces(t, &logs, func(lines []string) bool {
			found := 0
			for i, w := range want {
				for _, l := range lines {
					if strings.Contains(l, w) && strings.Contains(l, texts[i]) && strings.Contains(l, "traced-"+c.transport) {
						found++
						break
					}
				}
			}
			return found == len(want)
		})
	}

	srv.SetTrace(acdsip.Trace{Sources: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}})
	before := len(logs.traces())
	if res := exchange(t, udp, options(udp, "UDP", "untraced")); !strings.HasPrefix(res, "SIP/2.0 200") {
		t.Fatalf("OPTIONS: %q", res)
	}
	time.Sleep(200 * time.Millisecond)
	if after := logs.traces(); len(after) != before {
		t.Fatalf("a trace on another prefix logged:\n%s", strings.Join(after[before:], "\n"))
	}

	srv.SetTrace(acdsip.Trace{Users: []string{"1001"}})
	response := registerOverUDP(t, udp, addr, "1001", "pw-1001")
	waitTraces(t, &logs, func(lines []string) bool {
		for _, l := range lines {
			if strings.Contains(l, "SIP trace: RECV") && strings.Contains(l, `Authorization: Digest`) {
				return true
			}
		}
		return false
	})
	for _, l := range logs.traces()[before:] {
		if strings.Contains(l, response) {
			t.Fatalf("the trace shows the digest response %s:\n%s", response, l)
		}
		if strings.Contains(l, "Call-ID: untraced") {
			t.Fatalf("a trace on user 1001 logged another's message:\n%s", l)
		}
	}
}

func waitTraces(t *testing.T, logs *logBuffer, done func([]string) bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !done(logs.traces()) {
		if time.Now().After(deadline) {
			t.Fatalf("the trace records expected are not in the log; it holds:\n%s", strings.Join(logs.traces(), "\n"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// registerOverUDP registers user, answering the challenge, and returns
// the digest response it sent.
func registerOverUDP(t *testing.T, conn net.Conn, server, user, password string) string {
	t.Helper()
	local := conn.LocalAddr().String()
	req := func(cseq int, auth string) string {
		return fmt.Sprintf("REGISTER sip:%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-reg%d\r\nFrom: <sip:%s@%s>;tag=r1\r\n"+
			"To: <sip:%s@%s>\r\nCall-ID: reg-trace\r\nCSeq: %d REGISTER\r\nContact: <sip:%s@%s>\r\nExpires: 300\r\nMax-Forwards: 70\r\n%sContent-Length: 0\r\n\r\n",
			server, local, cseq, user, server, user, server, cseq, user, local, auth)
	}
	res := exchange(t, conn, req(1, ""))
	msg, err := sipmsg.ParseMessage([]byte(res))
	if err != nil {
		t.Fatal(err)
	}
	h := msg.(*sipmsg.Response).GetHeader("WWW-Authenticate")
	if h == nil {
		t.Fatalf("REGISTER not challenged: %q", res)
	}
	chal, err := digest.ParseChallenge(h.Value())
	if err != nil {
		t.Fatal(err)
	}
	cred, err := digest.Digest(chal, digest.Options{Method: "REGISTER", URI: "sip:" + server, Username: user, Password: password, Count: 1})
	if err != nil {
		t.Fatal(err)
	}
	res = exchange(t, conn, req(2, "Authorization: "+cred.String()+"\r\n"))
	if line, _, _ := bufio.NewReader(strings.NewReader(res)).ReadLine(); !strings.HasPrefix(string(line), "SIP/2.0 200") {
		t.Fatalf("REGISTER with the right password: %q", res)
	}
	return cred.Response
}
