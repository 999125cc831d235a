package acd

import (
	"context"
	"errors"
)

// RingCause is why a ring of an agent's phone, or a dial of a customer,
// ended without an answer: the short word events carry. The SIP side's
// errors name theirs (a Cause method on the error, from the final SIP
// status); the distributor's rules for a missed offer depend on it.
type RingCause string

// The causes of a ring or dial that was not answered.
const (
	RingNoAnswer    RingCause = "no-answer"   // rang out, or 408, 480, 487
	RingBusy        RingCause = "busy"        // 486 or 600: the phone is on another call
	RingDeclined    RingCause = "declined"    // 603 or 403: the agent (or customer) refused it
	RingUnreachable RingCause = "unreachable" // no registered phone, or 404, 410, 484, 485
	RingNoResponse  RingCause = "no-response" // not even 100 Trying: a trunk that is down
	RingFailed      RingCause = "failed"      // any other status or error
	RingCancelled   RingCause = "cancelled"   // we stopped it: the caller left, another agent answered
	// Causes of a callback attempt that the distributor itself decides.
	RingNotDialable RingCause = "not-dialable"  // the number may not be dialled (any more)
	RingAgentHungUp RingCause = "agent-hung-up" // the agent gave up before the customer answered
)

// ringCause is the cause of a failed ring or dial ("" for none).
func ringCause(err error) RingCause {
	var named interface{ Cause() string }
	switch {
	case err == nil:
		return ""
	case errors.As(err, &named):
		return knownCause(named.Cause())
	case errors.Is(err, context.DeadlineExceeded):
		return RingNoAnswer
	case errors.Is(err, context.Canceled):
		return RingCancelled
	}
	return RingFailed
}

// knownCause reads the SIP side's cause; one the distributor does not
// know is a failure, so that no rule is applied to a misspelt word.
func knownCause(s string) RingCause {
	switch c := RingCause(s); c {
	case RingNoAnswer, RingBusy, RingDeclined, RingUnreachable, RingNoResponse, RingFailed, RingCancelled:
		return c
	}
	return RingFailed
}

// countsAsMiss reports whether an offer that ended so counts toward the
// queue's max_no_answer. A busy phone is on another call (often the
// CANCEL of the agent's last offer has not reached it yet): the agent
// missed nothing, and is tried again after busyBackoff.
func (c RingCause) countsAsMiss() bool { return c != RingBusy }
