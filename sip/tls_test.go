package sip_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	sipmsg "github.com/emiago/sipgo/sip"

	"github.com/acdserver/acd/hangup"
	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/internal/tlscert"
	"github.com/acdserver/acd/media"
	acdsip "github.com/acdserver/acd/sip"
)

// tlsServer is a server with a SIP TLS listener serving a certificate
// for 127.0.0.1 from a test CA.
type tlsServer struct {
	srv    *acdsip.Server
	addr   string // the TLS listener
	ca     *testutil.CA
	keeper *tlscert.Keeper
	cert   string // the certificate file, which a test may renew
	key    string
}

func startTLSServer(t *testing.T, tune ...func(*acdsip.Config)) *tlsServer {
	t.Helper()
	return startTLSServerOn(t, net.IPv4(127, 0, 0, 1), tune...)
}

// startTLSServerOn is startTLSServer with UDP and TCP bound to ip (a
// wildcard, for instance).
func startTLSServerOn(t *testing.T, ip net.IP, tune ...func(*acdsip.Config)) *tlsServer {
	t.Helper()
	ts := &tlsServer{ca: testutil.NewCA(t)}
	ts.cert, ts.key = ts.ca.Issue(t, "acd", "127.0.0.1")
	var err error
	if ts.keeper, err = tlscert.Load(ts.cert, ts.key, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts.addr = ln.Addr().String()
	_, ts.srv = startServerOn(t, ip, func(context.Context, *acdsip.Call) {}, append([]func(*acdsip.Config){func(cfg *acdsip.Config) {
		cfg.TLSListener, cfg.TLSServer = ln, ts.keeper.ServerConfig()
		cfg.TLSClient = tlscert.ClientConfig(ts.ca.Pool())
	}}, tune...)...)
	return ts
}

// dialTLSPeer is a peer over TLS that trusts the test CA.
func dialTLSPeer(t *testing.T, ts *tlsServer) *peer {
	t.Helper()
	p := &peer{t: t, transport: "TLS", addr: ts.addr, tls: &tls.Config{RootCAs: ts.ca.Pool(), ServerName: "127.0.0.1"}}
	p.redial()
	t.Cleanup(func() { _ = p.conn.Close() })
	return p
}

// TestTLSScreen: over TLS, as over TCP, a malformed request is answered
// on its own connection and never reaches a handler; one that leaves no
// boundary to find the next message by also closes the connection, and
// a well-formed request on the same connection is answered after it.
func TestTLSScreen(t *testing.T) {
	t.Parallel()
	// Long enough for a handshake on a loaded machine, short enough to
	// wait out for the message cut short.
	ts := startTLSServer(t, func(cfg *acdsip.Config) {
		cfg.Stream = acdsip.StreamLimits{MessageTimeout: 2 * time.Second, IdleTimeout: time.Minute}
	})
	request := func(headers, body string) string {
		return "INVITE sip:100@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1:9;branch=z9hG4bK-tls\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\n" +
			"To: <sip:100@127.0.0.1>\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n" + headers + "\r\n" + body
	}
	tests := []struct {
		name   string
		send   string
		want   int
		closes bool
	}{
		{"no Call-ID", request("Content-Length: 0\r\n", ""), 400, false},
		{"no Content-Length", request("Call-ID: tls-1@test\r\n", ""), 400, false},
		{"unreadable Content-Length", request("Call-ID: tls-2@test\r\nContent-Length: many\r\n", ""), 400, true},
		{"over 64 KiB", request("Call-ID: tls-3@test\r\nContent-Length: 70000\r\n", ""), 513, true},
		{"cut short", request("Call-ID: tls-4@test\r\nContent-Length: 100\r\n", "v=0\r\n"), 400, true},
		{"unknown method", strings.Replace(request("Call-ID: tls-5@test\r\nContent-Length: 0\r\n", ""), "INVITE sip:", "FROB sip:", 1), 501, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := dialTLSPeer(t, ts)
			p.send([]byte(tt.send))
			if code, _ := p.status(); code != tt.want {
				t.Fatalf("got %d, want %d", code, tt.want)
			}
			if tt.closes {
				p.expectClosed() // and dials again
			}
			p.expectNothingThenOptions()
		})
	}
}

// TestTLSRefusesOldVersionsAndPlainText: a client offering only TLS 1.1
// gets no connection, and plain SIP sent to the TLS port is not taken.
func TestTLSRefusesOldVersionsAndPlainText(t *testing.T) {
	t.Parallel()
	ts := startTLSServer(t, streamTimeouts)
	_, err := tls.Dial("tcp", ts.addr, &tls.Config{RootCAs: ts.ca.Pool(), ServerName: "127.0.0.1", MaxVersion: tls.VersionTLS11})
	if err == nil {
		t.Fatal("a TLS 1.1 handshake succeeded; want TLS 1.2 at least")
	}
	plain, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	fmt.Fprintf(plain, "OPTIONS sip:100@%s SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK-plain\r\nFrom: <sip:a@x>;tag=1\r\n"+
		"To: <sip:100@x>\r\nCall-ID: plain@test\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n", ts.addr)
	_ = plain.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 4096)
	n, _ := plain.Read(buf)
	if bytes.Contains(buf[:n], []byte("SIP/2.0 200")) {
		t.Fatal("plain SIP on the TLS port was answered")
	}
	if !readsEOF(t, plain, 5*time.Second) {
		t.Fatal("a plain-text connection to the TLS port stays open")
	}
	waitFor(t, func() bool { return ts.srv.TLSConnections() == 0 }, "TLS connections to be closed and counted")
}

// TestTLSCertificateReload: a renewed certificate, reloaded, is what a
// new connection gets, while a connection made before goes on with the
// old one; a half-written renewal leaves the certificate in force.
func TestTLSCertificateReload(t *testing.T) {
	t.Parallel()
	ts := startTLSServer(t)
	before := dialTLSPeer(t, ts)
	oldSerial := peerSerial(t, before)

	ts.ca.IssueTo(t, ts.cert, ts.key, "127.0.0.1")
	if err := ts.keeper.Reload(); err != nil {
		t.Fatal(err)
	}
	after := dialTLSPeer(t, ts)
	newSerial := peerSerial(t, after)
	if newSerial == oldSerial {
		t.Fatal("a connection made after the reload got the old certificate")
	}
	before.expectNothingThenOptions() // still up, on the old certificate
	after.expectNothingThenOptions()

	// A renewal caught half written (the new key, the old certificate):
	// refused, and the certificate in force stays.
	_, newKey := ts.ca.Issue(t, "renewal", "127.0.0.1")
	key, err := os.ReadFile(newKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ts.key, key, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := ts.keeper.Reload(); err == nil || !strings.Contains(err.Error(), "private key does not match public key") {
		t.Fatalf("reload of a mismatched pair: %v", err)
	}
	if got := peerSerial(t, dialTLSPeer(t, ts)); got != newSerial {
		t.Fatalf("after a failed reload a new connection got certificate %s, want %s", got, newSerial)
	}
}

func peerSerial(t *testing.T, p *peer) string {
	t.Helper()
	tc := p.conn.(*tls.Conn)
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	return tc.ConnectionState().PeerCertificates[0].SerialNumber.String()
}

// tlsTrunk is a SIP gateway on a TLS listener, as a carrier's: it
// answers every INVITE and counts them.
type tlsTrunk struct {
	addr    string
	invites atomic.Int32
	offer   atomic.Pointer[string] // the last INVITE's SDP
}

func startTLSTrunk(t *testing.T, cert tls.Certificate) *tlsTrunk {
	t.Helper()
	tr := &tlsTrunk{}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	tr.addr = ln.Addr().String()
	rtp, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("trunk"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	sdp := media.Answer{Addr: rtp.LocalAddr().(*net.UDPAddr).AddrPort(), Codecs: []media.Codec{media.PCMU}, DTMFType: 101,
		Direction: media.SendRecv, SessionID: 1, Version: 1}.Marshal()
	srv.OnInvite(func(req *sipmsg.Request, tx sipmsg.ServerTransaction) {
		tr.invites.Add(1)
		body := string(req.Body())
		tr.offer.Store(&body)
		res := sipmsg.NewResponseFromRequest(req, 200, "OK", sdp)
		res.AppendHeader(sipmsg.NewHeader("Contact", "<sip:trunk@"+tr.addr+";transport=tls>"))
		res.AppendHeader(sipmsg.NewHeader("Content-Type", "application/sdp"))
		_ = tx.Respond(res)
	})
	srv.OnAck(func(*sipmsg.Request, sipmsg.ServerTransaction) {})
	srv.OnBye(func(req *sipmsg.Request, tx sipmsg.ServerTransaction) {
		_ = tx.Respond(sipmsg.NewResponseFromRequest(req, 200, "OK", nil))
	})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = srv.ServeTLS(ln)
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
		_ = ua.Close()
		_ = rtp.Close()
	})
	return tr
}

// TestTLSTrunk: a trunk dialled over TLS gets the call when its
// certificate is for the name dialled, from a CA trusted; any other is
// refused before an INVITE is sent, with a reason that says which.
func TestTLSTrunk(t *testing.T) {
	t.Parallel()
	ts := startTLSServer(t)
	// Bound to a wildcard, the server must still offer the trunk an
	// address it can send to, though the trunk is known by name.
	wild := startTLSServerOn(t, net.IPv4zero, func(cfg *acdsip.Config) { cfg.TLSClient = tlscert.ClientConfig(ts.ca.Pool()) })
	stranger := testutil.NewCA(t)
	tests := []struct {
		name    string
		srv     *tlsServer
		issuer  *testutil.CA
		certFor string
		host    string // dialled
		refused string // "": answered
	}{
		{"name", ts, ts.ca, "localhost", "localhost", ""},
		{"IP address", ts, ts.ca, "127.0.0.1", "127.0.0.1", ""},
		{"name, server on a wildcard", wild, ts.ca, "localhost", "localhost", ""},
		{"wrong name", ts, ts.ca, "other.example", "localhost", "the certificate is not for this name"},
		{"untrusted CA", ts, stranger, "localhost", "localhost", "not signed by a trusted CA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			certFile, keyFile := tt.issuer.Issue(t, strings.NewReplacer(" ", "-", ",", "").Replace(tt.name), tt.certFor)
			cert, err := tls.LoadX509KeyPair(certFile, keyFile)
			if err != nil {
				t.Fatal(err)
			}
			trunk := startTLSTrunk(t, cert)
			_, port, _ := net.SplitHostPort(trunk.addr)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			leg, err := tt.srv.srv.Dial(ctx, acdsip.Trunk{Address: net.JoinHostPort(tt.host, port), Transport: "TLS"}, "+14155550123", "+14155550100")
			if tt.refused == "" {
				if err != nil {
					t.Fatalf("the call through the trunk failed: %v", err)
				}
				leg.Hangup(hangup.CallOver)
				if trunk.invites.Load() != 1 {
					t.Fatalf("the trunk got %d INVITEs, want 1", trunk.invites.Load())
				}
				if offer := *trunk.offer.Load(); !strings.Contains(offer, "c=IN IP4 127.0.0.1") {
					t.Fatalf("the trunk was offered media at\n%s\nwant 127.0.0.1", offer)
				}
				return
			}
			expectCertificateRefused(t, leg, err, trunk, tt.refused)
		})
	}
}

// expectCertificateRefused checks that a call to a TLS trunk failed for
// its certificate, saying why (refused), and that the trunk got nothing.
func expectCertificateRefused(t *testing.T, leg *acdsip.Leg, err error, trunk *tlsTrunk, refused string) {
	t.Helper()
	if err == nil {
		leg.Hangup(hangup.CallOver)
		t.Fatal("the call went through a trunk whose certificate should be refused")
	}
	if !strings.Contains(err.Error(), refused) {
		t.Fatalf("error %q does not say %q", err, refused)
	}
	if n := trunk.invites.Load(); n != 0 {
		t.Fatalf("the trunk got %d INVITEs over a refused connection", n)
	}
}
