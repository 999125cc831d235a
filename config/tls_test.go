package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acdserver/acd/internal/testutil"
)

// TestTLSSettings: what server.tls, sip_tls, http_tls and the plain-HTTP
// opt-in accept, and the FILE:LINE message of each mistake.
func TestTLSSettings(t *testing.T) {
	t.Parallel()
	ca := testutil.NewCA(t)
	cert, key := ca.Issue(t, "acd", "acd.example", "127.0.0.1")
	otherCert, _ := ca.Issue(t, "other", "other.example")
	garbage := filepath.Join(t.TempDir(), "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not PEM"), 0o600); err != nil {
		t.Fatal(err)
	}
	tlsBlock := "  tls:\n    cert_file: " + cert + "\n    key_file: " + key + "\n"
	tests := []struct {
		name string
		yaml string
		want []string // empty: valid
	}{
		{"no TLS at all", "server:\n  sip: 127.0.0.1:5060\n", nil},
		{"SIP and HTTPS over TLS", "server:\n  sip_tls: 127.0.0.1:5061\n  http: 0.0.0.0:8443\n  http_tls: true\n" + tlsBlock, nil},
		{"a CA file for trunks", "server:\n" + tlsBlock + "    ca_file: " + ca.File + "\n", nil},
		{"plain HTTP beyond loopback", "server:\n  http: 0.0.0.0:8080\n",
			[]string{"t.yaml:2: server.http 0.0.0.0:8080 serves the API, its tokens and passwords in plain HTTP beyond loopback: set server.http_tls: true"}},
		{"plain HTTP beyond loopback, opted in", "server:\n  http: 0.0.0.0:8080\n  plain_http_beyond_loopback: true\n", nil},
		{"sip_tls without a certificate", "server:\n  sip_tls: 127.0.0.1:5061\n",
			[]string{"t.yaml:2: server.sip_tls is set but server.tls is not: give server.tls.cert_file and key_file"}},
		{"http_tls without a certificate", "server:\n  http_tls: true\n",
			[]string{"t.yaml:2: server.http_tls is true but server.tls is not set"}},
		{"sip_tls not an address", "server:\n  sip_tls: 5061\n" + tlsBlock, []string{`t.yaml:2: server.sip_tls "5061": want IP:PORT`}},
		{"key missing", "server:\n  tls:\n    cert_file: " + cert + "\n", []string{"t.yaml:3: server.tls: set both cert_file and key_file"}},
		{"no such file", "server:\n  tls:\n    cert_file: /nonexistent.pem\n    key_file: " + key + "\n",
			[]string{"t.yaml:3: server.tls: reading the certificate: open /nonexistent.pem: no such file or directory"}},
		{"key of another certificate", "server:\n  tls:\n    cert_file: " + otherCert + "\n    key_file: " + key + "\n",
			[]string{"t.yaml:3: server.tls: " + otherCert + " with " + key + ": tls: private key does not match public key"}},
		{"CA file without PEM", "server:\n" + tlsBlock + "    ca_file: " + garbage + "\n",
			[]string{"t.yaml:3: server.tls.ca_file: " + garbage + ": no PEM certificate in it"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(tt.yaml))
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("want valid, got:\n%v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("want %q, got no error", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("errors lack %q:\n%v", w, err)
				}
			}
		})
	}
}

// TestTrunkTargets: the ways a trunk's address and transport are
// written, and what each dials.
func TestTrunkTargets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		address, transport string
		want               TrunkTarget
		err                string
	}{
		{"198.51.100.10:5060", "", TrunkTarget{Host: "198.51.100.10", Port: 5060, Transport: "UDP"}, ""},
		{"198.51.100.10:5060", "tcp", TrunkTarget{Host: "198.51.100.10", Port: 5060, Transport: "TCP", Explicit: true}, ""},
		{"198.51.100.10:5061", "tls", TrunkTarget{Host: "198.51.100.10", Port: 5061, Transport: "TLS", Explicit: true}, ""},
		{"sips:198.51.100.10", "", TrunkTarget{Host: "198.51.100.10", Port: 5061, Transport: "TLS", Secure: true}, ""},
		// A sips: domain is DNS's to resolve: NAPTR, then SRV (RFC 3263).
		{"sips:sip.carrier.example", "", TrunkTarget{Host: "sip.carrier.example", Transport: "TLS", Secure: true}, ""},
		{"sips:sip.carrier.example:5062", "tls", TrunkTarget{Host: "sip.carrier.example", Port: 5062, Transport: "TLS", Secure: true, Explicit: true}, ""},
		{"sip:sip.carrier.example:5061;transport=tls", "", TrunkTarget{Host: "sip.carrier.example", Port: 5061, Transport: "TLS", Explicit: true}, ""},
		{"carrier.example;transport=tls", "", TrunkTarget{Host: "carrier.example", Transport: "TLS", Explicit: true}, ""},
		{"localhost:5061;transport=TLS", "", TrunkTarget{Host: "localhost", Port: 5061, Transport: "TLS", Explicit: true}, ""},
		{"sip.carrier.example:5061", "tls", TrunkTarget{Host: "sip.carrier.example", Port: 5061, Transport: "TLS", Explicit: true}, ""},
		// Over UDP and TCP a name is DNS's to resolve (RFC 3263), kept as written.
		{"sip.carrier.example:5060", "", TrunkTarget{Host: "sip.carrier.example:5060", Transport: "UDP"}, ""},
		{"carrier.example", "", TrunkTarget{Host: "carrier.example", Transport: "UDP"}, ""},
		{"carrier.example", "tcp", TrunkTarget{Host: "carrier.example", Transport: "TCP", Explicit: true}, ""},
		{"carrier.example;transport=udp", "", TrunkTarget{Host: "carrier.example", Transport: "UDP", Explicit: true}, ""},
		{"sips:not_a_domain", "", TrunkTarget{}, "want a domain"},
		{"some where:5060", "", TrunkTarget{}, "want IP:PORT, HOST:PORT or a domain"},
		{"sips:sip.carrier.example", "udp", TrunkTarget{}, "is dialled over TLS, but transport says UDP"},
		{"sips:sip.carrier.example;transport=tcp", "", TrunkTarget{}, "a sips: address is dialled over TLS only"},
		{"198.51.100.10:5060", "sctp", TrunkTarget{}, `transport "sctp": want udp, tcp or tls`},
		{"sips:sip.carrier.example:99999", "", TrunkTarget{}, "want 1-65535"},
	}
	for _, tt := range tests {
		got, err := (&Trunk{Address: tt.address, Transport: tt.transport}).Target()
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q transport %q: error %v, want %q", tt.address, tt.transport, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%q transport %q: %+v, %v; want %+v", tt.address, tt.transport, got, err, tt.want)
		}
	}
}

// TestTLSTrunkNeedsTLSListener: a trunk dialled over TLS reaches the
// server within its calls over TLS, so the server must listen for it.
func TestTLSTrunkNeedsTLSListener(t *testing.T) {
	t.Parallel()
	_, err := Parse("t.yaml", []byte("trunks:\n  carrier:\n    address: sips:sip.carrier.example\n"))
	want := `t.yaml:3: trunk "carrier" is dialled over TLS: set server.sip_tls (and server.tls)`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v, want %q", err, want)
	}
}
