package main

import (
	"bufio"
	"cmp"
	"context"
	"net"
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

// configuredOnly are metric families served only when the configuration
// has what they measure (a trunk that registers): the operations guide
// names them, though a scrape of another configuration lacks them.
var configuredOnly = map[string]bool{
	"acd_trunk_registered":                   true,
	"acd_trunk_registration_expires_seconds": true,
}

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

// restOfLog reads the server's log to its end, once it is stopping.
func restOfLog(t *testing.T, s *server, d time.Duration) []string {
	t.Helper()
	var lines []string
	timeout := time.After(d)
	for {
		select {
		case line, ok := <-s.log:
			if !ok {
				return lines
			}
			lines = append(lines, line)
		case <-timeout:
			t.Fatalf("acd did not stop within %v; it said:\n%s", d, lastLines(strings.Join(lines, "\n"), 20))
		}
	}
}

// TestTrunkRegisters: a trunk with register: true registers with the
// SIPp registrar (testdata/registrar.xml), answering its digest
// challenge; takes the 3 s the registrar grants over the hour asked for
// and refreshes before they pass; shows in /metrics; and removes the
// registration (Expires: 0) when the server stops.
func TestTrunkRegisters(t *testing.T) {
	sipp := requireSIPp(t)
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	port := freeUDPPort(t)
	registrar := exec.CommandContext(ctx, sipp, "-sf", "testdata/registrar.xml", "-i", "127.0.0.1", "-p", port,
		"-m", "1", "-timeout", "40s", "-timeout_error", "-nostdin")
	var out strings.Builder
	registrar.Stdout, registrar.Stderr = &out, &out
	if err := registrar.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = registrar.Process.Signal(syscall.SIGTERM) })
	s := startAcd(t, "-config", writeConfig(t, `trunks:
  carrier:
    address: 127.0.0.1:`+port+`
    username: acd-account
    password: carrier-secret
    register: true
    contact_user: "+14155550100"
`))
	s.waitLog(t, 10*time.Second, "trunk registered", "trunk=carrier", "expires=3s")
	m := scrape(t, s)
	if v := sample(t, m, "acd_trunk_registered", "trunk", "carrier"); v != 1 {
		t.Fatalf("acd_trunk_registered{trunk=carrier} = %v while registered", v)
	}
	if v := sample(t, m, "acd_trunk_registration_expires_seconds", "trunk", "carrier"); v != 3 {
		t.Fatalf("expires %v s, want the 3 s the registrar granted", v)
	}
	guide := readFile(t, "../../docs/operations.md")
	for name := range configuredOnly {
		if _, ok := m[name]; !ok || !strings.Contains(guide, name) {
			t.Errorf("%s: served %v, in docs/operations.md %v; want both", name, ok, strings.Contains(guide, name))
		}
	}
	// The refresh is granted 120 s: seen in the gauge, it has come.
	deadline := time.Now().Add(5 * time.Second)
	for sample(t, scrape(t, s), "acd_trunk_registration_expires_seconds", "trunk", "carrier") != 120 {
		if time.Now().After(deadline) {
			t.Fatal("no refresh within 5 s of a 3 s registration")
		}
		time.Sleep(50 * time.Millisecond) // polling an observable state, not waiting out a delay
	}
	table, errs, code := ctl(t, s, "trunks")
	if code != 0 || !regexp.MustCompile(`(?m)^carrier +127\.0\.0\.1:`+port+` +registered +\S+ +expires 120s$`).MatchString(table) {
		t.Fatalf("acd ctl trunks (exit %d):\n%s%s", code, table, errs)
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	lines := restOfLog(t, s, 15*time.Second)
	text := strings.Join(lines, "\n")
	if !strings.Contains(text, "trunk unregistered") {
		t.Fatalf("no unregistration logged at shutdown:\n%s", lastLines(text, 20))
	}
	if strings.Contains(text, "carrier-secret") {
		t.Fatal("the trunk's password is in the log")
	}
	if err := registrar.Wait(); err != nil {
		t.Fatalf("SIPp registrar: %v\n%s", err, lastLines(out.String(), 30))
	}
}

// arrival is a REGISTER as a registrar got it.
type arrival struct {
	at  time.Time
	msg string
}

// refusingRegistrar answers every REGISTER with 403 on a loopback socket
// and reports each.
func refusingRegistrar(t *testing.T) (addr string, arrivals <-chan arrival) {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	got := make(chan arrival, 64)
	go func() {
		buf := make([]byte, 65536)
		for {
			n, from, err := conn.ReadFrom(buf)
			if err != nil {
				return
			}
			at := time.Now()
			msg := string(buf[:n])
			if !strings.HasPrefix(msg, "REGISTER ") {
				continue
			}
			// RFC 3261 §8.2.6.2: the response copies Via, From, To,
			// Call-ID and CSeq.
			var res strings.Builder
			res.WriteString("SIP/2.0 403 Forbidden\r\n")
			for _, line := range strings.Split(msg, "\r\n") {
				name, _, _ := strings.Cut(line, ":")
				switch strings.ToLower(strings.TrimSpace(name)) {
				case "via", "v", "from", "f", "call-id", "i", "cseq":
					res.WriteString(line + "\r\n")
				case "to", "t":
					res.WriteString(line + ";tag=refuse\r\n")
				}
			}
			res.WriteString("Content-Length: 0\r\n\r\n")
			_, _ = conn.WriteTo([]byte(res.String()), from)
			got <- arrival{at, msg}
		}
	}()
	return conn.LocalAddr().String(), got
}

// TestTrunkRegistrationBacksOff: a registrar that refuses (403) is tried
// again after register_retry.min, then twice as long each time up to
// register_retry.max, each wait less up to a quarter at random; a
// SIGHUP that changes the trunk's settings starts a new registration at
// once, and one that stops the trunk registering ends the attempts.
func TestTrunkRegistrationBacksOff(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	addr, arrivals := refusingRegistrar(t)
	trunk := `trunks:
  carrier:
    address: ` + addr + `
    username: acd-account
    password: carrier-secret
`
	path := writeConfig(t, trunk+"    register: true\n    register_retry: {min: 1s, max: 3s}\n")
	s := startAcd(t, "-config", path)
	var at []time.Time
	var first string
	for len(at) < 5 {
		select {
		case a := <-arrivals:
			at = append(at, a.at)
			first = cmp.Or(first, a.msg)
		case <-ctx.Done():
			t.Fatalf("%d REGISTERs before the deadline, want 5", len(at))
		}
	}
	// Waits of 1 s, 2 s, then 3 s (the cap) twice; each from three
	// quarters of that to all of it, plus the scheduling of a loaded
	// machine.
	for i, want := range []time.Duration{time.Second, 2 * time.Second, 3 * time.Second, 3 * time.Second} {
		gap := at[i+1].Sub(at[i])
		if gap < want*3/4-50*time.Millisecond || gap > want+400*time.Millisecond {
			t.Errorf("wait %d: %v, want %v less up to a quarter", i+1, gap.Round(time.Millisecond), want)
		}
	}
	line := s.waitLog(t, time.Second, "trunk registration failed", "trunk=carrier", "403")
	if strings.Contains(line, "carrier-secret") {
		t.Fatalf("the password is logged: %s", line)
	}
	if v := sample(t, scrape(t, s), "acd_trunk_registered", "trunk", "carrier"); v != 0 {
		t.Fatalf("acd_trunk_registered = %v while refused", v)
	}
	if out, errs, code := ctl(t, s, "trunks"); code != 0 || !regexp.MustCompile(`(?m)^carrier +\S+ +unregistered +\S+ +registrar answered 403 \(Forbidden\)$`).MatchString(out) {
		t.Fatalf("acd ctl trunks (exit %d):\n%s%s", code, out, errs)
	}

	// New settings: the registration starts afresh at the reload, as a
	// new one (its own Call-ID), with the new Contact, at once.
	if err := os.WriteFile(path, []byte(readFile(t, path)+"    contact_user: \"+14155550100\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for len(arrivals) > 0 {
		<-arrivals // a retry that crossed the reload
	}
	_ = s.cmd.Process.Signal(syscall.SIGHUP)
	s.waitLog(t, 5*time.Second, "trunk registration stopped", "trunk=carrier")
	select {
	case a := <-arrivals:
		if callID(a.msg) == callID(first) || !strings.Contains(a.msg, "<sip:+14155550100@127.0.0.1:") {
			t.Fatalf("after the reload, a REGISTER with Call-ID %q (the first had %q), or a Contact of another user:\n%s", callID(a.msg), callID(first), a.msg)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no REGISTER at once after the reload changed the trunk")
	}

	// The trunk stops registering: its registration ends at the reload.
	unregistered := strings.Replace(readFile(t, path), "    register: true\n    register_retry: {min: 1s, max: 3s}\n", "", 1)
	unregistered = strings.Replace(unregistered, "    contact_user: \"+14155550100\"\n", "", 1)
	if err := os.WriteFile(path, []byte(unregistered), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = s.cmd.Process.Signal(syscall.SIGHUP)
	s.waitLog(t, 5*time.Second, "trunk registration stopped", "trunk=carrier")
	if _, ok := scrape(t, s)["acd_trunk_registered"]; ok {
		t.Fatal("acd_trunk_registered still served for a trunk that no longer registers")
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

// TestTrunkRegistersOverTLS: a sips: trunk given by its domain, with
// register: true, registers over TLS at the target its NAPTR (SIPS+D2T)
// and SRV records name: socat serving TLS in front of the SIPp
// registrar (testdata/registrar.xml). The certificate must be valid for
// the domain: one for the SRV target's name alone is refused, and
// nothing is registered.
func TestTrunkRegistersOverTLS(t *testing.T) {
	t.Parallel()
	sipp := requireSIPp(t)
	for _, tc := range []struct {
		name, certFor string
		registered    bool
	}{
		{"certificate for the domain", "carrier.test", true},
		{"certificate for the SRV target", "sbc.carrier.test", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
			defer cancel()
			port := startRegistrar(t, ctx, sipp, "tcp")
			ca := testutil.NewCA(t)
			cert, key := ca.Issue(t, "carrier", tc.certFor)
			relay := startTLSRelay(t, cert, key, "127.0.0.1:"+port)
			_, relayPort, _ := net.SplitHostPort(relay)
			zone := startZone(t,
				`carrier.test. 60 IN NAPTR 10 10 "s" "SIPS+D2T" "" _sips._tcp.carrier.test.`,
				`_sips._tcp.carrier.test. 60 IN SRV 10 0 `+relayPort+` sbc.carrier.test.`,
				`sbc.carrier.test. 60 IN A 127.0.0.1`,
			)
			s := startAcd(t, "-config", writeConfig(t, tlsTrunkYAML(t, ca)+`sip: {dns_servers: ["`+zone+`"]}
trunks:
  carrier:
    address: sips:carrier.test
    username: acd-account
    password: carrier-secret
    register: true
    contact_user: "+14155550100"
`))
			if !tc.registered {
				line := s.waitLog(t, 15*time.Second, "trunk registration failed", "trunk=carrier")
				if !strings.Contains(line, "certificate refused") || !strings.Contains(line, "not for this name") {
					t.Fatalf("the failure does not say the certificate is for another name: %s", line)
				}
				return
			}
			s.waitLog(t, 15*time.Second, "trunk registered", "trunk=carrier", "expires=3s")
			if v := sample(t, scrape(t, s), "acd_trunk_registered", "trunk", "carrier"); v != 1 {
				t.Fatalf("acd_trunk_registered{trunk=carrier} = %v while registered", v)
			}
		})
	}
}

// TestTrunkRegistersOverTCP: a trunk with transport: tcp registers over
// TCP with the SIPp registrar, on a connection of its own (not one bound
// to the UDP socket's address, which the TCP listener holds).
func TestTrunkRegistersOverTCP(t *testing.T) {
	t.Parallel()
	sipp := requireSIPp(t)
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	port := startRegistrar(t, ctx, sipp, "tcp")
	s := startAcd(t, "-config", writeConfig(t, `trunks:
  carrier:
    address: 127.0.0.1:`+port+`
    transport: tcp
    username: acd-account
    password: carrier-secret
    register: true
    contact_user: "+14155550100"
`))
	s.waitLog(t, 15*time.Second, "trunk registered", "trunk=carrier", "expires=3s")
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

// startRegistrar runs SIPp as a registrar that challenges one REGISTER
// and grants 3 s (testdata/registrar.xml), over "udp" or "tcp", on a free
// loopback port it returns; it is stopped by its PID when the test ends.
func startRegistrar(t *testing.T, ctx context.Context, sipp, transport string) string {
	t.Helper()
	port := freeUDPPort(t)
	args := []string{"-sf", "testdata/registrar.xml", "-i", "127.0.0.1", "-m", "1", "-timeout", "40s", "-nostdin"}
	if transport == "tcp" {
		port = freeTCPPort(t)
		args = append(args, "-t", "t1")
	}
	registrar := exec.CommandContext(ctx, sipp, append(args, "-p", port)...)
	var out strings.Builder
	registrar.Stdout, registrar.Stderr = &out, &out
	if err := registrar.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = registrar.Process.Signal(syscall.SIGTERM) // ours, by PID
		_ = registrar.Wait()
		if t.Failed() {
			t.Logf("SIPp registrar:\n%s", lastLines(out.String(), 30))
		}
	})
	return port
}
