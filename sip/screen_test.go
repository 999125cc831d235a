package sip_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	acdsip "github.com/acdserver/acd/sip"
)

// peer sends hand-written SIP over UDP or TCP and reads the answers.
type peer struct {
	t         *testing.T
	transport string // "UDP", "TCP" or "TLS"
	addr      string
	conn      net.Conn
	stream    *bufio.Reader // TCP and TLS only
	tls       *tls.Config   // TLS only
}

var transports = []string{"UDP", "TCP"}

func dialPeer(t *testing.T, transport, addr string) *peer {
	t.Helper()
	p := &peer{t: t, transport: transport, addr: addr}
	p.redial()
	t.Cleanup(func() { _ = p.conn.Close() })
	return p
}

// redial opens a new connection (a new socket over UDP).
func (p *peer) redial() {
	p.t.Helper()
	if p.conn != nil {
		_ = p.conn.Close()
	}
	var (
		conn net.Conn
		err  error
	)
	if p.tls != nil {
		conn, err = tls.Dial("tcp", p.addr, p.tls)
	} else {
		conn, err = net.Dial(strings.ToLower(p.transport), p.addr)
	}
	if err != nil {
		p.t.Fatal(err)
	}
	p.conn, p.stream = conn, bufio.NewReader(conn)
}

func (p *peer) send(data []byte) {
	p.t.Helper()
	if _, err := p.conn.Write(data); err != nil {
		p.t.Fatal(err)
	}
}

// next reads one whole message: a datagram, or one framed from the stream.
func (p *peer) next(wait time.Duration) (string, error) {
	_ = p.conn.SetReadDeadline(time.Now().Add(wait))
	if p.transport == "UDP" {
		buf := make([]byte, 65535)
		n, err := p.conn.Read(buf)
		return string(buf[:n]), err
	}
	var head strings.Builder
	length := 0
	for {
		line, err := p.stream.ReadString('\n')
		if err != nil {
			return "", err
		}
		if line == "\r\n" && head.Len() == 0 {
			continue // a keep-alive answer
		}
		head.WriteString(line)
		if line == "\r\n" {
			break
		}
		if name, v, ok := strings.Cut(line, ":"); ok && (strings.EqualFold(name, "Content-Length") || name == "l") {
			length, _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	body := make([]byte, length)
	if _, err := io.ReadFull(p.stream, body); err != nil {
		return "", err
	}
	return head.String() + string(body), nil
}

// status reads the next final response and returns its status code and
// Call-ID.
func (p *peer) status() (int, string) {
	p.t.Helper()
	for {
		msg, err := p.next(5 * time.Second)
		if err != nil {
			p.t.Fatalf("no response over %s: %v", p.transport, err)
		}
		if !strings.HasPrefix(msg, "SIP/2.0 ") {
			continue // a request (e.g. a BYE) is not what we wait for
		}
		code, _ := strconv.Atoi(msg[8:11])
		if code == 100 {
			continue
		}
		return code, header(msg, "Call-ID", "i")
	}
}

// header returns the value of a message's header, by full or compact name.
func header(msg, name, compact string) string {
	for _, l := range strings.Split(msg, "\r\n") {
		if n, v, ok := strings.Cut(l, ":"); ok && (strings.EqualFold(strings.TrimSpace(n), name) || n == compact) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// expectClosed proves the server ended a TCP connection, then opens a new
// one; over UDP there is nothing to close.
func (p *peer) expectClosed() {
	p.t.Helper()
	if p.transport == "UDP" {
		return
	}
	for {
		msg, err := p.next(5 * time.Second)
		if errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) {
			break
		}
		if err != nil {
			p.t.Fatalf("connection still open: %v", err)
		}
		p.t.Logf("read %q before the close", msg)
	}
	p.redial()
}

var optionsSeq atomic.Int64

// options sends a fresh OPTIONS and returns its Call-ID.
func (p *peer) options() string {
	seq := optionsSeq.Add(1)
	id := fmt.Sprintf("probe-%d@test", seq)
	local := p.conn.LocalAddr().String()
	p.send([]byte(fmt.Sprintf("OPTIONS sip:100@%s SIP/2.0\r\nVia: SIP/2.0/%s %s;branch=z9hG4bK-probe%d\r\n"+
		"From: <sip:probe@%s>;tag=p%d\r\nTo: <sip:100@%s>\r\nCall-ID: %s\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
		p.addr, p.transport, local, seq, local, seq, p.addr, id)))
	return id
}

// expectNothingThenOptions proves a message got no answer: an OPTIONS
// sent after it is the first thing answered, and the server still serves.
func (p *peer) expectNothingThenOptions() {
	p.t.Helper()
	id := p.options()
	code, got := p.status()
	if got != id || code != 200 {
		p.t.Fatalf("got %d for %q before the OPTIONS probe's 200; want no answer to the message", code, got)
	}
}

// streamTimeouts keeps the tests that wait out an incomplete TCP message
// short.
func streamTimeouts(cfg *acdsip.Config) {
	cfg.Stream = acdsip.StreamLimits{MessageTimeout: 300 * time.Millisecond, IdleTimeout: time.Minute}
}

// TestRFC4475 sends every torture message of RFC 4475 §3.1 over UDP and
// over TCP. Valid ones are answered by the application (never 400);
// invalid ones get the response the RFC names, or nothing for responses.
// Over TCP, a message whose length cannot be trusted also ends the
// connection: there is no boundary left to find the next message by.
func TestRFC4475(t *testing.T) {
	tests := []struct {
		file      string
		want      int  // 0: no answer (a response, dropped)
		tcpCloses bool // over TCP the server then closes the connection
	}{
		// §3.1.1: valid messages.
		{"wsinv", 481, false}, {"intmeth", 501, false}, {"esc01", 404, false}, {"escnull", 405, false}, {"esc02", 501, false},
		{"lwsdisp", 200, false}, {"longreq", 404, false}, {"dblreq", 405, false}, {"semiuri", 200, false}, {"transports", 200, false},
		{"mpart01", 405, false}, {"unreason", 0, false}, {"noreason", 0, false},
		// §3.1.2: invalid messages.
		{"badinv01", 400, false}, {"clerr", 400, true}, {"ncl", 400, true}, {"scalar02", 400, false}, {"scalarlg", 0, false},
		{"quotbal", 400, false}, {"ltgtruri", 400, false}, {"lwsruri", 400, false}, {"lwsstart", 400, false}, {"trws", 400, false},
		{"escruri", 400, false}, {"baddate", 404, false}, {"badaspec", 400, false}, {"baddn", 400, true}, // no empty line ends it: over TCP answered when its time is up {"badvers", 505, false},
		{"mismatch01", 400, false}, {"mismatch02", 501, false}, {"bigcode", 0, false},
		// §3.3: application-layer cases we answer specifically.
		{"insuf", 400, false}, {"unkscm", 416, false}, {"novelsc", 416, false}, {"bext01", 420, false}, {"multi01", 400, false},
		{"mcl01", 400, true}, {"badbranch", 200, false},
	}
	for _, transport := range transports {
		// A server per transport: the messages' branches would otherwise
		// match the transactions the other transport left behind.
		addr, _ := startServer(t, func(context.Context, *acdsip.Call) {}, streamTimeouts)
		for _, tc := range tests {
			t.Run(transport+"/"+tc.file, func(t *testing.T) {
				data, err := os.ReadFile("testdata/rfc4475/" + tc.file + ".dat")
				if err != nil {
					t.Fatal(err)
				}
				p := dialPeer(t, transport, addr)
				p.send(data)
				if tc.want == 0 {
					p.expectNothingThenOptions()
					return
				}
				if code, _ := p.status(); code != tc.want {
					t.Fatalf("answered %d, want %d", code, tc.want)
				}
				if transport == "TCP" && tc.file == "dblreq" {
					// Over a stream the second request of the pair is a
					// request of its own (a datagram ends after the first).
					if code, _ := p.status(); code != 404 {
						t.Fatalf("answered the second request %d, want 404", code)
					}
				}
				if tc.tcpCloses {
					p.expectClosed()
				}
				p.expectNothingThenOptions()
			})
		}
	}
}

// TestMalformedRequests: over UDP and TCP, each gets 400 (or is dropped
// when no Via says where to answer), and the server goes on answering
// OPTIONS.
func TestMalformedRequests(t *testing.T) {
	good := "OPTIONS sip:100@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-m1\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\n" +
		"To: <sip:100@127.0.0.1>\r\nCall-ID: m1@test\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
	invite := strings.NewReplacer("OPTIONS", "INVITE").Replace(good)
	tests := []struct {
		name      string
		msg       string
		want      int
		tcpCloses bool
	}{
		{"content-length too large", strings.Replace(good, "Content-Length: 0", "Content-Length: 500", 1), 400, true},
		{"content-length negative", strings.Replace(good, "Content-Length: 0", "Content-Length: -3", 1), 400, true},
		{"content-length junk", strings.Replace(good, "Content-Length: 0", "Content-Length: abc", 1), 400, true},
		{"missing call-id", strings.Replace(good, "Call-ID: m1@test\r\n", "", 1), 400, false},
		{"invite missing call-id", strings.Replace(invite, "Call-ID: m1@test\r\n", "", 1), 400, false},
		{"invite missing from", strings.Replace(invite, "From: <sip:a@127.0.0.1>;tag=1\r\n", "", 1), 400, false},
		{"invite missing to", strings.Replace(invite, "To: <sip:100@127.0.0.1>\r\n", "", 1), 400, false},
		{"missing cseq", strings.Replace(good, "CSeq: 1 OPTIONS\r\n", "", 1), 400, false},
		{"cseq method mismatch", strings.Replace(good, "CSeq: 1 OPTIONS", "CSeq: 1 INVITE", 1), 400, false},
		{"unknown uri scheme", strings.Replace(invite, "INVITE sip:100@127.0.0.1", "INVITE mailto:100@127.0.0.1", 1), 416, false},
		{"unknown require", strings.Replace(invite, "Max-Forwards: 70", "Max-Forwards: 70\r\nRequire: nothing-we-know", 1), 420, false},
		{"two call-ids", strings.Replace(good, "Call-ID: m1@test\r\n", "Call-ID: m1@test\r\nCall-ID: m2@test\r\n", 1), 400, false},
		{"garbage", "\x00\x01\x02 this is not SIP at all \xff\xfe\r\n\r\n", 0, false},
		{"garbage with via", "GARBAGE\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-g\r\nContent-Length: 0\r\n\r\n", 400, false},
		{"half a request line", "INVITE sip:100@127.0.0.1\r\n\r\n", 0, false},
		{"bad response", "SIP/2.0 99999 What\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-r\r\n\r\n", 0, false},
	}
	for _, transport := range transports {
		addr, _ := startServer(t, func(context.Context, *acdsip.Call) {}, streamTimeouts)
		for _, tc := range tests {
			t.Run(transport+"/"+tc.name, func(t *testing.T) {
				p := dialPeer(t, transport, addr)
				p.send([]byte(tc.msg))
				if tc.want == 0 {
					p.expectNothingThenOptions()
					return
				}
				if code, _ := p.status(); code != tc.want {
					t.Fatalf("answered %d, want %d", code, tc.want)
				}
				if tc.tcpCloses {
					p.expectClosed()
				}
				p.expectNothingThenOptions()
			})
		}
	}
	// A flood of garbage does not block the server.
	addr, _ := startServer(t, func(context.Context, *acdsip.Call) {}, streamTimeouts)
	for _, transport := range transports {
		p := dialPeer(t, transport, addr)
		for i := range 2000 {
			p.send(append(bytes.Repeat([]byte{byte(i)}, 200), "\r\n\r\n"...))
		}
		p.expectNothingThenOptions()
	}
}

// TestFuzzCorpusOverTransports sends every input the fuzzers have kept
// (testdata/fuzz) to a real server over UDP and over TCP: whatever it is,
// the server goes on answering.
func TestFuzzCorpusOverTransports(t *testing.T) {
	files, _ := filepath.Glob("testdata/fuzz/*/*")
	if len(files) == 0 {
		t.Fatal("no fuzz corpus under testdata/fuzz")
	}
	addr, _ := startServer(t, func(context.Context, *acdsip.Call) {}, streamTimeouts)
	for _, file := range files {
		text, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		// The corpus format: a header line, then one Go literal per
		// argument; the first is the message.
		lines := strings.Split(string(text), "\n")
		if len(lines) < 2 || !strings.HasPrefix(lines[1], "[]byte(") {
			t.Fatalf("%s: not a corpus file of []byte", file)
		}
		msg, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, transport := range transports {
			t.Run(transport+"/"+filepath.Base(file), func(t *testing.T) {
				p := dialPeer(t, transport, addr)
				p.send([]byte(msg))
				dialPeer(t, transport, addr).expectNothingThenOptions()
			})
		}
	}
}
