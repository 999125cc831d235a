package prompts

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// wav builds a minimal WAV file.
func wav(format, channels uint16, rate uint32, bits uint16, data []byte) []byte {
	b := []byte("RIFF\x00\x00\x00\x00WAVEfmt ")
	b = binary.LittleEndian.AppendUint32(b, 16)
	b = binary.LittleEndian.AppendUint16(b, format)
	b = binary.LittleEndian.AppendUint16(b, channels)
	b = binary.LittleEndian.AppendUint32(b, rate)
	b = binary.LittleEndian.AppendUint32(b, rate*uint32(channels*bits/8))
	b = binary.LittleEndian.AppendUint16(b, channels*bits/8)
	b = binary.LittleEndian.AppendUint16(b, bits)
	b = append(b, "data"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
	return append(b, data...)
}

func TestEmbeddedPrompts(t *testing.T) {
	lib, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"welcome", "please-hold", "callback-offer", "callback-confirmed", "no-agents", "goodbye", "invalid-option", "hold-music"} {
		s := lib.Get(name)
		if s == nil {
			t.Fatalf("prompt %q missing", name)
		}
		if s.Duration() < time.Second || len(s.Payload(0))%160 != 0 || len(s.Payload(8)) != len(s.Payload(0)) {
			t.Fatalf("prompt %q: %v, %d bytes", name, s.Duration(), len(s.Payload(0)))
		}
	}
}

func TestCustomPrompts(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "main-menu.wav"), wav(1, 1, 8000, 16, make([]byte, 3200)), 0o644)
	os.WriteFile(filepath.Join(dir, "alaw.wav"), wav(6, 1, 8000, 8, make([]byte, 500)), 0o644)
	os.WriteFile(filepath.Join(dir, "README.txt"), []byte("notes"), 0o644)
	lib, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if d := lib.Get("main-menu").Duration(); d != 200*time.Millisecond {
		t.Fatalf("custom main-menu lasts %v, want 200ms (it replaces the embedded one)", d)
	}
	if len(lib.Get("alaw").Payload(0)) != 640 {
		t.Fatal("A-law prompt not padded to whole frames")
	}

	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, "cd.wav"), wav(1, 2, 44100, 16, make([]byte, 400)), 0o644)
	os.WriteFile(filepath.Join(bad, "junk.wav"), []byte("not audio"), 0o644)
	os.WriteFile(filepath.Join(bad, "empty.wav"), wav(1, 1, 8000, 16, nil), 0o644)
	_, err = Load(bad)
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("got %v, want a FileError", err)
	}
	msg := err.Error()
	cd := filepath.Join(bad, "cd.wav")
	for _, want := range []string{"cd.wav: 44100 Hz, 2 channel(s): want 8000 Hz mono", "junk.wav: not a WAV file",
		"empty.wav: 0 samples of audio: the file holds no prompt",
		// Into a new file, which then replaces the original: sox reading
		// and writing one file leaves it empty.
		fmt.Sprintf("sox %q -r 8000 -c 1 -b 16 %q && mv %q %q", cd, filepath.Join(bad, "cd.8k.wav"), filepath.Join(bad, "cd.8k.wav"), cd)} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
}
