package recorded

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/zaf/g711"
)

// WAV format tags decodeWAV reads. The prompts' own loader takes only
// 8 kHz mono; an upload may be at any rate and in stereo, so it has its
// own reader.
const (
	wavPCM        = 1
	wavALaw       = 6
	wavULaw       = 7
	wavExtensible = 0xFFFE
)

// decodeWAV reads 8- or 16-bit PCM or G.711, any rate, any number of
// channels (averaged to one).
func decodeWAV(data []byte, limit func(int) int) ([]int16, int, error) {
	var (
		format, channels, bits uint16
		rate                   uint32
		haveFmt                bool
	)
	for p := 12; p+8 <= len(data); {
		id := string(data[p : p+4])
		size := int(binary.LittleEndian.Uint32(data[p+4 : p+8]))
		body := data[p+8:]
		if size > len(body) || size < 0 {
			size = len(body) // some writers leave the data size unset
		}
		body = body[:size]
		switch id {
		case "fmt ":
			if len(body) < 16 {
				return nil, 0, errors.New("short fmt chunk")
			}
			format = binary.LittleEndian.Uint16(body[0:2])
			channels = binary.LittleEndian.Uint16(body[2:4])
			rate = binary.LittleEndian.Uint32(body[4:8])
			bits = binary.LittleEndian.Uint16(body[14:16])
			if format == wavExtensible && len(body) >= 26 {
				format = binary.LittleEndian.Uint16(body[24:26]) // the sub-format GUID's first two bytes
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return nil, 0, errors.New("data chunk before fmt chunk")
			}
			if channels == 0 || rate < 4000 || rate > 192000 {
				return nil, 0, fmt.Errorf("%d Hz, %d channel(s): want 4000 to 192000 Hz and at least one channel", rate, channels)
			}
			width := int(bits) / 8
			if width == 0 {
				return nil, 0, fmt.Errorf("%d bits a sample", bits)
			}
			frames := len(body) / (width * int(channels))
			if frames > limit(int(rate)) {
				return nil, int(rate), errTooLong
			}
			var sample func(b []byte) int
			switch {
			case format == wavPCM && bits == 16:
				sample = func(b []byte) int { return int(int16(binary.LittleEndian.Uint16(b))) }
			case format == wavPCM && bits == 8:
				sample = func(b []byte) int { return (int(b[0]) - 128) << 8 } // 8-bit WAV is unsigned
			case format == wavULaw && bits == 8:
				sample = func(b []byte) int { return int(g711.DecodeUlawFrame(b[0])) }
			case format == wavALaw && bits == 8:
				sample = func(b []byte) int { return int(g711.DecodeAlawFrame(b[0])) }
			default:
				return nil, 0, fmt.Errorf("encoding %d with %d bits: want 8- or 16-bit PCM or G.711", format, bits)
			}
			out := make([]int16, frames)
			step := width * int(channels)
			for i := range out {
				sum := 0
				for c := range int(channels) {
					sum += sample(body[i*step+c*width:])
				}
				out[i] = int16(sum / int(channels))
			}
			return out, int(rate), nil
		}
		p += 8 + size + size&1
	}
	return nil, 0, errors.New("no data chunk")
}

// EncodeWAV wraps 8 kHz 16-bit mono PCM in a WAV header, for playing a
// message in a browser.
func EncodeWAV(pcm []byte) []byte {
	out := make([]byte, 44, 44+len(pcm))
	copy(out[0:], "RIFF")
	binary.LittleEndian.PutUint32(out[4:], uint32(36+len(pcm)))
	copy(out[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(out[16:], 16)
	binary.LittleEndian.PutUint16(out[20:], wavPCM)
	binary.LittleEndian.PutUint16(out[22:], 1)
	binary.LittleEndian.PutUint32(out[24:], Rate)
	binary.LittleEndian.PutUint32(out[28:], Rate*2)
	binary.LittleEndian.PutUint16(out[32:], 2)
	binary.LittleEndian.PutUint16(out[34:], 16)
	copy(out[36:], "data")
	binary.LittleEndian.PutUint32(out[40:], uint32(len(pcm)))
	return append(out, pcm...)
}
