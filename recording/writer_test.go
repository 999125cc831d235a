package recording

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/acdserver/acd/media"
)

// frame is a period where each member sends its value in every sample.
func frame(index uint64, parts map[media.Member]int16) media.Frame {
	f := media.Frame{Index: index}
	for m, v := range parts {
		pcm := make([]int16, media.FrameSize)
		for i := range pcm {
			pcm[i] = v
		}
		f.Parts = append(f.Parts, media.Part{Member: m, PCM: pcm})
	}
	return f
}

// listening makes member m of f a supervisor listening: heard by nobody.
func listening(f media.Frame, m media.Member) media.Frame {
	for i := range f.Parts {
		if f.Parts[i].Member == m {
			f.Parts[i].Mode = media.Mode{Role: media.Listen}
		}
	}
	return f
}

// readWAV checks the header against the file and returns its samples,
// left and right.
func readWAV(t *testing.T, path string) (left, right []int16) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < headerSize || string(b[:4]) != "RIFF" || string(b[36:40]) != "data" {
		t.Fatalf("%s is not a WAV file", path)
	}
	data := int(binary.LittleEndian.Uint32(b[40:]))
	if data != len(b)-headerSize || int(binary.LittleEndian.Uint32(b[4:])) != 36+data {
		t.Fatalf("header says %d bytes of audio, the file holds %d", data, len(b)-headerSize)
	}
	for i := headerSize; i+4 <= len(b); i += 4 {
		left = append(left, int16(binary.LittleEndian.Uint16(b[i:])))
		right = append(right, int16(binary.LittleEndian.Uint16(b[i+2:])))
	}
	return left, right
}

// TestWriterChannels: the left member's audio is on the left, the
// right's on the right, a third member listening nowhere, a click sent by both in
// one period lands on the same sample of both, paused periods and periods
// lost are silence, and a second tap (the caller transferred) goes on in
// the same file.
func TestWriterChannels(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "2026", "12", "07", "r1.wav")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	tap := w.Tap(1, 2)
	tap.WriteFrame(listening(frame(0, map[media.Member]int16{1: 100, 2: 200, 3: 999}), 3))
	tap.WriteFrame(frame(1, map[media.Member]int16{1: 5000, 2: 5000})) // a click on both sides
	w.Pause(true)
	tap.WriteFrame(frame(2, map[media.Member]int16{1: 100, 2: 200}))
	w.Pause(false)
	tap.WriteFrame(frame(4, map[media.Member]int16{1: 101})) // period 3 lost
	again := w.Tap(7, 8)
	again.WriteFrame(frame(0, map[media.Member]int16{7: 300, 8: 400}))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("file mode %v, %v; want 0600", st.Mode(), err)
	}
	left, right := readWAV(t, path)
	want := []struct{ l, r int16 }{{100, 200}, {5000, 5000}, {0, 0}, {0, 0}, {101, 0}, {300, 400}}
	if len(left) != len(want)*media.FrameSize {
		t.Fatalf("%d samples, want %d", len(left), len(want)*media.FrameSize)
	}
	for i, p := range want {
		for j := range media.FrameSize {
			if l, r := left[i*media.FrameSize+j], right[i*media.FrameSize+j]; l != p.l || r != p.r {
				t.Fatalf("period %d sample %d: %d/%d, want %d/%d", i, j, l, r, p.l, p.r)
			}
		}
	}
	if Duration(w.Bytes()) != 120e6 {
		t.Fatalf("duration %v, want 120ms", Duration(w.Bytes()))
	}
}

// TestWriterDropsRatherThanBlocks: a writer whose disk is behind drops
// the periods past its queue and counts them; the mixer is never held.
func TestWriterDropsRatherThanBlocks(t *testing.T) {
	t.Parallel()
	w := &Writer{worker: &worker{signal: make(chan struct{}, 1)}} // no goroutine: a disk that never keeps up
	tap := w.Tap(1, 2)
	for i := range uint64(queued + 7) {
		tap.WriteFrame(frame(i, map[media.Member]int16{1: 1}))
	}
	if w.Lost() != 7 {
		t.Fatalf("%d periods counted lost, want 7", w.Lost())
	}
}

// TestRepair: a file left open by a server killed mid-call (its header
// sizes stale, a partial sample at the end) is readable after Repair, up
// to its last whole sample; a whole file is left alone.
func TestRepair(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		audio int // bytes after the header
		want  int64
	}{
		{"stale sizes", 3 * frameBytes, 3 * frameBytes},
		{"partial sample", 2*frameBytes + 3, 2 * frameBytes},
		{"empty", 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "r.wav")
			body := append(header(0), make([]byte, tc.audio)...)
			if err := os.WriteFile(path, body, 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := Repair(path)
			if err != nil || got != tc.want {
				t.Fatalf("Repair: %d, %v; want %d", got, err, tc.want)
			}
			left, _ := readWAV(t, path)
			if int64(len(left))*4 != tc.want {
				t.Fatalf("%d samples readable, want %d", len(left), tc.want/4)
			}
			if again, err := Repair(path); err != nil || again != tc.want {
				t.Fatalf("repairing a whole file: %d, %v", again, err)
			}
		})
	}
	junk := filepath.Join(t.TempDir(), "junk.wav")
	_ = os.WriteFile(junk, make([]byte, 100), 0o600)
	if _, err := Repair(junk); err == nil {
		t.Fatal("a file that is no recording was repaired")
	}
}

// TestWriterFlush: asked to, the writer writes out the few periods it
// holds and their sizes at once — a caller transferred leaves a file a
// kill would otherwise cut to its last whole second.
func TestWriterFlush(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "r.wav")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	tap := w.Tap(1, 2)
	for i := range uint64(3) {
		tap.WriteFrame(frame(i, map[media.Member]int16{1: 7, 2: 8}))
	}
	w.Flush()
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) == headerSize+3*frameBytes && binary.LittleEndian.Uint32(b[40:]) == 3*frameBytes {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after Flush the file holds %d bytes, its header says %d", len(b), binary.LittleEndian.Uint32(b[40:]))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestWriterRecordsWhatTheCustomerHeard: a supervisor barging in is heard
// by the customer, so the file has it in the centre's (right) channel
// with the agent; whispering to the agent or listening, the customer
// heard nothing of it, and the file has nothing of it either.
func TestWriterRecordsWhatTheCustomerHeard(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "r.wav")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	tap := w.Tap(1, 2)
	for i, mode := range []media.Mode{{Role: media.Both}, {Role: media.Whisper, To: 2}, {Role: media.Listen}} {
		f := frame(uint64(i), map[media.Member]int16{1: 100, 2: 200, 3: 1000})
		for j := range f.Parts {
			if f.Parts[j].Member == 3 {
				f.Parts[j].Mode = mode
			}
		}
		tap.WriteFrame(f)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	left, right := readWAV(t, path)
	for i, want := range []struct {
		what string
		l, r int16
	}{{"barging", 100, 1200}, {"whispering to the agent", 100, 200}, {"listening", 100, 200}} {
		if l, r := left[i*media.FrameSize], right[i*media.FrameSize]; l != want.l || r != want.r {
			t.Errorf("a supervisor %s: %d/%d in the file, want %d/%d", want.what, l, r, want.l, want.r)
		}
	}
}
