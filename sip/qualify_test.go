package sip_test

import (
	"context"
	"fmt"
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

// TestQualify: a registered phone is sent OPTIONS where it registered
// from; any final answer (a 404 too) keeps it reachable; two left
// unanswered make it unreachable (Registered is false, and the change is
// told with no-response); one answer makes it reachable again.
func TestQualify(t *testing.T) {
	t.Parallel()
	changes := make(chan reachability, 16)
	addr, srv := startServer(t, func(ctx context.Context, c *acdsip.Call) { <-c.Done() }, func(cfg *acdsip.Config) {
		cfg.Realm = "acd.local"
		cfg.Secrets = func(user string) (string, string, bool) { return "pw-1001", "", user == "1001" }
		cfg.Registered = func(agent string, reachable bool, cause string) { changes <- reachability{agent, reachable, cause} }
		cfg.Qualify = acdsip.Qualify{Interval: 400 * time.Millisecond, Timeout: 250 * time.Millisecond, Failures: 2}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
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
