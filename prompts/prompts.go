// Package prompts holds the English prompts and hold music embedded in the
// binary, and loads an administrator's own prompts from a directory.
package prompts

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/acdserver/acd/media"
)

//go:embed audio/*.wav
var embedded embed.FS

// Library is a read-only set of named sounds, decoded and encoded once.
type Library struct {
	sounds map[string]*media.Sound
}

// Get returns the named sound, or nil.
func (l *Library) Get(name string) *media.Sound { return l.sounds[name] }

// Has reports whether a prompt of that name exists.
func (l *Library) Has(name string) bool { return l.sounds[name] != nil }

// Names lists every prompt, sorted.
func (l *Library) Names() []string {
	names := make([]string, 0, len(l.sounds))
	for n := range l.sounds {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// FileError names a prompt file that cannot be used and how to fix it.
type FileError struct {
	Path string
	Err  error
}

// Error says how to convert the file: sox writes to a new file (reading and
// writing the same one leaves it empty), which then replaces the original.
func (e *FileError) Error() string {
	converted := strings.TrimSuffix(e.Path, filepath.Ext(e.Path)) + ".8k.wav"
	return fmt.Sprintf("%s: %v; convert it with: sox %q -r 8000 -c 1 -b 16 %q && mv %q %q",
		e.Path, e.Err, e.Path, converted, converted, e.Path)
}

// Load decodes the embedded prompts, then every *.wav in dir (when dir is
// not empty), whose names add to or replace the embedded ones. All bad
// files are reported together, each as a *FileError.
func Load(dir string) (*Library, error) {
	lib := &Library{sounds: map[string]*media.Sound{}}
	entries, err := fs.ReadDir(embedded, "audio")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		data, err := embedded.ReadFile("audio/" + e.Name())
		if err != nil {
			return nil, err
		}
		snd, err := decodeWAV(data)
		if err != nil {
			return nil, fmt.Errorf("embedded prompt %s: %w", e.Name(), err)
		}
		lib.sounds[strings.TrimSuffix(e.Name(), ".wav")] = snd
	}
	if dir == "" {
		return lib, nil
	}
	files, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return lib, nil
	}
	if err != nil {
		return nil, fmt.Errorf("prompts_dir %s: %w", dir, err)
	}
	var errs []error
	for _, f := range files {
		if f.IsDir() || strings.HasPrefix(f.Name(), ".") {
			continue
		}
		path := filepath.Join(dir, f.Name())
		if !strings.EqualFold(filepath.Ext(f.Name()), ".wav") {
			continue // notes, scripts and sources may sit beside the prompts
		}
		data, err := os.ReadFile(path)
		if err != nil {
			errs = append(errs, &FileError{Path: path, Err: err})
			continue
		}
		snd, err := decodeWAV(data)
		if err != nil {
			errs = append(errs, &FileError{Path: path, Err: err})
			continue
		}
		lib.sounds[strings.TrimSuffix(f.Name(), filepath.Ext(f.Name()))] = snd
	}
	return lib, errors.Join(errs...)
}
