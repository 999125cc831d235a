package recorded

import (
	"regexp"
	"sort"
	"sync"

	"github.com/acdserver/acd/media"
)

// namePattern is a message's name: as a prompt's file name, letters,
// digits, - and _, so that a dial plan names either the same way.
var namePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ValidName reports whether name may name a message.
func ValidName(name string) bool { return namePattern.MatchString(name) }

// Library is the version in force of every recorded message, encoded
// once for the calls. A Sound is never changed once made: a call that
// took one keeps playing it while a new version replaces it here.
type Library struct {
	mu     sync.RWMutex // guards sounds; held only to read or swap an entry
	sounds map[string]*media.Sound
}

// NewLibrary makes an empty library.
func NewLibrary() *Library { return &Library{sounds: map[string]*media.Sound{}} }

// Get returns the version in force of a message, or nil.
func (l *Library) Get(name string) *media.Sound {
	if l == nil {
		return nil
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.sounds[name]
}

// Has reports whether a message of that name exists.
func (l *Library) Has(name string) bool { return l.Get(name) != nil }

// Set puts a version of a message, as 8 kHz 16-bit mono PCM, in force.
func (l *Library) Set(name string, pcm []byte) {
	snd := media.NewSoundPCM(pcm)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sounds[name] = snd
}

// Remove takes a message out of the library.
func (l *Library) Remove(name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.sounds, name)
}

// Names lists the messages, sorted.
func (l *Library) Names() []string {
	l.mu.RLock()
	defer l.mu.RUnlock()
	names := make([]string, 0, len(l.sounds))
	for n := range l.sounds {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Names is a set of message names without their audio: what acd check
// reads of a data directory to know which names a dial plan may use.
type Names map[string]bool

// Get has no audio to give.
func (Names) Get(string) *media.Sound { return nil }

// Has reports whether the name is a message's.
func (n Names) Has(name string) bool { return n[name] }
