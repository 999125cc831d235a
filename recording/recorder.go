package recording

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/acdserver/acd/config"
	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/flow"
	"github.com/acdserver/acd/store"
)

// Index keeps the recordings' entries (store.Recordings).
type Index interface {
	AddRecording(ctx context.Context, r store.Recording) error
	UpdateRecording(ctx context.Context, r store.Recording) error
	DeleteRecording(ctx context.Context, id string) error
	Recording(ctx context.Context, id string) (store.Recording, error)
	ListRecordings(ctx context.Context, f store.RecordingFilter) ([]store.Recording, error)
	OpenRecordingsLeft(ctx context.Context) ([]store.Recording, error)
}

// EventLog is where the recordings' events go.
type EventLog interface{ Append(store.Event) }

// Calls finds the call an agent is on and its conference (flow.Flows).
type Calls interface {
	Live(agent string) (flow.Live, bool)
	Room(agent string) (flow.Room, flow.Live, error)
}

// Config is what a Recorder is built from.
type Config struct {
	Dir    string // the data directory: files go under Dir/recordings
	Index  Index
	Events EventLog
	// Mode is a queue's recording setting in the running configuration.
	Mode func(queue string) config.RecordingMode
	Log  *slog.Logger
}

// Action is what an agent (or a supervisor) does to the recording of the
// call the agent is on.
type Action string

// The actions.
const (
	Start  Action = "start"
	Stop   Action = "stop"
	Pause  Action = "pause"
	Resume Action = "resume"
)

// Refusals of an action.
var (
	ErrNoCall           = errors.New("the agent is on no call")
	ErrNotAllowed       = errors.New("the queue's recording setting does not allow it")
	ErrAlreadyRecording = errors.New("the call is being recorded already")
	ErrNotRecording     = errors.New("the call is not being recorded")
	ErrInUse            = errors.New("the recording is still being written")
	ErrUnknownAction    = errors.New("unknown recording action")
)

// Status is the recording of the call an agent is on, as a console
// shows it.
type Status struct {
	Mode      config.RecordingMode // the queue's setting; never with no call
	ID        string               // the recording; empty when none
	Paused    bool
	CanStart  bool
	CanStop   bool
	CanPause  bool // pause or resume
	Recording bool
}

// Recorder records contacts: one file per contact (interaction), which
// follows the customer from agent to agent, started by the queue's
// setting or the agent, closed when the customer's call ends.
type Recorder struct {
	cfg   Config
	calls Calls
	// pool writes the files: a few goroutines for every recording.
	pool *Pool
	// mu guards contacts and closed; it is held across a room's Tap,
	// which never waits on the recorder.
	mu       sync.Mutex
	contacts map[string]*contact // by interaction
	closed   bool
	work     sync.WaitGroup // the watchers of customers' calls
	stop     chan struct{}  // closed by Close
	// lost counts the 20 ms periods every recording lost since start,
	// as their events told: for /metrics.
	lost atomic.Uint64
}

// contact is a recording being written.
type contact struct {
	rec   store.Recording
	w     *Writer
	mode  config.RecordingMode
	room  flow.Room // the conference tapped; nil between agents
	agent string    // the agent it is tapped with
	ref   event.Ref
	done  chan struct{} // closed once it is stopped
	// lostSaid is the lost periods the events have told of.
	lostSaid uint64
}

// New builds a recorder; SetCalls gives it the calls before the first.
func New(cfg Config) *Recorder {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Recorder{cfg: cfg, contacts: map[string]*contact{}, stop: make(chan struct{}), pool: NewPool(runtime.GOMAXPROCS(0))}
}

// SetCalls gives the recorder the calls it records.
func (r *Recorder) SetCalls(c Calls) { r.calls = c }

// newID is a recording's id: random, never from anything a caller sent.
func newID() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return "rec-" + hex.EncodeToString(b[:])
}

func (r *Recorder) mode(queue string) config.RecordingMode {
	if queue == "" || r.cfg.Mode == nil {
		return config.RecordNever
	}
	return r.cfg.Mode(queue).Mode()
}

// Bridged starts or continues the contact's recording: see flow.Recorder.
func (r *Recorder) Bridged(l flow.Live) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	if c := r.contacts[l.Interaction.ID]; c != nil {
		r.attach(c, l, true, event.System())
		return
	}
	if m := r.mode(l.Interaction.Queue); m == config.RecordAlways {
		if _, err := r.start(l, m, event.System()); err != nil {
			r.cfg.Log.Error("starting the call's recording failed; the call goes on unrecorded", "call_id", l.Customer.ID(), "queue", l.Interaction.Queue, "agent", l.Agent, "error", err)
		}
	}
}

// Unbridged takes the contact's recording out of the conference of the
// call that ended; the file stays open for the customer's next agent.
func (r *Recorder) Unbridged(l flow.Live) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c := r.contacts[l.Interaction.ID]; c != nil && c.agent == l.Agent {
		r.detach(c, l)
	}
}

// start opens a new recording of l's contact and taps its conference;
// mu is held.
func (r *Recorder) start(l flow.Live, m config.RecordingMode, by event.Actor) (*contact, error) {
	now := time.Now()
	id := newID()
	rel := filepath.Join("recordings", now.Format("2006"), now.Format("01"), now.Format("02"), id+".wav")
	rec := store.Recording{ID: id, Interaction: l.Interaction.ID, CallID: l.Customer.ID(), Queue: l.Interaction.Queue, Started: now, File: rel}
	// Indexed before the file exists: a server killed between the two
	// leaves an entry without a file, which Recover drops, rather than a
	// file nothing lists, which no retention would ever delete.
	if err := r.cfg.Index.AddRecording(context.Background(), rec); err != nil {
		return nil, err
	}
	w, err := r.pool.Create(filepath.Join(r.cfg.Dir, rel))
	if err != nil {
		if derr := r.cfg.Index.DeleteRecording(context.Background(), id); derr != nil {
			r.cfg.Log.Error("dropping the entry of a recording whose file could not be made", "recording", id, "error", derr)
		}
		return nil, err
	}
	c := &contact{w: w, mode: m, done: make(chan struct{}), rec: rec,
		ref: event.Ref{Call: l.Customer.ID(), Interaction: l.Interaction.ID, Queue: l.Interaction.Queue}}
	r.contacts[l.Interaction.ID] = c
	r.attach(c, l, false, by)
	r.work.Add(1)
	go r.watch(c, l)
	return c, nil
}

// attach taps the conference of l, the customer left and the agent
// right; mu is held.
func (r *Recorder) attach(c *contact, l flow.Live, continued bool, by event.Actor) {
	log := r.cfg.Log.With("call_id", l.Customer.ID(), "queue", l.Interaction.Queue, "agent", l.Agent, "recording", c.rec.ID)
	if c.room != nil {
		c.room.Tap(nil)
		c.room = nil
	}
	room, _, err := r.calls.Room(l.Agent)
	if err != nil {
		log.Error("recording the call failed: no conference", "error", err)
		return
	}
	left, okL := room.Member(l.Customer)
	right, okR := room.Member(l.AgentLeg)
	if !okL || !okR {
		log.Error("recording the call failed: the customer or the agent is not in its conference")
		return
	}
	room.Tap(c.w.Tap(left, right))
	c.room, c.agent = room, l.Agent
	if !slices.Contains(c.rec.Agents, l.Agent) {
		c.rec.Agents = append(c.rec.Agents, l.Agent)
		if err := r.cfg.Index.UpdateRecording(context.Background(), c.rec); err != nil {
			log.Warn("updating the recording's agents", "error", err)
		}
	}
	ref := c.ref
	ref.Agent = l.Agent
	r.cfg.Events.Append(event.New(time.Now(), ref, event.RecordingStarted{Recording: c.rec.ID, Mode: string(c.mode),
		Continued: continued, OffsetMS: event.Ms(Duration(c.w.queuedBytes())), Actor: by}))
	log.Info("recording", "continued", continued)
}

// detach takes the tap out of the conference, and the customer out of
// the conference, so that it can be bridged to its next agent; mu is
// held.
func (r *Recorder) detach(c *contact, l flow.Live) {
	if c.room == nil {
		return
	}
	c.room.Tap(nil)
	c.room.Remove(l.Customer)
	c.room, c.agent = nil, ""
	c.w.Flush()
}

// lostEvery is how often a recording's lost periods are looked at while
// it is written, so that a disk falling behind is seen during the call.
const lostEvery = 5 * time.Second

// watch stops the recording when the customer's call ends, or the
// server stops, and says meanwhile when audio was lost.
func (r *Recorder) watch(c *contact, l flow.Live) {
	defer r.work.Done()
	tick := time.NewTicker(lostEvery)
	defer tick.Stop()
	cause := "hangup"
	for waiting := true; waiting; {
		select {
		case <-l.Customer.Done():
			waiting = false
		case <-c.done:
			return
		case <-r.stop:
			cause, waiting = "shutdown", false
		case <-tick.C:
			r.mu.Lock()
			r.reportLost(c)
			r.mu.Unlock()
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.finish(c, l, cause, event.System())
}

// reportLost appends the periods lost since the last report; mu is held.
func (r *Recorder) reportLost(c *contact) {
	lost := c.w.Lost()
	if lost <= c.lostSaid {
		return
	}
	r.cfg.Events.Append(event.New(time.Now(), c.ref, event.RecordingFramesLost{Recording: c.rec.ID, Frames: lost - c.lostSaid}))
	r.cfg.Log.Warn("the recording lost audio: the disk fell behind", "call_id", c.rec.CallID, "queue", c.rec.Queue,
		"recording", c.rec.ID, "frames", lost-c.lostSaid)
	r.lost.Add(lost - c.lostSaid)
	c.lostSaid = lost
}

// Stats is how many recordings are being written now, and how many
// 20 ms periods recordings have lost since start because the disk fell
// behind.
func (r *Recorder) Stats() (active int, lostPeriods uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.contacts), r.lost.Load()
}

// finish closes the recording's file, completes its entry and says so;
// mu is held.
func (r *Recorder) finish(c *contact, l flow.Live, cause string, by event.Actor) {
	select {
	case <-c.done:
		return
	default:
	}
	close(c.done)
	if r.contacts[c.rec.Interaction] == c {
		delete(r.contacts, c.rec.Interaction)
	}
	if c.room != nil {
		c.room.Tap(nil)
		c.room = nil
	}
	log := r.cfg.Log.With("call_id", c.rec.CallID, "queue", c.rec.Queue, "recording", c.rec.ID)
	if err := c.w.Close(); err != nil {
		log.Error("closing the recording", "error", err)
	}
	r.reportLost(c)
	c.rec.Ended = time.Now()
	c.rec.Bytes = c.w.Bytes() + headerSize
	c.rec.DurationMS = Duration(c.w.Bytes()).Milliseconds()
	if err := r.cfg.Index.UpdateRecording(context.Background(), c.rec); err != nil {
		log.Error("completing the recording's entry", "error", err)
	}
	r.cfg.Events.Append(event.New(time.Now(), c.ref, event.RecordingStopped{Recording: c.rec.ID, DurationMS: c.rec.DurationMS,
		Bytes: c.rec.Bytes, Cause: cause, Actor: by}))
	log.Info("recording stopped", "cause", cause, "duration_ms", c.rec.DurationMS)
}

// Act carries out an agent's (or a supervisor's) action on the recording
// of the call the agent is on, as its queue's setting allows: start and
// stop on demand only, pause and resume in every mode.
func (r *Recorder) Act(agent string, a Action, by event.Actor) (Status, error) {
	if r.calls == nil {
		return Status{}, ErrNoCall
	}
	l, ok := r.calls.Live(agent)
	if !ok {
		return Status{}, ErrNoCall
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.mode(l.Interaction.Queue)
	c := r.contacts[l.Interaction.ID]
	ref := event.Ref{Call: l.Customer.ID(), Interaction: l.Interaction.ID, Queue: l.Interaction.Queue, Agent: agent}
	switch a {
	case Start:
		switch {
		case c != nil:
			return r.statusLocked(l), ErrAlreadyRecording
		case m != config.RecordOnDemand:
			return r.statusLocked(l), ErrNotAllowed
		}
		if _, err := r.start(l, m, by); err != nil {
			return r.statusLocked(l), fmt.Errorf("starting the recording of agent %s's call: %w", agent, err)
		}
	case Stop:
		switch {
		case c == nil:
			return r.statusLocked(l), ErrNotRecording
		case c.mode != config.RecordOnDemand:
			return r.statusLocked(l), ErrNotAllowed
		}
		r.finish(c, l, "agent", by)
	case Pause, Resume:
		if c == nil {
			return r.statusLocked(l), ErrNotRecording
		}
		if c.w.Paused() != (a == Pause) {
			c.w.Pause(a == Pause)
			at := event.Ms(Duration(c.w.queuedBytes()))
			if a == Pause {
				r.cfg.Events.Append(event.New(time.Now(), ref, event.RecordingPaused{Recording: c.rec.ID, OffsetMS: at, Actor: by}))
			} else {
				r.cfg.Events.Append(event.New(time.Now(), ref, event.RecordingResumed{Recording: c.rec.ID, OffsetMS: at, Actor: by}))
			}
		}
	default:
		return Status{}, ErrUnknownAction
	}
	return r.statusLocked(l), nil
}

// Status is the recording of the call the agent is on.
func (r *Recorder) Status(agent string) Status {
	if r.calls == nil {
		return Status{Mode: config.RecordNever}
	}
	l, ok := r.calls.Live(agent)
	if !ok {
		return Status{Mode: config.RecordNever}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.statusLocked(l)
}

func (r *Recorder) statusLocked(l flow.Live) Status {
	s := Status{Mode: r.mode(l.Interaction.Queue)}
	if c := r.contacts[l.Interaction.ID]; c != nil {
		s.ID, s.Recording, s.Paused, s.CanPause = c.rec.ID, true, c.w.Paused(), true
		s.CanStop = c.mode == config.RecordOnDemand
		return s
	}
	s.CanStart = s.Mode == config.RecordOnDemand
	return s
}

// Writing reports whether a recording is being written.
func (r *Recorder) Writing(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.contacts {
		if c.rec.ID == id {
			return true
		}
	}
	return false
}

// Path is where a recording's file is.
func (r *Recorder) Path(rec store.Recording) string {
	return filepath.Join(r.cfg.Dir, filepath.Clean(rec.File))
}

// Delete removes a recording's file and entry; one being written is
// refused.
func (r *Recorder) Delete(ctx context.Context, id, reason string, by event.Actor) error {
	if r.Writing(id) {
		return ErrInUse
	}
	rec, err := r.cfg.Index.Recording(ctx, id)
	if err != nil {
		return err
	}
	if err := os.Remove(r.Path(rec)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("deleting recording %s: %w", id, err)
	}
	if err := r.cfg.Index.DeleteRecording(ctx, id); err != nil {
		return err
	}
	r.cfg.Events.Append(event.New(time.Now(), event.Ref{Call: rec.CallID, Interaction: rec.Interaction, Queue: rec.Queue},
		event.RecordingDeleted{Recording: id, Reason: reason, Actor: by}))
	r.cfg.Log.Info("recording deleted", "recording", id, "queue", rec.Queue, "reason", reason, "by", by.String())
	return nil
}

// Recover repairs the files a server that stopped without closing them
// (killed, or the power lost) left open, and completes their entries:
// each is readable up to the last second it had written.
func (r *Recorder) Recover(ctx context.Context) error {
	left, err := r.cfg.Index.OpenRecordingsLeft(ctx)
	if err != nil {
		return err
	}
	for _, rec := range left {
		if _, err := os.Stat(r.Path(rec)); errors.Is(err, os.ErrNotExist) {
			// Killed between indexing and making the file: no audio.
			if err := r.cfg.Index.DeleteRecording(ctx, rec.ID); err != nil {
				return err
			}
			r.cfg.Log.Info("recording never begun dropped", "recording", rec.ID)
			continue
		}
		data, err := Repair(r.Path(rec))
		if err != nil {
			r.cfg.Log.Error("repairing a recording left open", "recording", rec.ID, "error", err)
		}
		rec.DurationMS = Duration(data).Milliseconds()
		rec.Ended = rec.Started.Add(Duration(data))
		rec.Bytes = data + headerSize
		if err := r.cfg.Index.UpdateRecording(ctx, rec); err != nil {
			return err
		}
		r.cfg.Events.Append(event.New(time.Now(), event.Ref{Call: rec.CallID, Interaction: rec.Interaction, Queue: rec.Queue},
			event.RecordingStopped{Recording: rec.ID, DurationMS: rec.DurationMS, Bytes: rec.Bytes, Cause: "restart", Actor: event.System()}))
		r.cfg.Log.Info("recording left open repaired", "recording", rec.ID, "duration_ms", rec.DurationMS)
	}
	return nil
}

// Expire deletes the recordings that started before cutoff.
func (r *Recorder) Expire(ctx context.Context, cutoff time.Time) error {
	old, err := r.cfg.Index.ListRecordings(ctx, store.RecordingFilter{Until: cutoff})
	if err != nil {
		return err
	}
	for _, rec := range old {
		if rec.Ended.IsZero() {
			continue
		}
		if err := r.Delete(ctx, rec.ID, "retention", event.System()); err != nil && !errors.Is(err, ErrInUse) {
			return err
		}
	}
	return nil
}

// Retain deletes recordings older than retention() (0: none) now and
// every period, until ctx ends.
func (r *Recorder) Retain(ctx context.Context, retention func() time.Duration, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if keep := retention(); keep > 0 {
			if err := r.Expire(ctx, time.Now().Add(-keep)); err != nil && ctx.Err() == nil {
				r.cfg.Log.Error("deleting recordings past their retention", "error", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Close stops every recording being written (the server stops), waits
// for their files to be closed, and stops the writers.
func (r *Recorder) Close() {
	r.mu.Lock()
	if !r.closed {
		r.closed = true
		close(r.stop)
	}
	r.mu.Unlock()
	r.work.Wait()
	r.pool.Close()
}
