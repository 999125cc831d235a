package service

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"time"

	"github.com/acdserver/acd/directory"
	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/recording"
	"github.com/acdserver/acd/store"
)

// Recordings keeps and controls call recordings (recording.Recorder over
// store.Recordings).
type Recordings interface {
	ListRecordings(ctx context.Context, f store.RecordingFilter) ([]store.Recording, error)
	Recording(ctx context.Context, id string) (store.Recording, error)
	Path(r store.Recording) string
	Writing(id string) bool
	Delete(ctx context.Context, id, reason string, by event.Actor) error
	Act(agent string, a recording.Action, by event.Actor) (recording.Status, error)
	Status(agent string) recording.Status
}

// SetRecordings puts the recordings in the service's reach; the server
// calls it before serving.
func (s *Service) SetRecordings(r Recordings) { s.recordings = r }

// Recording is a call recording as the API shows it.
type Recording struct {
	ID          string    `json:"id"`
	Interaction string    `json:"interaction" doc:"the contact recorded: its events carry this id"`
	CallID      string    `json:"call_id" doc:"the customer's call"`
	Queue       string    `json:"queue"`
	Agents      []string  `json:"agents" doc:"the agents the contact reached, in order"`
	Started     time.Time `json:"started"`
	Ended       time.Time `json:"ended,omitzero" doc:"absent while it is being written"`
	DurationMS  int64     `json:"duration_ms"`
	Bytes       int64     `json:"bytes"`
	Audio       string    `json:"audio" doc:"the path of the WAV file in the API"`
}

func recordingView(r store.Recording) Recording {
	v := Recording{ID: r.ID, Interaction: r.Interaction, CallID: r.CallID, Queue: r.Queue, Agents: r.Agents,
		Started: r.Started, Ended: r.Ended, DurationMS: r.DurationMS, Bytes: r.Bytes, Audio: "/api/v1/recordings/" + r.ID + "/audio"}
	if v.Agents == nil {
		v.Agents = []string{}
	}
	return v
}

// RecordingFilter selects recordings to list.
type RecordingFilter struct {
	Interaction, Queue, Agent string
	Since, Until              time.Time
	Limit                     int
}

// recordingScope narrows a filter to what the actor may hear: every
// recording (administrators, supervisors granted recordings.view), a
// restricted supervisor's queues', or an agent's own calls' (granted
// recordings.view).
func recordingScope(a *Actor, f *store.RecordingFilter) error {
	switch {
	case a == nil:
		return errUnauthenticated
	case a.is(directory.Administrator):
	case a.is(directory.Supervisor) && a.Permissions[directory.RecordingsView]:
		if a.Restricted {
			f.Queues = slices.Sorted(maps.Keys(a.Queues))
			if f.Queues == nil {
				f.Queues = []string{}
			}
		}
	case a.is(directory.Agent) && a.Permissions[directory.RecordingsView]:
		f.Agent = a.UserID
	default:
		return forbidden("call recordings are for administrators, and for supervisors and agents granted %s", directory.RecordingsView)
	}
	return nil
}

// inScope says whether one recording is in the actor's reach.
func inScope(a *Actor, r store.Recording) bool {
	f := store.RecordingFilter{}
	if recordingScope(a, &f) != nil {
		return false
	}
	if f.Queues != nil && !slices.Contains(f.Queues, r.Queue) {
		return false
	}
	return f.Agent == "" || slices.Contains(r.Agents, f.Agent)
}

// ListRecordings lists the recordings the actor may hear, newest first.
func (s *Service) ListRecordings(ctx context.Context, a *Actor, in RecordingFilter) ([]Recording, error) {
	f := store.RecordingFilter{Interaction: in.Interaction, Queue: in.Queue, Agent: in.Agent, Since: in.Since, Until: in.Until, Limit: in.Limit}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 1000
	}
	if err := recordingScope(a, &f); err != nil {
		return nil, err
	}
	if in.Agent != "" && f.Agent != in.Agent {
		return []Recording{}, nil // an agent asking for another's
	}
	if s.recordings == nil {
		return []Recording{}, nil
	}
	list, err := s.recordings.ListRecordings(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("listing recordings: %w", err)
	}
	out := make([]Recording, 0, len(list))
	for _, r := range list {
		out = append(out, recordingView(r))
	}
	return out, nil
}

// recordingFor reads a recording in the actor's reach; one out of it is
// not found, as if it did not exist, so that its existence is not told.
func (s *Service) recordingFor(ctx context.Context, a *Actor, id string) (store.Recording, error) {
	if err := recordingScope(a, &store.RecordingFilter{}); err != nil {
		return store.Recording{}, err
	}
	if s.recordings == nil {
		return store.Recording{}, notFound("no recording %q", id)
	}
	r, err := s.recordings.Recording(ctx, id)
	if errors.Is(err, store.ErrNotFound) || err == nil && !inScope(a, r) {
		return store.Recording{}, notFound("no recording %q", id)
	} else if err != nil {
		return store.Recording{}, fmt.Errorf("reading recording %s: %w", id, err)
	}
	return r, nil
}

// GetRecording reads one recording.
func (s *Service) GetRecording(ctx context.Context, a *Actor, id string) (Recording, error) {
	r, err := s.recordingFor(ctx, a, id)
	if err != nil {
		return Recording{}, err
	}
	return recordingView(r), nil
}

// RecordingAudio opens a recording's file to be served; one still being
// written is a conflict. The caller closes it.
func (s *Service) RecordingAudio(ctx context.Context, a *Actor, id string) (*os.File, Recording, error) {
	r, err := s.recordingFor(ctx, a, id)
	if err != nil {
		return nil, Recording{}, err
	}
	if r.Ended.IsZero() || s.recordings.Writing(id) {
		return nil, Recording{}, conflict("recording %s is still being written: it can be fetched once the call ends", id)
	}
	f, err := os.Open(s.recordings.Path(r))
	if err != nil {
		return nil, Recording{}, fmt.Errorf("opening recording %s: %w", id, err)
	}
	s.log.Info("recording fetched", "user", a.UserID, "recording", id, "queue", r.Queue)
	return f, recordingView(r), nil
}

// DeleteRecording deletes a recording: administrators, and supervisors
// granted recordings.delete within their scope.
func (s *Service) DeleteRecording(ctx context.Context, a *Actor, id string) error {
	r, err := s.recordingFor(ctx, a, id)
	if err != nil {
		return err
	}
	if !a.is(directory.Administrator) && !(a.is(directory.Supervisor) && a.Permissions[directory.RecordingsDelete]) {
		return forbidden("deleting recordings takes an administrator, or a supervisor granted %s", directory.RecordingsDelete)
	}
	if err := s.recordings.Delete(ctx, r.ID, "user", a.event()); errors.Is(err, recording.ErrInUse) {
		return conflict("recording %s is still being written", id)
	} else if errors.Is(err, store.ErrNotFound) {
		return notFound("no recording %q", id)
	} else if err != nil {
		return err
	}
	return nil
}

// RecordingState is the recording of the call an agent is on.
type RecordingState struct {
	Mode      string `json:"mode" enum:"never,always,on_demand" doc:"the queue's setting; never when on no call"`
	Recording string `json:"recording,omitempty" doc:"the recording's id, while one is written"`
	Active    bool   `json:"active" doc:"the call is being recorded"`
	Paused    bool   `json:"paused"`
	CanStart  bool   `json:"can_start"`
	CanStop   bool   `json:"can_stop"`
	CanPause  bool   `json:"can_pause" doc:"pause or resume"`
}

func recordingStateView(st recording.Status) RecordingState {
	return RecordingState{Mode: string(st.Mode), Recording: st.ID, Active: st.Recording, Paused: st.Paused,
		CanStart: st.CanStart, CanStop: st.CanStop, CanPause: st.CanPause}
}

// Recording actions, as POST /agents/{id}/recording takes them.
const (
	RecordingStart  = string(recording.Start)
	RecordingStop   = string(recording.Stop)
	RecordingPause  = string(recording.Pause)
	RecordingResume = string(recording.Resume)
)

// AgentRecording reads the recording of the call the agent is on.
func (s *Service) AgentRecording(a *Actor, id string) (RecordingState, error) {
	if _, err := s.authorizeAgent(a, id); err != nil {
		return RecordingState{}, err
	}
	if s.recordings == nil {
		return RecordingState{Mode: "never"}, nil
	}
	return recordingStateView(s.recordings.Status(id)), nil
}

// AgentRecordingAction starts, stops, pauses or resumes the recording of
// the call the agent is on: the agent itself (console, API or phone),
// or a supervisor who controls the agent. The queue's setting decides
// what is allowed: start and stop on demand only, pause and resume in
// every mode. The recording's events name the actor.
func (s *Service) AgentRecordingAction(a *Actor, id, action string) (RecordingState, error) {
	if _, err := s.authorizeAgent(a, id); err != nil {
		return RecordingState{}, err
	}
	switch action {
	case RecordingStart, RecordingStop, RecordingPause, RecordingResume:
	default:
		return RecordingState{}, invalid("action", "want start, stop, pause or resume")
	}
	if s.recordings == nil {
		return RecordingState{}, conflict("the server keeps no recordings")
	}
	st, err := s.recordings.Act(id, recording.Action(action), a.event())
	switch {
	case errors.Is(err, recording.ErrNoCall):
		return RecordingState{}, conflict("agent %s is on no call", id)
	case errors.Is(err, recording.ErrNotAllowed):
		return recordingStateView(st), forbidden("the queue's recording setting (%s) does not allow %s", st.Mode, action)
	case errors.Is(err, recording.ErrAlreadyRecording), errors.Is(err, recording.ErrNotRecording):
		return recordingStateView(st), conflict("agent %s: %v", id, err)
	case err != nil:
		return RecordingState{}, err
	}
	s.log.Info("recording action", "user", a.UserID, "agent", id, "action", action, "recording", st.ID)
	return recordingStateView(st), nil
}
