// Package recording writes calls to WAV files as they happen and keeps
// their index: one file per contact, the customer left and the agent
// right, started, paused, resumed and stopped by the queue's setting, the
// agent or a supervisor.
//
// The files are stereo 8 kHz 16-bit linear PCM rather than G.711 in WAV:
// every player and browser plays linear PCM (G.711 WAV is refused by
// several browsers' <audio>), the mixer hands linear samples already, and
// one format holds both channels whatever law each leg used — a call
// whose caller speaks A-law and whose agent speaks µ-law has no single
// G.711 codec. It costs twice the bytes of G.711: 32 kB a second.
package recording

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/acdserver/acd/media"
)

// The format of every recording.
const (
	SampleRate = 8000
	Channels   = 2
	// frameBytes is one 20 ms period in the file: both channels' samples.
	frameBytes = media.FrameSize * Channels * 2
	headerSize = 44
	// bytesPerSecond of audio, for durations.
	bytesPerSecond = SampleRate * Channels * 2
)

// header is a canonical 44-byte WAV header for data bytes of audio.
func header(data int64) []byte {
	h := make([]byte, headerSize)
	copy(h[0:], "RIFF")
	binary.LittleEndian.PutUint32(h[4:], uint32(36+data))
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], 1) // linear PCM
	binary.LittleEndian.PutUint16(h[22:], Channels)
	binary.LittleEndian.PutUint32(h[24:], SampleRate)
	binary.LittleEndian.PutUint32(h[28:], bytesPerSecond)
	binary.LittleEndian.PutUint16(h[32:], Channels*2)
	binary.LittleEndian.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], uint32(data))
	return h
}

// sizes rewrites the RIFF and data sizes of a file holding data bytes of
// audio, in place.
func sizes(f io.WriterAt, data int64) error {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(36+data))
	if _, err := f.WriteAt(b[:], 4); err != nil {
		return err
	}
	binary.LittleEndian.PutUint32(b[:], uint32(data))
	_, err := f.WriteAt(b[:], 40)
	return err
}

// Duration is how long data bytes of audio last.
func Duration(data int64) time.Duration {
	return time.Duration(data) * time.Second / bytesPerSecond
}

// ErrNotWAV is a file that is not one of the server's recordings.
var ErrNotWAV = errors.New("not a recording of this server")

// Repair makes a recording left open by a server that stopped without
// closing it (killed, or the machine lost power) whole: its sizes are
// taken from the file's length, a last partial sample dropped. It
// returns the audio's bytes; a whole file is left as it is.
func Repair(path string) (data int64, err error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return 0, fmt.Errorf("repairing recording %s: %w", path, err)
	}
	defer f.Close()
	h := make([]byte, headerSize)
	if _, err := io.ReadFull(f, h); err != nil {
		return 0, fmt.Errorf("repairing recording %s: %w (%v)", path, ErrNotWAV, err)
	}
	if string(h[0:4]) != "RIFF" || string(h[8:16]) != "WAVEfmt " || string(h[36:40]) != "data" ||
		binary.LittleEndian.Uint16(h[22:]) != Channels || binary.LittleEndian.Uint32(h[24:]) != SampleRate {
		return 0, fmt.Errorf("repairing recording %s: %w", path, ErrNotWAV)
	}
	st, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("repairing recording %s: %w", path, err)
	}
	data = st.Size() - headerSize
	data -= data % (Channels * 2)
	if data+headerSize != st.Size() {
		if err := f.Truncate(data + headerSize); err != nil {
			return 0, fmt.Errorf("repairing recording %s: %w", path, err)
		}
	}
	if int64(binary.LittleEndian.Uint32(h[40:])) == data && int64(binary.LittleEndian.Uint32(h[4:])) == 36+data {
		return data, nil
	}
	if err := sizes(f, data); err != nil {
		return 0, fmt.Errorf("repairing recording %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return 0, fmt.Errorf("repairing recording %s: %w", path, err)
	}
	return data, nil
}
