package sip_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	sipmsg "github.com/emiago/sipgo/sip"

	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/media"
	acdsip "github.com/acdserver/acd/sip"
)

func shortSessions(c *acdsip.Config) { c.MinSessionExpires = time.Second }

func headerOf(m sipmsg.Message, name string) string {
	if hs := m.GetHeaders(name); len(hs) > 0 {
		return hs[0].Value()
	}
	return ""
}

// TestCallerSessionTimer: a caller that asks for session timers (RFC
// 4028) with itself as refresher gets them in the 200 OK; its refreshes
// keep the call up past the interval, and once they stop the server ends
// the call before the session expires.
func TestCallerSessionTimer(t *testing.T) {
	addr, srv := startServer(t, keyRecorder(t, make(chan rune, 16)), shortSessions)
	ctx := within(t, 20*time.Second)
	phone := testutil.NewPhone(t)
	phone.Headers = []sipmsg.Header{sipmsg.NewHeader("Session-Expires", "2;refresher=uac"), sipmsg.NewHeader("Supported", "timer")}
	s, err := phone.Invite(ctx, addr, "100", phone.SDP(101, media.PCMU))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := phone.Answered(ctx, s, nil); err != nil {
		t.Fatal(err)
	}
	if se := headerOf(s.InviteResponse, "Session-Expires"); se != "2;refresher=uac" {
		t.Fatalf("200 OK has Session-Expires %q; want 2;refresher=uac", se)
	}
	if req := headerOf(s.InviteResponse, "Require"); !strings.Contains(req, "timer") {
		t.Fatalf("200 OK has Require %q; want timer", req)
	}
	for range 3 {
		time.Sleep(time.Second) // the refresher's own clock: half the interval
		req := sipmsg.NewRequest(sipmsg.INVITE, s.InviteResponse.Contact().Address)
		req.SetBody(phone.SDP(101, media.PCMU))
		req.AppendHeader(sipmsg.NewHeader("Content-Type", "application/sdp"))
		req.AppendHeader(sipmsg.NewHeader("Session-Expires", "2;refresher=uac"))
		req.AppendHeader(sipmsg.NewHeader("Supported", "timer"))
		res, err := s.Do(ctx, req)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("refresh: %v %v", res, err)
		}
		if se := headerOf(res, "Session-Expires"); se != "2;refresher=uac" {
			t.Fatalf("refresh answered with Session-Expires %q", se)
		}
		if err := s.WriteAck(ctx, sipmsg.NewRequest(sipmsg.ACK, s.InviteResponse.Contact().Address)); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-phone.Byes:
		t.Fatal("the server hung up a call whose session was refreshed")
	default:
	}
	stopped := time.Now()
	select {
	case <-phone.Byes:
	case <-ctx.Done():
		t.Fatal("the server never ended a call whose refreshes stopped")
	}
	if d := time.Since(stopped); d > 2*time.Second {
		t.Fatalf("BYE %v after the last refresh; the session expired at 2 s", d)
	}
	waitNoCalls(t, ctx, srv, "the expired call is still held")
}

// TestSessionIntervalTooSmall: an interval under Min-SE gets 422 with
// Min-SE (RFC 4028 §6).
func TestSessionIntervalTooSmall(t *testing.T) {
	addr, _ := startServer(t, keyRecorder(t, make(chan rune, 16)))
	ctx := within(t, 10*time.Second)
	phone := testutil.NewPhone(t)
	phone.Headers = []sipmsg.Header{sipmsg.NewHeader("Session-Expires", "30"), sipmsg.NewHeader("Supported", "timer")}
	res := expectRejected(t, ctx, phone, addr, "100", phone.SDP(101, media.PCMU), 422)
	if got := headerOf(res, "Min-SE"); got != "90" {
		t.Fatalf("422 with Min-SE %q, want 90", got)
	}
}

// rawAgent answers a caller and bridges it to a raw phone dialled as a
// trunk; the test answers the raw phone's INVITE itself.
func rawAgent(t *testing.T, ctx context.Context, raw *testutil.RawPhone) (*testutil.Phone, *acdsip.Server) {
	t.Helper()
	var server atomic.Pointer[acdsip.Server]
	addr, srv := startServer(t, func(ctx context.Context, c *acdsip.Call) {
		leg, err := server.Load().Dial(ctx, acdsip.Trunk{Address: raw.Addr()}, "5550100", c.Caller())
		if err != nil {
			t.Errorf("dialling the agent: %v", err)
			return
		}
		server.Load().BridgeHolding(c, leg, sounds(t).Get("hold-music"))
		select {
		case <-c.Done():
		case <-leg.Done():
		case <-ctx.Done():
		}
	}, shortSessions)
	server.Store(srv)
	caller, _ := answeredCall(t, ctx, addr)
	return caller, srv
}

// answerRaw answers the INVITE the raw phone got with 200 OK and extra
// headers, and waits for the ACK.
func answerRaw(t *testing.T, ctx context.Context, raw *testutil.RawPhone, hdrs ...sipmsg.Header) *sipmsg.Request {
	t.Helper()
	invite := expectRequest(t, ctx, raw, sipmsg.INVITE, "the agent's phone was never rung")
	if !supportsTimer(invite) {
		t.Fatalf("our INVITE does not say Supported: timer, so no phone may ask for session timers:\n%s", invite)
	}
	raw.Respond(invite, 200, "OK", hdrs...)
	expectRequest(t, ctx, raw, sipmsg.ACK, "the agent's answer was never acknowledged")
	return invite
}

func supportsTimer(m sipmsg.Message) bool {
	return strings.Contains(headerOf(m, "Supported"), "timer")
}

// TestAgentSessionTimerWeRefresh: an agent's phone that answers with
// Session-Expires naming us (its UAC) refresher gets a re-INVITE every
// half interval; a refresh answered 481 ends both the leg and the call.
func TestAgentSessionTimerWeRefresh(t *testing.T) {
	ctx := within(t, 20*time.Second)
	raw := testutil.NewRawPhone(t)
	caller, _ := rawAgent(t, ctx, raw)
	answerRaw(t, ctx, raw, sipmsg.NewHeader("Session-Expires", "2;refresher=uac"), sipmsg.NewHeader("Require", "timer"))
	last := time.Now()
	for range 2 {
		refresh := expectRequest(t, ctx, raw, sipmsg.INVITE, "no session refresh from the server, which is the refresher")
		if d := time.Since(last); d < 700*time.Millisecond || d > 1500*time.Millisecond {
			t.Fatalf("refresh %v after the last; want half the 2 s interval", d)
		}
		if se := headerOf(refresh, "Session-Expires"); !strings.HasPrefix(se, "2;refresher=uac") {
			t.Fatalf("refresh with Session-Expires %q", se)
		}
		raw.Respond(refresh, 200, "OK", sipmsg.NewHeader("Session-Expires", "2;refresher=uac"), sipmsg.NewHeader("Require", "timer"))
		expectRequest(t, ctx, raw, sipmsg.ACK, "the refresh's 200 OK was never acknowledged")
		last = time.Now()
	}
	select {
	case <-caller.Byes:
		t.Fatal("the caller was hung up while the agent's session was refreshed")
	default:
	}
	refresh := expectRequest(t, ctx, raw, sipmsg.INVITE, "no third session refresh")
	raw.Respond(refresh, 481, "Call/Transaction Does Not Exist")
	bye := expectRequest(t, ctx, raw, sipmsg.BYE, "a refresh answered 481 did not end the agent's leg")
	raw.Respond(bye, 200, "OK")
	select {
	case <-caller.Byes:
	case <-ctx.Done():
		t.Fatal("the caller was left up after the agent's session ended")
	}
}

// TestAgentSessionTimerNotRefreshed: an agent's phone that answers with
// itself as refresher and then never refreshes (it lost power, say) is
// hung up before the session expires, and so is the caller.
func TestAgentSessionTimerNotRefreshed(t *testing.T) {
	ctx := within(t, 20*time.Second)
	raw := testutil.NewRawPhone(t)
	caller, _ := rawAgent(t, ctx, raw)
	answerRaw(t, ctx, raw, sipmsg.NewHeader("Session-Expires", "2;refresher=uas"), sipmsg.NewHeader("Require", "timer"))
	answered := time.Now()
	bye := expectRequest(t, ctx, raw, sipmsg.BYE, "an agent's session that was never refreshed was never ended")
	if d := time.Since(answered); d < time.Second || d > 2*time.Second {
		t.Fatalf("BYE %v after the answer; want before the 2 s session expires, not before 2-2/3 s", d)
	}
	raw.Respond(bye, 200, "OK")
	select {
	case <-caller.Byes:
	case <-ctx.Done():
		t.Fatal("the caller was left up after the agent's session expired")
	}
}

// TestDeadAgentPhoneEndsTheCall: an agent's phone that stops sending RTP
// (it lost power) is noticed by the RTP timeout, which applies to legs
// as to calls; the caller is hung up too.
func TestDeadAgentPhoneEndsTheCall(t *testing.T) {
	ctx := within(t, 20*time.Second)
	agent := testutil.NewPhone(t)
	caller, _ := bridgedToAgent(t, ctx, agent, func(c *acdsip.Config) { c.RTPTimeout = time.Second })
	caller.SendTone(ctx, media.PCMU) // the caller is alive
	agent.Silence()
	select {
	case <-caller.Byes:
	case <-ctx.Done():
		t.Fatal("a caller bridged to a dead phone was left in dead air")
	}
}

// TestCallerNamesUsRefresher: a caller that makes us the refresher
// (refresher=uas) gets a re-INVITE from us every half interval, carrying
// our unchanged SDP, and the ACK of its 2xx.
func TestCallerNamesUsRefresher(t *testing.T) {
	addr, _ := startServer(t, keyRecorder(t, make(chan rune, 16)), shortSessions)
	ctx := within(t, 20*time.Second)
	raw := testutil.NewRawPhone(t)
	raw.WaitServing(ctx, addr)
	invite := raw.NewRequest(sipmsg.INVITE, addr, "100")
	invite.AppendHeader(sipmsg.NewHeader("Contact", "<sip:raw@"+raw.Addr()+">"))
	invite.AppendHeader(sipmsg.NewHeader("Session-Expires", "2;refresher=uas"))
	invite.AppendHeader(sipmsg.NewHeader("Supported", "timer"))
	invite.AppendHeader(sipmsg.NewHeader("Content-Type", "application/sdp"))
	invite.SetBody(raw.SDP(media.SendRecv))
	raw.Send(addr, invite)
	m, err := raw.Next(ctx, testutil.Response(200, sipmsg.INVITE))
	if err != nil {
		t.Fatal("the call was not answered")
	}
	ok := m.(*sipmsg.Response)
	if se := headerOf(ok, "Session-Expires"); se != "2;refresher=uas" {
		t.Fatalf("200 OK has Session-Expires %q; want 2;refresher=uas", se)
	}
	rawAck(raw, addr, invite, ok)
	answered := time.Now()
	for range 2 {
		refresh := expectRequest(t, ctx, raw, sipmsg.INVITE, "no session refresh from the server, which the caller made refresher")
		if d := time.Since(answered); d < 700*time.Millisecond || d > 1500*time.Millisecond {
			t.Fatalf("refresh %v after the last; want half the 2 s interval", d)
		}
		if string(refresh.Body()) != string(ok.Body()) {
			t.Fatalf("the refresh offers another SDP:\n%s\nwant\n%s", refresh.Body(), ok.Body())
		}
		raw.Respond(refresh, 200, "OK", sipmsg.NewHeader("Session-Expires", "2;refresher=uac"), sipmsg.NewHeader("Require", "timer"))
		expectRequest(t, ctx, raw, sipmsg.ACK, "the refresh's 200 OK was never acknowledged")
		answered = time.Now()
	}
	if !raw.Quiet(300*time.Millisecond, testutil.Request(sipmsg.BYE)) {
		t.Fatal("the server hung up a session it kept refreshing")
	}
	bye := sipmsg.NewRequest(sipmsg.BYE, ok.Contact().Address)
	bye.AppendHeader(sipmsg.NewHeader("Via", "SIP/2.0/UDP "+raw.Addr()+";branch="+sipmsg.GenerateBranch()))
	bye.AppendHeader(sipmsg.HeaderClone(invite.From()))
	bye.AppendHeader(sipmsg.HeaderClone(ok.To()))
	bye.AppendHeader(sipmsg.HeaderClone(invite.CallID()))
	bye.AppendHeader(&sipmsg.CSeqHeader{SeqNo: invite.CSeq().SeqNo + 1, MethodName: sipmsg.BYE})
	maxFwd := sipmsg.MaxForwardsHeader(70)
	bye.AppendHeader(&maxFwd)
	bye.SetBody(nil)
	raw.Send(addr, bye)
	if _, err := raw.Next(ctx, testutil.Response(200, sipmsg.BYE)); err != nil {
		t.Fatal("the caller's BYE was not answered")
	}
}
