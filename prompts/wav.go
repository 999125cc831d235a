package prompts

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/acdserver/acd/media"
)

// WAV format tags this loader accepts.
const (
	formatPCM  = 1
	formatALaw = 6
	formatULaw = 7
)

// decodeWAV reads an 8 kHz mono WAV in 16-bit PCM or G.711 into a Sound.
// Anything else is refused with the conversion that fixes it.
func decodeWAV(data []byte) (*media.Sound, error) {
	if len(data) < 12 || string(data[0:4]) != "RIFF" || string(data[8:12]) != "WAVE" {
		return nil, errors.New("not a WAV file")
	}
	var (
		format, channels, bits uint16
		rate                   uint32
		haveFmt                bool
	)
	for p := 12; p+8 <= len(data); {
		id := string(data[p : p+4])
		size := int(binary.LittleEndian.Uint32(data[p+4 : p+8]))
		body := data[p+8:]
		if size > len(body) {
			size = len(body) // some writers leave the data size unset
		}
		body = body[:size]
		switch id {
		case "fmt ":
			if len(body) < 16 {
				return nil, errors.New("short fmt chunk")
			}
			format = binary.LittleEndian.Uint16(body[0:2])
			channels = binary.LittleEndian.Uint16(body[2:4])
			rate = binary.LittleEndian.Uint32(body[4:8])
			bits = binary.LittleEndian.Uint16(body[14:16])
			haveFmt = true
		case "data":
			if !haveFmt {
				return nil, errors.New("data chunk before fmt chunk")
			}
			if channels != 1 || rate != 8000 {
				return nil, fmt.Errorf("%d Hz, %d channel(s): want 8000 Hz mono", rate, channels)
			}
			// Less than one 20 ms frame (160 samples) is no prompt at all:
			// callers would hear silence where the file was meant to speak.
			if samples := len(body) * 8 / max(int(bits), 8); samples < 160 {
				return nil, fmt.Errorf("%d samples of audio: the file holds no prompt", samples)
			}
			switch {
			case format == formatPCM && bits == 16:
				return media.NewSoundPCM(body), nil
			case format == formatULaw && bits == 8:
				return media.NewSoundG711(body, media.PCMU), nil
			case format == formatALaw && bits == 8:
				return media.NewSoundG711(body, media.PCMA), nil
			}
			return nil, fmt.Errorf("encoding %d with %d bits: want 16-bit PCM or G.711", format, bits)
		}
		p += 8 + size + size&1
	}
	return nil, errors.New("no data chunk")
}
