package sip_test

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	sipmsg "github.com/emiago/sipgo/sip"
	"github.com/miekg/dns"

	"github.com/acdserver/acd/hangup"
	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/internal/tlscert"
	acdsip "github.com/acdserver/acd/sip"
)

// serveZone answers DNS queries from the records given on loopback UDP
// (a miekg/dns server) until the test ends, and returns its address.
func serveZone(t *testing.T, records ...string) string {
	t.Helper()
	zone := map[string][]dns.RR{}
	for _, text := range records {
		rr, err := dns.NewRR(text)
		if err != nil {
			t.Fatalf("record %q: %v", text, err)
		}
		key := strings.ToLower(rr.Header().Name) + " " + dns.TypeToString[rr.Header().Rrtype]
		zone[key] = append(zone[key], rr)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	server := &dns.Server{PacketConn: pc, NotifyStartedFunc: func() { close(started) },
		Handler: dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
			m := new(dns.Msg)
			m.SetReply(req)
			q := req.Question[0]
			m.Answer = zone[strings.ToLower(q.Name)+" "+dns.TypeToString[q.Qtype]]
			_ = w.WriteMsg(m)
		})}
	done := make(chan struct{})
	go func() { defer close(done); _ = server.ActivateAndServe() }()
	<-started
	t.Cleanup(func() { _ = server.Shutdown(); <-done })
	return pc.LocalAddr().String()
}

// withResolver has the server resolve trunks through the DNS server at
// zone.
func withResolver(t *testing.T, zone string) func(*acdsip.Config) {
	return func(cfg *acdsip.Config) {
		r, err := acdsip.NewResolver([]string{zone}, []string{"UDP", "TCP"}, 1)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Resolver = r
	}
}

// trusting has the server verify the peers it dials against ca.
func trusting(ca *testutil.CA) func(*acdsip.Config) {
	return func(cfg *acdsip.Config) { cfg.TLSClient = tlscert.ClientConfig(ca.Pool()) }
}

// watchedPort is a loopback TCP port that closes every connection at
// once, counting them: a target that must not be tried.
func watchedPort(t *testing.T) (string, *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			_ = c.Close()
		}
	})
	t.Cleanup(func() { _ = ln.Close(); wg.Wait() })
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port, &n
}

// TestTLSTrunkByDomain: a trunk over TLS given by its domain is reached
// where NAPTR (SIPS+D2T alone, for sips:) and SRV records say, or, with
// its transport named, where the transport's SRV record says, NAPTR
// unasked (RFC 3263 §4.1); its certificate must be valid for the domain,
// not the SRV target's name (RFC 5922 §4.1).
func TestTLSTrunkByDomain(t *testing.T) {
	t.Parallel()
	ca := testutil.NewCA(t) // issues the trunks' certificates
	tests := []struct {
		name    string
		certFor string
		trunk   func(port, dead string) (acdsip.Trunk, []string)
		refused string
	}{
		{"sips: by NAPTR and SRV", "carrier.test", func(port, dead string) (acdsip.Trunk, []string) {
			return acdsip.Trunk{Address: "carrier.test", Secure: true}, []string{
				// Preferred, but not SIPS: passed over for a sips: trunk.
				`carrier.test. 60 IN NAPTR 5 10 "s" "SIP+D2T" "" _sip._tcp.carrier.test.`,
				`carrier.test. 60 IN NAPTR 10 10 "s" "SIPS+D2T" "" _sips._tcp.carrier.test.`,
				`_sip._tcp.carrier.test. 60 IN SRV 10 0 ` + dead + ` sbc.carrier.test.`,
				`_sips._tcp.carrier.test. 60 IN SRV 10 0 ` + port + ` sbc.carrier.test.`,
				`sbc.carrier.test. 60 IN A 127.0.0.1`,
			}
		}, ""},
		{"transport named: its SRV, not NAPTR's", "carrier.test", func(port, dead string) (acdsip.Trunk, []string) {
			return acdsip.Trunk{Address: "carrier.test", Transport: "TLS"}, []string{
				`carrier.test. 60 IN NAPTR 10 10 "s" "SIPS+D2T" "" _sips._tcp.elsewhere.carrier.test.`,
				`_sips._tcp.elsewhere.carrier.test. 60 IN SRV 10 0 ` + dead + ` sbc.carrier.test.`,
				`_sips._tcp.carrier.test. 60 IN SRV 10 0 ` + port + ` sbc.carrier.test.`,
				`sbc.carrier.test. 60 IN A 127.0.0.1`,
			}
		}, ""},
		{"certificate for the SRV target only", "sbc.carrier.test", func(port, _ string) (acdsip.Trunk, []string) {
			return acdsip.Trunk{Address: "carrier.test", Secure: true}, []string{
				`_sips._tcp.carrier.test. 60 IN SRV 10 0 ` + port + ` sbc.carrier.test.`,
				`sbc.carrier.test. 60 IN A 127.0.0.1`,
			}
		}, "the certificate is not for this name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			certFile, keyFile := ca.Issue(t, strings.NewReplacer(" ", "-", ":", "", ",", "", "'", "").Replace(tt.name), tt.certFor)
			cert, err := tls.LoadX509KeyPair(certFile, keyFile)
			if err != nil {
				t.Fatal(err)
			}
			trunk := startTLSTrunk(t, cert)
			_, port, _ := net.SplitHostPort(trunk.addr)
			dead, tried := watchedPort(t)
			spec, records := tt.trunk(port, dead)
			ts := startTLSServer(t, withResolver(t, serveZone(t, records...)), trusting(ca))
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			leg, err := ts.srv.Dial(ctx, spec, "+14155550123", "+14155550100")
			if tt.refused == "" {
				if err != nil {
					t.Fatalf("the call through the trunk failed: %v", err)
				}
				leg.Hangup(hangup.CallOver)
				if trunk.invites.Load() != 1 {
					t.Fatalf("the trunk got %d INVITEs, want 1", trunk.invites.Load())
				}
				if n := tried.Load(); n != 0 {
					t.Fatalf("%d connections to the target the trunk's NAPTR or SRV records must not lead to", n)
				}
				return
			}
			expectCertificateRefused(t, leg, err, trunk, tt.refused)
		})
	}
}

// tlsRegistrar is a registrar over TLS (sipgo) that grants what is
// asked and hands each REGISTER to the test.
func tlsRegistrar(t *testing.T, cert tls.Certificate) (addr string, registers <-chan *sipmsg.Request) {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("registrar"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan *sipmsg.Request, 16)
	srv.OnRegister(func(req *sipmsg.Request, tx sipmsg.ServerTransaction) {
		res := sipmsg.NewResponseFromRequest(req, 200, "OK", nil)
		if c := req.Contact(); c != nil {
			res.AppendHeader(c.Clone())
		}
		_ = tx.Respond(res)
		got <- req.Clone()
	})
	var wg sync.WaitGroup
	wg.Go(func() { _ = srv.ServeTLS(ln) })
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
		_ = ua.Close()
	})
	return ln.Addr().String(), got
}

// TestRegistrationOverTLS: a trunk over TLS registers with a registrar
// its domain's SRV record names, over TLS, with a Contact on the TLS
// listener (transport=tls); a registrar whose certificate is not for the
// domain is never registered with.
func TestRegistrationOverTLS(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, certFor string
		registered    bool
	}{
		{"certificate for the domain", "carrier.test", true},
		{"certificate for another name", "sbc.carrier.test", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ca := testutil.NewCA(t)
			certFile, keyFile := ca.Issue(t, "registrar", tc.certFor)
			cert, err := tls.LoadX509KeyPair(certFile, keyFile)
			if err != nil {
				t.Fatal(err)
			}
			addr, registers := tlsRegistrar(t, cert)
			_, port, _ := net.SplitHostPort(addr)
			zone := serveZone(t,
				`_sips._tcp.carrier.test. 60 IN SRV 10 0 `+port+` sbc.carrier.test.`,
				`sbc.carrier.test. 60 IN A 127.0.0.1`)
			ts := startTLSServer(t, withResolver(t, zone), trusting(ca))
			reg, err := ts.srv.Register(acdsip.RegistrationConfig{Trunk: "carrier", Registrar: "carrier.test", Secure: true,
				Username: "acct", Password: "secret", Expires: time.Minute, RetryMin: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			defer reg.Stop()
			if !tc.registered {
				deadline := time.Now().Add(10 * time.Second)
				for !strings.Contains(reg.State().Error, "certificate refused") {
					if time.Now().After(deadline) {
						t.Fatalf("state %+v, want a refused certificate", reg.State())
					}
					time.Sleep(20 * time.Millisecond) // polling an observable state
				}
				if len(registers) != 0 {
					t.Fatal("a REGISTER reached a registrar whose certificate is for another name")
				}
				return
			}
			var req *sipmsg.Request
			select {
			case req = <-registers:
			case <-time.After(10 * time.Second):
				t.Fatalf("no REGISTER over TLS; state %+v", reg.State())
			}
			if via := req.Via(); via == nil || !strings.EqualFold(via.Transport, "TLS") {
				t.Errorf("Via %v, want TLS", req.Via())
			}
			_, tlsPort, _ := net.SplitHostPort(ts.addr)
			if c := req.Contact(); c == nil || !strings.Contains(c.Address.String(), ":"+tlsPort+";transport=tls") {
				t.Errorf("Contact %v, want the TLS listener's port %s with transport=tls", req.Contact(), tlsPort)
			}
			deadline := time.Now().Add(5 * time.Second)
			for !reg.State().Registered {
				if time.Now().After(deadline) {
					t.Fatalf("state %+v after the registrar's 200", reg.State())
				}
				time.Sleep(20 * time.Millisecond) // polling an observable state
			}
		})
	}
}
