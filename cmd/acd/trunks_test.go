package main

import (
	"bufio"
	"cmp"
	"context"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/store"
)

// startZone serves DNS records on loopback UDP (a miekg/dns server) until
// the test ends, and returns its address.
func startZone(t *testing.T, records ...string) string {
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
			if len(m.Answer) == 0 && !strings.HasSuffix(strings.ToLower(q.Name), ".test.") {
				m.Rcode = dns.RcodeNameError
			}
			_ = w.WriteMsg(m)
		})}
	done := make(chan struct{})
	go func() { defer close(done); _ = server.ActivateAndServe() }()
	<-started
	t.Cleanup(func() { _ = server.Shutdown(); <-done })
	return pc.LocalAddr().String()
}

// carrierUAS runs SIPp as the carrier's SBC, checking the caller ID of
// the one call it takes (testdata/carrier_uas.xml); wait returns its
// verdict.
func carrierUAS(t *testing.T, ctx context.Context, port, number, fromName, paiName string) (wait func() error) {
	t.Helper()
	return carrierUASOver(t, ctx, "udp", port, number, fromName, paiName, "")
}

// carrierUASOver is carrierUAS over transport (udp or tcp): over TCP,
// SIPp takes the call on a TCP listener, and its Contact says so, or is
// contact when that is given (a TLS relay's address in front of it).
func carrierUASOver(t *testing.T, ctx context.Context, transport, port, number, fromName, paiName, contact string) (wait func() error) {
	t.Helper()
	sipp := requireSIPp(t)
	text, err := os.ReadFile("testdata/carrier_uas.xml")
	if err != nil {
		t.Fatal(err)
	}
	// Inside an XML attribute: quotes as entities, or the expression
	// would end at the first.
	attr := func(re string) string { return strings.ReplaceAll(re, `"`, "&quot;") }
	scenario := strings.NewReplacer("CALLER_NUMBER", regexp.QuoteMeta(number),
		"FROM_NAME", attr(regexp.QuoteMeta(fromName)), "PAI_NAME", attr(regexp.QuoteMeta(paiName))).Replace(string(text))
	args := []string{}
	if transport == "tcp" {
		args = append(args, "-t", "t1")
		contact = cmp.Or(contact, "<sip:sbc@[local_ip]:[local_port];transport=tcp>")
		scenario = strings.ReplaceAll(scenario, "Contact: <sip:sbc@[local_ip]:[local_port]>", "Contact: "+contact)
	}
	path := filepath.Join(t.TempDir(), "carrier_uas.xml")
	if err := os.WriteFile(path, []byte(scenario), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, sipp, append([]string{"-sf", path, "-i", "127.0.0.1", "-p", port, "-mp", freeUDPPort(t),
		"-m", "1", "-timeout", "50s", "-timeout_error", "-nostdin"}, args...)...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	var result error
	wait = func() error {
		once.Do(func() {
			result = cmd.Wait()
			if result != nil {
				t.Logf("SIPp carrier:\n%s", lastLines(out.String(), 30))
			}
		})
		return result
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM) // ours, by PID; a no-op once it has exited
		_ = wait()
	})
	return wait
}

// callbackThroughCarrier takes a callback request and has agent 1001
// take it, so that the server dials the customer through the trunk;
// it returns once the customer is connected, with the agent's phone.
func callbackThroughCarrier(t *testing.T, ctx context.Context, s *server) *testutil.Phone {
	t.Helper()
	warmUp(t, ctx, s)
	requestCallback(t, ctx, s)
	agent := agentPhone(t, ctx, s, "1001", testutil.AnswerMode{After: 100 * time.Millisecond})
	incoming(t, ctx, agent)
	eventsOf(t, s, store.Filter{}, has("callback.dialing:1001", "callback.connected:1001"))
	return agent
}

// trunkYAML is the callback configuration with the trunk given.
func trunkYAML(dnsServer, trunk string) string {
	return "sip: {dns_servers: [\"" + dnsServer + "\"]}\n" +
		strings.Replace(callbackYAML("x"), "  carrier: {address: x}", "  carrier: "+trunk, 1)
}

// TestTrunkByHostName: a trunk given as a domain is found by NAPTR, SRV
// and A records (RFC 3263) from the DNS server named in sip.dns_servers;
// the callback reaches the SIPp carrier on the SRV target's port,
// presenting the trunk's caller ID in From and P-Asserted-Identity.
func TestTrunkByHostName(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	port := freeUDPPort(t)
	uas := carrierUAS(t, ctx, port, "+14155550199", `"Acme Support" `, `"Acme Support" `)
	zone := startZone(t,
		// SIPS first, which the server does not speak: passed over.
		`carrier.test. 60 IN NAPTR 5 10 "s" "SIPS+D2T" "" _sips._tcp.carrier.test.`,
		`carrier.test. 60 IN NAPTR 10 10 "s" "SIP+D2U" "" _sip._udp.carrier.test.`,
		`_sips._tcp.carrier.test. 60 IN SRV 10 0 5061 sbc.carrier.test.`,
		`_sip._udp.carrier.test. 60 IN SRV 10 0 `+port+` sbc.carrier.test.`,
		`sbc.carrier.test. 60 IN A 127.0.0.1`,
	)
	s := startAcd(t, "-config", writeConfig(t, trunkYAML(zone,
		`{address: carrier.test, caller_id: {number: "(415) 555-0199", name: Acme Support}}`)))
	agent := callbackThroughCarrier(t, ctx, s)
	if err := agent.HangupIncoming(ctx); err != nil {
		t.Fatal(err)
	}
	if err := uas(); err != nil {
		t.Fatalf("the SIPp carrier failed (caller ID checks, or no call): %v", err)
	}
	eventsOf(t, s, store.Filter{}, has("callback.completed:1001"))
}

// TestTrunkFailover: the first SRV target (priority 10) answers nothing;
// the server gives it up after its 5 s of silence and calls the second
// (priority 20), which takes the call. The queue's caller ID is
// presented, the trunk having none of its own.
func TestTrunkFailover(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dead, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	deadInvites := make(chan struct{}, 16)
	go func() {
		buf := make([]byte, 65536)
		for {
			n, _, err := dead.ReadFrom(buf)
			if err != nil {
				return
			}
			if strings.HasPrefix(string(buf[:n]), "INVITE ") {
				deadInvites <- struct{}{}
			}
		}
	}()
	_, deadPort, _ := net.SplitHostPort(dead.LocalAddr().String())
	port := freeUDPPort(t)
	uas := carrierUAS(t, ctx, port, "+14155550100", `"" `, ``)
	zone := startZone(t,
		`_sip._udp.carrier.test. 60 IN SRV 10 0 `+deadPort+` dead.carrier.test.`,
		`_sip._udp.carrier.test. 60 IN SRV 20 0 `+port+` live.carrier.test.`,
		`dead.carrier.test. 60 IN A 127.0.0.1`,
		`live.carrier.test. 60 IN A 127.0.0.1`,
	)
	s := startAcd(t, "-config", writeConfig(t, trunkYAML(zone, `{address: carrier.test}`)))
	agent := callbackThroughCarrier(t, ctx, s)
	select {
	case <-deadInvites:
	default:
		t.Fatal("the priority-10 target was never tried")
	}
	s.waitLog(t, time.Second, "trunk target did not answer; trying the next", "target=\"UDP 127.0.0.1:"+deadPort+"\"")
	if err := agent.HangupIncoming(ctx); err != nil {
		t.Fatal(err)
	}
	if err := uas(); err != nil {
		t.Fatalf("the SIPp carrier on the second target failed: %v", err)
	}
}

// TestTrunkOverTCPByDNS: a trunk given by domain with transport: tcp is
// looked up by its _sip._tcp SRV record alone, its NAPTR records (which
// lead to UDP) unasked (RFC 3263 §4.1, §4.2); the callback reaches the
// SIPp carrier over TCP, and the call ends with a BYE it takes over TCP.
func TestTrunkOverTCPByDNS(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	port := freeTCPPort(t)
	uas := carrierUASOver(t, ctx, "tcp", port, "+14155550100", `"" `, ``, "")
	// What NAPTR says is a UDP listener that counts what it gets: the
	// server must not ask NAPTR, so must send it nothing.
	decoy, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer decoy.Close()
	decoyGot := make(chan string, 16)
	go func() {
		buf := make([]byte, 65536)
		for {
			n, _, err := decoy.ReadFrom(buf)
			if err != nil {
				return
			}
			decoyGot <- string(buf[:n])
		}
	}()
	_, decoyPort, _ := net.SplitHostPort(decoy.LocalAddr().String())
	zone := startZone(t,
		`carrier.test. 60 IN NAPTR 10 10 "s" "SIP+D2U" "" _sip._udp.carrier.test.`,
		`_sip._udp.carrier.test. 60 IN SRV 10 0 `+decoyPort+` sbc.carrier.test.`,
		`_sip._tcp.carrier.test. 60 IN SRV 10 0 `+port+` sbc.carrier.test.`,
		`sbc.carrier.test. 60 IN A 127.0.0.1`,
	)
	s := startAcd(t, "-config", writeConfig(t, trunkYAML(zone, `{address: carrier.test, transport: tcp}`)))
	agent := callbackThroughCarrier(t, ctx, s)
	if err := agent.HangupIncoming(ctx); err != nil {
		t.Fatal(err)
	}
	if err := uas(); err != nil {
		t.Fatalf("the SIPp carrier over TCP failed (no call over TCP, or no BYE): %v", err)
	}
	eventsOf(t, s, store.Filter{}, has("callback.completed:1001"))
	select {
	case msg := <-decoyGot:
		t.Fatalf("the UDP target NAPTR leads to got a message:\n%s", msg)
	default:
	}
}

// startTLSRelay is socat serving TLS on a free loopback port with the
// certificate given, relaying each connection to the TCP address
// backend (SIPp, which has no TLS); it returns the TLS address.
func startTLSRelay(t *testing.T, certFile, keyFile, backend string) string {
	t.Helper()
	socat := requireSocat(t)
	cmd := exec.Command(socat, "-d", "-d", "OPENSSL-LISTEN:0,bind=127.0.0.1,reuseaddr,fork,verify=0,cert="+certFile+",key="+keyFile,
		"TCP:"+backend)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	said := make(chan string, 1)
	var mu sync.Mutex
	var lines []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			mu.Lock()
			lines = append(lines, sc.Text())
			mu.Unlock()
			if m := socatListening.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case said <- m[1]:
				default:
				}
			}
		}
	}()
	t.Cleanup(func() {
		_ = syscall.Kill(cmd.Process.Pid, syscall.SIGTERM) // the socat this test started, by its PID
		<-done
		_ = cmd.Wait()
		if t.Failed() {
			mu.Lock()
			t.Logf("socat said:\n%s", lastLines(strings.Join(lines, "\n"), 20))
			mu.Unlock()
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

// tlsTrunkYAML is the server's TLS listener, with its certificate and
// the CA trusted for trunks' certificates.
func tlsTrunkYAML(t *testing.T, ca *testutil.CA) string {
	t.Helper()
	cert, key := ca.Issue(t, "acd", "127.0.0.1")
	return "server:\n  sip_tls: 127.0.0.1:" + freeTCPPort(t) + "\n  tls: {cert_file: " + cert + ", key_file: " + key + ", ca_file: " + ca.File + "}\n"
}

// TestTrunkOverTLSByDomain: a sips: trunk given by its domain is dialled
// at the target NAPTR (SIPS+D2T, over the preferred SIP+D2U) and SRV
// name, over TLS to socat in front of the SIPp carrier, the certificate
// checked against the domain; the call is answered and ended over the
// same connection.
func TestTrunkOverTLSByDomain(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ca := testutil.NewCA(t)
	cert, key := ca.Issue(t, "carrier", "carrier.test")
	port := freeTCPPort(t)
	relay := startTLSRelay(t, cert, key, "127.0.0.1:"+port)
	_, relayPort, _ := net.SplitHostPort(relay)
	uas := carrierUASOver(t, ctx, "tcp", port, "+14155550100", `"" `, ``, "<sip:sbc@"+relay+";transport=tls>")
	zone := startZone(t,
		`carrier.test. 60 IN NAPTR 5 10 "s" "SIP+D2U" "" _sip._udp.carrier.test.`,
		`carrier.test. 60 IN NAPTR 10 10 "s" "SIPS+D2T" "" _sips._tcp.carrier.test.`,
		`_sip._udp.carrier.test. 60 IN SRV 10 0 9 sbc.carrier.test.`,
		`_sips._tcp.carrier.test. 60 IN SRV 10 0 `+relayPort+` sbc.carrier.test.`,
		`sbc.carrier.test. 60 IN A 127.0.0.1`,
	)
	s := startAcd(t, "-config", writeConfig(t, tlsTrunkYAML(t, ca)+trunkYAML(zone, `{address: "sips:carrier.test"}`)))
	agent := callbackThroughCarrier(t, ctx, s)
	if err := agent.HangupIncoming(ctx); err != nil {
		t.Fatal(err)
	}
	if err := uas(); err != nil {
		t.Fatalf("the SIPp carrier behind TLS failed (no call, or no BYE): %v", err)
	}
	eventsOf(t, s, store.Filter{}, has("callback.completed:1001"))
}

// TestAPITrunks: a trunk made through the API is shown without its
// password, can carry a queue's callback at once, and is not removed while
// that queue dials through it; the file's trunks are the file's.
func TestAPITrunks(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, "trunks:\n  carrier: {address: \"127.0.0.1:5099\"}\n"+apiYAML))
	admin := setupAdmin(t, s)
	admin.expect(t, "POST", "/trunks", map[string]any{"id": "backup", "address": "127.0.0.1:5098", "username": "acd", "password": "trunk-secret-9"}, 201, nil)
	_, body, _ := admin.do(t, "GET", "/trunks", nil)
	if strings.Contains(string(body), "trunk-secret-9") || !strings.Contains(string(body), `"has_password":true`) || !strings.Contains(string(body), `"source":"database"`) {
		t.Fatalf("the trunk list: %s", body)
	}
	admin.expect(t, "POST", "/trunks", map[string]any{"id": "bad", "address": "some where:5060"}, 422, nil)
	// A carrier's domain is an address too (RFC 3263 finds its servers).
	admin.expect(t, "POST", "/trunks", map[string]any{"id": "bydomain", "address": "sip.carrier.example"}, 201, nil)
	admin.expect(t, "PUT", "/trunks/carrier", map[string]any{"address": "127.0.0.1:5097"}, 409, nil)
	admin.expect(t, "POST", "/queues", map[string]any{"id": "callme", "callback": map[string]any{
		"enabled": true, "threshold": "2m", "caller_id": "+14155550100", "trunk": "backup"}}, 201, nil)
	_, body, _ = admin.do(t, "DELETE", "/trunks/backup", nil)
	if !strings.Contains(string(body), "still in use") || !strings.Contains(string(body), "callme") {
		t.Fatalf("deleting a trunk a queue dials through: %s", body)
	}
	// A replacement without the password keeps it.
	admin.expect(t, "PUT", "/trunks/backup", map[string]any{"address": "127.0.0.1:5096"}, 200, nil)
	_, body, _ = admin.do(t, "GET", "/trunks", nil)
	if !strings.Contains(string(body), `"address":"127.0.0.1:5096"`) || !strings.Contains(string(body), `"has_password":true`) {
		t.Fatalf("after the replacement: %s", body)
	}
	_, body, _ = admin.do(t, "GET", "/audit?type=audit.trunk.", nil)
	if strings.Contains(string(body), "trunk-secret-9") {
		t.Fatal("the audit trail holds the trunk's password")
	}
}

// TestAPITrunkAdmitsAtOnce: a trunk made through the API is admitted for
// calls, and trusted, from its next INVITE: no restart.
func TestAPITrunkAdmitsAtOnce(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, "sip: {allow_calls_from: [\"127.0.0.1/32\"]}\n"+apiYAML))
	admin := setupAdmin(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	carrier := testutil.NewPhoneAt(t, netip.MustParseAddr("127.0.0.6"))
	if err := callAnswered(ctx, carrier, s.sip); !refusedWith(err, 403) {
		t.Fatalf("a call from 127.0.0.6 before its trunk exists: %v, want 403", err)
	}
	admin.expect(t, "POST", "/trunks", map[string]any{"id": "carrier", "address": "127.0.0.6:5060", "inbound_from": []string{"127.0.0.6/32"}}, 201, nil)
	if err := callAnswered(ctx, carrier, s.sip); err != nil {
		t.Fatalf("a call from the new trunk: %v", err)
	}
}
