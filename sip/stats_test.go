package sip_test

import (
	"context"
	"testing"
	"time"

	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/media"
	acdsip "github.com/acdserver/acd/sip"
)

// TestStatsCountMessagesAndRefusals: the server counts the requests and
// responses on its sockets, and the calls it refuses by reason.
func TestStatsCountMessagesAndRefusals(t *testing.T) {
	t.Parallel()
	addr, srv := startServer(t, func(context.Context, *acdsip.Call) {})
	ctx := within(t, 10*time.Second)
	before := srv.Stats()
	phone := testutil.NewPhone(t)
	expectRejected(t, ctx, phone, addr, "999", phone.SDP(101, media.PCMU), 404)
	noCodec := []byte("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 9\r\na=rtpmap:9 G722/8000\r\n")
	expectRejected(t, ctx, phone, addr, "100", noCodec, 488)

	st := srv.Stats()
	if got := st.RequestsReceived["INVITE"] - before.RequestsReceived["INVITE"]; got != 2 {
		t.Errorf("%d INVITEs counted as received, want 2", got)
	}
	// The phone acknowledges each final response: ACKs arrive after it
	// has the response, so they may still be on their way.
	if st.ResponsesSent[404] != 1 || st.ResponsesSent[488] != 1 {
		t.Errorf("responses sent %v, want one 404 and one 488", st.ResponsesSent)
	}
	if st.Refused[acdsip.RefusedUnknownNumber] != 1 || st.Refused[acdsip.RefusedOffer] != 1 || st.Refused[acdsip.RefusedMaxCalls] != 0 {
		t.Errorf("refused %v, want one unknown number and one unacceptable offer", st.Refused)
	}
	if _, ok := st.RequestsReceived[acdsip.OtherMethod]; !ok {
		t.Errorf("no count for other methods in %v", st.RequestsReceived)
	}
}

// TestCallsListsBridgedCallAndLeg: a caller bridged to a leg shows as
// both, each bridged to the other.
func TestCallsListsBridgedCallAndLeg(t *testing.T) {
	t.Parallel()
	ctx := within(t, 15*time.Second)
	agent := testutil.NewPhone(t)
	caller, srv := bridgedToAgent(t, ctx, agent)
	calls := srv.Calls()
	if len(calls) != 2 {
		t.Fatalf("calls %+v, want the caller's and the leg", calls)
	}
	in, out := calls[0], calls[1]
	if in.Kind != acdsip.CallInbound || in.Number != "100" || out.Kind != acdsip.CallNumber || out.Number != "5550100" {
		t.Fatalf("calls %+v, want the caller's call to 100 first, then the leg to 5550100", calls)
	}
	if in.BridgedTo != out.ID || out.BridgedTo != in.ID {
		t.Fatalf("bridged to %q and %q, want each other's Call-ID (%q, %q)", in.BridgedTo, out.BridgedTo, out.ID, in.ID)
	}
	if in.Codec != "PCMU" || in.Started.IsZero() || in.Peer == "" {
		t.Fatalf("caller's call %+v lacks codec, start or peer", in)
	}
	st := srv.Stats()
	if st.RequestsSent["INVITE"] < 1 || st.ResponsesReceived[200] < 1 || st.ResponsesSent[200] < 1 {
		t.Fatalf("stats %+v: want our INVITE to the leg, its 200 and ours to the caller counted", st)
	}
	// Hung up while both phones still answer, the test ends at once.
	if err := caller.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	waitNoCalls(t, ctx, srv, "the caller's hang-up did not end the call")
	for len(srv.Calls()) > 0 {
		select {
		case <-ctx.Done():
			t.Fatalf("the leg outlived the caller: %+v", srv.Calls())
		case <-time.After(10 * time.Millisecond):
		}
	}
}
