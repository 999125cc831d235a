package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/store"
)

// tlsSite is a configuration with SIP over TLS and HTTPS, its
// certificate (for 127.0.0.1 and localhost) issued by a CA of the test.
type tlsSite struct {
	ca        *testutil.CA
	cert, key string
	config    string
	sipTLS    string // the SIP TLS listener's address
}

func newTLSSite(t *testing.T, yaml string) *tlsSite {
	t.Helper()
	site := &tlsSite{ca: testutil.NewCA(t)}
	site.cert, site.key = site.ca.Issue(t, "acd", "127.0.0.1", "localhost")
	site.sipTLS = "127.0.0.1:" + freeTCPPort(t)
	server := fmt.Sprintf("server:\n  sip_tls: %s\n  http_tls: true\n  tls: {cert_file: %s, key_file: %s}\n", site.sipTLS, site.cert, site.key)
	site.config = writeConfig(t, server+yaml)
	return site
}

// clientConfig trusts the site's CA only, and checks the name.
func (site *tlsSite) clientConfig() *tls.Config {
	return &tls.Config{RootCAs: site.ca.Pool(), ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
}

// serial is the serial number of the certificate a new TLS connection
// to addr is given.
func (site *tlsSite) serial(t *testing.T, addr string) string {
	t.Helper()
	c, err := tls.Dial("tcp", addr, site.clientConfig())
	if err != nil {
		t.Fatalf("TLS to %s: %v", addr, err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0].SerialNumber.String()
}

// TestBaresipAgentOverTLS: baresip registers over TLS, calls in over it
// (*50 logs the agent in), and is rung over it as an agent when a caller
// waits: the agent's leg is a TLS one, and the caller hears baresip.
func TestBaresipAgentOverTLS(t *testing.T) {
	t.Parallel()
	modules := requireBaresip(t)
	site := newTLSSite(t, agentsYAML)
	s := startAcd(t, "-config", site.config)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// baresip 1.0.0 takes sip_cafile but has no sip_verify_server: it
	// does not refuse a certificate it cannot verify, so the TLS
	// verification itself is tested with crypto/tls and socat.
	phone := startBaresipWith(t, modules, []string{"sip_cafile " + site.ca.File},
		"<sip:1001@"+site.sipTLS+";transport=tls>;auth_pass=secret-1001;answermode=auto")

	eventsOf(t, s, store.Filter{}, has("agent.registered:1001"))
	phone.command(t, "/dial *50")
	s.waitLog(t, 15*time.Second, "feature code", "agent=1001", "code=*50", "prompt=agent-logged-in")
	s.waitLog(t, 10*time.Second, `msg="call ended"`, `why="server hung up`)

	caller := dial(t, ctx, s)
	eventsOf(t, s, store.Filter{}, has("agent.answered:1001"))
	calls := table(t, ctlWith(t, s, site.config, "calls"))
	agentLeg := rowWith(t, calls, "KIND", "agent")
	if !strings.HasPrefix(agentLeg["PEER"], "TLS ") {
		t.Fatalf("the agent's leg is over %q, want TLS", agentLeg["PEER"])
	}
	speechGrows(t, ctx, caller, "the caller (baresip's tone over TLS signalling)")
	if err := caller.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	eventsOf(t, s, store.Filter{}, has("agent.answered:1001", "call.ended:1001"))
}

// TestSIPpOverTLSSurvivesCertificateReload: Debian's SIPp has no TLS, so
// it calls over TCP through socat, a real TLS client that verifies the
// server's certificate against the test's CA. The call is answered;
// then the certificate is renewed and SIGHUP sent: a new SIP connection
// and a new HTTPS connection get the new certificate, while the call on
// the old connection stays up and is hung up cleanly (BYE, 200).
func TestSIPpOverTLSSurvivesCertificateReload(t *testing.T) {
	t.Parallel()
	sipp := requireSIPp(t)
	socat := requireSocat(t)
	site := newTLSSite(t, agentsYAML)
	s := startAcd(t, "-config", site.config)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	oldSerial := site.serial(t, site.sipTLS)
	if got := site.serial(t, s.http); got != oldSerial {
		t.Fatalf("HTTPS serves certificate %s, SIP over TLS %s: want one certificate", got, oldSerial)
	}

	relay := startSocat(t, socat, site.sipTLS, site.ca.File)
	dir := t.TempDir()
	call := exec.CommandContext(ctx, sipp, "-sf", "../../bench/sipp/caller_timed.xml", "-s", "100", "-t", "t1",
		"-i", "127.0.0.1", "-p", freeTCPPort(t), "-mp", freeUDPPort(t), "-key", "rtp_ip", "127.0.0.1", "-key", "rtp_port", freeUDPPort(t),
		"-d", "15000", "-m", "1", "-timeout", "45s", "-timeout_error", "-nostdin",
		"-trace_err", "-error_file", filepath.Join(dir, "errors.log"), relay)
	var out strings.Builder
	call.Stdout, call.Stderr = &out, &out
	if err := call.Start(); err != nil {
		t.Fatal(err)
	}
	s.waitLog(t, 15*time.Second, `msg="call answered"`, "number=100")
	if calls := table(t, ctlWith(t, s, site.config, "calls")); !strings.HasPrefix(rowWith(t, calls, "KIND", "in")["PEER"], "TLS ") {
		t.Fatalf("SIPp's call is not over TLS: %v", calls)
	}

	site.ca.IssueTo(t, site.cert, site.key, "127.0.0.1", "localhost")
	if err := s.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	s.waitLog(t, 10*time.Second, "TLS certificate reloaded")
	newSerial := site.serial(t, site.sipTLS)
	if newSerial == oldSerial {
		t.Fatal("a SIP TLS connection made after SIGHUP got the old certificate")
	}
	if got := site.serial(t, s.http); got != newSerial {
		t.Fatalf("HTTPS after SIGHUP serves certificate %s, want the new %s", got, newSerial)
	}
	var health struct{ Calls int }
	healthJSON(t, site, s, &health)
	if health.Calls != 1 {
		t.Fatalf("after the reload %d calls are up, want SIPp's one", health.Calls)
	}
	if err := call.Wait(); err != nil {
		errs, _ := os.ReadFile(filepath.Join(dir, "errors.log"))
		t.Fatalf("SIPp's call over TLS: %v\n%s\n%s", err, lastLines(out.String(), 30), errs)
	}
	s.waitLog(t, 10*time.Second, `msg="call ended"`, `why="caller hung up"`)
}

// healthJSON decodes /healthz over HTTPS.
func healthJSON(t *testing.T, site *tlsSite, s *server, into any) {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: site.clientConfig()}, Timeout: 10 * time.Second}
	res, err := client.Get("https://" + s.http + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /healthz over HTTPS: %d %s", res.StatusCode, body)
	}
	if err := json.Unmarshal(body, into); err != nil {
		t.Fatalf("healthz %s: %v", body, err)
	}
}

// TestHTTPS: with http_tls the API, /healthz and acd ctl are served over
// TLS only; plain HTTP beyond loopback is refused unless opted into.
func TestHTTPS(t *testing.T) {
	t.Parallel()
	site := newTLSSite(t, agentsYAML)
	s := startAcd(t, "-config", site.config)
	var health struct{ Status string }
	healthJSON(t, site, s, &health)
	if health.Status != "ok" {
		t.Fatalf("healthz over HTTPS says %q", health.Status)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: site.clientConfig()}, Timeout: 10 * time.Second}
	res, err := client.Get("https://" + s.http + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("the API over HTTPS answered %d", res.StatusCode)
	}
	if res, err := http.Get("http://" + s.http + "/healthz"); err == nil {
		res.Body.Close()
		if res.StatusCode == http.StatusOK {
			t.Fatal("plain HTTP is answered on the HTTPS listener")
		}
	}
	if rows := table(t, ctlWith(t, s, site.config, "queues")); len(rows) == 0 {
		t.Fatal("acd ctl over HTTPS listed no queue")
	}

	// A renewal caught half written (a new key under the old
	// certificate): SIGHUP keeps the certificate in force and says why.
	before := site.serial(t, s.http)
	_, newKey := site.ca.Issue(t, "renewal", "127.0.0.1")
	key, err := os.ReadFile(newKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(site.key, key, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	s.waitLog(t, 10*time.Second, "TLS certificate reload failed; keeping the certificate in force", "private key does not match public key")
	if site.serial(t, s.http) != before || site.serial(t, site.sipTLS) != before {
		t.Fatal("a failed reload changed the certificate served")
	}

	t.Run("plain HTTP beyond loopback", func(t *testing.T) {
		tests := []struct {
			name string
			args []string
			code int
			want string
		}{
			{"in the file", []string{"check", "-config", writeConfig(t, "server:\n  http: 0.0.0.0:8080\n")}, 1,
				`acd.yaml:3: server.http 0.0.0.0:8080 serves the API, its tokens and passwords in plain HTTP beyond loopback: set server.http_tls: true`},
			{"by -http", []string{"serve", "-http", "0.0.0.0:0", "-sip", "127.0.0.1:0", "-data", t.TempDir()}, 2,
				`-http 0.0.0.0:0 serves the API, its tokens and passwords in plain HTTP beyond loopback`},
			{"opted in", []string{"check", "-config", writeConfig(t, "server:\n  http: 0.0.0.0:8080\n  plain_http_beyond_loopback: true\n")}, 0, ""},
		}
		for _, tt := range tests {
			out, err := exec.Command(acdBinary, tt.args...).CombinedOutput()
			if code := exitStatus(err); code != tt.code || !strings.Contains(string(out), tt.want) {
				t.Errorf("%s: exit %d, output %q; want exit %d and %q", tt.name, code, out, tt.code, tt.want)
			}
		}
	})
}

// startSocat relays one TCP connection on a free loopback port to the
// TLS listener at tlsAddr, verifying its certificate against caFile, and
// returns the TCP address.
func startSocat(t *testing.T, socat, tlsAddr, caFile string) string {
	t.Helper()
	cmd := exec.Command(socat, "-d", "-d", "TCP-LISTEN:0,bind=127.0.0.1,reuseaddr",
		"OPENSSL:"+tlsAddr+",cafile="+caFile+",verify=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	said := make(chan string, 1)
	var lines []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines = append(lines, sc.Text())
			if m := socatListening.FindStringSubmatch(sc.Text()); m != nil {
				said <- m[1]
			}
		}
	}()
	t.Cleanup(func() {
		_ = syscall.Kill(cmd.Process.Pid, syscall.SIGTERM) // the socat this test started, by its PID
		<-done
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("socat said:\n%s", lastLines(strings.Join(lines, "\n"), 20))
		}
	})
	select {
	case addr := <-said:
		return addr
	case <-done:
		t.Fatal("socat exited before listening")
	case <-time.After(10 * time.Second):
		t.Fatal("socat never said it was listening")
	}
	return ""
}
