package media

import (
	"github.com/zaf/g711"
)

// Bridge relays RTP between two sessions (a caller and an agent): each
// packet one side receives is sent at once to the other with that side's
// own SSRC, sequence numbers and timestamps, transcoded between PCMU and
// PCMA when the legs differ, and audio and telephone-events renumbered to
// the payload types the other side negotiated. While bridged, the media
// loop sends nothing on either session.
func Bridge(a, b *Session) {
	a.setPeer(b)
	b.setPeer(a)
}

// Unbridge stops relaying; both sessions go back to playing (silence).
func Unbridge(a, b *Session) {
	a.setPeer(nil)
	b.setPeer(nil)
}

func (s *Session) setPeer(p *Session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopLocked()
	s.peer, s.relayOffsetSet, s.marker = p, false, true
}

// relay sends a packet that the peer received, as this session's own,
// through the receiving media loop's raw socket when it has one. pt is the
// packet's payload type, and fromCodec on fromPT and fromDTMF what the
// peer negotiated; restart says the peer's source began a new stream (a
// new SSRC), whose timestamps start anywhere.
func (s *Session) relay(raw *rawSender, pt uint8, fromCodec Codec, fromPT, fromDTMF uint8, ts uint32, marker, restart bool, payload []byte) (sent bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.sendable || s.peer == nil {
		return false
	}
	h := &s.header
	if restart {
		// Our own stream goes on: map the new timestamps onto it afresh,
		// or the other phone sees ours jump.
		s.relayOffsetSet, s.marker = false, true
	}
	if !s.relayOffsetSet {
		// Map the peer's timestamps onto ours once, so that both the
		// spacing of audio and the shared timestamp of a DTMF event's
		// packets carry across unchanged.
		s.relayOffset, s.relayOffsetSet = h.Timestamp-ts, true
	}
	size := len(payload)
	if fromDTMF != 0 && pt == fromDTMF {
		size = 4
	}
	viaRaw := s.routeOK && raw != nil
	pkt := s.buf[:]
	if viaRaw {
		if room := raw.next(); len(room) >= 12+size+srtpOverhead {
			pkt = room
		} else {
			viaRaw = false // a frame longer than the raw batch holds
		}
	}
	out := pkt[12:]
	switch {
	case fromDTMF != 0 && pt == fromDTMF:
		if s.dtmfPT == 0 || len(payload) < 4 {
			return false
		}
		h.PayloadType = s.dtmfPT
		payload = payload[:4]
		copy(out, payload)
	case pt == fromPT:
		if len(payload) > len(out) {
			return false
		}
		h.PayloadType = s.pt
		switch {
		case fromCodec == s.codec:
			copy(out, payload)
		case fromCodec == PCMU:
			for i, v := range payload {
				out[i] = g711.Ulaw2AlawFrame(v)
			}
		default:
			for i, v := range payload {
				out[i] = g711.Alaw2UlawFrame(v)
			}
		}
	default:
		return false // comfort noise and anything else we did not negotiate
	}
	h.Marker = marker || s.marker
	s.marker = false
	h.Timestamp = ts + s.relayOffset
	if n, err := h.MarshalTo(pkt[:12]); err == nil && n == 12 {
		// The peer's packet arrived decrypted (if it was SRTP); this side's
		// own key encrypts it again, or it goes plain.
		if size, ok := s.sealLocked(pkt, 12+len(payload)); ok {
			if viaRaw {
				raw.commit(&s.route, size)
			} else {
				s.sock.sendTo(pkt[:size], s.remote)
			}
			sent = true
		}
	}
	h.SequenceNumber++
	h.Timestamp += uint32(len(payload))
	return sent
}
