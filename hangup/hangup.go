// Package hangup says why a call or a leg ended, as typed values: who
// ended it and a reason from a closed list. The SIP side sets the cause
// where the call ends; the distributor and the call's record switch on
// it. Its text, for logs and for the reason events carry, comes from one
// table, so that what is written does not depend on who reads it.
package hangup

import "strconv"

// Party is who ended a call or a leg.
type Party uint8

// The parties that end calls.
const (
	Nobody  Party = iota // the call is still up
	Caller               // the inbound call's caller
	Agent                // an agent's phone, on a leg to it
	Carrier              // the far end of a leg through a trunk
	Server               // this server, for the reason given
)

var parties = [...]string{"", "caller", "agent", "carrier", "server"}

func (p Party) String() string {
	if int(p) < len(parties) {
		return parties[p]
	}
	return "party(" + strconv.Itoa(int(p)) + ")"
}

// Reason is why a call or a leg ended.
type Reason uint8

// The reasons calls and legs end. Each has one text: see texts.
const (
	Up Reason = iota // not ended

	// The far end ended it.
	CallerHungUp          // the caller's BYE; a leg hung up by its bridge for it
	PhoneHungUp           // a leg's BYE, from the agent's phone or the trunk
	OtherSideHungUp       // a leg whose bridged leg ended
	CallerCancelled       // a CANCEL, or a 2xx never acknowledged for it
	CancelledBeforeAnswer // the caller went before it could ring

	// The media or the dialog failed.
	NoMedia              // RTP could not be set up
	NoACK                // our 2xx was never acknowledged
	ACKFailed            // our ACK to a leg's 2xx could not be sent
	NoSDPAnswer          // an offerless INVITE's ACK had no usable answer
	NoReInviteACK        // our 2xx to a re-INVITE was never acknowledged
	CallerRTPTimeout     // no RTP from the caller for too long
	PhoneRTPTimeout      // no RTP from the leg's far end for too long
	SessionExpired       // the peer did not refresh the session (RFC 4028)
	SessionRefreshFailed // our own refresh failed: Detail says how
	Transferred          // a blind transfer (REFER) was carried out: Detail is the target

	// The server ended it.
	Shutdown        // the server is stopping
	HandlerReturned // the call's handler finished without hanging up
	EndOfDialPlan   // the dial plan's walk ended
	HangupNode      // a dial plan's hangup node
	DialPlanLoop    // the dial plan looped without waiting on the caller
	DialPlanError   // a dial plan node failed

	// The distributor ended a leg.
	TakenElsewhere      // another agent answered, or the caller left, first
	CallerLeft          // the bridged caller hung up
	AgentLoggedOut      // the agent logged out as the phone answered
	CallOver            // the direct call to the agent is over
	AgentHungUpFirst    // a callback's agent hung up before the customer answered
	CustomerUnreachable // a callback's customer could not be reached
	BridgeFailed        // the phones could not bridge the call to it
)

// texts is what each reason reads as, in logs and in events (call.ended's
// reason): these are the words events have always carried.
var texts = [...]string{
	Up:                    "",
	CallerHungUp:          "caller hung up",
	PhoneHungUp:           "the phone hung up",
	OtherSideHungUp:       "the other side hung up",
	CallerCancelled:       "caller cancelled",
	CancelledBeforeAnswer: "cancelled before answer",
	NoMedia:               "no media",
	NoACK:                 "no ACK",
	ACKFailed:             "ACK failed",
	NoSDPAnswer:           "no usable SDP answer",
	NoReInviteACK:         "no ACK for the re-INVITE's 200 OK",
	CallerRTPTimeout:      "no RTP from the caller",
	PhoneRTPTimeout:       "no RTP from the phone",
	SessionExpired:        "session expired (RFC 4028)",
	SessionRefreshFailed:  "session refresh failed: ",
	Transferred:           "transferred to ",
	Shutdown:              "server shutting down",
	HandlerReturned:       "call handler returned",
	EndOfDialPlan:         "end of dial plan",
	HangupNode:            "hangup node",
	DialPlanLoop:          "dial plan loop",
	DialPlanError:         "error",
	TakenElsewhere:        "the call was taken by another agent, or the caller left",
	CallerLeft:            "the caller hung up",
	AgentLoggedOut:        "the agent logged out",
	CallOver:              "the call is over",
	AgentHungUpFirst:      "the agent hung up before the customer answered",
	CustomerUnreachable:   "the customer could not be reached",
	BridgeFailed:          "the call could not be bridged",
}

func (r Reason) String() string {
	if int(r) < len(texts) {
		return texts[r]
	}
	return "reason(" + strconv.Itoa(int(r)) + ")"
}

// Cause is why a call or a leg ended: who ended it, the reason, and the
// SIP status when a response decided it.
type Cause struct {
	By        Party
	Code      Reason
	SIPStatus int
	// Detail completes the text of SessionRefreshFailed (what failed) and
	// Transferred (the target). It is for reading only: nothing decides
	// on it.
	Detail string
}

// ByServer returns the cause of a server-side end for reason r.
func ByServer(r Reason) Cause { return Cause{By: Server, Code: r} }

// Ended reports whether the cause is set: the call has ended.
func (c Cause) Ended() bool { return c.Code != Up }

// String is the cause's text, as events carry it: the reason's text,
// completed by Detail.
func (c Cause) String() string { return c.Code.String() + c.Detail }
