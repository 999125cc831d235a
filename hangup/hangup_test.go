package hangup

import "testing"

// The texts are what call.ended's reason has always carried: they must
// not change with the types behind them.
func TestCauseReadsAsTheReasonEventsCarry(t *testing.T) {
	for _, tc := range []struct {
		cause Cause
		want  string
	}{
		{Cause{}, ""},
		{Cause{By: Agent, Code: PhoneHungUp}, "the phone hung up"},
		{Cause{By: Caller, Code: CallerHungUp}, "caller hung up"},
		{ByServer(PhoneRTPTimeout), "no RTP from the phone"},
		{ByServer(SessionExpired), "session expired (RFC 4028)"},
		{Cause{By: Server, Code: SessionRefreshFailed, SIPStatus: 408, Detail: "re-INVITE answered 408"}, "session refresh failed: re-INVITE answered 408"},
		{Cause{By: Server, Code: Transferred, Detail: "2000"}, "transferred to 2000"},
		{ByServer(OtherSideHungUp), "the other side hung up"},
		{ByServer(Shutdown), "server shutting down"},
	} {
		if got := tc.cause.String(); got != tc.want {
			t.Errorf("%+v reads %q, want %q", tc.cause, got, tc.want)
		}
	}
}

// Every reason has a text, so that no end is logged or recorded blank.
func TestEveryReasonHasText(t *testing.T) {
	for r := Up + 1; r <= BridgeFailed; r++ {
		if texts[r] == "" {
			t.Errorf("reason %d has no text", r)
		}
	}
	if len(texts) != int(BridgeFailed)+1 {
		t.Errorf("%d texts for %d reasons", len(texts), BridgeFailed+1)
	}
}
