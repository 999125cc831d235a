package sip_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	sipmsg "github.com/emiago/sipgo/sip"

	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/media"
	acdsip "github.com/acdserver/acd/sip"
)

// rawReinvite sends, from raw, a re-INVITE within the call s placed, as
// the phone would (same dialog, a higher CSeq), offering sdp.
func rawReinvite(raw *testutil.RawPhone, addr string, s *sipgo.DialogClientSession, seq uint32, sdp []byte) *sipmsg.Request {
	req := sipmsg.NewRequest(sipmsg.INVITE, *s.InviteResponse.Contact().Address.Clone())
	req.AppendHeader(sipmsg.NewHeader("Via", fmt.Sprintf("SIP/2.0/UDP %s;branch=%s", raw.Addr(), sipmsg.GenerateBranch())))
	req.AppendHeader(sipmsg.HeaderClone(s.InviteRequest.From()))
	req.AppendHeader(sipmsg.HeaderClone(s.InviteResponse.To()))
	req.AppendHeader(sipmsg.HeaderClone(s.InviteRequest.CallID()))
	req.AppendHeader(&sipmsg.CSeqHeader{SeqNo: seq, MethodName: sipmsg.INVITE})
	req.AppendHeader(sipmsg.NewHeader("Contact", fmt.Sprintf("<sip:raw@%s>", raw.Addr())))
	maxFwd := sipmsg.MaxForwardsHeader(70)
	req.AppendHeader(&maxFwd)
	req.AppendHeader(sipmsg.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(sdp)
	raw.Send(addr, req)
	return req
}

func rawAck(raw *testutil.RawPhone, addr string, invite *sipmsg.Request, res *sipmsg.Response) {
	ack := sipmsg.NewRequest(sipmsg.ACK, res.Contact().Address)
	ack.AppendHeader(sipmsg.NewHeader("Via", fmt.Sprintf("SIP/2.0/UDP %s;branch=%s", raw.Addr(), sipmsg.GenerateBranch())))
	ack.AppendHeader(sipmsg.HeaderClone(invite.From()))
	ack.AppendHeader(sipmsg.HeaderClone(res.To()))
	ack.AppendHeader(sipmsg.HeaderClone(invite.CallID()))
	ack.AppendHeader(&sipmsg.CSeqHeader{SeqNo: invite.CSeq().SeqNo, MethodName: sipmsg.ACK})
	maxFwd := sipmsg.MaxForwardsHeader(70)
	ack.AppendHeader(&maxFwd)
	ack.SetBody(nil)
	raw.Send(addr, ack)
}

// TestReInvite200IsRetransmittedUntilACK: the first 200 OK to a caller's
// re-INVITE is lost (the phone does not see it, so sends no ACK); the
// server sends it again T1 later, and stops once the ACK comes. The call
// stays up.
func TestReInvite200IsRetransmittedUntilACK(t *testing.T) {
	answered := make(chan struct{})
	addr, _ := startServer(t, func(ctx context.Context, c *acdsip.Call) {
		close(answered) // the call is confirmed: a re-INVITE now is not 491
		<-c.Done()
	})
	ctx := within(t, 20*time.Second)
	phone, s := answeredCall(t, ctx, addr)
	<-answered
	raw := testutil.NewRawPhone(t)
	invite := rawReinvite(raw, addr, s, s.InviteRequest.CSeq().SeqNo+5, phone.HeldSDP(media.SendOnly))

	first, err := raw.Next(ctx, testutil.Response(200, sipmsg.INVITE))
	if err != nil {
		t.Fatalf("no 200 OK to the re-INVITE: %v", err)
	}
	lost := time.Now()
	again, err := raw.Next(within(t, 3*time.Second), testutil.Response(200, sipmsg.INVITE))
	if err != nil {
		t.Fatal("the 200 OK to the re-INVITE was sent once: with that datagram lost, the phone's re-INVITE fails and the call ends")
	}
	if d := time.Since(lost); d < 300*time.Millisecond || d > 1500*time.Millisecond {
		t.Fatalf("first retransmission %v after the 200 OK; want T1 (500 ms)", d)
	}
	if string(again.(*sipmsg.Response).Body()) != string(first.(*sipmsg.Response).Body()) {
		t.Fatal("the retransmitted 200 OK carries another SDP")
	}
	rawAck(raw, addr, invite, again.(*sipmsg.Response))
	if !raw.Quiet(2500*time.Millisecond, testutil.Response(200, sipmsg.INVITE)) {
		t.Fatal("the 200 OK was still retransmitted after its ACK")
	}
	select {
	case <-phone.Byes:
		t.Fatal("the server hung up a call whose re-INVITE was acknowledged")
	default:
	}
	if err := phone.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestAgentReInviteWithoutACKEndsTheCall: the agent's phone never ACKs
// the 200 OK to its re-INVITE; after 64*T1 the server gives up and ends
// the dialog with BYE (RFC 3261 §13.3.1.4), and the caller with it.
func TestAgentReInviteWithoutACKEndsTheCall(t *testing.T) {
	if testing.Short() {
		t.Skip("waits 64*T1 (32 s)")
	}
	ctx := within(t, 60*time.Second)
	agent := testutil.NewPhone(t)
	caller, _ := bridgedToAgent(t, ctx, agent)
	sent := time.Now()
	res, err := agent.ReinviteIncoming(ctx, agent.HeldSDP(media.SendOnly), false, nil)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("the agent's re-INVITE: %v %v", res, err)
	}
	select {
	case <-agent.Byes:
	case <-ctx.Done():
		t.Fatal("a re-INVITE whose 200 OK was never acknowledged did not end the agent's dialog")
	}
	if d := time.Since(sent); d < 30*time.Second {
		t.Fatalf("gave up on the ACK after %v; want 64*T1 (32 s)", d)
	}
	select {
	case <-caller.Byes:
	case <-ctx.Done():
		t.Fatal("the caller was left in a call whose agent leg ended")
	}
}
