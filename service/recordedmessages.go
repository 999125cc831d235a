package service

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/acdserver/acd/config"
	"github.com/acdserver/acd/recorded"
	"github.com/acdserver/acd/store"
)

// RecordedStore reads the recorded messages (store.RecordedMessages).
type RecordedStore interface {
	RecordedMessages(ctx context.Context) ([]store.RecordedMessage, error)
	RecordedAudio(ctx context.Context, name string, version int) ([]byte, int, error)
}

// RecordedDesk changes recorded messages where the calls play them from
// (the server): a new version is stored and in force for calls that
// start playing it from then on; a message is deleted only when nothing
// in the configuration in force names it.
type RecordedDesk interface {
	IsPrompt(name string) bool
	Put(ctx context.Context, name string, pcm []byte, v store.RecordedVersion) (int, error)
	// Delete answers the places that name the message (FILE:LINE:
	// problems) instead of deleting it, if any do.
	Delete(ctx context.Context, name string) (users []string, err error)
}

// Recorded is what the recorded messages of a Service are built from;
// the zero Recorded has none (the command line).
type Recorded struct {
	Store RecordedStore
	Desk  RecordedDesk
}

// The sources of a version.
const (
	SourceUpload = "upload"
	SourcePhone  = "phone"
)

// RecordedVersionView is one version of a recorded message.
type RecordedVersionView struct {
	Version   int       `json:"version"`
	Seconds   float64   `json:"seconds"`
	Source    string    `json:"source" enum:"upload,phone"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// RecordedMessageView is a recorded message with every version kept.
type RecordedMessageView struct {
	Name     string                `json:"name"`
	Current  int                   `json:"current" doc:"the version dial plans play"`
	Versions []RecordedVersionView `json:"versions"`
}

var errNoRecorded = errors.New("recorded messages are not available to this command")

// concurrentUploads: an upload is held in memory whole while it is
// decoded, up to the upload limit (tens of megabytes), so only a few may
// be read at once, whoever sends them.
const concurrentUploads = 2

// BeginRecordedUpload checks that the user may upload a message and
// reserves one of the uploads in progress, before anything of the file
// is read; the returned function gives it back once the upload is over.
// Past the cap it refuses (Throttled: 429).
func (s *Service) BeginRecordedUpload(a *Actor) (release func(), err error) {
	if err := s.recordedFor(a, false); err != nil {
		return nil, err
	}
	select {
	case s.uploads <- struct{}{}:
	default:
		return nil, &Error{Kind: Throttled, RetryAfter: streamRetry,
			Msg: "other recorded messages are being uploaded (at most " + strconv.Itoa(concurrentUploads) + " at once): retry in a moment"}
	}
	var once sync.Once
	return func() { once.Do(func() { <-s.uploads }) }, nil
}

func (s *Service) recordedFor(a *Actor, view bool) error {
	var err error
	if view {
		err = AuthorizeView(a, ManageRecorded)
	} else {
		err = Authorize(a, ManageRecorded)
	}
	if err != nil {
		return err
	}
	if s.recorded.Store == nil || s.recorded.Desk == nil {
		return errNoRecorded
	}
	return nil
}

// MaxRecordedLength is the longest message the configuration in force
// accepts.
func (s *Service) MaxRecordedLength() time.Duration {
	if s.running == nil {
		return config.DefaultRecordedMessageLength
	}
	return s.running().RecordedMessages.MaxLength()
}

// MaxRecordedUpload is the largest file an upload may send.
func (s *Service) MaxRecordedUpload() int64 {
	if s.running == nil {
		return config.RecordedMessages{}.MaxUploadBytes()
	}
	return s.running().RecordedMessages.MaxUploadBytes()
}

// RecordedMessages lists the messages and their versions (administrators,
// users granted recorded_messages.manage, and supervisors granted
// configuration.access to read).
func (s *Service) RecordedMessages(ctx context.Context, a *Actor) ([]RecordedMessageView, error) {
	if err := s.recordedFor(a, true); err != nil {
		return nil, err
	}
	list, err := s.recorded.Store.RecordedMessages(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]RecordedMessageView, 0, len(list))
	for _, m := range list {
		v := RecordedMessageView{Name: m.Name, Current: m.Current, Versions: make([]RecordedVersionView, 0, len(m.Versions))}
		for _, ver := range m.Versions {
			v.Versions = append(v.Versions, RecordedVersionView{Version: ver.Version, Seconds: ver.Duration().Seconds(),
				Source: ver.Source, CreatedBy: ver.CreatedBy, CreatedAt: ver.Created})
		}
		out = append(out, v)
	}
	return out, nil
}

// RecordedMessageWAV is a version of a message (0: the one in force) as
// a WAV file, and the version's number.
func (s *Service) RecordedMessageWAV(ctx context.Context, a *Actor, name string, version int) ([]byte, int, error) {
	if err := s.recordedFor(a, true); err != nil {
		return nil, 0, err
	}
	pcm, v, err := s.recorded.Store.RecordedAudio(ctx, name, version)
	if errors.Is(err, store.ErrNotFound) {
		if version > 0 {
			return nil, 0, notFound("recorded message %q has no version %d", name, version)
		}
		return nil, 0, notFound("no recorded message %q", name)
	}
	if err != nil {
		return nil, 0, err
	}
	return recorded.EncodeWAV(pcm), v, nil
}

// checkRecordedName refuses a name that is no message's name, or a
// prompt's: a dial plan naming it would play the prompt.
func (s *Service) checkRecordedName(name string) error {
	if !recorded.ValidName(name) {
		return invalid("name", "want 1 to 64 letters, digits, - and _, as a prompt's name")
	}
	if s.recorded.Desk.IsPrompt(name) {
		return invalid("name", "%q is a prompt's name: dial plans would play the prompt; choose another", name)
	}
	return nil
}

// UploadRecordedMessage decodes an uploaded WAV, MP3 or Ogg Vorbis file
// and keeps it as the message's next version, in force at once for the
// calls that start playing it from then on.
func (s *Service) UploadRecordedMessage(ctx context.Context, a *Actor, name string, data []byte) (RecordedVersionView, error) {
	if err := s.recordedFor(a, false); err != nil {
		return RecordedVersionView{}, err
	}
	if err := s.checkRecordedName(name); err != nil {
		return RecordedVersionView{}, err
	}
	if limit := s.MaxRecordedUpload(); int64(len(data)) > limit {
		return RecordedVersionView{}, invalid("file", "too large: at most %d bytes (recorded_messages.max_seconds of 16-bit mono audio at 48 kHz)", limit)
	}
	pcm, format, err := recorded.Decode(data, s.MaxRecordedLength())
	if err != nil {
		return RecordedVersionView{}, audioRefusal(err)
	}
	v, err := s.putRecorded(ctx, a, name, pcm, SourceUpload)
	if err != nil {
		return RecordedVersionView{}, err
	}
	s.audit(a, "recorded_message.uploaded", "", map[string]string{"name": name, "version": strconv.Itoa(v.Version),
		"format": string(format), "seconds": secondsText(v.Seconds)})
	return v, nil
}

// audioRefusal words a decoder's refusal for the uploader.
func audioRefusal(err error) error {
	var long *recorded.TooLongError
	var bad *recorded.BadFileError
	switch {
	case errors.Is(err, recorded.ErrNotAudio), errors.Is(err, recorded.ErrEmpty):
		return invalid("file", "%v", err)
	case errors.As(err, &long):
		return invalid("file", "%v (recorded_messages.max_seconds)", err)
	case errors.As(err, &bad):
		return invalid("file", "%v", err)
	}
	return fmt.Errorf("decoding an uploaded message: %w", err)
}

func (s *Service) putRecorded(ctx context.Context, a *Actor, name string, pcm []byte, source string) (RecordedVersionView, error) {
	now := s.now().UTC()
	ver := store.RecordedVersion{Source: source, CreatedBy: a.UserID, Created: now, Samples: len(pcm) / 2}
	n, err := s.recorded.Desk.Put(ctx, name, pcm, ver)
	if err != nil {
		return RecordedVersionView{}, fmt.Errorf("storing recorded message %s: %w", name, err)
	}
	return RecordedVersionView{Version: n, Seconds: ver.Duration().Seconds(), Source: source, CreatedBy: a.UserID, CreatedAt: now}, nil
}

func secondsText(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) }

// DeleteRecordedMessage removes a message and its versions; refused
// while a dial plan or a queue names it.
func (s *Service) DeleteRecordedMessage(ctx context.Context, a *Actor, name string) error {
	if err := s.recordedFor(a, false); err != nil {
		return err
	}
	users, err := s.recorded.Desk.Delete(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("no recorded message %q", name)
	}
	if err != nil {
		return err
	}
	if len(users) > 0 {
		return conflict("recorded message %q is in use; change these first:\n%s", name, strings.Join(users, "\n"))
	}
	s.audit(a, "recorded_message.deleted", "", map[string]string{"name": name})
	return nil
}

// PhoneRecorder is the user behind a phone, allowed to record messages
// from it; nil, with the refusal, when it may not.
func (s *Service) PhoneRecorder(ctx context.Context, user string) (*Actor, error) {
	u, err := s.users.Get(ctx, user)
	if errors.Is(err, store.ErrNotFound) {
		return nil, refused(ManageRecorded)
	}
	if err != nil {
		return nil, err
	}
	a, err := s.actorFor(ctx, u)
	if err != nil {
		return nil, err
	}
	a.phone = true
	if err := s.recordedFor(a, false); err != nil {
		return nil, err
	}
	return a, nil
}

// RecordMessageByPhone keeps audio recorded on a phone (8 kHz 16-bit
// mono) as a message's next version; the actor is PhoneRecorder's.
func (s *Service) RecordMessageByPhone(ctx context.Context, a *Actor, name string, pcm []byte) (RecordedVersionView, error) {
	if err := s.recordedFor(a, false); err != nil {
		return RecordedVersionView{}, err
	}
	if err := s.checkRecordedName(name); err != nil {
		return RecordedVersionView{}, err
	}
	if len(pcm) < 2*recorded.Rate/50 {
		return RecordedVersionView{}, invalid("file", "%v", recorded.ErrEmpty)
	}
	v, err := s.putRecorded(ctx, a, name, pcm, SourcePhone)
	if err != nil {
		return RecordedVersionView{}, err
	}
	s.audit(a, "recorded_message.recorded", "", map[string]string{"name": name, "version": strconv.Itoa(v.Version), "seconds": secondsText(v.Seconds)})
	return v, nil
}
