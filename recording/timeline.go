package recording

import (
	"encoding/binary"

	"github.com/zaf/g711"

	"github.com/acdserver/acd/media"
)

// Placing packets by their RTP timestamps, on the server's clock.
const (
	// nsPerSample is the file's sample clock: 8 kHz.
	nsPerSample = 1e9 / SampleRate
	// delaySamples is how far behind the latest arrival the file is
	// written, 200 ms: room for reordered and late packets, and for the
	// other side's packets of the same instant, read by another media
	// loop.
	delaySamples = SampleRate / 5
	// jumpSamples re-anchors a side whose timestamps are more than 1 s
	// off its packets' arrival (a sender that restarted its clock).
	jumpSamples = SampleRate
	// lateSamples is how late after the side's usual placement a packet
	// may come and still be placed, 60 ms; later, it is dropped (the
	// phone's own jitter buffer would have dropped it too).
	lateSamples = SampleRate * 60 / 1000
	// driftSamples: once a side's smoothed offset between where its
	// timestamps place it and when it arrives is over 10 ms, its anchor
	// moves by that much. The two channels stay within 20 ms whatever
	// either phone's clock: a phone's clock a few tens of ppm off moves
	// it a few ms a minute.
	driftSamples = SampleRate * 10 / 1000
	// driftSmoothing is the weight of one packet in the smoothed offset:
	// 1/32, a time constant of 0.64 s at 50 packets a second, which
	// averages out jitter.
	driftSmoothing = 32
	// spanSamples is the audio held before writing: the delay, what
	// arrives between two drains, and late packets, with room to spare.
	spanSamples = 2 * SampleRate
)

// A period must not wrap in the span (see take).
var _ [spanSamples % media.FrameSize]struct{} = [0]struct{}{}

// ulawPCM and alawPCM are G.711's decoding, a table each, read only.
var ulawPCM, alawPCM = decodeTable(g711.DecodeUlawFrame), decodeTable(g711.DecodeAlawFrame)

func decodeTable(decode func(uint8) int16) (t [256]int16) {
	for i := range t {
		t[i] = decode(uint8(i))
	}
	return t
}

// timeline places the packets of a relayed call in the file: each side
// anchored at its first packet (its arrival mapped to the file's sample
// clock), later packets at anchor + (timestamp − the anchor's), gaps
// silence, written delaySamples behind the latest arrival. It is the
// writer goroutine's alone.
type timeline struct {
	on  bool   // packets are being placed (the conference relays)
	tap uint64 // the tap they come through
	// written is the samples (per channel) in the file; span holds the
	// next spanSamples of each channel, indexed by position modulo.
	written int64
	span    *[Channels][spanSamples]int16
	// The file's clock: arrival at (nanoseconds of the writer's clock)
	// is at position origin + (at − originAt)/nsPerSample.
	originAt, origin int64
	latest           int64 // the latest arrival's position
	end              int64 // the end of the audio placed
	sides            [Channels]side
}

// side is one channel's stream: where its timestamps are placed.
type side struct {
	anchored bool
	ssrc     uint32
	ts0      uint32
	pos0     int64   // the position of timestamp ts0
	offset   float64 // smoothed arrival − placement, in samples
}

// start begins placing packets of tap from position written, the first
// arriving at at.
func (tl *timeline) start(tap uint64, written, at int64) {
	if tl.span == nil {
		tl.span = new([Channels][spanSamples]int16)
	}
	*tl = timeline{on: true, tap: tap, written: written, span: tl.span,
		originAt: at, origin: written, latest: written, end: written}
}

// clock is the position of arrival at.
func (tl *timeline) clock(at int64) int64 {
	return tl.origin + (at-tl.originAt)/nsPerSample
}

// arrive moves the clock to an arrival at, before what arrived then is
// placed: what is due is written first, and the span has room for it.
func (tl *timeline) arrive(at int64) {
	tl.latest = max(tl.latest, tl.clock(at))
}

// place decodes a packet into its channel at the position its timestamp
// gives, and reports whether it was placed (false: too late, or too far
// ahead for the span).
func (tl *timeline) place(p *queuedPacket) bool {
	now := tl.clock(p.at)
	s := &tl.sides[p.ch]
	if !s.anchored || p.ssrc != s.ssrc {
		*s = side{anchored: true, ssrc: p.ssrc, ts0: p.ts, pos0: now}
	}
	pos := s.pos0 + int64(int32(p.ts-s.ts0))
	off := now - pos
	switch {
	case off > jumpSamples || off < -jumpSamples:
		*s = side{anchored: true, ssrc: p.ssrc, ts0: p.ts, pos0: now}
		pos = now
	case float64(off)-s.offset > lateSamples:
		return false // later than the phone would have played it
	default:
		s.offset += (float64(off) - s.offset) / driftSmoothing
		if s.offset > driftSamples || s.offset < -driftSamples {
			// The phone's clock and ours part: move the anchor by what
			// they parted, a short gap or overlap in this channel only.
			shift := int64(s.offset)
			s.pos0 += shift
			pos += shift
			s.offset -= float64(shift)
		}
	}
	n := int64(p.len)
	if pos+n <= tl.written || pos+n > tl.written+spanSamples {
		return false
	}
	if !p.silent {
		table := &ulawPCM
		if p.codec == media.PCMA {
			table = &alawPCM
		}
		// Decoded straight into the span, in at most two runs (the span
		// wraps once at most): a packet is 160 samples, and this the
		// writer's inner loop.
		from := max(pos, tl.written)
		src := p.payload[from-pos : n]
		at := int(from % spanSamples)
		ch := &tl.span[p.ch]
		for len(src) > 0 {
			dst := ch[at:min(at+len(src), spanSamples)]
			for i, v := range src[:len(dst)] {
				dst[i] = table[v]
			}
			src, at = src[len(dst):], 0
		}
	}
	tl.end = max(tl.end, pos+n)
	return true
}

// due is the position up to which the file may be written now: the
// delay behind the latest arrival, in whole periods.
func (tl *timeline) due() int64 {
	target := tl.latest - delaySamples
	return tl.written + max(0, target-tl.written)/media.FrameSize*media.FrameSize
}

// all is the position up to which everything placed is, in whole
// periods.
func (tl *timeline) all() int64 {
	return tl.written + (max(0, tl.end-tl.written)+media.FrameSize-1)/media.FrameSize*media.FrameSize
}

// take writes one period, both channels interleaved as the file has
// them, into out and clears it from the span. A period never wraps in
// the span: written is whole periods, and the span too.
func (tl *timeline) take(out *[frameBytes]byte) {
	at := int(tl.written % spanSamples)
	l, r := tl.span[0][at:at+media.FrameSize], tl.span[1][at:at+media.FrameSize]
	for i := range media.FrameSize {
		binary.LittleEndian.PutUint16(out[4*i:], uint16(l[i]))
		binary.LittleEndian.PutUint16(out[4*i+2:], uint16(r[i]))
	}
	clear(l)
	clear(r)
	tl.written += media.FrameSize
}
