package sip

import (
	"sort"
	"time"
)

// Kinds of CallInfo.
const (
	CallInbound = "in"    // a caller's call to the server
	CallAgent   = "agent" // a leg to an agent's phone
	CallNumber  = "out"   // a leg to a number, through a trunk
)

// CallInfo describes a call or leg in progress, for operators.
type CallInfo struct {
	ID   string // the SIP Call-ID
	Kind string // CallInbound, CallAgent or CallNumber
	// Number is the number dialled (in), the agent (agent) or the
	// customer's number (out); Caller and CallerName are an inbound
	// caller's.
	Number, Caller, CallerName string
	Peer                       string // where the far end sends from: TRANSPORT ADDR
	Codec                      string
	Held                       bool      // the far end holds
	Started                    time.Time // INVITE received (in) or answered (legs)
	// BridgedTo is the Call-ID of the call or leg this one's audio is
	// bridged to, "" when none.
	BridgedTo string
}

// Calls lists the calls and legs in progress, oldest first. It takes
// each dialog's lock in turn, as a request in the dialog does: it is for
// an operator's occasional look, not for every packet.
func (s *Server) Calls() []CallInfo {
	type entry struct {
		d    *dialog
		info CallInfo
	}
	s.mu.Lock()
	list := make([]entry, 0, len(s.calls)+len(s.legs))
	for _, c := range s.calls {
		req := c.dlg.InviteRequest
		list = append(list, entry{&c.dialog, CallInfo{ID: c.id, Kind: CallInbound, Number: c.number, Caller: c.caller,
			CallerName: c.name, Peer: req.Transport() + " " + req.Source(), Started: c.started}})
	}
	for _, l := range s.legs {
		kind := CallAgent
		if l.kind == "number" {
			kind = CallNumber
		}
		req := l.dlg.InviteRequest
		list = append(list, entry{&l.dialog, CallInfo{ID: req.CallID().Value(), Kind: kind, Number: l.Agent,
			Peer: req.Transport() + " " + req.Destination(), Started: l.started}})
	}
	s.mu.Unlock()

	ids := make(map[*dialog]string, len(list))
	for _, e := range list {
		ids[e.d] = e.info.ID
	}
	out := make([]CallInfo, 0, len(list))
	for _, e := range list {
		e.d.mu.Lock()
		e.info.Codec, e.info.Held = e.d.codec.String(), e.d.held
		br, _ := e.d.bridge.(*bridge) // a conference's parties are listed unpaired
		e.d.mu.Unlock()
		if br != nil {
			br.mu.Lock()
			if !br.finished {
				e.info.BridgedTo = ids[br.other(e.d)]
			}
			br.mu.Unlock()
		}
		out = append(out, e.info)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Started.Equal(out[j].Started) {
			return out[i].Started.Before(out[j].Started)
		}
		return out[i].ID < out[j].ID
	})
	return out
}
