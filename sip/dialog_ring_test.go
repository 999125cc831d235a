package sip_test

import (
	"context"
	"testing"
	"time"

	sipmsg "github.com/emiago/sipgo/sip"

	"github.com/acdserver/acd/hangup"
	"github.com/acdserver/acd/internal/testutil"
	acdsip "github.com/acdserver/acd/sip"
)

// ringRaw dials a raw phone through the server as a trunk, with a ring
// bounded by ring, and returns when the dial gave up and how long it took.
func ringRaw(t *testing.T, addr string, srv *acdsip.Server, phone *testutil.RawPhone, ring time.Duration) <-chan time.Duration {
	t.Helper()
	phone.WaitServing(within(t, 5*time.Second), addr)
	took := make(chan time.Duration, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), ring)
		defer cancel()
		start := time.Now()
		leg, err := srv.Dial(ctx, acdsip.Trunk{Address: phone.Addr()}, "5550100", "+14155550123")
		if err == nil {
			t.Error("the dial was answered, though the phone never answered in time")
			leg.Hangup(hangup.CallOver)
		} else {
			t.Logf("dial: %v", err)
		}
		took <- time.Since(start)
	}()
	return took
}

func expectRequest(t *testing.T, ctx context.Context, phone *testutil.RawPhone, method sipmsg.RequestMethod, why string) *sipmsg.Request {
	t.Helper()
	m, err := phone.Next(ctx, testutil.Request(method))
	if err != nil {
		t.Fatalf("no %s: %s (%v)", method, why, err)
	}
	return m.(*sipmsg.Request)
}

// TestRingStoppedBeforeProvisionalIsCancelledWhenItRings: a ring given up
// before the phone sent anything returns at once, is cancelled as soon as
// the phone's 180 arrives (RFC 3261 §9.1), and the phone that answers
// anyway (its 200 crossing the CANCEL) is acknowledged and hung up rather
// than left in dead air.
func TestRingStoppedBeforeProvisionalIsCancelledWhenItRings(t *testing.T) {
	addr, srv := startServer(t, func(context.Context, *acdsip.Call) {})
	ctx := within(t, 20*time.Second)
	phone := testutil.NewRawPhone(t)
	took := ringRaw(t, addr, srv, phone, 300*time.Millisecond)
	invite := expectRequest(t, ctx, phone, sipmsg.INVITE, "the dial never reached the phone")
	select {
	case d := <-took:
		if d > time.Second {
			t.Fatalf("the dial took %v to give up after its 300 ms ring", d)
		}
	case <-ctx.Done():
		t.Fatal("the dial never gave up")
	}
	phone.Respond(invite, 180, "Ringing")
	cancel := expectRequest(t, ctx, phone, sipmsg.CANCEL, "the ring was abandoned, not cancelled, when the phone rang")
	phone.Respond(cancel, 200, "OK")
	phone.Respond(invite, 200, "OK") // answered as the CANCEL crossed it
	expectRequest(t, ctx, phone, sipmsg.ACK, "the late answer was never acknowledged")
	bye := expectRequest(t, ctx, phone, sipmsg.BYE, "the late answer was never hung up")
	phone.Respond(bye, 200, "OK")
	if n := srv.ActiveLegs(); n != 0 {
		t.Fatalf("%d legs up after a late answer was hung up", n)
	}
}

// TestCancelledRingReturnsAtOnce: a phone that rang, then answers neither
// the CANCEL nor the INVITE, does not hold the dial for SIP's 32 s.
func TestCancelledRingReturnsAtOnce(t *testing.T) {
	addr, srv := startServer(t, func(context.Context, *acdsip.Call) {})
	ctx := within(t, 20*time.Second)
	phone := testutil.NewRawPhone(t)
	took := ringRaw(t, addr, srv, phone, 500*time.Millisecond)
	invite := expectRequest(t, ctx, phone, sipmsg.INVITE, "the dial never reached the phone")
	phone.Respond(invite, 180, "Ringing")
	expectRequest(t, ctx, phone, sipmsg.CANCEL, "the ring was never cancelled")
	select {
	case d := <-took:
		if d > 1500*time.Millisecond {
			t.Fatalf("the dial took %v to give up after its 500 ms ring", d)
		}
	case <-ctx.Done():
		t.Fatal("a phone that stopped answering held the dial")
	}
}

// TestLateAnswerAfterCancelIsHungUp: the phone rang, the ring was
// cancelled, and the phone answers 200 to the INVITE all the same.
func TestLateAnswerAfterCancelIsHungUp(t *testing.T) {
	addr, srv := startServer(t, func(context.Context, *acdsip.Call) {})
	ctx := within(t, 20*time.Second)
	phone := testutil.NewRawPhone(t)
	took := ringRaw(t, addr, srv, phone, 300*time.Millisecond)
	invite := expectRequest(t, ctx, phone, sipmsg.INVITE, "the dial never reached the phone")
	phone.Respond(invite, 180, "Ringing")
	cancel := expectRequest(t, ctx, phone, sipmsg.CANCEL, "the ring was never cancelled")
	<-took
	phone.Respond(cancel, 200, "OK")
	phone.Respond(invite, 200, "OK")
	expectRequest(t, ctx, phone, sipmsg.ACK, "the late answer was never acknowledged")
	bye := expectRequest(t, ctx, phone, sipmsg.BYE, "the late answer was never hung up")
	phone.Respond(bye, 200, "OK")
}
