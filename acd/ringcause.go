package acd

import (
	"context"
	"errors"

	"github.com/acdserver/acd/hangup"
)

// RingCauseOf is the cause of a failed ring or dial (hangup.RingNone for
// none). The SIP side's errors name theirs, from the phone's final
// status; a ring the core stopped ended with its ctx.
func RingCauseOf(err error) hangup.RingCause {
	var named interface{ RingCause() hangup.RingCause }
	switch {
	case err == nil:
		return hangup.RingNone
	case errors.As(err, &named):
		return named.RingCause()
	case errors.Is(err, context.DeadlineExceeded):
		return hangup.RingNoAnswer
	case errors.Is(err, context.Canceled):
		return hangup.RingCancelled
	}
	return hangup.RingFailed
}

// countsAsMiss reports whether an offer that ended so counts toward the
// queue's max_no_answer. A busy phone is on another call (often the
// CANCEL of the agent's last offer has not reached it yet): the agent
// missed nothing, and is tried again after busyBackoff.
func countsAsMiss(c hangup.RingCause) bool { return c != hangup.RingBusy }
