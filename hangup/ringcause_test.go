package hangup

import "testing"

// TestRingCauseWords: each cause reads as the word events have always
// carried for it, and each final status of an INVITE gives its cause.
func TestRingCauseWords(t *testing.T) {
	for _, tt := range []struct {
		status int
		cause  RingCause
		word   string
	}{
		{486, RingBusy, "busy"},
		{600, RingBusy, "busy"},
		{603, RingDeclined, "declined"},
		{403, RingDeclined, "declined"},
		{408, RingNoAnswer, "no-answer"},
		{480, RingNoAnswer, "no-answer"},
		{487, RingNoAnswer, "no-answer"},
		{404, RingUnreachable, "unreachable"},
		{410, RingUnreachable, "unreachable"},
		{484, RingUnreachable, "unreachable"},
		{485, RingUnreachable, "unreachable"},
		{503, RingFailed, "failed"},
		{500, RingFailed, "failed"},
	} {
		if got := RingStatus(tt.status); got != tt.cause || got.String() != tt.word {
			t.Errorf("status %d: %v (%q), want %q", tt.status, int(got), got.String(), tt.word)
		}
	}
	for cause, word := range map[RingCause]string{
		RingNone: "", RingNoResponse: "no-response", RingCancelled: "cancelled",
		RingNotDialable: "not-dialable", RingAgentHungUp: "agent-hung-up",
	} {
		if cause.String() != word {
			t.Errorf("cause %d reads %q, want %q", int(cause), cause.String(), word)
		}
	}
}
