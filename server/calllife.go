package server

import (
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/acdserver/acd/config"
	"github.com/acdserver/acd/dialplan"
	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/hangup"
	"github.com/acdserver/acd/store"
)

// callRecord writes one inbound call's life to the event log: its
// arrival, every dial-plan step and its end, under the call's Call-ID as
// both call and interaction.
type callRecord struct {
	events interface{ Append(store.Event) }
	ref    event.Ref
	start  time.Time
}

// arrivedCall is what the record needs of the call.
type arrivedCall interface {
	ID() string
	Caller() string
	CallerName() string
	Source() string
	EndCause() hangup.Cause
}

func recordCall(events interface{ Append(store.Event) }, c arrivedCall,
	number, pattern, plan, version, trunk string) *callRecord {
	r := &callRecord{events: events, ref: event.Ref{Call: c.ID(), Interaction: c.ID()}, start: time.Now()}
	events.Append(event.New(r.start, r.ref, event.CallArrived{From: c.Caller(), Name: c.CallerName(), To: number, Pattern: pattern,
		Trunk: trunk, Plan: plan, Config: version}))
	return r
}

// step records one dial-plan node. What a caller typed into a collect
// node (an account or card number) never reaches the log: only how many
// digits there were.
func (r *callRecord) step(s dialplan.Step) {
	detail := s.Detail
	if s.Type == "collect" {
		if name, digits, ok := strings.Cut(detail, "="); ok {
			detail = name + ": " + plural(len(digits), "digit")
		}
	}
	r.events.Append(event.New(time.Now(), r.ref, event.CallStep{Plan: s.Plan, Node: s.Node, Type: s.Type, Detail: detail, Next: s.Next}))
}

// end records the call's end, once it has ended, with the time it spent
// bridged to agents.
func (r *callRecord) end(c arrivedCall, talk time.Duration) {
	by, cause := hangupCause(c.EndCause())
	now := time.Now()
	r.events.Append(event.New(now, r.ref, event.CallHungUp{By: by, Cause: cause,
		DurationMS: event.Ms(now.Sub(r.start)), TalkMS: event.Ms(talk)}))
}

// hangupCause turns the SIP side's cause for a call's end into who
// ended it and the short cause call.hungup carries (docs/events.md).
func hangupCause(c hangup.Cause) (by, cause string) {
	if c.By != hangup.Server {
		return "caller", "caller-hangup" // a BYE or CANCEL from the caller
	}
	if ev, ok := hungUpCauses[c.Code]; ok {
		return ev.by, ev.cause
	}
	return "server", "failed"
}

// hungUpCauses are call.hungup's words for the server's reasons to end a
// call; any other reason is a failure (no media, no ACK…).
var hungUpCauses = map[hangup.Reason]struct{ by, cause string }{
	hangup.EndOfDialPlan:        {"server", "end-of-dialplan"},
	hangup.HandlerReturned:      {"server", "end-of-dialplan"},
	hangup.HangupNode:           {"server", "hangup-node"},
	hangup.CallerRTPTimeout:     {"server", "no-rtp"},
	hangup.PhoneRTPTimeout:      {"server", "no-rtp"},
	hangup.SessionExpired:       {"server", "session-expired"},
	hangup.SessionRefreshFailed: {"server", "session-expired"},
	hangup.Shutdown:             {"server", "server-stopped"},
	hangup.DialPlanLoop:         {"server", "dialplan-loop"},
	hangup.DialPlanError:        {"server", "dialplan-error"},
	hangup.Transferred:          {"caller", "transferred"},
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// trunkNamer names the trunk whose inbound_from holds a source address.
type trunkNamer struct {
	prefixes []netip.Prefix
	names    []string
}

func newTrunkNamer(cfg *config.Config) trunkNamer {
	var n trunkNamer
	names := make([]string, 0, len(cfg.Trunks))
	for name := range cfg.Trunks {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		for _, cidr := range cfg.Trunks[name].InboundFrom {
			if p, err := netip.ParsePrefix(cidr); err == nil {
				n.prefixes = append(n.prefixes, p)
				n.names = append(n.names, name)
			}
		}
	}
	return n
}

func (n trunkNamer) of(source string) string {
	ap, err := netip.ParseAddrPort(source)
	if err != nil {
		return ""
	}
	for i, p := range n.prefixes {
		if p.Contains(ap.Addr().Unmap()) {
			return n.names[i]
		}
	}
	return ""
}
