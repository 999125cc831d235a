// Package recorded holds the recorded messages administrators upload or
// record by phone: the decoders that turn an uploaded WAV, MP3 or Ogg
// Vorbis file into the server's 8 kHz 16-bit mono audio, and the library
// of each message's version in force, which dial plans play by name.
package recorded

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/hajimehoshi/go-mp3"
	"github.com/jfreymuth/oggvorbis"
)

// Rate is the sample rate every message is kept at.
const Rate = 8000

// Format is an uploaded file's kind, found from its content.
type Format string

// The formats Decode reads.
const (
	WAV    Format = "wav"
	MP3    Format = "mp3"
	Vorbis Format = "ogg-vorbis"
)

// ErrNotAudio is an upload that is none of the formats Decode reads.
var ErrNotAudio = errors.New("not audio: send a WAV (PCM or G.711), MP3 or Ogg Vorbis file")

// ErrEmpty is audio holding less than one 20 ms frame.
var ErrEmpty = errors.New("the file holds no audio")

// TooLongError is audio longer than the longest message accepted.
type TooLongError struct{ Max time.Duration }

func (e *TooLongError) Error() string {
	return fmt.Sprintf("too long: a recorded message lasts at most %s", e.Max)
}

// BadFileError is a file of a known format that cannot be decoded.
type BadFileError struct {
	Format Format
	Err    error
}

func (e *BadFileError) Error() string { return fmt.Sprintf("unreadable %s file: %v", e.Format, e.Err) }
func (e *BadFileError) Unwrap() error { return e.Err }

// Sniff names the format of data from its first bytes; the file's name
// and the declared content type are never trusted.
func Sniff(data []byte) (Format, bool) {
	switch {
	case len(data) >= 12 && string(data[0:4]) == "RIFF" && string(data[8:12]) == "WAVE":
		return WAV, true
	case len(data) >= 4 && string(data[0:4]) == "OggS":
		return Vorbis, true
	case len(data) >= 3 && string(data[0:3]) == "ID3":
		return MP3, true
	case len(data) >= 2 && data[0] == 0xFF && data[1]&0xE0 == 0xE0 && data[1]&0x06 != 0:
		// An MPEG audio frame's sync word with a layer set.
		return MP3, true
	}
	return "", false
}

// Decode converts an uploaded file to 8 kHz 16-bit little-endian mono,
// refusing it as soon as it proves longer than max.
func Decode(data []byte, max time.Duration) ([]byte, Format, error) {
	f, ok := Sniff(data)
	if !ok {
		return nil, "", ErrNotAudio
	}
	var (
		samples []int16
		rate    int
		err     error
	)
	limit := func(rate int) int { return int(max.Seconds()*float64(rate)) + 1 }
	switch f {
	case WAV:
		samples, rate, err = decodeWAV(data, limit)
	case MP3:
		samples, rate, err = decodeMP3(data, limit)
	case Vorbis:
		samples, rate, err = decodeVorbis(data, limit)
	}
	if errors.Is(err, errTooLong) {
		return nil, f, &TooLongError{Max: max}
	}
	if err != nil {
		return nil, f, &BadFileError{Format: f, Err: err}
	}
	out := Resample(samples, rate, Rate)
	if len(out) < Rate/50 {
		return nil, f, ErrEmpty
	}
	if len(out) > limit(Rate) {
		return nil, f, &TooLongError{Max: max}
	}
	return PCM(out), f, nil
}

// errTooLong stops a decoder at the limit, before it decodes the rest.
var errTooLong = errors.New("too long")

// PCM encodes samples as 16-bit little-endian bytes.
func PCM(samples []int16) []byte {
	out := make([]byte, 2*len(samples))
	for i, s := range samples {
		binary.LittleEndian.PutUint16(out[2*i:], uint16(s))
	}
	return out
}

// Samples decodes 16-bit little-endian bytes.
func Samples(pcm []byte) []int16 {
	out := make([]int16, len(pcm)/2)
	for i := range out {
		out[i] = int16(binary.LittleEndian.Uint16(pcm[2*i:]))
	}
	return out
}

// decodeMP3 reads every frame, averaging the decoder's two channels
// (it always gives stereo, a mono file's channel twice).
func decodeMP3(data []byte, limit func(int) int) ([]int16, int, error) {
	d, err := mp3.NewDecoder(bytes.NewReader(data))
	if err != nil {
		return nil, 0, err
	}
	rate := d.SampleRate()
	if rate < 32000 {
		// MPEG-2 and 2.5 (16 to 24 kHz, 8 to 12 kHz): go-mp3 reads them
		// without complaint but gives garbled audio.
		return nil, 0, fmt.Errorf("MPEG-2 audio at %d Hz: encode the MP3 at 32, 44.1 or 48 kHz", rate)
	}
	if n := d.Length(); n > 0 && int(n/4) > limit(rate) {
		return nil, rate, errTooLong
	}
	var out []int16
	buf := make([]byte, 4*1152)
	for {
		n, err := d.Read(buf)
		for i := 0; i+4 <= n; i += 4 {
			l := int16(binary.LittleEndian.Uint16(buf[i:]))
			r := int16(binary.LittleEndian.Uint16(buf[i+2:]))
			out = append(out, int16((int(l)+int(r))/2))
		}
		if len(out) > limit(rate) {
			return nil, rate, errTooLong
		}
		if errors.Is(err, io.EOF) {
			return out, rate, nil
		}
		if err != nil {
			return nil, rate, err
		}
		if n == 0 {
			return nil, rate, io.ErrNoProgress
		}
	}
}

// decodeVorbis reads every packet, averaging the channels.
func decodeVorbis(data []byte, limit func(int) int) ([]int16, int, error) {
	r, err := oggvorbis.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, 0, err
	}
	rate, channels := r.SampleRate(), r.Channels()
	if rate <= 0 || channels <= 0 {
		return nil, 0, errors.New("no sample rate or channels")
	}
	if n := r.Length(); n > 0 && int(n) > limit(rate) {
		return nil, rate, errTooLong
	}
	var out []int16
	buf := make([]float32, 4096*channels)
	for {
		n, err := r.Read(buf)
		for i := 0; i+channels <= n; i += channels {
			var sum float32
			for c := range channels {
				sum += buf[i+c]
			}
			out = append(out, floatSample(sum/float32(channels)))
		}
		if len(out) > limit(rate) {
			return nil, rate, errTooLong
		}
		if errors.Is(err, io.EOF) {
			return out, rate, nil
		}
		if err != nil {
			return nil, rate, err
		}
		if n == 0 {
			return nil, rate, io.ErrNoProgress
		}
	}
}

// floatSample converts a sample in [-1, 1] to 16 bits, clipping.
func floatSample(f float32) int16 {
	v := f * 32767
	switch {
	case v > 32767:
		return 32767
	case v < -32768:
		return -32768
	}
	return int16(v)
}
