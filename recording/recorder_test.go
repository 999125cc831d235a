package recording

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/acdserver/acd/acd"
	"github.com/acdserver/acd/config"
	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/flow"
	"github.com/acdserver/acd/media"
	"github.com/acdserver/acd/sip"
	"github.com/acdserver/acd/store"
)

// fakeLeg is a customer's call or an agent's leg: an id and its end.
type fakeLeg struct {
	acd.Leg // not called
	id      string
	done    chan struct{}
}

func (l *fakeLeg) ID() string            { return l.id }
func (l *fakeLeg) Done() <-chan struct{} { return l.done }

// fakeRoom is a call's conference: its members and its tap.
type fakeRoom struct {
	mu      sync.Mutex
	members map[sip.Bridger]media.Member
	tap     media.FrameWriter
}

func (r *fakeRoom) Add(sip.Bridger, media.Mode) (media.Member, error) { return 0, nil }
func (r *fakeRoom) SetMode(sip.Bridger, media.Mode) error             { return nil }
func (r *fakeRoom) Remove(p sip.Bridger) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.members, p)
}
func (r *fakeRoom) Tap(w media.FrameWriter) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tap = w
}
func (r *fakeRoom) Member(p sip.Bridger) (media.Member, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m, ok := r.members[p]
	return m, ok
}

// tapped hands the room's tap a period of the customer and agent.
func (r *fakeRoom) tapped(t *testing.T, index uint64, customer, agent int16) {
	t.Helper()
	r.mu.Lock()
	w := r.tap
	r.mu.Unlock()
	if w == nil {
		t.Fatal("the call's conference is not tapped")
	}
	w.WriteFrame(frame(index, map[media.Member]int16{1: customer, 2: agent}))
}

// fakeCalls are the calls agents are on.
type fakeCalls struct {
	mu    sync.Mutex
	live  map[string]flow.Live
	rooms map[string]*fakeRoom
}

func (c *fakeCalls) Live(agent string) (flow.Live, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.live[agent]
	return l, ok
}

func (c *fakeCalls) Room(agent string) (flow.Room, flow.Live, error) {
	l, ok := c.Live(agent)
	if !ok {
		return nil, l, flow.ErrNoLiveCall
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rooms[agent], l, nil
}

// bridge puts a customer's call through to an agent, the customer
// member 1 and the agent 2 of a new conference.
func (c *fakeCalls) bridge(interaction, queue, agent string, customer *fakeLeg) flow.Live {
	leg := &fakeLeg{id: "leg-" + agent, done: make(chan struct{})}
	l := flow.Live{Interaction: &acd.Interaction{ID: interaction, Queue: queue}, Agent: agent, Customer: customer, AgentLeg: leg}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.live[agent] = l
	c.rooms[agent] = &fakeRoom{members: map[sip.Bridger]media.Member{customer: 1, leg: 2}}
	return l
}

func (c *fakeCalls) over(agent string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.live, agent)
}

// memIndex is the index in memory.
type memIndex struct {
	mu   sync.Mutex
	recs map[string]store.Recording
}

func (x *memIndex) AddRecording(_ context.Context, r store.Recording) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.recs[r.ID] = r
	return nil
}
func (x *memIndex) UpdateRecording(ctx context.Context, r store.Recording) error {
	return x.AddRecording(ctx, r)
}
func (x *memIndex) DeleteRecording(_ context.Context, id string) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if _, ok := x.recs[id]; !ok {
		return store.ErrNotFound
	}
	delete(x.recs, id)
	return nil
}
func (x *memIndex) Recording(_ context.Context, id string) (store.Recording, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	r, ok := x.recs[id]
	if !ok {
		return r, store.ErrNotFound
	}
	return r, nil
}
func (x *memIndex) ListRecordings(_ context.Context, f store.RecordingFilter) ([]store.Recording, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	var out []store.Recording
	for _, r := range x.recs {
		if f.Until.IsZero() || r.Started.Before(f.Until) {
			out = append(out, r)
		}
	}
	return out, nil
}
func (x *memIndex) OpenRecordingsLeft(context.Context) ([]store.Recording, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	var out []store.Recording
	for _, r := range x.recs {
		if r.Ended.IsZero() {
			out = append(out, r)
		}
	}
	return out, nil
}

// memEvents keeps what is appended.
type memEvents struct {
	mu  sync.Mutex
	evs []store.Event
}

func (m *memEvents) Append(e store.Event) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.evs = append(m.evs, e)
}

func (m *memEvents) payloads(t *testing.T) []event.Payload {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []event.Payload
	for _, e := range m.evs {
		p, err := event.Decode(e)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

type rig struct {
	rec    *Recorder
	calls  *fakeCalls
	index  *memIndex
	events *memEvents
	dir    string
}

func newRig(t *testing.T) *rig {
	r := &rig{calls: &fakeCalls{live: map[string]flow.Live{}, rooms: map[string]*fakeRoom{}},
		index: &memIndex{recs: map[string]store.Recording{}}, events: &memEvents{}, dir: t.TempDir()}
	modes := map[string]config.RecordingMode{"support": config.RecordAlways, "sales": config.RecordOnDemand, "info": ""}
	r.rec = New(Config{Dir: r.dir, Index: r.index, Events: r.events, Mode: func(q string) config.RecordingMode { return modes[q] }})
	r.rec.SetCalls(r.calls)
	t.Cleanup(r.rec.Close)
	return r
}

// only is the one recording in the index.
func (r *rig) only(t *testing.T) store.Recording {
	t.Helper()
	r.index.mu.Lock()
	defer r.index.mu.Unlock()
	if len(r.index.recs) != 1 {
		t.Fatalf("%d recordings in the index, want 1", len(r.index.recs))
	}
	for _, x := range r.index.recs {
		return x
	}
	return store.Recording{}
}

// stopped waits for the recording's stopped event.
func (r *rig) stopped(t *testing.T) event.RecordingStopped {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		for _, p := range r.events.payloads(t) {
			if s, ok := p.(event.RecordingStopped); ok {
				return s
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the recording never stopped")
	return event.RecordingStopped{}
}

// TestRecorderFollowsTheSetting: what the queue's setting lets start,
// stop, pause and resume, by the system and by the agent.
func TestRecorderFollowsTheSetting(t *testing.T) {
	t.Parallel()
	agent := event.User("1001", "agent")
	for _, tc := range []struct {
		name, queue string
		auto        bool // recorded once bridged
		acts        []Action
		want        []error
	}{
		{"always", "support", true, []Action{Start, Stop, Pause, Pause, Resume}, []error{ErrAlreadyRecording, ErrNotAllowed, nil, nil, nil}},
		{"on demand", "sales", false, []Action{Pause, Start, Start, Pause, Resume, Stop, Stop}, []error{ErrNotRecording, nil, ErrAlreadyRecording, nil, nil, nil, ErrNotRecording}},
		{"never", "info", false, []Action{Start, Pause, Stop}, []error{ErrNotAllowed, ErrNotRecording, ErrNotRecording}},
		{"direct call", "", false, []Action{Start}, []error{ErrNotAllowed}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t)
			customer := &fakeLeg{id: "call-1", done: make(chan struct{})}
			l := r.calls.bridge("call-1", tc.queue, "1001", customer)
			r.rec.Bridged(l)
			if got := r.rec.Status("1001").Recording; got != tc.auto {
				t.Fatalf("recording once bridged: %v, want %v", got, tc.auto)
			}
			for i, a := range tc.acts {
				if _, err := r.rec.Act("1001", a, agent); !errors.Is(err, tc.want[i]) {
					t.Fatalf("%s (#%d): %v, want %v", a, i, err, tc.want[i])
				}
			}
			if _, err := r.rec.Act("1002", Start, agent); !errors.Is(err, ErrNoCall) {
				t.Fatalf("an agent on no call starting a recording: %v", err)
			}
		})
	}
}

// TestRecorderOneFilePerContact: a contact transferred from one agent to
// another goes on in its file, which closes with the customer's call;
// the paused span is silence; each event names its actor.
func TestRecorderOneFilePerContact(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	customer := &fakeLeg{id: "call-1", done: make(chan struct{})}
	first := r.calls.bridge("call-1", "support", "1001", customer)
	r.rec.Bridged(first)
	room1 := r.calls.rooms["1001"]
	room1.tapped(t, 0, 100, 200)
	if _, err := r.rec.Act("1001", Pause, event.Phone("1001")); err != nil {
		t.Fatal(err)
	}
	room1.tapped(t, 1, 100, 200)
	if _, err := r.rec.Act("1001", Resume, event.Phone("1001")); err != nil {
		t.Fatal(err)
	}
	room1.tapped(t, 2, 101, 201)
	// Transferred: the first agent's side ends; the caller waits, then
	// reaches 1002 through a queue that records nothing of its own.
	r.rec.Unbridged(first)
	r.calls.over("1001")
	if room1.tap != nil {
		t.Fatal("the first agent's conference is still tapped after the call left it")
	}
	if _, in := room1.Member(customer); in {
		t.Fatal("the customer was left in the first agent's conference: it could not be bridged again")
	}
	second := r.calls.bridge("call-1", "info", "1002", customer)
	r.rec.Bridged(second)
	r.calls.rooms["1002"].tapped(t, 0, 102, 202)
	close(customer.done)
	stop := r.stopped(t)

	rec := r.only(t)
	if !slices.Equal(rec.Agents, []string{"1001", "1002"}) || rec.Ended.IsZero() || rec.Interaction != "call-1" {
		t.Fatalf("index: %+v", rec)
	}
	if stop.Cause != "hangup" || stop.Actor != event.System() || stop.DurationMS != 80 {
		t.Fatalf("stopped: %+v, want a hang-up of 80 ms by the system", stop)
	}
	left, right := readWAV(t, filepath.Join(r.dir, rec.File))
	want := [][2]int16{{100, 200}, {0, 0}, {101, 201}, {102, 202}}
	for i, w := range want {
		if left[i*media.FrameSize] != w[0] || right[i*media.FrameSize] != w[1] {
			t.Fatalf("period %d: %d/%d, want %v", i, left[i*media.FrameSize], right[i*media.FrameSize], w)
		}
	}
	var kinds []string
	var continued []bool
	for _, p := range r.events.payloads(t) {
		kinds = append(kinds, p.Kind())
		switch p := p.(type) {
		case event.RecordingStarted:
			continued = append(continued, p.Continued)
		case event.RecordingPaused:
			if p.Actor != event.Phone("1001") {
				t.Errorf("paused by %v, want the phone of 1001", p.Actor)
			}
		}
	}
	if !slices.Equal(kinds, []string{"recording.started", "recording.paused", "recording.resumed", "recording.started", "recording.stopped"}) ||
		!slices.Equal(continued, []bool{false, true}) {
		t.Fatalf("events %v, continued %v", kinds, continued)
	}
}

// TestRecorderRecoversAndExpires: a recording a killed server left open
// is repaired and completed at the next start, and an entry whose file
// was never made is dropped; one past its retention is
// deleted with its file, by the system; one being written is not.
func TestRecorderRecoversAndExpires(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	rel := filepath.Join("recordings", "2026", "01", "02", "rec-old.wav")
	path := filepath.Join(r.dir, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(header(0), make([]byte, 50*frameBytes)...), 0o600); err != nil {
		t.Fatal(err)
	}
	started := time.Now().Add(-48 * time.Hour)
	_ = r.index.AddRecording(context.Background(), store.Recording{ID: "rec-old", Interaction: "c0", Queue: "support", Started: started, File: rel})
	// Killed between indexing a recording and making its file: dropped.
	_ = r.index.AddRecording(context.Background(), store.Recording{ID: "rec-unmade", Interaction: "c9", Queue: "support", Started: started,
		File: filepath.Join("recordings", "2026", "01", "02", "rec-unmade.wav")})
	if err := r.rec.Recover(context.Background()); err != nil {
		t.Fatal(err)
	}
	rec := r.only(t)
	if rec.DurationMS != 1000 || rec.Ended.IsZero() {
		t.Fatalf("repaired: %+v, want a second long and ended", rec)
	}
	if stop := r.stopped(t); stop.Cause != "restart" {
		t.Fatalf("stopped: %+v", stop)
	}
	customer := &fakeLeg{id: "call-1", done: make(chan struct{})}
	r.rec.Bridged(r.calls.bridge("call-1", "support", "1001", customer)) // being written: kept
	if err := r.rec.Expire(context.Background(), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("the expired file is still there: %v", err)
	}
	if _, err := r.index.Recording(context.Background(), "rec-old"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the expired entry: %v", err)
	}
	deleted := false
	for _, p := range r.events.payloads(t) {
		if d, ok := p.(event.RecordingDeleted); ok {
			deleted = d.Recording == "rec-old" && d.Reason == "retention" && d.Actor == event.System()
		}
	}
	if !deleted {
		t.Fatal("no recording.deleted by the system for the retention")
	}
	if len(r.index.recs) != 1 {
		t.Fatalf("the recording being written was expired too: %d left", len(r.index.recs))
	}
	close(customer.done)
	r.stopped(t)
}
