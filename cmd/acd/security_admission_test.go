package main

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	sipmsg "github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/media"
)

// fail2banYAML admits 127.0.0.1 alone and lets a source send 40 SIP
// messages at once, then one a second.
const fail2banYAML = `sip_realm: test.local
numbers: {"100": main}
agents:
  "1001": {name: Alice, password: secret-1001}
  "1002": {name: Bob, password: secret-1002}
sip:
  allow_calls_from: [127.0.0.1/32]
  rate_limit: {per_second: 1, burst: 40}
dialplans:
  main:
    entry: bye
    nodes:
      bye: {type: hangup}
`

const filterFile = "../../docs/fail2ban/acd-sip.conf"

// TestFail2banFilter runs Debian's fail2ban-regex with the filter in
// docs/fail2ban over what the server logged of real SIP abuse, in each
// log format: every security line of SIP is one match, with the source
// that earned it, and a source named by a peer in a field of its own
// choosing is never taken for it.
func TestFail2banFilter(t *testing.T) {
	t.Parallel()
	regex := requireFail2ban(t)
	path := writeConfig(t, fail2banYAML)
	t.Run("text", func(t *testing.T) {
		t.Parallel()
		s := startAcd(t, "-config", path)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()

		// A caller not admitted: a burst, one line.
		stranger := testutil.NewRawPhoneAt(t, netip.MustParseAddr("127.0.0.2"))
		for range 5 {
			if code := rawInvite(t, ctx, stranger, s.sip); code != 403 {
				t.Fatalf("an INVITE from 127.0.0.2 got %d, want 403", code)
			}
		}
		// A wrong password, and a user name that names another source.
		guesser := testutil.NewPhoneAt(t, netip.MustParseAddr("127.0.0.6"))
		if code, err := guesser.Register(ctx, s.sip, "1001", "guess", 300); err != nil || code != 401 {
			t.Fatalf("REGISTER with a wrong password: %d %v, want 401", code, err)
		}
		forgedUser(t, ctx, testutil.NewRawPhoneAt(t, netip.MustParseAddr("127.0.0.6")), s.sip)
		// A password scan of one user: its first failure, the one that
		// throttles it, and the first refusal after.
		scanner := testutil.NewPhoneAt(t, netip.MustParseAddr("127.0.0.8"))
		for i := range 11 {
			want := 401
			if i == 10 {
				want = 403
			}
			if code, err := scanner.Register(ctx, s.sip, "1002", fmt.Sprint("guess-", i), 300); err != nil || code != want {
				t.Fatalf("REGISTER %d with a wrong password: %d %v, want %d", i, code, err, want)
			}
		}
		// A flood past the rate limit.
		flood(t, netip.MustParseAddr("127.0.0.7"), s.sip, 60)
		// The last line, after every other.
		if code := rawInvite(t, ctx, testutil.NewRawPhoneAt(t, netip.MustParseAddr("127.0.0.9")), s.sip); code != 403 {
			t.Fatalf("an INVITE from 127.0.0.9 got %d, want 403", code)
		}
		lines := s.linesUntil(t, 10*time.Second, notAdmitted, "source=127.0.0.9 ")

		want := []string{"127.0.0.2", "127.0.0.6", "127.0.0.6", "127.0.0.8", "127.0.0.8", "127.0.0.8", "127.0.0.7", "127.0.0.9"}
		if n := countLines(lines, `msg="security: SIP `); n != len(want) {
			t.Fatalf("%d SIP security lines logged, want %d:\n%s", n, len(want), strings.Join(lines, "\n"))
		}
		expectBans(t, regex, lines, want)
	})
	t.Run("jail", func(t *testing.T) {
		t.Parallel()
		jailLoads(t, filepath.Join(filepath.Dir(regex), "fail2ban-client"))
	})
	t.Run("json", func(t *testing.T) {
		t.Parallel()
		s := startAcd(t, "-config", path, "-log-format", "json")
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		stranger := testutil.NewRawPhoneAt(t, netip.MustParseAddr("127.0.0.2"))
		for range 3 {
			if code := rawInvite(t, ctx, stranger, s.sip); code != 403 {
				t.Fatalf("an INVITE from 127.0.0.2 got %d, want 403", code)
			}
		}
		forgedUser(t, ctx, testutil.NewRawPhoneAt(t, netip.MustParseAddr("127.0.0.6")), s.sip)
		flood(t, netip.MustParseAddr("127.0.0.7"), s.sip, 60)
		lines := s.linesUntil(t, 10*time.Second, `"msg":"security: SIP source over its rate limit`)
		expectBans(t, regex, lines, []string{"127.0.0.2", "127.0.0.6", "127.0.0.7"})
	})
}

// expectBans runs fail2ban-regex with the filter over lines and checks
// the sources it finds, one per match, in order.
func expectBans(t *testing.T, regex string, lines []string, want []string) {
	t.Helper()
	log := filepath.Join(t.TempDir(), "acd.log")
	if err := os.WriteFile(log, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(regex, "--raw", "--out", "ip", log, filterFile).Output()
	if err != nil {
		t.Fatalf("fail2ban-regex: %v\n%s", err, out)
	}
	got := strings.Fields(string(out))
	if !slices.Equal(got, want) {
		t.Fatalf("fail2ban-regex found %v, want %v, in:\n%s", got, want, strings.Join(lines, "\n"))
	}
}

// jailLoads checks the jail in docs/fail2ban with its filter against
// the system's fail2ban configuration, as fail2ban would load them.
func jailLoads(t *testing.T, client string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "fail2ban")
	if out, err := exec.Command("cp", "-r", "/etc/fail2ban", dir).CombinedOutput(); err != nil {
		t.Skipf("no fail2ban configuration to test the jail against: %v %s", err, out)
	}
	// Only our jail: the distribution's enable others whose logs are absent here.
	jails, _ := filepath.Glob(filepath.Join(dir, "jail.d", "*"))
	for _, j := range jails {
		_ = os.Remove(j)
	}
	for src, dst := range map[string]string{filterFile: "filter.d/acd-sip.conf", "../../docs/fail2ban/acd-sip.local": "jail.d/acd-sip.local"} {
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, dst), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command(client, "-c", dir, "--test").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "OK: configuration test is successful") {
		t.Fatalf("fail2ban-client --test: %v\n%s", err, out)
	}
	out, err = exec.Command(client, "-c", dir, "--dump").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "['add', 'acd-sip', 'systemd']") || !strings.Contains(string(out), "'addjournalmatch', '_SYSTEMD_UNIT=acd.service'") {
		t.Fatalf("fail2ban-client --dump: the acd-sip jail does not read acd.service's journal: %v\n%s", err, lastLines(string(out), 40))
	}
}

// forgedUser answers a challenge as a user whose name holds
// "source=6.6.6.6", with a wrong response: a failure from where it
// really came.
func forgedUser(t *testing.T, ctx context.Context, p *testutil.RawPhone, addr string) {
	t.Helper()
	req := p.NewRequest(sipmsg.REGISTER, addr, "1001")
	p.Send(addr, req)
	chal := nextResponse(t, ctx, p, req, 401)
	c, err := digest.ParseChallenge(chal.GetHeader("WWW-Authenticate").Value())
	if err != nil {
		t.Fatal(err)
	}
	again := p.NewRequest(sipmsg.REGISTER, addr, "1001")
	again.AppendHeader(sipmsg.NewHeader("Authorization", fmt.Sprintf(
		`Digest username="x source=6.6.6.6", realm=%q, nonce=%q, uri="sip:%s", response="00000000000000000000000000000000", algorithm=MD5`,
		c.Realm, c.Nonce, addr)))
	p.Send(addr, again)
	nextResponse(t, ctx, p, again, 401)
}

func nextResponse(t *testing.T, ctx context.Context, p *testutil.RawPhone, req *sipmsg.Request, code int) *sipmsg.Response {
	t.Helper()
	m, err := p.Next(ctx, func(m sipmsg.Message) bool {
		r, ok := m.(*sipmsg.Response)
		return ok && r.CallID().Value() == req.CallID().Value() && r.CSeq().SeqNo == req.CSeq().SeqNo && r.StatusCode >= 200
	})
	if err != nil {
		t.Fatalf("no answer to %s: %v", req.Method, err)
	}
	if res := m.(*sipmsg.Response); res.StatusCode != code {
		t.Fatalf("%s answered %d, want %d", req.Method, res.StatusCode, code)
	}
	return m.(*sipmsg.Response)
}

// flood sends n OPTIONS from ip at once, unanswered or not.
func flood(t *testing.T, ip netip.Addr, addr string, n int) {
	t.Helper()
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, 0)))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	to, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	local := conn.LocalAddr().String()
	for i := range n {
		msg := fmt.Sprintf("OPTIONS sip:%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-flood%d\r\nFrom: <sip:f@%s>;tag=f\r\n"+
			"To: <sip:%s>\r\nCall-ID: flood%d@test\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n", addr, local, i, local, addr, i)
		if _, err := conn.WriteToUDP([]byte(msg), to); err != nil {
			t.Fatal(err)
		}
	}
}

// requireFail2ban finds Debian's fail2ban-regex, installing fail2ban when
// it is missing and the test may (as root, with apt-get); it skips only
// when fail2ban cannot be had.
func requireFail2ban(t *testing.T) string {
	t.Helper()
	if path, err := exec.LookPath("fail2ban-regex"); err == nil {
		return path
	}
	why := "not installed, and the test cannot install it (it needs root and apt-get)"
	if _, err := exec.LookPath("apt-get"); err == nil && os.Geteuid() == 0 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		t.Log("fail2ban-regex is missing: apt-get install -y fail2ban")
		cmd := exec.CommandContext(ctx, "apt-get", "install", "-y", "-qq", "--no-install-recommends", "fail2ban")
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		out, err := cmd.CombinedOutput()
		if path, lerr := exec.LookPath("fail2ban-regex"); lerr == nil {
			return path
		}
		why = fmt.Sprintf("apt-get install fail2ban failed: %v\n%s", err, lastLines(string(out), 10))
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("fail2ban-regex: %s; make deps installs it", why)
	}
	t.Skipf("fail2ban-regex (Debian's fail2ban package): %s; make deps installs it", why)
	return ""
}

// admissionYAML admits 127.0.0.1 alone, a trunk from 127.0.0.3 and
// agent 1001's phone wherever it registers from.
const admissionYAML = `sip_realm: test.local
numbers: {"100": main}
agents:
  "1001": {name: Alice, password: secret-1001, queues: [support]}
queues:
  support: {announce_every: 1h}
trunks:
  carrier: {address: 127.0.0.3:5080, inbound_from: [127.0.0.3/32]}
sip:
  allow_calls_from: [127.0.0.1/32]
dialplans:
  main:
    entry: q
    nodes:
      q:   {type: queue, queue: support, timeout: 30s, on_timeout: bye, on_exit: bye}
      bye: {type: hangup}
`

const notAdmitted = "security: SIP call refused: source not admitted"

// TestAdmission: over real SIP, a caller from an address not admitted
// gets 403 and one security line for a burst; a trunk's source and a
// registered phone's are taken; a reload admits a new network at once.
func TestAdmission(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, admissionYAML)
	s := startAcd(t, "-config", path)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	stranger := testutil.NewRawPhoneAt(t, netip.MustParseAddr("127.0.0.2"))
	const burst = 5
	for range burst {
		if code := rawInvite(t, ctx, stranger, s.sip); code != 403 {
			t.Fatalf("an INVITE from 127.0.0.2 got %d, want 403", code)
		}
	}
	// Another source's line comes after every line of the burst.
	if code := rawInvite(t, ctx, testutil.NewRawPhoneAt(t, netip.MustParseAddr("127.0.0.5")), s.sip); code != 403 {
		t.Fatalf("an INVITE from 127.0.0.5 got %d, want 403", code)
	}
	lines := s.linesUntil(t, 5*time.Second, notAdmitted, "source=127.0.0.5 ")
	if n := countLines(lines, notAdmitted, "source=127.0.0.2 "); n != 1 {
		t.Fatalf("%d security lines for a burst of %d INVITEs from 127.0.0.2, want 1:\n%s", n, burst, strings.Join(lines, "\n"))
	}

	trunk := testutil.NewPhoneAt(t, netip.MustParseAddr("127.0.0.3"))
	if err := callAnswered(ctx, trunk, s.sip); err != nil {
		t.Fatalf("a call from the trunk's inbound_from: %v, want it answered", err)
	}

	phone := testutil.NewPhoneAt(t, netip.MustParseAddr("127.0.0.4"))
	if err := callAnswered(ctx, phone, s.sip); !refusedWith(err, 403) {
		t.Fatalf("a call from 127.0.0.4 before its phone registers: %v, want 403", err)
	}
	if code, err := phone.Register(ctx, s.sip, "1001", "secret-1001", 300); err != nil || code != 200 {
		t.Fatalf("REGISTER 1001 from 127.0.0.4: %d %v", code, err)
	}
	if err := callAnswered(ctx, phone, s.sip); err != nil {
		t.Fatalf("a call from a registered phone's address: %v, want it answered", err)
	}
	families := scrape(t, s)
	if n := sample(t, families, "acd_calls_refused_total", "reason", "not_admitted"); n != burst+2 {
		t.Fatalf("acd_calls_refused_total{reason=\"not_admitted\"} %v, want %d", n, burst+2)
	}

	text := strings.Replace(readFile(t, path), "allow_calls_from: [127.0.0.1/32]", "allow_calls_from: [127.0.0.1/32, 127.0.0.2/32]", 1)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = s.cmd.Process.Signal(syscall.SIGHUP)
	s.waitLog(t, 5*time.Second, "sip.allow_calls_from reloaded", "networks=127.0.0.1/32,127.0.0.2/32")
	if err := callAnswered(ctx, testutil.NewPhoneAt(t, netip.MustParseAddr("127.0.0.2")), s.sip); err != nil {
		t.Fatalf("a call from 127.0.0.2 once admitted by a reload: %v, want it answered", err)
	}
}

// rawInvite sends one INVITE for 100 and returns the status of its final
// answer.
func rawInvite(t *testing.T, ctx context.Context, p *testutil.RawPhone, addr string) int {
	t.Helper()
	req := p.NewRequest(sipmsg.INVITE, addr, "100")
	req.AppendHeader(sipmsg.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(p.SDP(media.SendRecv))
	p.Send(addr, req)
	res, err := p.Next(ctx, func(m sipmsg.Message) bool {
		r, ok := m.(*sipmsg.Response)
		return ok && r.CallID().Value() == req.CallID().Value() && r.StatusCode >= 200
	})
	if err != nil {
		t.Fatalf("no final answer to an INVITE from %s: %v", p.Addr(), err)
	}
	return res.(*sipmsg.Response).StatusCode
}

// TestMaxCallsRefusesWith503 runs the binary with room for one call: the
// second caller is refused with 503 and Retry-After while the first is up.
func TestMaxCallsRefusesWith503(t *testing.T) {
	s := startAcd(t, "-config", writeConfig(t, "server: {max_calls: 1}\n"+planYAML))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dial(t, ctx, s)

	expect503(t, ctx, s, "second call")
	if body := healthz(t, s); !strings.Contains(body, `"calls_refused":1,`) {
		t.Fatalf("healthz does not count the refused call: %s", body)
	}
}
