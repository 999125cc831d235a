package media

import "encoding/binary"

// eventDigits maps RFC 4733 DTMF event codes to their keys; 16 is flash.
const eventDigits = "0123456789*#ABCD!"

// DigitEvent returns the RFC 4733 event code of a key, or false.
func DigitEvent(key rune) (uint8, bool) {
	for i, r := range eventDigits {
		if r == key {
			return uint8(i), true
		}
	}
	return 0, false
}

// DTMFDecoder turns RFC 4733 telephone-event payloads into key presses.
// A key fires once per event, on the first packet that carries it, however
// many redundant, end or retransmitted packets follow, and whether or not
// the marker bit survived. The zero value is ready to use.
type DTMFDecoder struct {
	have bool
	ts   uint32
	// start is the timestamp of the press's first segment: a key held
	// past the 16-bit duration goes on in segments of later timestamps
	// (ts), and a late packet of the first is still the same press.
	start    uint32
	event    uint8
	duration uint16
	ended    bool
	// unordered: the next event may have any timestamp (see Reset).
	unordered bool
}

// Reset is for a change of stream (a new SSRC, a new description): the
// new stream's timestamps start anywhere, so the next event is taken
// whatever its timestamp, where it would otherwise be dropped as older
// than the last. The event in progress is kept, so that its remaining
// redundant packets still do not fire it again.
func (d *DTMFDecoder) Reset() { d.unordered = true }

// Decode reads one telephone-event payload with its RTP timestamp and
// returns the key pressed, or 0 when the packet adds nothing new.
func (d *DTMFDecoder) Decode(ts uint32, payload []byte) rune {
	if len(payload) < 4 {
		return 0
	}
	event := payload[0]
	end := payload[1]&0x80 != 0
	duration := binary.BigEndian.Uint16(payload[2:4])
	if int(event) >= len(eventDigits) {
		return 0
	}
	if d.have && !d.unordered && int32(ts-d.ts) < 0 {
		return 0 // a late packet of an event older than the last one
	}
	if d.have && ts != d.ts && ts == d.start {
		return 0 // a late packet of the press's first segment, even after Reset
	}
	if d.have && ts == d.ts {
		d.ended = d.ended || end
		if duration > d.duration {
			d.duration = duration
		}
		return 0
	}
	// A key held past the 16-bit duration continues as a new segment whose
	// timestamp follows on from the last (RFC 4733 §2.5.1.3): same press.
	continuation := d.have && !d.ended && event == d.event && ts == d.ts+uint32(d.duration)
	d.have, d.ts, d.event, d.duration, d.ended, d.unordered = true, ts, event, duration, end, false
	if continuation {
		return 0
	}
	d.start = ts
	return rune(eventDigits[event])
}

// DTMF events we send last this long, then three end packets follow.
const (
	dtmfToneFrames = 5 // 100 ms
	dtmfEndRepeats = 3
	dtmfVolume     = 10 // dBm0 below full scale
)

// dtmfSender generates the packets of one outgoing event, one per frame.
type dtmfSender struct {
	event uint8
	frame int // packets sent so far
	ts    uint32
}

// next writes the payload of the next packet and reports whether it is the
// first (marker) and whether more packets follow.
func (s *dtmfSender) next(payload []byte) (first, more bool) {
	first = s.frame == 0
	s.frame++
	n := min(s.frame, dtmfToneFrames)
	end := s.frame > dtmfToneFrames
	payload[0] = s.event
	payload[1] = dtmfVolume
	if end {
		payload[1] |= 0x80
	}
	binary.BigEndian.PutUint16(payload[2:4], uint16(n*FrameSize))
	return first, s.frame < dtmfToneFrames+dtmfEndRepeats
}
