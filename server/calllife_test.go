package server

import (
	"testing"

	"github.com/acdserver/acd/hangup"
)

// call.hungup's by and cause, from the typed cause the SIP side gives.
func TestHangupCauseWordsOfCallHungUp(t *testing.T) {
	for _, tc := range []struct {
		cause     hangup.Cause
		by, words string
	}{
		{hangup.Cause{By: hangup.Caller, Code: hangup.CallerHungUp}, "caller", "caller-hangup"},
		{hangup.Cause{By: hangup.Caller, Code: hangup.CallerCancelled}, "caller", "caller-hangup"},
		{hangup.ByServer(hangup.EndOfDialPlan), "server", "end-of-dialplan"},
		{hangup.ByServer(hangup.HandlerReturned), "server", "end-of-dialplan"},
		{hangup.ByServer(hangup.HangupNode), "server", "hangup-node"},
		{hangup.ByServer(hangup.CallerRTPTimeout), "server", "no-rtp"},
		{hangup.ByServer(hangup.SessionExpired), "server", "session-expired"},
		{hangup.Cause{By: hangup.Server, Code: hangup.SessionRefreshFailed, Detail: "timeout"}, "server", "session-expired"},
		{hangup.ByServer(hangup.Shutdown), "server", "server-stopped"},
		{hangup.ByServer(hangup.DialPlanLoop), "server", "dialplan-loop"},
		{hangup.ByServer(hangup.DialPlanError), "server", "dialplan-error"},
		{hangup.Cause{By: hangup.Server, Code: hangup.Transferred, Detail: "2000"}, "caller", "transferred"},
		{hangup.ByServer(hangup.NoACK), "server", "failed"},
		{hangup.ByServer(hangup.NoMedia), "server", "failed"},
	} {
		if by, words := hangupCause(tc.cause); by != tc.by || words != tc.words {
			t.Errorf("%v (by %v) gives %s/%s, want %s/%s", tc.cause, tc.cause.By, by, words, tc.by, tc.words)
		}
	}
}
