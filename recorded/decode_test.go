package recorded_test

import (
	"encoding/binary"
	"errors"
	"math"
	"os"
	"testing"
	"time"

	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/recorded"
)

// wavFile writes a tone as a WAV of the given rate, channels and bits.
func wavFile(freq float64, rate, channels, bits int, seconds float64) []byte {
	n := int(seconds * float64(rate))
	width := bits / 8
	data := make([]byte, 0, n*channels*width)
	for i := range n {
		v := 12000 * math.Sin(2*math.Pi*freq*float64(i)/float64(rate))
		for range channels {
			switch bits {
			case 16:
				data = binary.LittleEndian.AppendUint16(data, uint16(int16(v)))
			case 8:
				data = append(data, byte(int(v)/256+128))
			}
		}
	}
	h := make([]byte, 44)
	copy(h, "RIFF")
	binary.LittleEndian.PutUint32(h[4:], uint32(36+len(data)))
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], 1)
	binary.LittleEndian.PutUint16(h[22:], uint16(channels))
	binary.LittleEndian.PutUint32(h[24:], uint32(rate))
	binary.LittleEndian.PutUint32(h[28:], uint32(rate*channels*width))
	binary.LittleEndian.PutUint16(h[32:], uint16(channels*width))
	binary.LittleEndian.PutUint16(h[34:], uint16(bits))
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], uint32(len(data)))
	return append(h, data...)
}

func TestDecodeKeepsTheTone(t *testing.T) {
	mp3, err := os.ReadFile("testdata/tone-1k.mp3")
	if err != nil {
		t.Fatal(err)
	}
	ogg, err := os.ReadFile("testdata/tone-1k.ogg")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		file   []byte
		freq   float64
		format recorded.Format
	}{
		{"wav 8 kHz", wavFile(700, 8000, 1, 16, 1), 700, recorded.WAV},
		{"wav 11025 Hz 8-bit", wavFile(700, 11025, 1, 8, 1), 700, recorded.WAV},
		{"wav 16 kHz", wavFile(1200, 16000, 1, 16, 1), 1200, recorded.WAV},
		{"wav 44.1 kHz stereo", wavFile(440, 44100, 2, 16, 1), 440, recorded.WAV},
		{"wav 48 kHz", wavFile(3000, 48000, 1, 16, 1), 3000, recorded.WAV},
		{"wav 6 kHz (up-sampled)", wavFile(500, 6000, 1, 16, 1), 500, recorded.WAV},
		{"wav 96001 Hz (no factor shared with 8 kHz)", wavFile(1700, 96001, 1, 16, 1), 1700, recorded.WAV},
		{"mp3 (lame, 32 kHz)", mp3, 1000, recorded.MP3},
		{"ogg vorbis (oggenc, 22.05 kHz)", ogg, 1000, recorded.Vorbis},
	} {
		t.Run(tt.name, func(t *testing.T) {
			pcm, format, err := recorded.Decode(tt.file, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if format != tt.format {
				t.Errorf("format %s, want %s", format, tt.format)
			}
			samples := recorded.Samples(pcm)
			if got := time.Duration(len(samples)) * time.Second / 8000; got < 900*time.Millisecond || got > 1200*time.Millisecond {
				t.Errorf("lasts %s, want about 1s", got)
			}
			// Away from the ends, where codecs and filters ramp.
			mid := samples[len(samples)/4 : 3*len(samples)/4]
			if share := testutil.ToneShare(mid, tt.freq); share < 0.8 {
				t.Errorf("%.0f Hz carries %.2f of the energy, want most of it", tt.freq, share)
			}
		})
	}
}

// A tone above the telephone band must be removed, not folded into it:
// 5 kHz at 48 kHz would alias to 3 kHz with no low-pass.
func TestResampleRemovesWhatTheBandCannotHold(t *testing.T) {
	pcm, _, err := recorded.Decode(wavFile(5000, 48000, 1, 16, 1), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	samples := recorded.Samples(pcm)
	var sum float64
	for _, s := range samples[800 : len(samples)-800] {
		sum += float64(s) * float64(s)
	}
	if rms := math.Sqrt(sum / float64(len(samples)-1600)); rms > 200 {
		t.Errorf("a 5 kHz tone of amplitude 12000 left RMS %.0f at 8 kHz", rms)
	}
}

func TestDecodeRefuses(t *testing.T) {
	mpeg2, err := os.ReadFile("testdata/tone-1k-mpeg2.mp3")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		file []byte
		want func(error) bool
	}{
		{"text", []byte("hello, this is not audio at all"), func(err error) bool { return errors.Is(err, recorded.ErrNotAudio) }},
		{"too long", wavFile(440, 8000, 1, 16, 3), func(err error) bool {
			var long *recorded.TooLongError
			return errors.As(err, &long) && long.Max == 2*time.Second
		}},
		{"empty wav", wavFile(440, 8000, 1, 16, 0.001), func(err error) bool { return errors.Is(err, recorded.ErrEmpty) }},
		{"mp3 at 22.05 kHz (MPEG-2)", mpeg2, func(err error) bool {
			var bad *recorded.BadFileError
			return errors.As(err, &bad) && bad.Format == recorded.MP3
		}},
		{"truncated ogg", []byte("OggS\x00\x02garbage"), func(err error) bool {
			var bad *recorded.BadFileError
			return errors.As(err, &bad) && bad.Format == recorded.Vorbis
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := recorded.Decode(tt.file, 2*time.Second)
			if !tt.want(err) {
				t.Fatalf("got %v", err)
			}
		})
	}
}

func TestEncodeWAVDecodesBack(t *testing.T) {
	pcm := testutil.Tone(800, 0.5, 8000)
	back, _, err := recorded.Decode(recorded.EncodeWAV(pcm), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if string(back) != string(pcm) {
		t.Fatal("an 8 kHz WAV did not decode to its own samples")
	}
}

// BenchmarkDecodeLongest decodes the longest message at the default
// limit from the largest file accepted: ten minutes of 48 kHz mono.
func BenchmarkDecodeLongest(b *testing.B) {
	file := wavFile(440, 48000, 1, 16, 600)
	b.ResetTimer()
	for range b.N {
		if _, _, err := recorded.Decode(file, 10*time.Minute); err != nil {
			b.Fatal(err)
		}
	}
}
