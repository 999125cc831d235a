package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/media"
	"github.com/acdserver/acd/store"
)

// recordingsYAML: support records every call, sales on demand.
const recordingsYAML = `sip_realm: test.local
numbers: {"100": support, "200": sales}
agents:
  "1001": {name: Alice, password: secret-1001, queues: [support]}
  "1002": {name: Bob, password: secret-1002, queues: [sales]}
queues:
  support: {strategy: linear, ring_timeout: 2s, announce_every: 1h, recording: always}
  sales:   {strategy: linear, ring_timeout: 2s, announce_every: 1h, recording: on_demand}
dialplans:
  support:
    entry: q
    nodes:
      q:   {type: queue, queue: support, timeout: 60s, on_timeout: bye, on_exit: bye}
      bye: {type: hangup}
  sales:
    entry: q
    nodes:
      q:   {type: queue, queue: sales, timeout: 60s, on_timeout: bye, on_exit: bye}
      bye: {type: hangup}
`

// The pitches the customer and the agent send: whole periods to a frame.
const (
	recordedCustomerHz = 1000
	recordedAgentHz    = 450
)

type recordingJSON struct {
	ID          string   `json:"id"`
	Interaction string   `json:"interaction"`
	Queue       string   `json:"queue"`
	Agents      []string `json:"agents"`
	DurationMS  int64    `json:"duration_ms"`
	Bytes       int64    `json:"bytes"`
	Audio       string   `json:"audio"`
}

func listRecordings(t *testing.T, c *apiClient, query string) []recordingJSON {
	t.Helper()
	var out struct{ Recordings []recordingJSON }
	c.expect(t, "GET", "/recordings"+query, nil, 200, &out)
	return out.Recordings
}

// wavChannels checks a WAV file is stereo 8 kHz 16-bit with sizes that
// match its length and returns its two channels.
func wavChannels(t *testing.T, b []byte) (left, right []float64) {
	t.Helper()
	if len(b) < 44 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" || string(b[36:40]) != "data" {
		t.Fatalf("not a WAV file (%d bytes)", len(b))
	}
	if ch, rate, bits := binary.LittleEndian.Uint16(b[22:]), binary.LittleEndian.Uint32(b[24:]), binary.LittleEndian.Uint16(b[34:]); ch != 2 || rate != 8000 || bits != 16 {
		t.Fatalf("WAV of %d channels at %d Hz, %d bits; want 2, 8000, 16", ch, rate, bits)
	}
	if data := int(binary.LittleEndian.Uint32(b[40:])); data != len(b)-44 {
		t.Fatalf("WAV header says %d bytes of audio, the file holds %d", data, len(b)-44)
	}
	for i := 44; i+4 <= len(b); i += 4 {
		left = append(left, float64(int16(binary.LittleEndian.Uint16(b[i:]))))
		right = append(right, float64(int16(binary.LittleEndian.Uint16(b[i+2:]))))
	}
	return left, right
}

// goertzel is the power of one frequency in a block of samples.
func goertzel(x []float64, hz float64) float64 {
	k := 2 * math.Cos(2*math.Pi*hz/8000)
	var s1, s2 float64
	for _, v := range x {
		s1, s2 = v+k*s1-s2, s1
	}
	return s1*s1 + s2*s2 - k*s1*s2
}

// period says what a 20 ms period of one channel holds.
func period(x []float64, i int) string {
	f := x[i*media.FrameSize : (i+1)*media.FrameSize]
	c, a := goertzel(f, recordedCustomerHz), goertzel(f, recordedAgentHz)
	switch {
	case c < 1e8 && a < 1e8:
		return "."
	case c > 20*a:
		return "C"
	case a > 20*c:
		return "A"
	}
	return "?"
}

// TestRecordingAlways: a queue that records every call writes the
// customer's voice on the left and the agent's on the right, the span
// the agent paused silent on both, and the file is downloadable through
// the API (with ranges) within a second of the hang-up. Who may list and
// hear recordings is held to the permissions and the supervisor's
// queues; an agent starts a recording on demand.
func TestRecordingAlways(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	s := startAcd(t, "-config", writeConfig(t, recordingsYAML))
	admin := setupAdmin(t, s)
	us := users(t, s, admin)

	agent := agentPhone(t, ctx, s, "1001", testutil.AnswerMode{After: 100 * time.Millisecond})
	caller := dial(t, ctx, s)
	incoming(t, ctx, agent)
	eventsOf(t, s, store.Filter{}, has("agent.answered:1001"))
	for !agent.Remote().IsValid() {
		time.Sleep(10 * time.Millisecond)
	}
	talk, stopTalk := context.WithCancel(ctx)
	defer stopTalk()
	caller.SendToneAt(talk, media.PCMU, recordedCustomerHz)
	agent.SendToneAt(talk, media.PCMU, recordedAgentHz)
	eventsOf(t, s, store.Filter{}, has("recording.started:1001"))
	speechGrows(t, ctx, agent, "the agent")
	speechGrows(t, ctx, caller, "the caller")
	metrics := scrape(t, s)
	if n := sample(t, metrics, "acd_recordings_in_progress"); n != 1 {
		t.Errorf("acd_recordings_in_progress %v during the recorded call, want 1", n)
	}
	if n := sample(t, metrics, "acd_recording_frames_lost_total"); n != 0 {
		t.Errorf("acd_recording_frames_lost_total %v with a disk that keeps up, want 0", n)
	}

	// Talk, pause for a second, talk again.
	time.Sleep(1500 * time.Millisecond)
	var st struct {
		Active   bool   `json:"active"`
		Paused   bool   `json:"paused"`
		CanStart bool   `json:"can_start"`
		CanStop  bool   `json:"can_stop"`
		Mode     string `json:"mode"`
	}
	us["agent"].expect(t, "POST", "/agents/1001/recording", map[string]string{"action": "stop"}, 403, nil) // always: not the agent's to stop
	us["agent"].expect(t, "POST", "/agents/1001/recording", map[string]string{"action": "pause"}, 200, &st)
	if !st.Active || !st.Paused || st.Mode != "always" || st.CanStop {
		t.Fatalf("after pause: %+v", st)
	}
	time.Sleep(time.Second)
	us["agent"].expect(t, "POST", "/agents/1001/recording", map[string]string{"action": "resume"}, 200, &st)
	time.Sleep(time.Second)
	if err := caller.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	hungUp := time.Now()
	eventsOf(t, s, store.Filter{}, has("recording.stopped:"))
	stoppedAfter := time.Since(hungUp)
	t.Logf("the recording was closed and listed %v after the hang-up", stoppedAfter)
	if stoppedAfter > time.Second {
		t.Errorf("the recording was closed %v after the hang-up; want within a second", stoppedAfter)
	}
	for _, e := range logEvents(t, s) {
		if e.Type == "recording.paused" {
			p, err := event.Decode(e)
			if err != nil || p.(event.RecordingPaused).Actor != event.User("1001", "agent") || e.Agent != "1001" || e.Interaction == "" {
				t.Errorf("recording.paused names %+v (agent %q, interaction %q), want the agent 1001", p, e.Agent, e.Interaction)
			}
		}
	}

	// No call, nothing to pause: the phone is told so.
	featureCall(t, ctx, s, agent, "1001", "*58")
	s.waitLog(t, 10*time.Second, `feature code`, `agent=1001`, `code=*58`, `prompt=recording-not-allowed`)

	recs := listRecordings(t, admin, "?queue=support")
	if len(recs) != 1 || recs[0].Agents[0] != "1001" || recs[0].Interaction == "" {
		t.Fatalf("recordings of support: %+v", recs)
	}
	rec := recs[0]
	if got := listRecordings(t, admin, "?interaction="+rec.Interaction); len(got) != 1 {
		t.Fatalf("the call's recordings by its interaction: %+v", got)
	}
	code, body, hdr := us["sup"].do(t, "GET", "/recordings/"+rec.ID+"/audio", nil)
	if code != 200 || hdr.Get("Content-Type") != "audio/wav" || int64(len(body)) != rec.Bytes {
		t.Fatalf("audio: %d %s, %d bytes (index says %d)", code, hdr.Get("Content-Type"), len(body), rec.Bytes)
	}
	left, right := wavChannels(t, body)
	var l, r strings.Builder
	for i := range len(left) / media.FrameSize {
		l.WriteString(period(left, i))
		r.WriteString(period(right, i))
	}
	// Both talked from the start, both were silent while paused, both
	// talked again: C on the left, A on the right, aligned.
	for _, ch := range []struct {
		name, got string
		voice     byte
	}{{"left", l.String(), 'C'}, {"right", r.String(), 'A'}} {
		trimmed := strings.Trim(ch.got, ".")
		parts := strings.FieldsFunc(trimmed, func(c rune) bool { return c == '.' })
		if len(parts) < 2 || strings.Count(trimmed, ".") < 40 {
			t.Fatalf("%s channel: want talk, ≥ 0.8 s of silence (paused), talk; got %s", ch.name, ch.got)
		}
		if n := strings.Count(ch.got, string(ch.voice)); n < 100 || strings.Count(ch.got, "?")+strings.Count(ch.got, string('C'+'A'-ch.voice)) > 5 {
			t.Fatalf("%s channel holds %d periods of its voice and the other's or a mix elsewhere: %s", ch.name, n, ch.got)
		}
	}
	// The pause is one switch for both channels: it starts at the same
	// period on each, give or take one.
	lp, rp := pauseAt(l.String()), pauseAt(r.String())
	if lp < 0 || absInt(lp-rp) > 1 {
		t.Fatalf("the pause starts at period %d on the left and %d on the right", lp, rp)
	}
	code, _, hdr = doRange(t, us["sup"], "/recordings/"+rec.ID+"/audio", "bytes=0-43")
	if code != http.StatusPartialContent || hdr.Get("Content-Range") != fmt.Sprintf("bytes 0-43/%d", rec.Bytes) {
		t.Fatalf("range request: %d %q", code, hdr.Get("Content-Range"))
	}

	// On demand: nothing is recorded until the agent starts it.
	bob := agentPhone(t, ctx, s, "1002", testutil.AnswerMode{After: 100 * time.Millisecond})
	caller2 := dialAs(t, ctx, s, "200", "+14155550124")
	incoming(t, ctx, bob)
	eventsOf(t, s, store.Filter{}, has("agent.answered:1002"))
	for !bob.Remote().IsValid() {
		time.Sleep(10 * time.Millisecond)
	}
	caller2.SendToneAt(talk, media.PCMU, recordedCustomerHz)
	bob.SendToneAt(talk, media.PCMU, recordedAgentHz)
	admin.expect(t, "GET", "/agents/1002/recording", nil, 200, &st)
	if st.Active || !st.CanStart || st.Mode != "on_demand" {
		t.Fatalf("on demand, before start: %+v", st)
	}
	admin.expect(t, "POST", "/agents/1002/recording", map[string]string{"action": "pause"}, 409, nil)
	admin.expect(t, "POST", "/agents/1002/recording", map[string]string{"action": "start"}, 200, &st)
	if !st.Active || !st.CanStop {
		t.Fatalf("on demand, started: %+v", st)
	}
	time.Sleep(500 * time.Millisecond)
	// From the agent's phone: *58 pauses, *57 stops (on demand).
	featureCall(t, ctx, s, bob, "1002", "*58")
	s.waitLog(t, 10*time.Second, `feature code`, `agent=1002`, `code=*58`, `prompt=recording-paused`)
	featureCall(t, ctx, s, bob, "1002", "*57")
	s.waitLog(t, 10*time.Second, `feature code`, `agent=1002`, `code=*57`, `prompt=recording-stopped`)
	for _, e := range logEvents(t, s) {
		if e.Type == "recording.paused" && e.Agent == "1002" {
			if p, err := event.Decode(e); err != nil || p.(event.RecordingPaused).Actor != event.Phone("1002") {
				t.Errorf("recording.paused by *58 names %+v, want the phone of 1002", p)
			}
		}
	}
	sales := listRecordings(t, admin, "?queue=sales")
	if len(sales) != 1 || sales[0].DurationMS < 300 {
		t.Fatalf("recordings of sales: %+v", sales)
	}

	// Who may hear what.
	us["agent"].expect(t, "GET", "/recordings", nil, 403, nil) // agents: not by default
	us["anon"].expect(t, "GET", "/recordings", nil, 401, nil)
	if got := listRecordings(t, us["rsup"], ""); len(got) != 1 || got[0].Queue != "support" {
		t.Fatalf("a supervisor restricted to support lists %+v", got)
	}
	us["rsup"].expect(t, "GET", "/recordings/"+sales[0].ID, nil, 404, nil)
	if code, _, _ := us["rsup"].do(t, "GET", "/recordings/"+sales[0].ID+"/audio", nil); code != 404 {
		t.Fatalf("a restricted supervisor fetching another queue's audio: %d, want 404", code)
	}
	us["sup"].expect(t, "DELETE", "/recordings/"+sales[0].ID, nil, 403, nil) // recordings.delete is off by default
	admin.expect(t, "PUT", "/permissions/agent/recordings.view", nil, 204, nil)
	if got := listRecordings(t, us["agent"], ""); len(got) != 1 || got[0].ID != rec.ID {
		t.Fatalf("agent 1001 granted recordings.view lists %+v, want its own call's only", got)
	}
	// A queue made through the API takes the setting too.
	admin.expect(t, "POST", "/queues", map[string]any{"id": "claims", "recording": "on_demand"}, 201, nil)
	var claims struct {
		Recording string `json:"recording"`
	}
	admin.expect(t, "GET", "/queues/claims", nil, 200, &claims)
	if claims.Recording != "on_demand" {
		t.Fatalf("a queue made with recording on_demand reads back %q", claims.Recording)
	}
	admin.expect(t, "POST", "/queues", map[string]any{"id": "bad", "recording": "sometimes"}, 422, nil)

	admin.expect(t, "DELETE", "/recordings/"+sales[0].ID, nil, 204, nil)
	eventsOf(t, s, store.Filter{}, has("recording.deleted:"))
	if got := listRecordings(t, admin, ""); len(got) != 1 {
		t.Fatalf("after the delete: %+v", got)
	}
}

func absInt(v int) int { return max(v, -v) }

// pauseAt is the first period of the first run of a second's silence
// after the voice began, or -1.
func pauseAt(periods string) int {
	start := strings.IndexAny(periods, "CA?")
	if start < 0 {
		return -1
	}
	i := strings.Index(periods[start:], strings.Repeat(".", 40))
	if i < 0 {
		return -1
	}
	return start + i
}

// doRange sends a GET with a Range header.
func doRange(t *testing.T, c *apiClient, path, rng string) (int, []byte, http.Header) {
	t.Helper()
	c.header["Range"] = rng
	defer delete(c.header, "Range")
	return c.do(t, "GET", path, nil)
}

// TestRecordingSurvivesKill: a server killed (SIGKILL) mid-call leaves
// the file open; the next start repairs it, readable up to about the
// last second written, and the retention deletes it once it is old.
func TestRecordingSurvivesKill(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	config := writeConfig(t, recordingsYAML)
	data := t.TempDir()
	s := startAcd(t, "-config", config, "-data", data)
	agent := agentPhone(t, ctx, s, "1001", testutil.AnswerMode{After: 100 * time.Millisecond})
	caller := dial(t, ctx, s)
	incoming(t, ctx, agent)
	eventsOf(t, s, store.Filter{}, has("recording.started:1001"))
	caller.SendToneAt(ctx, media.PCMU, recordedCustomerHz)
	agent.SendToneAt(ctx, media.PCMU, recordedAgentHz)
	time.Sleep(3 * time.Second)
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = s.cmd.Wait()
	files, _ := filepath.Glob(filepath.Join(data, "recordings", "*", "*", "*", "*.wav"))
	if len(files) != 1 {
		t.Fatalf("recordings on disk: %v", files)
	}
	if st, err := os.Stat(files[0]); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("the file: %v, %v; want mode 0600", st, err)
	}

	s = startAcd(t, "-config", config, "-data", data)
	admin := setupAdmin(t, s)
	recs := listRecordings(t, admin, "")
	if len(recs) != 1 {
		t.Fatalf("after the restart: %+v", recs)
	}
	// Three seconds were talked; up to the last second's buffer is lost.
	if d := recs[0].DurationMS; d < 1500 || d > 3500 {
		t.Fatalf("repaired recording lasts %d ms, want about the 2–3 s written", d)
	}
	_, body, _ := admin.do(t, "GET", "/recordings/"+recs[0].ID+"/audio", nil)
	left, _ := wavChannels(t, body)
	if got := int64(len(left)) * 1000 / 8000; absInt(int(got-recs[0].DurationMS)) > 20 {
		t.Fatalf("the file holds %d ms, the index says %d", got, recs[0].DurationMS)
	}
	eventsOf(t, s, store.Filter{}, has("recording.stopped:"))
	_ = s.cmd.Process.Signal(os.Interrupt)
	_ = s.cmd.Wait()

	// A retention of a second: the next start deletes it.
	short := writeConfig(t, recordingsYAML+"recordings: {retention: 1s}\n")
	s = startAcd(t, "-config", short, "-data", data)
	eventsOf(t, s, store.Filter{}, has("recording.deleted:"))
	if _, err := os.Stat(files[0]); !os.IsNotExist(err) {
		t.Fatalf("the file of a recording past its retention is still there: %v", err)
	}
}

// TestRecordingFollowsTransfer: a recorded caller that agent 1001
// transfers to the sales queue (which records nothing of its own) goes
// on in the same file with agent 1002: one recording for the contact,
// naming both agents, the customer left and each agent right in turn.
func TestRecordingFollowsTransfer(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cfg := strings.Replace(transferYAML, "wrap_up: 30s, announce_every: 1h}", "wrap_up: 30s, announce_every: 1h, recording: always}", 1)
	s := startAcd(t, "-config", writeConfig(t, cfg))
	admin := setupAdmin(t, s)
	caller, bob := transferred(t, ctx, s, "601")
	time.Sleep(time.Second) // a second of the second agent's part
	if err := caller.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	got := eventsOf(t, s, store.Filter{}, has("recording.stopped:"))
	expectSequence(t, got, "recording.started:1001", "call.transferred:1001", "agent.answered:1002", "recording.started:1002", "recording.stopped:")
	var continued []bool
	var joinMS int64 // where the second agent's part starts in the file
	for _, e := range logEvents(t, s) {
		if e.Type == "recording.started" {
			p, _ := event.Decode(e)
			started := p.(event.RecordingStarted)
			continued = append(continued, started.Continued)
			joinMS = started.OffsetMS
		}
	}
	if len(continued) != 2 || continued[0] || !continued[1] {
		t.Fatalf("recording.started continued: %v, want [false true]", continued)
	}
	recs := listRecordings(t, admin, "")
	if len(recs) != 1 || strings.Join(recs[0].Agents, ",") != "1001,1002" {
		t.Fatalf("recordings: %+v, want one naming 1001 then 1002", recs)
	}
	_, body, _ := admin.do(t, "GET", "/recordings/"+recs[0].ID+"/audio", nil)
	left, right := wavChannels(t, body)
	var l, r strings.Builder
	for i := range len(left) / media.FrameSize {
		l.WriteString(period(left, i))
		r.WriteString(period(right, i))
	}
	// Both agents sent the 1 kHz tone: the right channel has it before
	// the join the second part's recording.started marks (1001) and after
	// it (1002), however short the caller's wait between them was (it is
	// not in the file); the caller's is on the left throughout.
	if n := strings.Count(l.String(), "C"); n < 50 {
		t.Fatalf("left channel: %s", l.String())
	}
	join := int(joinMS / 20)
	if join <= 0 || join >= r.Len() {
		t.Fatalf("the second part starts at %d ms, outside the file's %d periods", joinMS, r.Len())
	}
	if before, after := strings.Count(r.String()[:join], "C"), strings.Count(r.String()[join:], "C"); before < 10 || after < 10 {
		t.Fatalf("right channel: want the first agent before %d ms and the second after; got %d and %d periods of tone: %s", joinMS, before, after, r.String())
	}
	_ = bob
}
