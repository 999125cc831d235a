package server

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"

	"github.com/acdserver/acd/config"
	"github.com/acdserver/acd/dialplan"
	"github.com/acdserver/acd/media"
	"github.com/acdserver/acd/prompts"
	"github.com/acdserver/acd/recorded"
	"github.com/acdserver/acd/store"
)

// sounds is what calls play by name: the built-in and prompts_dir
// prompts first, then the recorded messages. A message may not take a
// prompt's name (the service refuses it), so the order only matters for
// a prompts_dir file added later under a message's name: the file wins.
type sounds struct {
	prompts  *prompts.Library
	messages dialplan.Sounds // nil: none
}

func (s sounds) Get(name string) *media.Sound {
	if snd := s.prompts.Get(name); snd != nil {
		return snd
	}
	if s.messages == nil {
		return nil
	}
	return s.messages.Get(name)
}

// Names lists what may be played, prompts then recorded messages, for
// the consoles' choices (hold music, announcements, the plan editor).
func (s sounds) Names() []string {
	names := s.prompts.Names()
	if m, ok := s.messages.(interface{ Names() []string }); ok {
		for _, n := range m.Names() {
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	return names
}

func (s sounds) Has(name string) bool {
	return s.prompts.Has(name) || (s.messages != nil && s.messages.Has(name))
}

// messageSource gives the recorded messages a configuration's dial plans
// may name.
type messageSource func(cfg *config.Config) (dialplan.Sounds, error)

// messagesIn reads the names of the recorded messages in a data
// directory ("": the configuration's), for acd check and for starting:
// the server's own library replaces them once the database is open.
func messagesIn(dataDir string) messageSource {
	return func(cfg *config.Config) (dialplan.Sounds, error) {
		dir := dataDir
		if dir == "" {
			dir = cfg.Server.DataDir
		}
		if dir == "" {
			return recorded.Names{}, nil
		}
		names, err := store.RecordedMessageNames(context.Background(), filepath.Join(dir, "acd.db"))
		if err != nil && dataDir != "" {
			return nil, fmt.Errorf("reading the recorded messages of %s: %w", dir, err)
		}
		// The configuration's data_dir unreadable (acd check run by
		// another user than the server's): no messages, and a plan that
		// names one is refused as naming what does not exist.
		set := recorded.Names{}
		for _, n := range names {
			set[n] = true
		}
		return set, nil
	}
}

// messagesOf keeps a program's recorded messages: a new version of the
// configuration plays the same library.
func messagesOf(p *Program) messageSource {
	return func(*config.Config) (dialplan.Sounds, error) { return p.sounds.messages, nil }
}

// without is a set of messages less one, for finding what would break
// if it were deleted.
type without struct {
	dialplan.Sounds
	name string
}

func (w without) Get(name string) *media.Sound {
	if name == w.name {
		return nil
	}
	return w.Sounds.Get(name)
}

func (w without) Has(name string) bool { return name != w.name && w.Sounds.Has(name) }

// openMessages loads the version in force of every recorded message and
// gives the program the library; new versions are put in it as they are
// stored.
func (s *Server) openMessages(prog *Program) (*Program, error) {
	st, err := store.OpenRecordedMessages(s.events)
	if err != nil {
		return nil, err
	}
	lib := recorded.NewLibrary()
	list, err := st.RecordedMessages(s.life)
	if err != nil {
		return nil, err
	}
	for _, m := range list {
		pcm, _, err := st.RecordedAudio(s.life, m.Name, m.Current)
		if err != nil {
			return nil, fmt.Errorf("loading recorded message %s: %w", m.Name, err)
		}
		lib.Set(m.Name, pcm)
	}
	s.messages = &messageDesk{store: st, lib: lib}
	with := *prog
	with.sounds.messages = lib
	return &with, nil
}

// messageDesk is the service's side of recorded messages: the store, the
// library calls play from, and the configurator that knows who uses one.
type messageDesk struct {
	store *store.RecordedMessages
	lib   *recorded.Library
	conf  *configurator
	// mu orders storing a version or deleting a message with the
	// library's change: two uploads at once must not leave the library
	// with the older. Taken inside conf.mu, never around it.
	mu sync.Mutex
}

// IsPrompt reports whether a name is a prompt's in the version in force.
func (d *messageDesk) IsPrompt(name string) bool {
	return d.conf.current.Load().sounds.prompts.Has(name)
}

// Put stores a new version and puts it in force for the calls that
// start playing it from now on.
func (d *messageDesk) Put(ctx context.Context, name string, pcm []byte, v store.RecordedVersion) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	n, err := d.store.AddRecordedVersion(ctx, name, pcm, v)
	if err != nil {
		return 0, err
	}
	d.lib.Set(name, pcm)
	return n, nil
}

// Delete removes a message unless the configuration in force names it:
// then it answers the places that do, as FILE:LINE: problems, and keeps
// the message.
func (d *messageDesk) Delete(ctx context.Context, name string) ([]string, error) {
	c := d.conf
	c.mu.Lock() // no dial plan may come to name it between the check and the deletion
	defer c.mu.Unlock()
	_, err := loadProgramWith(c.filePath(), c.managed(ctx), func(*config.Config) (dialplan.Sounds, error) {
		return without{Sounds: d.lib, name: name}, nil
	})
	if err != nil {
		var ce config.Errors
		if !errors.As(err, &ce) {
			return nil, fmt.Errorf("checking who uses recorded message %s: %w", name, err)
		}
		users := make([]string, len(ce))
		for i, e := range ce {
			users[i] = e.Error()
		}
		return users, nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.store.DeleteRecordedMessage(ctx, name); err != nil {
		return nil, err
	}
	d.lib.Remove(name)
	return nil, nil
}
