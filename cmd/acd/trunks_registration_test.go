package main

import (
	"cmp"
	"context"
	"maps"
	"net"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/acdserver/acd/internal/testutil"
)

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

// TestAPITrunkRegisters: a trunk made through the API carries a
// registration, a caller ID and an SRTP policy as the file's trunks do;
// the API shows them (the password never), refuses bad ones with 422
// naming the field, and the trunk registers with the SIPp registrar
// (testdata/registrar.xml) at once, answering its digest challenge.
func TestAPITrunkRegisters(t *testing.T) {
	t.Parallel()
	sipp := requireSIPp(t)
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	port := startRegistrar(t, ctx, sipp, "udp")
	s := startAcd(t, "-config", writeConfig(t, "numbering: {region: US}\n"+apiYAML))
	admin := setupAdmin(t, s)
	trunk := map[string]any{"id": "carrier", "address": "127.0.0.1:" + port, "username": "acd-account", "password": "carrier-secret",
		"register": true, "contact_user": "+14155550100", "caller_id": map[string]any{"number": "(415) 555-0199", "name": "Acme Support"},
		"srtp": "optional"}
	with := func(field string, v any) map[string]any {
		m := maps.Clone(trunk)
		m["id"] = "bad"
		m[field] = v
		return m
	}
	for _, tc := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"a caller ID not of the region", with("caller_id", map[string]any{"number": "12"}), "caller_id.number"},
		{"an emergency number as caller ID", with("caller_id", map[string]any{"number": "911"}), "caller_id.number"},
		{"a caller ID name with quotes", with("caller_id", map[string]any{"number": "+14155550199", "name": `"Acme"`}), "caller_id.name"},
		{"an SRTP policy unknown", with("srtp", "sometimes"), "srtp"},
		{"registering without a password", with("password", ""), "password"},
		{"a registration interval that is no duration", with("register_expires", "soon"), "register_expires"},
		{"a contact user no SIP URI takes", with("contact_user", "a b"), "contact_user"},
		{"a transport unknown", with("transport", "sctp"), "transport"},
	} {
		status, body, _ := admin.do(t, "POST", "/trunks", tc.body)
		if status != 422 || !strings.Contains(string(body), `"location":"body.`+tc.field+`"`) {
			t.Errorf("%s: %d %s; want 422 naming body.%s", tc.name, status, body, tc.field)
		}
	}
	admin.expect(t, "POST", "/trunks", trunk, 201, nil)
	s.waitLog(t, 10*time.Second, "trunk registered", "trunk=carrier", "expires=3s")

	var list struct {
		Trunks []map[string]any `json:"trunks"`
	}
	admin.expect(t, "GET", "/trunks", nil, 200, &list)
	if len(list.Trunks) != 1 {
		t.Fatalf("trunks: %v", list.Trunks)
	}
	got := list.Trunks[0]
	for field, want := range map[string]any{
		"register": true, "register_expires": "1h", "contact_user": "+14155550100", "srtp": "optional", "has_password": true,
		"caller_id": map[string]any{"number": "+14155550199", "name": "Acme Support"},
	} {
		if !reflect.DeepEqual(got[field], want) {
			t.Errorf("%s: %v, want %v", field, got[field], want)
		}
	}
	if _, ok := got["password"]; ok {
		t.Errorf("the trunk shown with its password: %v", got)
	}
	// Replaced without its password and without a registration: the
	// password is kept, and the registration ends.
	admin.expect(t, "PUT", "/trunks/carrier", map[string]any{"address": "127.0.0.1:" + port, "username": "acd-account"}, 200, nil)
	s.waitLog(t, 10*time.Second, "trunk registration stopped", "trunk=carrier")
	var after struct {
		Trunks []map[string]any `json:"trunks"`
	}
	admin.expect(t, "GET", "/trunks", nil, 200, &after)
	if got := after.Trunks[0]; got["register"] != false || got["has_password"] != true || got["caller_id"] != nil {
		t.Fatalf("after the replacement: %v", got)
	}
}
