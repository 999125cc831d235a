package media

import "time"

// TapPayload bounds the audio a TapPacket carries: 20 ms of G.711. A
// longer packet (a phone's 30 ms ptime) is handed as several, each with
// the timestamp of its first sample.
const TapPayload = FrameSize

// PacketTap takes the audio packets of a conference that relays (two
// members in Both), as they arrive, so that a call recording costs a
// relayed call no mixer. It is called from the media loops, with a
// session's lock held, for every audio packet of either member: it must
// not block, allocate, decode nor write to disk (a recording copies the
// packet into a bounded queue its own goroutine drains, and drops and
// counts what does not fit). Telephone-events and comfort noise are not
// handed.
//
// A conference's tap that implements PacketTap as well as FrameWriter is
// handed packets while the conference relays and frames while it mixes
// (a supervisor listening, a member parked); a FrameWriter only makes the
// conference mix.
type PacketTap interface {
	WritePacket(p *TapPacket)
}

// TapPacket is one received audio packet, as a PacketTap is handed it:
// valid only during WritePacket, which copies what it keeps.
type TapPacket struct {
	Member      Member
	Codec       Codec // PCMU or PCMA: what Payload is in
	PayloadType uint8
	Sequence    uint16
	Timestamp   uint32
	SSRC        uint32
	// Arrival is when the media loop read the packet; it carries the
	// monotonic clock reading, so that two members' packets, read by
	// different loops, are placed on one clock.
	Arrival time.Time
	Len     uint8 // bytes of Payload used
	Payload [TapPayload]byte
}

// setRecord makes the session hand its audio packets to t as member id,
// or with nil stops it; once it returns, the tap it replaced is not
// called again (see receive).
func (s *Session) setRecord(t PacketTap, id Member) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rec, s.recAs = t, id
}

// record hands an audio payload received to the session's packet tap, in
// pieces of TapPayload bytes; s.mu is held, which is what makes setRecord
// final. p is the media loop's, reused from packet to packet.
func (s *Session) recordLocked(p *TapPacket, seq uint16, ts, ssrc uint32, pt uint8, at time.Time, payload []byte) {
	p.Member, p.Codec, p.PayloadType, p.Sequence, p.SSRC, p.Arrival = s.recAs, s.codec, pt, seq, ssrc, at
	for off := 0; off < len(payload); off += TapPayload {
		n := copy(p.Payload[:], payload[off:])
		p.Len, p.Timestamp = uint8(n), ts+uint32(off)
		s.rec.WritePacket(p)
	}
}
