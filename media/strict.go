package media

import (
	"net/netip"
	"time"
)

// Strict RTP: a session takes media only from one source at a time, so
// that a stray or hostile sender that finds the port (RTP bleed) neither
// takes the caller's audio, nor is heard in the bridge, nor chooses menu
// options with its telephone-events. The rules follow Asterisk's
// strictrtp:
//
//   - The source is at first the address the SDP names. Its packets are
//     accepted from the first one.
//   - Another source is learned (NAT: the phone sends from another port or
//     address than its SDP says) after learnPackets consecutive packets
//     from it, with nothing accepted from the current source in between,
//     one SSRC, each sequence number one above the last, and spread over
//     at least learnSpan. A live source, sending every 20 ms, breaks any
//     run another sender tries to slip in between its packets.
//   - Learning stays open until learnWindow after the first packet
//     accepted; then only the source is heard, until a new description
//     names another address.
//   - While learning is open, a packet from the SDP address takes the
//     source back at once: the peer said that is where it is.
const (
	learnPackets = 4
	learnSpan    = 30 * time.Millisecond
	learnWindow  = 5 * time.Second
)

// strictRTP is a session's choice of source; guarded by the session's mu.
type strictRTP struct {
	sdp      netip.AddrPort // the address the SDP names
	source   netip.AddrPort // invalid: none yet (the SDP names none)
	open     bool           // another source may still be learned
	closesAt int64          // unix nanoseconds; 0 until a packet is accepted

	// The run of the source being qualified.
	cand     netip.AddrPort
	candSSRC uint32
	candSeq  uint16
	candRun  int
	candFrom int64 // unix nanoseconds of the run's first packet
}

// reset starts learning over for a new SDP address.
func (st *strictRTP) reset(sdp netip.AddrPort) {
	*st = strictRTP{sdp: sdp, open: true}
	if named(sdp) {
		st.source = sdp
	}
}

// named reports whether an SDP address is one RTP can come from: not
// absent, and not the 0.0.0.0 of an old-style hold.
func named(ap netip.AddrPort) bool {
	return ap.Addr().IsValid() && !ap.Addr().IsUnspecified() && ap.Port() != 0
}

// admit reports whether a packet from from, with its SSRC and sequence
// number, arriving at now (unix nanoseconds), is media of this session,
// and whether it made from the new source.
func (st *strictRTP) admit(from netip.AddrPort, ssrc uint32, seq uint16, now int64) (ok, switched bool) {
	if from == st.source {
		if !from.IsValid() {
			return false, false // no source yet, and no address to learn
		}
		if st.open {
			st.candRun = 0
			st.accepted(now)
		}
		return true, false
	}
	if !st.open {
		return false, false
	}
	if st.closesAt != 0 && now >= st.closesAt {
		st.open = false
		return false, false
	}
	if from == st.sdp && named(st.sdp) {
		st.source, st.candRun = from, 0
		st.accepted(now)
		return true, true
	}
	if st.candRun == 0 || from != st.cand || ssrc != st.candSSRC || seq != st.candSeq+1 {
		st.cand, st.candSSRC, st.candSeq, st.candRun, st.candFrom = from, ssrc, seq, 1, now
		return false, false
	}
	st.candSeq = seq
	st.candRun++
	if st.candRun < learnPackets || time.Duration(now-st.candFrom) < learnSpan {
		return false, false
	}
	st.source, st.candRun = from, 0
	st.accepted(now)
	return true, true
}

// accepted starts the learning window at the first packet accepted, and
// closes learning once it has passed.
func (st *strictRTP) accepted(now int64) {
	switch {
	case st.closesAt == 0:
		st.closesAt = now + int64(learnWindow)
	case now >= st.closesAt:
		st.open = false
	}
}
