package main

import (
	"context"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	sipmsg "github.com/emiago/sipgo/sip"

	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/media"
)

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
