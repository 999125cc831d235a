package sip_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	sipmsg "github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"github.com/acdserver/acd/internal/testutil"
	acdsip "github.com/acdserver/acd/sip"
)

// registerRaw registers a raw phone as user, answering the challenge.
func registerRaw(t *testing.T, ctx context.Context, p *testutil.RawPhone, addr, user, password string) {
	t.Helper()
	send := func(cseq uint32, auth string) *sipmsg.Response {
		req := p.NewRequest(sipmsg.REGISTER, addr, "")
		req.ReplaceHeader(sipmsg.NewHeader("From", fmt.Sprintf("<sip:%s@%s>;tag=reg", user, addr)))
		req.ReplaceHeader(sipmsg.NewHeader("To", fmt.Sprintf("<sip:%s@%s>", user, addr)))
		req.ReplaceHeader(sipmsg.NewHeader("Call-ID", "qualify-reg@raw"))
		req.ReplaceHeader(&sipmsg.CSeqHeader{SeqNo: cseq, MethodName: sipmsg.REGISTER})
		req.AppendHeader(sipmsg.NewHeader("Contact", fmt.Sprintf("<sip:%s@%s>", user, p.Addr())))
		req.AppendHeader(sipmsg.NewHeader("Expires", "300"))
		if auth != "" {
			req.AppendHeader(sipmsg.NewHeader("Authorization", auth))
		}
		p.Send(addr, req)
		m, err := p.Next(ctx, func(m sipmsg.Message) bool {
			res, ok := m.(*sipmsg.Response)
			return ok && res.CSeq() != nil && res.CSeq().SeqNo == cseq
		})
		if err != nil {
			t.Fatalf("no answer to REGISTER: %v", err)
		}
		return m.(*sipmsg.Response)
	}
	res := send(1, "")
	h := res.GetHeader("WWW-Authenticate")
	if res.StatusCode != 401 || h == nil {
		t.Fatalf("REGISTER: %d, want a challenge", res.StatusCode)
	}
	chal, err := digest.ParseChallenge(h.Value())
	if err != nil {
		t.Fatal(err)
	}
	cred, err := digest.Digest(chal, digest.Options{Method: "REGISTER", URI: "sip:" + addr, Username: user, Password: password, Count: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res := send(2, cred.String()); res.StatusCode != 200 {
		t.Fatalf("REGISTER with the password: %d", res.StatusCode)
	}
}

type reachability struct {
	agent     string
	reachable bool
	cause     string
}

// qualifyServer starts a server where agent 1001 (password pw-1001) may
// register, with qualify set as given (zero: off), and returns expect,
// which waits for the next change of reachability the server reports,
// and the channel of those changes.
func qualifyServer(t *testing.T, ctx context.Context, q acdsip.Qualify) (string, *acdsip.Server, <-chan reachability, func(reachability)) {
	t.Helper()
	changes := make(chan reachability, 16)
	addr, srv := startServer(t, func(ctx context.Context, c *acdsip.Call) { <-c.Done() }, func(cfg *acdsip.Config) {
		cfg.Realm = "acd.local"
		cfg.Secrets = func(user string) (string, string, bool) { return "pw-1001", "", user == "1001" }
		cfg.Registered = func(agent string, reachable bool, cause string) { changes <- reachability{agent, reachable, cause} }
		cfg.Qualify = q
	})
	expect := func(want reachability) {
		t.Helper()
		select {
		case got := <-changes:
			if got != want {
				t.Fatalf("told %+v, want %+v", got, want)
			}
		case <-ctx.Done():
			t.Fatalf("never told %+v", want)
		}
	}
	return addr, srv, changes, expect
}

// TestQualify: a registered phone is sent OPTIONS where it registered
// from; any final answer (a 404 too) keeps it reachable; two left
// unanswered make it unreachable (Registered is false, and the change is
// told with no-response); one answer makes it reachable again.
func TestQualify(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	addr, srv, changes, expect := qualifyServer(t, ctx, acdsip.Qualify{Interval: 400 * time.Millisecond, Timeout: 250 * time.Millisecond, Failures: 2})
	p := testutil.NewRawPhone(t)
	registerRaw(t, ctx, p, addr, "1001", "pw-1001")
	expect(reachability{"1001", true, acdsip.CauseRegistered})

	next := func() *sipmsg.Request {
		t.Helper()
		m, err := p.Next(ctx, testutil.Request(sipmsg.OPTIONS))
		if err != nil {
			t.Fatalf("no OPTIONS came: %v", err)
		}
		req := m.(*sipmsg.Request)
		if req.Recipient.User != "1001" || req.Recipient.Host != "127.0.0.1" {
			t.Fatalf("OPTIONS to %s, want the phone's contact", req.Recipient.String())
		}
		return req
	}
	// Answered, even with 404: alive. Two rounds, no change.
	for range 2 {
		p.Respond(next(), 404, "Not Found")
	}
	if !srv.Registered("1001") {
		t.Fatal("a phone that answers OPTIONS is not registered")
	}
	// Silent once: a miss, no change (the next OPTIONS comes after the
	// first one's timeout). Silent twice: unreachable.
	next()
	next()
	select {
	case got := <-changes:
		t.Fatalf("told %+v after one unanswered OPTIONS; want nothing until two", got)
	default:
	}
	expect(reachability{"1001", false, acdsip.CauseNoResponse})
	if srv.Registered("1001") {
		t.Fatal("a phone that stopped answering is still offered calls")
	}
	// It answers again: reachable.
	p.Respond(next(), 200, "OK")
	expect(reachability{"1001", true, acdsip.CauseResponding})
	if !srv.Registered("1001") {
		t.Fatal("a phone answering again is not registered")
	}
}

// TestQualifyOverTCP: a phone registered over TCP is asked over its own
// connection; once the connection is gone (no phone listens where it
// came from), the OPTIONS fail and the phone is unreachable.
func TestQualifyOverTCP(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	addr, _, changes, _ := qualifyServer(t, ctx, acdsip.Qualify{Interval: 400 * time.Millisecond, Timeout: 250 * time.Millisecond, Failures: 2})
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	local := conn.LocalAddr().String()
	register := func(cseq int, auth string) string {
		return fmt.Sprintf("REGISTER sip:%s SIP/2.0\r\nVia: SIP/2.0/TCP %s;branch=z9hG4bK-tcpreg%d\r\nFrom: <sip:1001@%s>;tag=r1\r\n"+
			"To: <sip:1001@%s>\r\nCall-ID: reg-tcp\r\nCSeq: %d REGISTER\r\nContact: <sip:1001@%s;transport=tcp>\r\nExpires: 300\r\nMax-Forwards: 70\r\n%sContent-Length: 0\r\n\r\n",
			addr, local, cseq, addr, addr, cseq, local, auth)
	}
	res, err := sipmsg.ParseMessage([]byte(exchange(t, conn, register(1, ""))))
	if err != nil {
		t.Fatal(err)
	}
	chal, err := digest.ParseChallenge(res.(*sipmsg.Response).GetHeader("WWW-Authenticate").Value())
	if err != nil {
		t.Fatal(err)
	}
	cred, err := digest.Digest(chal, digest.Options{Method: "REGISTER", URI: "sip:" + addr, Username: "1001", Password: "pw-1001", Count: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got := exchange(t, conn, register(2, "Authorization: "+cred.String()+"\r\n")); !strings.HasPrefix(got, "SIP/2.0 200") {
		t.Fatalf("REGISTER over TCP: %.40q", got)
	}
	if got := <-changes; got != (reachability{"1001", true, acdsip.CauseRegistered}) {
		t.Fatalf("told %+v", got)
	}
	// The OPTIONS comes over the phone's own connection; it answers.
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 65535)
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatalf("no OPTIONS over the phone's connection: %v", err)
	}
	msg, err := sipmsg.ParseMessage(buf[:n])
	if err != nil {
		t.Fatal(err)
	}
	req, ok := msg.(*sipmsg.Request)
	if !ok || req.Method != sipmsg.OPTIONS {
		t.Fatalf("got %.60q over the connection, want an OPTIONS", buf[:n])
	}
	answer := sipmsg.NewResponseFromRequest(req, 200, "OK", nil)
	if _, err := conn.Write([]byte(answer.String())); err != nil {
		t.Fatal(err)
	}
	// Gone: the connection closes, and nothing listens where it was.
	conn.Close()
	select {
	case got := <-changes:
		if got != (reachability{"1001", false, acdsip.CauseNoResponse}) {
			t.Fatalf("told %+v, want the phone unreachable", got)
		}
	case <-ctx.Done():
		t.Fatal("a phone whose connection is gone was never found unreachable")
	}
}

// TestQualifyReload: SetQualify changes qualify on a running server, a
// phone registered all along. Off at start, nothing asks it; turned on,
// it is asked and, silent, found unreachable; its answer makes it
// reachable; stricter settings are in force from the next OPTIONS; and
// turned off, no OPTIONS come and the phone found silent is reachable
// again, its registration kept. Each OPTIONS is counted by its result.
func TestQualifyReload(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	addr, srv, changes, expect := qualifyServer(t, ctx, acdsip.Qualify{})
	counted := func(want map[string]uint64, unreachable int) {
		t.Helper()
		if got := srv.QualifyCounts(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("OPTIONS counted %v, want %v", got, want)
		}
		if n := srv.UnreachablePhones(); n != unreachable {
			t.Fatalf("%d phones unreachable, want %d", n, unreachable)
		}
	}
	p := testutil.NewRawPhone(t)
	p.Register(ctx, addr, "1001", "pw-1001", "reload-reg@raw", 300)
	expect(reachability{"1001", true, acdsip.CauseRegistered})
	next := func() *sipmsg.Request {
		t.Helper()
		m, err := p.Next(ctx, testutil.Request(sipmsg.OPTIONS))
		if err != nil {
			t.Fatalf("no OPTIONS came: %v", err)
		}
		return m.(*sipmsg.Request)
	}
	// Off: within two intervals of what is turned on below, no OPTIONS.
	if !p.Quiet(800*time.Millisecond, testutil.Request(sipmsg.OPTIONS)) {
		t.Fatal("an OPTIONS came with qualify off")
	}

	srv.SetQualify(acdsip.Qualify{Interval: 400 * time.Millisecond, Timeout: 250 * time.Millisecond, Failures: 2})
	next()
	next()
	expect(reachability{"1001", false, acdsip.CauseNoResponse})
	counted(map[string]uint64{"error": 0, "ok": 0, "timeout": 2}, 1)
	p.Respond(next(), 200, "OK")
	expect(reachability{"1001", true, acdsip.CauseResponding})
	counted(map[string]uint64{"error": 0, "ok": 1, "timeout": 2}, 0)

	// One miss is now enough.
	srv.SetQualify(acdsip.Qualify{Interval: 300 * time.Millisecond, Timeout: 200 * time.Millisecond, Failures: 1})
	p.Forget(ctx, addr, testutil.Request(sipmsg.OPTIONS)) // asked under the old settings
	next()
	expect(reachability{"1001", false, acdsip.CauseNoResponse})
	if n := srv.UnreachablePhones(); n != 1 {
		t.Fatalf("%d phones unreachable, want 1", n)
	}

	srv.SetQualify(acdsip.Qualify{})
	expect(reachability{"1001", true, acdsip.CauseQualifyOff})
	if !srv.Registered("1001") || srv.UnreachablePhones() != 0 {
		t.Fatalf("with qualify off: registered %v, %d phones unreachable; want registered, none", srv.Registered("1001"), srv.UnreachablePhones())
	}
	p.Forget(ctx, addr, testutil.Request(sipmsg.OPTIONS))
	if !p.Quiet(700*time.Millisecond, testutil.Request(sipmsg.OPTIONS)) {
		t.Fatal("an OPTIONS came once qualify was turned off")
	}
	select {
	case got := <-changes:
		t.Fatalf("told %+v with qualify off", got)
	default:
	}
}
