package hangup

import "strconv"

// RingCause is why a ring of an agent's phone, or a dial of a customer,
// ended without an answer. The SIP side names it from the final status;
// the distributor's rules for a missed offer switch on it, and events
// carry its word.
type RingCause uint8

// The causes of a ring or dial that was not answered.
const (
	RingNone        RingCause = iota // answered: no cause
	RingNoAnswer                     // rang out, or 408, 480, 487
	RingBusy                         // 486 or 600: the phone is on another call
	RingDeclined                     // 603 or 403: the agent (or customer) refused it
	RingUnreachable                  // no registered phone, or 404, 410, 484, 485
	RingNoResponse                   // not even 100 Trying: a trunk that is down
	RingFailed                       // any other status or error
	RingCancelled                    // we stopped it: the caller left, another agent answered
	// Causes of a callback attempt that the distributor itself decides.
	RingNotDialable // the number may not be dialled (any more)
	RingAgentHungUp // the agent gave up before the customer answered
)

// ringWords are the words events have always carried for each cause.
var ringWords = [...]string{
	RingNone:        "",
	RingNoAnswer:    "no-answer",
	RingBusy:        "busy",
	RingDeclined:    "declined",
	RingUnreachable: "unreachable",
	RingNoResponse:  "no-response",
	RingFailed:      "failed",
	RingCancelled:   "cancelled",
	RingNotDialable: "not-dialable",
	RingAgentHungUp: "agent-hung-up",
}

func (c RingCause) String() string {
	if int(c) < len(ringWords) {
		return ringWords[c]
	}
	return "ring-cause(" + strconv.Itoa(int(c)) + ")"
}

// RingStatus is the cause a final SIP status to an INVITE gives.
func RingStatus(code int) RingCause {
	switch code {
	case 486, 600:
		return RingBusy
	case 603, 403:
		return RingDeclined
	case 408, 480, 487:
		return RingNoAnswer
	case 404, 410, 484, 485:
		return RingUnreachable
	}
	return RingFailed
}
