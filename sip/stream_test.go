package sip_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/icholy/digest"

	acdsip "github.com/acdserver/acd/sip"
)

// readsEOF reports whether the server closed conn within wait: a read
// gives EOF (or a reset) rather than timing out.
func readsEOF(t *testing.T, conn net.Conn, wait time.Duration) bool {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(wait))
	buf := make([]byte, 4096)
	for {
		_, err := conn.Read(buf)
		if errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) {
			return true
		}
		if err != nil {
			return false
		}
	}
}

// TestStreamTimeouts: a connection that never sends, one that sends half a
// message, and one that goes quiet are each closed by the server; a
// request left half sent is answered 400 first.
func TestStreamTimeouts(t *testing.T) {
	addr, srv := startServer(t, func(context.Context, *acdsip.Call) {}, func(cfg *acdsip.Config) {
		cfg.Stream = acdsip.StreamLimits{MessageTimeout: 200 * time.Millisecond, IdleTimeout: 400 * time.Millisecond}
	})
	t.Run("silent", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if !readsEOF(t, conn, 5*time.Second) {
			t.Fatal("a connection that never sent is still open")
		}
	})
	t.Run("half a message", func(t *testing.T) {
		p := dialPeer(t, "TCP", addr)
		p.send([]byte("INVITE sip:100@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK-half\r\nFrom: <sip:a@x>;tag=1\r\n"))
		if code, _ := p.status(); code != 400 {
			t.Fatalf("a message cut short got %d, want 400", code)
		}
		p.expectClosed()
		p.expectNothingThenOptions()
	})
	t.Run("idle", func(t *testing.T) {
		p := dialPeer(t, "TCP", addr)
		p.expectNothingThenOptions()
		if !readsEOF(t, p.conn, 5*time.Second) {
			t.Fatal("an idle connection is still open")
		}
	})
	t.Run("keep-alive", func(t *testing.T) {
		p := dialPeer(t, "TCP", addr)
		p.send([]byte("\r\n\r\n"))
		buf := make([]byte, 2)
		_ = p.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.ReadFull(p.conn, buf); err != nil || string(buf) != "\r\n" {
			t.Fatalf("ping answered %q, %v; want CRLF", buf, err)
		}
	})
	waitFor(t, func() bool { return srv.TCPConnections() == 0 }, "TCP connections to be closed and counted")
}

// TestStreamConnectionCaps: past the per-source and total caps a new
// connection is closed at once, and a place freed is taken again.
func TestStreamConnectionCaps(t *testing.T) {
	addr, srv := startServer(t, func(context.Context, *acdsip.Call) {}, func(cfg *acdsip.Config) {
		cfg.Stream = acdsip.StreamLimits{MaxConnections: 3, MaxPerSource: 2, MessageTimeout: time.Minute, IdleTimeout: time.Minute}
	})
	dialFrom := func(local string) net.Conn {
		t.Helper()
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}
		conn, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = conn.Close() })
		return conn
	}
	a1, _ := dialFrom("127.0.0.1"), dialFrom("127.0.0.1")
	waitFor(t, func() bool { return srv.TCPConnections() == 2 }, "two connections")
	if !readsEOF(t, dialFrom("127.0.0.1"), 5*time.Second) {
		t.Fatal("a third connection from one source was kept")
	}
	dialFrom("127.0.0.2")
	waitFor(t, func() bool { return srv.TCPConnections() == 3 }, "three connections")
	if !readsEOF(t, dialFrom("127.0.0.3"), 5*time.Second) {
		t.Fatal("a connection past the total cap was kept")
	}
	_ = a1.Close()
	waitFor(t, func() bool { return srv.TCPConnections() == 2 }, "the closed connection to be counted out")
	p := dialPeer(t, "TCP", addr)
	p.expectNothingThenOptions()
}

// TestAcceptOutOfDescriptors: when accept fails for want of descriptors
// the server waits and accepts again once descriptors are free, instead
// of stopping. The test lowers this process's own limit, so it runs alone.
func TestAcceptOutOfDescriptors(t *testing.T) {
	var logged syncBuffer
	addr, _ := startServer(t, func(context.Context, *acdsip.Call) {}, func(cfg *acdsip.Config) {
		cfg.Stream = acdsip.StreamLimits{MessageTimeout: time.Minute, IdleTimeout: time.Minute}
		cfg.Log = slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelWarn}))
	})
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	open, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	low := old
	low.Cur = uint64(len(open) + 16)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Fatal(err)
	}
	restored := false
	restore := func() {
		if !restored {
			restored = true
			if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
				t.Fatal(err)
			}
		}
	}
	defer restore()
	// Each connection costs a descriptor on both sides here: dial until
	// the limit is reached, so that the server's accept fails too.
	var conns []net.Conn
	for range 64 {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			break
		}
		conns = append(conns, c)
	}
	waitFor(t, func() bool { return strings.Contains(logged.String(), "SIP TCP accept failed, retrying") }, "accept to fail")
	for _, c := range conns {
		_ = c.Close()
	}
	restore()
	p := dialPeer(t, "TCP", addr)
	p.expectNothingThenOptions()
	dialPeer(t, "UDP", addr).expectNothingThenOptions()
}

// TestStreamKeepsRegisteredPhones: a phone registered over TCP keeps its
// connection through quiet times, since the server reaches it only there;
// a connection that registered nobody is closed.
func TestStreamKeepsRegisteredPhones(t *testing.T) {
	addr, _ := startServer(t, func(context.Context, *acdsip.Call) {}, func(cfg *acdsip.Config) {
		cfg.Stream = acdsip.StreamLimits{MessageTimeout: time.Minute, IdleTimeout: 300 * time.Millisecond}
		cfg.Realm = "acd.local"
		cfg.AuthAlgorithms = []string{"MD5"}
		cfg.Secrets = func(user string) (string, string, bool) { return "pw-" + user, "", user == "1001" }
	})
	phone := dialPeer(t, "TCP", addr)
	registerOver(t, phone, "1001", "pw-1001")
	other := dialPeer(t, "TCP", addr)
	other.expectNothingThenOptions()
	if !readsEOF(t, other.conn, 5*time.Second) {
		t.Fatal("a quiet connection with no registration is still open")
	}
	if readsEOF(t, phone.conn, time.Second) {
		t.Fatal("the registered phone's connection was closed while quiet")
	}
	phone.expectNothingThenOptions()
}

// registerOver registers user from p with digest authentication.
func registerOver(t *testing.T, p *peer, user, password string) {
	t.Helper()
	local := p.conn.LocalAddr().String()
	build := func(cseq int, auth string) []byte {
		var b bytes.Buffer
		fmt.Fprintf(&b, "REGISTER sip:%s SIP/2.0\r\nVia: SIP/2.0/%s %s;branch=z9hG4bK-reg%d\r\n", p.addr, p.transport, local, cseq)
		fmt.Fprintf(&b, "From: <sip:%s@%s>;tag=r1\r\nTo: <sip:%s@%s>\r\nCall-ID: reg-%s@test\r\nCSeq: %d REGISTER\r\n", user, p.addr, user, p.addr, local, cseq)
		fmt.Fprintf(&b, "Contact: <sip:%s@%s;transport=%s>\r\nExpires: 600\r\nMax-Forwards: 70\r\n", user, local, strings.ToLower(p.transport))
		if auth != "" {
			fmt.Fprintf(&b, "Authorization: %s\r\n", auth)
		}
		b.WriteString("Content-Length: 0\r\n\r\n")
		return b.Bytes()
	}
	p.send(build(1, ""))
	var challenge string
	for {
		msg, err := p.next(5 * time.Second)
		if err != nil {
			t.Fatalf("no challenge: %v", err)
		}
		if strings.HasPrefix(msg, "SIP/2.0 401") {
			challenge = header(msg, "WWW-Authenticate", "")
			break
		}
	}
	chal, err := digest.ParseChallenge(challenge)
	if err != nil {
		t.Fatal(err)
	}
	cred, err := digest.Digest(chal, digest.Options{Method: "REGISTER", URI: "sip:" + p.addr, Username: user, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	p.send(build(2, cred.String()))
	if code, _ := p.status(); code != 200 {
		t.Fatalf("REGISTER answered %d", code)
	}
}

// TestOptionsFloodHoldsNoMemory: out-of-dialog OPTIONS are answered
// without a transaction, so a flood leaves nothing behind. With one
// transaction each, kept 32 s after its answer, these 10 000 would hold
// tens of megabytes.
func TestOptionsFloodHoldsNoMemory(t *testing.T) {
	addr, _ := startServer(t, func(context.Context, *acdsip.Call) {})
	p := dialPeer(t, "UDP", addr)
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap()
	const n = 10_000
	for range n / 100 {
		// In batches, paced by the answers, so that the kernel's buffers
		// never drop one.
		for range 100 {
			p.options()
		}
		for range 100 {
			if code, _ := p.status(); code != 200 {
				t.Fatalf("OPTIONS answered %d", code)
			}
		}
	}
	grown := int64(heap()) - int64(before)
	t.Logf("heap grew %d KiB over %d OPTIONS", grown/1024, n)
	if grown > 8<<20 {
		t.Fatalf("heap grew %d KiB over %d OPTIONS: answers keep state", grown/1024, n)
	}
}

// TestRateLimit: a source past its rate has its messages dropped and one
// security line logged, while a trusted source sending the same is served
// in full.
func TestRateLimit(t *testing.T) {
	var logged syncBuffer
	addr, srv := startServer(t, func(context.Context, *acdsip.Call) {}, func(cfg *acdsip.Config) {
		cfg.RateLimit = acdsip.RateLimit{PerSecond: 1, Burst: 20}
		cfg.Trusted = []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}
		cfg.Log = slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelWarn}))
	})
	count := func(local string) int {
		laddr := &net.UDPAddr{IP: net.ParseIP(local)}
		raddr, _ := net.ResolveUDPAddr("udp", addr)
		conn, err := net.DialUDP("udp", laddr, raddr)
		if err != nil {
			t.Fatal(err)
		}
		p := &peer{t: t, transport: "UDP", addr: addr, conn: conn}
		defer conn.Close()
		for range 100 {
			p.options()
		}
		answered := 0
		for {
			if _, err := p.next(500 * time.Millisecond); err != nil {
				return answered
			}
			answered++
		}
	}
	if got := count("127.0.0.1"); got < 20 || got > 25 {
		t.Fatalf("a source limited to a burst of 20 got %d of 100 answered", got)
	}
	if got := count("127.0.0.2"); got != 100 {
		t.Fatalf("a trusted source got %d of 100 answered", got)
	}
	if srv.RateLimited() < 75 {
		t.Fatalf("counted %d messages dropped, want at least 75", srv.RateLimited())
	}
	if !strings.Contains(logged.String(), "security: SIP source over its rate limit") {
		t.Fatalf("no security line in the log:\n%s", logged.String())
	}
}

// syncBuffer is a log destination that handlers on many goroutines share.
type syncBuffer struct {
	mu  sync.Mutex // guards b
	b   bytes.Buffer
	out io.Writer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.out == nil {
		s.out = os.Stderr
	}
	_, _ = s.out.Write(p)
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor polls a server counter until cond holds; the counters have no
// event to wait on.
func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
