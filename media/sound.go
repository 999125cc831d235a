package media

import (
	"encoding/binary"
	"time"

	"github.com/zaf/g711"
)

// FrameSize is the payload of one 20 ms G.711 packet at 8 kHz.
const FrameSize = 160

// Frame length in time; every stream this server sends is paced at it.
const FrameDuration = 20 * time.Millisecond

// G.711 encodings of digital silence, one byte per sample.
const (
	silenceULaw = 0xFF
	silenceALaw = 0xD5
)

// Sound is audio encoded once, at load, in both G.711 laws and padded to
// whole frames, so that no call ever transcodes it.
type Sound struct {
	pcmu []byte
	pcma []byte
}

// NewSoundPCM encodes 16-bit little-endian linear PCM at 8 kHz.
func NewSoundPCM(pcm []byte) *Sound {
	pcm = pcm[:len(pcm)&^1]
	if rem := (len(pcm) / 2) % FrameSize; rem != 0 || len(pcm) == 0 {
		pcm = append(pcm[:len(pcm):len(pcm)], make([]byte, 2*(FrameSize-rem))...)
	}
	return &Sound{pcmu: g711.EncodeUlaw(pcm), pcma: g711.EncodeAlaw(pcm)}
}

// NewSoundG711 takes audio already in one G.711 law and derives the other.
func NewSoundG711(data []byte, law Codec) *Sound {
	if rem := len(data) % FrameSize; rem != 0 || len(data) == 0 {
		pad := make([]byte, FrameSize-rem)
		fill := byte(silenceULaw)
		if law == PCMA {
			fill = silenceALaw
		}
		for i := range pad {
			pad[i] = fill
		}
		data = append(data[:len(data):len(data)], pad...)
	}
	if law == PCMA {
		return &Sound{pcma: data, pcmu: g711.Alaw2Ulaw(data)}
	}
	return &Sound{pcmu: data, pcma: g711.Ulaw2Alaw(data)}
}

// Payload is the whole sound in the given law; frame i is
// Payload[i*FrameSize:(i+1)*FrameSize].
func (s *Sound) Payload(c Codec) []byte {
	if c == PCMA {
		return s.pcma
	}
	return s.pcmu
}

// Duration is how long the sound plays.
func (s *Sound) Duration() time.Duration {
	return time.Duration(len(s.pcmu)) * time.Second / 8000
}

// DecodePCM converts one G.711 payload back to linear samples, for tests
// and for measuring what a peer sent.
func DecodePCM(payload []byte, c Codec) []int16 {
	var lin []byte
	if c == PCMA {
		lin = g711.DecodeAlaw(payload)
	} else {
		lin = g711.DecodeUlaw(payload)
	}
	out := make([]int16, len(lin)/2)
	for i := range out {
		out[i] = int16(binary.LittleEndian.Uint16(lin[2*i:]))
	}
	return out
}
