package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/media"
	"github.com/acdserver/acd/recorded"
	"github.com/acdserver/acd/service"
	"github.com/acdserver/acd/store"
)

const messagesYAML = `sip_realm: test.local
recorded_messages: {max_seconds: 5}
numbers: {"100": main}
agents:
  "1001": {name: Alice, password: secret-1001, queues: [support]}
  "1002": {name: Bob, password: secret-1002, queues: [support]}
queues:
  support: {announce_every: 1h}
  sales: {announce_every: 1h}
dialplans:
  main:
    entry: q
    nodes:
      q:   {type: queue, queue: support, timeout: 60s, on_timeout: bye, on_exit: bye}
      bye: {type: hangup}
`

// greetPlan plays a recorded message, then hangs up.
const greetPlan = "entry: hi\nnodes:\n  hi: {type: play, prompt: greeting, next: bye}\n  bye: {type: hangup}\n"

// wavTone is a WAV of a tone at any rate, 16-bit, mono or more.
func wavTone(freq float64, rate, channels int, seconds float64) []byte {
	n := int(seconds * float64(rate))
	var data []byte
	for i := range n {
		v := int16(10000 * math.Sin(2*math.Pi*freq*float64(i)/float64(rate)))
		for range channels {
			data = binary.LittleEndian.AppendUint16(data, uint16(v))
		}
	}
	h := []byte("RIFF")
	h = binary.LittleEndian.AppendUint32(h, uint32(36+len(data)))
	h = append(h, "WAVEfmt "...)
	h = binary.LittleEndian.AppendUint32(h, 16)
	h = binary.LittleEndian.AppendUint16(h, 1)
	h = binary.LittleEndian.AppendUint16(h, uint16(channels))
	h = binary.LittleEndian.AppendUint32(h, uint32(rate))
	h = binary.LittleEndian.AppendUint32(h, uint32(rate*channels*2))
	h = binary.LittleEndian.AppendUint16(h, uint16(channels*2))
	h = binary.LittleEndian.AppendUint16(h, 16)
	h = append(h, "data"...)
	h = binary.LittleEndian.AppendUint32(h, uint32(len(data)))
	return append(h, data...)
}

// upload posts a file as a message's next version, as it is.
func upload(t *testing.T, c *apiClient, name string, file []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest("POST", c.base+"/recorded-messages?name="+name, bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 500 {
		t.Fatalf("upload %s: %d %s", name, res.StatusCode, body)
	}
	return res.StatusCode, body
}

// messageAudio fetches a message's version as the samples of its WAV.
func messageAudio(t *testing.T, c *apiClient, name, query string) ([]int16, string) {
	t.Helper()
	code, body, h := c.do(t, "GET", "/recorded-messages/"+name+"/audio"+query, nil)
	if code != 200 || h.Get("Content-Type") != "audio/wav" {
		t.Fatalf("audio of %s: %d %s %s", name, code, h.Get("Content-Type"), body)
	}
	pcm, _, err := recorded.Decode(body, time.Hour)
	if err != nil {
		t.Fatalf("audio of %s: %v", name, err)
	}
	return recorded.Samples(pcm), h.Get("X-Recorded-Message-Version")
}

func middle(s []int16) []int16 { return s[len(s)/4 : 3*len(s)/4] }

type messageList struct {
	Messages []struct {
		Name     string
		Current  int
		Versions []struct {
			Version   int
			Seconds   float64
			Source    string
			CreatedBy string `json:"created_by"`
		}
	} `json:"recorded_messages"`
}

// Uploads in every format the server reads are converted to its own,
// keeping what they sound like; bad files are refused with a 422 that
// says what is wrong; a message in use is not deleted; only those allowed
// manage messages; each change is one audit event naming its actor.
func TestRecordedMessagesUpload(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, messagesYAML))
	as := users(t, s, setupAdmin(t, s))
	admin, agent := as["admin"], as["agent"]
	mp3, err := os.ReadFile("../../recorded/testdata/tone-1k.mp3")
	if err != nil {
		t.Fatal(err)
	}
	ogg, err := os.ReadFile("../../recorded/testdata/tone-1k.ogg")
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		file []byte
		freq float64
	}{
		{"wav8k", wavTone(600, 8000, 1, 1), 600},
		{"wav16k", wavTone(900, 16000, 1, 1), 900},
		{"wav44k-stereo", wavTone(440, 44100, 2, 1), 440},
		{"wav48k", wavTone(2000, 48000, 1, 1), 2000},
		{"mp3", mp3, 1000},
		{"ogg", ogg, 1000},
	} {
		code, body := upload(t, admin, tc.name, tc.file)
		if code != 201 {
			t.Fatalf("upload %s: %d %s", tc.name, code, body)
		}
		samples, version := messageAudio(t, admin, tc.name, "")
		if version != "1" {
			t.Errorf("%s: version %q, want 1", tc.name, version)
		}
		if share := testutil.ToneShare(middle(samples), tc.freq); share < 0.8 {
			t.Errorf("%s: %.0f Hz is %.2f of what is kept, want most of it", tc.name, tc.freq, share)
		}
	}

	for _, tc := range []struct {
		name, says string
		file       []byte
	}{
		{"text", "not audio", []byte("<html>not a sound</html>")},
		{"long", "too long: a recorded message lasts at most 5s", wavTone(440, 8000, 1, 6)},
		{"huge", "too large", make([]byte, 5*96000+64<<10+10)},
		{"welcome", "a prompt's name", wavTone(440, 8000, 1, 1)},
		{"bad%20name", "letters, digits", wavTone(440, 8000, 1, 1)},
	} {
		code, body := upload(t, admin, tc.name, tc.file)
		if code != 422 || !strings.Contains(string(body), tc.says) {
			t.Errorf("upload %s: %d %s; want 422 saying %q", tc.name, code, body, tc.says)
		}
	}
	var list messageList
	admin.expect(t, "GET", "/recorded-messages", nil, 200, &list)
	if len(list.Messages) != 6 {
		t.Fatalf("%d messages after six good uploads and five bad ones: %+v", len(list.Messages), list)
	}

	// A second version becomes the one in force; the first is kept.
	if code, body := upload(t, admin, "wav8k", wavTone(1500, 8000, 1, 2)); code != 201 {
		t.Fatalf("second version: %d %s", code, body)
	}
	if s, v := messageAudio(t, admin, "wav8k", ""); v != "2" || testutil.ToneShare(middle(s), 1500) < 0.8 {
		t.Errorf("the version in force is %s, or not the 1500 Hz upload", v)
	}
	if s, v := messageAudio(t, admin, "wav8k", "?version=1"); v != "1" || testutil.ToneShare(middle(s), 600) < 0.8 {
		t.Errorf("version 1 is not the 600 Hz upload (%s)", v)
	}

	// Used by an uploaded dial plan: not deleted, and the 409 says where.
	admin.expect(t, "PUT", "/dialplans/greet", map[string]string{"yaml": strings.ReplaceAll(greetPlan, "greeting", "wav8k")}, 200, nil)
	code, body, _ := admin.do(t, "DELETE", "/recorded-messages/wav8k", nil)
	if code != 409 || !strings.Contains(string(body), "dialplan greet:") || !strings.Contains(string(body), `node \"hi\"`) {
		t.Fatalf("deleting a message in use: %d %s; want 409 naming plan greet, node hi", code, body)
	}
	// A queue's hold music may be a message, and then keeps it too.
	admin.expect(t, "POST", "/queues", map[string]any{"id": "promo", "hold_music": "nope"}, 422, nil)
	admin.expect(t, "POST", "/queues", map[string]any{"id": "promo", "hold_music": "mp3"}, 201, nil)
	code, body, _ = admin.do(t, "DELETE", "/recorded-messages/mp3", nil)
	if code != 409 || !strings.Contains(string(body), `queue \"promo\": hold_music \"mp3\"`) {
		t.Fatalf("deleting a queue's hold music: %d %s; want 409 naming queue promo", code, body)
	}
	admin.expect(t, "DELETE", "/recorded-messages/ogg", nil, 204, nil)
	admin.expect(t, "DELETE", "/recorded-messages/ogg", nil, 404, nil)
	admin.expect(t, "GET", "/recorded-messages/ogg/audio", nil, 404, nil)

	// An agent needs recorded_messages.manage, which it lacks by default.
	if code, _ := upload(t, agent, "mine", wavTone(440, 8000, 1, 1)); code != 403 {
		t.Errorf("an agent without the permission uploaded: %d", code)
	}
	agent.expect(t, "GET", "/recorded-messages", nil, 403, nil)
	agent.expect(t, "DELETE", "/recorded-messages/mp3", nil, 403, nil)
	as["sup"].expect(t, "GET", "/recorded-messages", nil, 403, nil)
	admin.expect(t, "PUT", "/permissions/agent/recorded_messages.manage", nil, 204, nil)
	if code, body := upload(t, agent, "mine", wavTone(440, 8000, 1, 1)); code != 201 {
		t.Errorf("an agent granted the permission: %d %s", code, body)
	}
	agent.expect(t, "GET", "/recorded-messages", nil, 200, nil)
	agent.expect(t, "DELETE", "/recorded-messages/mine", nil, 204, nil)
	// A supervisor granted configuration.access reads, and no more.
	admin.expect(t, "PUT", "/permissions/supervisor/configuration.access", nil, 204, nil)
	as["sup"].expect(t, "GET", "/recorded-messages", nil, 200, nil)
	if code, _ := upload(t, as["sup"], "theirs", wavTone(440, 8000, 1, 1)); code != 403 {
		t.Errorf("a supervisor without recorded_messages.manage uploaded: %d", code)
	}

	var audit struct{ Events []store.Event }
	admin.expect(t, "GET", "/audit?type=audit.recorded_message.", nil, 200, &audit)
	count := map[string]int{}
	for _, e := range audit.Events {
		var a event.Audit
		if err := json.Unmarshal(e.Data, &a); err != nil {
			t.Fatal(err)
		}
		count[strings.TrimPrefix(e.Type, "audit.")+" by "+a.Actor.ID]++
	}
	for what, n := range map[string]int{
		"recorded_message.uploaded by root": 7, "recorded_message.deleted by root": 1,
		"recorded_message.uploaded by 1001": 1, "recorded_message.deleted by 1001": 1,
	} {
		if count[what] != n {
			t.Errorf("%d events %q, want %d: %v", count[what], what, n, count)
		}
	}
}

// stalledBody is an upload whose sender sends its first bytes and then
// nothing until the test ends (or stop is called), as a slow or hostile
// client does.
type stalledBody struct {
	first []byte
	stop  chan struct{}
}

func (b *stalledBody) Read(p []byte) (int, error) {
	if len(b.first) > 0 {
		n := copy(p, b.first)
		b.first = b.first[n:]
		return n, nil
	}
	<-b.stop
	return 0, errors.New("the sender gave up")
}

// stalledUpload starts a POST of size bytes that stalls after its first
// kilobyte, and returns its status once the server answers (0 while it
// has not) and the function that ends the sending.
func stalledUpload(t *testing.T, url, token, cookie, contentType string, size int64) (<-chan int, func()) {
	t.Helper()
	body := &stalledBody{first: bytes.Repeat([]byte("RIFF"), 256), stop: make(chan struct{})}
	var once sync.Once
	stop := func() { once.Do(func() { close(body.stop) }) }
	t.Cleanup(stop)
	req, err := http.NewRequest("POST", url, body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = size
	req.Header.Set("Content-Type", contentType)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: "acd_session", Value: cookie})
	}
	status := make(chan int, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			status <- 0
			return
		}
		res.Body.Close()
		status <- res.StatusCode
	}()
	return status, stop
}

// An upload is held in memory whole while it is decoded, so nothing of
// it is read before its sender is known to be allowed to upload, and
// only two are read at once: a third waits its turn with a 429.
func TestRecordedUploadsBoundedBeforeReading(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, messagesYAML))
	as := users(t, s, setupAdmin(t, s))
	admin, agent := as["admin"], as["agent"]
	const size = 400 << 10 // below the limit: the server would read it all
	answered := func(what string, status <-chan int, want int) {
		t.Helper()
		select {
		case got := <-status:
			if got != want {
				t.Errorf("%s: %d, want %d", what, got, want)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("%s: no answer while the upload stalls: the server waits for a file it must not read", what)
		}
	}
	api := admin.base + "/recorded-messages?name=stalled"
	st, _ := stalledUpload(t, api, "", "", "application/octet-stream", size)
	answered("an upload without credentials", st, 401)
	st, _ = stalledUpload(t, api, agent.token, "", "application/octet-stream", size)
	answered("an upload by an agent without recorded_messages.manage", st, 403)
	st, _ = stalledUpload(t, "http://"+s.http+"/admin/recorded-messages", "", "", "multipart/form-data; boundary=x", size)
	answered("the console's upload form without a session", st, 401)
	st, _ = stalledUpload(t, "http://"+s.http+"/admin/recorded-messages", "", agent.token, "multipart/form-data; boundary=x", size)
	answered("the console's upload form by an agent without the permission", st, 403)

	// Two uploads stall while being read; a third is turned away until
	// one of them ends. (A stalled one that came while a probe held a
	// slot was itself turned away, and is sent again.)
	type stalled struct {
		status <-chan int
		stop   func()
	}
	var held [2]stalled
	for i := range held {
		held[i].status, held[i].stop = stalledUpload(t, api, admin.token, "", "application/octet-stream", size)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, body := upload(t, admin, "third", wavTone(440, 8000, 1, 1))
		if code == 429 {
			if !strings.Contains(string(body), "at most 2 at once") {
				t.Errorf("the third upload's refusal says %s", body)
			}
			break
		}
		for i := range held {
			select {
			case c := <-held[i].status:
				if c != 429 {
					t.Fatalf("a stalled upload was answered %d", c)
				}
				held[i].status, held[i].stop = stalledUpload(t, api, admin.token, "", "application/octet-stream", size)
			default:
			}
		}
		if code != 201 || time.Now().After(deadline) {
			t.Fatalf("a third upload beside two stalled ones: %d %s; want 429 once both are being read", code, body)
		}
	}
	held[0].stop()
	held[1].stop()
	for {
		code, body := upload(t, admin, "third", wavTone(440, 8000, 1, 1))
		if code == 201 {
			break
		}
		if code != 429 || time.Now().After(deadline) {
			t.Fatalf("an upload once the stalled ones gave up: %d %s; want 201", code, body)
		}
	}
}

// heardFrom waits until the phone has heard n samples from mark on, and
// returns them.
func heardFrom(t *testing.T, ctx context.Context, p *testutil.Phone, mark, n int) []int16 {
	t.Helper()
	for {
		if h := p.Stats().Heard; len(h) >= mark+n {
			return h[mark : mark+n]
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the phone heard %d samples, want %d", len(p.Stats().Heard), mark+n)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// A play node names an uploaded message; a caller hears it, and keeps
// hearing the version it started with while a new one is uploaded; the
// next caller hears the new one.
func TestRecordedMessagePlayedByName(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, messagesYAML), "-log-level", "debug")
	admin := setupAdmin(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	_, body, _ := admin.do(t, "PUT", "/dialplans/greet", map[string]string{"yaml": greetPlan})
	if !strings.Contains(string(body), "dialplan greet:3:") || !strings.Contains(string(body), `prompt \"greeting\" does not exist`) {
		t.Fatalf("a plan naming a missing message: %s; want a 422 at the upload's line 3", body)
	}
	if code, body := upload(t, admin, "greeting", wavTone(600, 16000, 1, 4)); code != 201 {
		t.Fatalf("upload: %d %s", code, body)
	}
	admin.expect(t, "PUT", "/dialplans/greet", map[string]string{"yaml": greetPlan}, 200, nil)
	admin.expect(t, "PUT", "/numbers/300", map[string]string{"dialplan": "greet"}, 200, nil)

	first := dialAs(t, ctx, s, "300", "+14155550100")
	before := heardFrom(t, ctx, first, 0, 4000) // half a second of version 1
	if code, body := upload(t, admin, "greeting", wavTone(1500, 8000, 1, 4)); code != 201 {
		t.Fatalf("second version: %d %s", code, body)
	}
	after := heardFrom(t, ctx, first, 8000, 8000) // a second, from a second in: after the upload
	waitBye(t, ctx, first)
	if share := testutil.ToneShare(before[1000:], 600); share < 0.7 {
		t.Errorf("the caller heard %.2f of 600 Hz at first, want the message", share)
	}
	if share := testutil.ToneShare(after, 600); share < 0.7 {
		t.Errorf("after a new version was uploaded the caller heard %.2f of 600 Hz (%.2f of 1500 Hz), want the version it started with",
			share, testutil.ToneShare(after, 1500))
	}
	second := dialAs(t, ctx, s, "300", "+14155550101")
	if share := testutil.ToneShare(heardFrom(t, ctx, second, 2000, 8000), 1500); share < 0.7 {
		t.Errorf("the next caller heard %.2f of 1500 Hz, want the new version", share)
	}
}

// Recording by phone: the agent hears the prompt and the beep, records
// a take it throws away (2), sends a tone, presses # and then 1; the
// message holds the tone alone and is one event naming the phone. An agent without the permission is refused and
// nothing is kept.
func TestRecordMessageByPhone(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, messagesYAML)
	prompts := filepath.Join(filepath.Dir(path), "prompts")
	for _, name := range []string{"record-message", "record-review", "message-saved", "message-recording-not-allowed"} {
		os.WriteFile(filepath.Join(prompts, name+".wav"), tone(300*time.Millisecond), 0o644)
	}
	s := startAcd(t, "-config", path, "-log-level", "debug")
	as := users(t, s, setupAdmin(t, s))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	p := testutil.NewPhone(t)
	if code, err := p.Register(ctx, s.sip, "1001", "secret-1001", 300); err != nil || code != 200 {
		t.Fatalf("REGISTER: %d %v", code, err)
	}
	// Not allowed: the refusal, and nothing kept.
	featureCall(t, ctx, s, p, "1001", "*977")
	s.waitLog(t, 5*time.Second, "recording a message by phone refused", "agent=1001")

	as["admin"].expect(t, "PUT", "/permissions/agent/recorded_messages.manage", nil, 204, nil)
	dlg, err := p.Dial(ctx, s.sip, "*977", "1001", "secret-1001")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Talk(dlg); err != nil {
		t.Fatal(err)
	}
	// A first take of silence, recorded again with 2.
	s.waitLog(t, 10*time.Second, "recording a message by phone", "agent=1001", "message=7")
	p.SendDTMF('#', 101)
	s.waitLog(t, 10*time.Second, "asking whether to keep the recording", "message=7")
	p.SendDTMF('2', 101)
	s.waitLog(t, 10*time.Second, "recording a message by phone", "agent=1001", "message=7")
	talk, stop := context.WithCancel(ctx)
	defer stop()
	p.SendTone(talk, media.PCMU)        // 1 kHz
	time.Sleep(1500 * time.Millisecond) // speaking: the length of the recording
	p.SendDTMF('#', 101)
	s.waitLog(t, 10*time.Second, "playing the recording back", "message=7")
	stop()
	// Keys pressed before the question are dropped: 1 is pressed once it
	// is asked.
	s.waitLog(t, 10*time.Second, "asking whether to keep the recording", "message=7")
	p.SendDTMF('1', 101)
	s.waitLog(t, 15*time.Second, "message recorded by phone saved", "message=7", "version=1")
	waitBye(t, ctx, p)

	samples, _ := messageAudio(t, as["admin"], "7", "")
	if d := time.Duration(len(samples)) * time.Second / 8000; d < time.Second || d > 3*time.Second {
		t.Errorf("the recording lasts %s, want about 1.5s", d)
	}
	if share := testutil.ToneShare(samples[800:len(samples)-1600], 1000); share < 0.8 {
		t.Errorf("the recording holds %.2f of the 1 kHz tone the phone sent, want most of it", share)
	}
	var list messageList
	as["admin"].expect(t, "GET", "/recorded-messages", nil, 200, &list)
	if len(list.Messages) != 1 || list.Messages[0].Versions[0].Source != "phone" || list.Messages[0].Versions[0].CreatedBy != "1001" {
		t.Errorf("messages %+v; want message 7 recorded by phone by 1001", list)
	}
	var audit struct{ Events []store.Event }
	as["admin"].expect(t, "GET", "/audit?type=audit.recorded_message.recorded", nil, 200, &audit)
	if len(audit.Events) != 1 || !strings.Contains(string(audit.Events[0].Data), `"kind":"phone","id":"1001"`) {
		t.Errorf("audit %+v; want one event naming phone 1001", audit.Events)
	}
}

// acd check knows the recorded messages of the data directory: a plan
// naming a message that is not there is refused at its line.
func TestCheckSeesRecordedMessages(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	cfg := writeConfig(t, messagesYAML+"  greet:\n    entry: hi\n    nodes:\n      hi: {type: play, prompt: greeting, next: bye}\n      bye: {type: hangup}\n")
	line := 1 + strings.Count(strings.Split(readFile(t, cfg), "hi: {type: play")[0], "\n")
	out, err := exec.Command(acdBinary, "check", "-config", cfg, "-data", data).CombinedOutput()
	if code := exitStatus(err); code != 1 || !strings.Contains(string(out), cfg+":"+strconv.Itoa(line)+`: dial plan "greet", node "hi": prompt "greeting" does not exist`) {
		t.Fatalf("check of a plan naming a missing message: %d %s", code, out)
	}
	s := startAcd(t, "-config", writeConfig(t, messagesYAML), "-data", data)
	if code, body := upload(t, setupAdmin(t, s), "greeting", wavTone(440, 8000, 1, 1)); code != 201 {
		t.Fatalf("upload: %d %s", code, body)
	}
	// Beside the running server, which holds the data directory.
	if out, err := exec.Command(acdBinary, "check", "-config", cfg, "-data", data).CombinedOutput(); err != nil {
		t.Fatalf("check once the message exists: %v %s", err, out)
	}
}

// consoleUpload posts the console's upload form, file and all, as a
// browser does.
func consoleUpload(t *testing.T, s *server, token, name string, file []byte) (int, string) {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	w.WriteField("csrf", service.CSRFToken(token))
	w.WriteField("name", name)
	part, _ := w.CreateFormFile("file", "message.wav")
	part.Write(file)
	w.Close()
	req, _ := http.NewRequest("POST", "http://"+s.http+"/admin/recorded-messages", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.AddCookie(&http.Cookie{Name: "acd_session", Value: token})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(data)
}

// The console's page lists the messages with a player for each version,
// uploads a file and deletes after asking; what was typed is shown as
// text; it is read-only to a supervisor who may only read, and refused
// to an agent without the permission.
func TestConsoleRecordedMessages(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, messagesYAML))
	as := users(t, s, setupAdmin(t, s))
	root := login(t, s, "root", testPassword)

	if code, page := consoleUpload(t, s, root, "hello", wavTone(440, 22050, 1, 1)); code != http.StatusSeeOther {
		t.Fatalf("console upload: %d %s", code, page)
	}
	consoleUpload(t, s, root, "hello", wavTone(880, 8000, 1, 1))
	code, page := consoleRequest(t, s, root, "GET", "/admin/recorded-messages", nil)
	if code != 200 || !strings.Contains(page, `src="/api/v1/recorded-messages/hello/audio?version=2"`) ||
		!strings.Contains(page, `src="/api/v1/recorded-messages/hello/audio?version=1"`) || !strings.Contains(page, `data-version="2" data-current="true"`) {
		t.Fatalf("the page lacks the players of both versions, or which is in force: %d\n%s", code, page)
	}
	// A refused upload keeps what was typed, as text.
	code, page = consoleUpload(t, s, root, "<b>x</b>", []byte("not audio"))
	if code != 422 || !strings.Contains(page, `value="&lt;b&gt;x&lt;/b&gt;"`) || strings.Contains(page, "<b>x</b>") {
		t.Errorf("a bad upload: %d, want 422 with the name typed shown as text", code)
	}
	if code, page = consoleUpload(t, s, root, "bad", []byte("not audio")); code != 422 || !strings.Contains(page, "not audio") {
		t.Errorf("a file that is not audio: %d; want 422 saying so", code)
	}

	agent := login(t, s, "1001", testPassword)
	if code, _ := consoleRequest(t, s, agent, "GET", "/admin/recorded-messages", nil); code != 403 {
		t.Errorf("an agent without the permission: %d", code)
	}
	if code, _ := consoleUpload(t, s, agent, "theirs", wavTone(440, 8000, 1, 1)); code != 403 {
		t.Errorf("an agent without the permission uploaded: %d", code)
	}
	as["admin"].expect(t, "PUT", "/permissions/supervisor/configuration.access", nil, 204, nil)
	if code, page := consoleRequest(t, s, login(t, s, "sup", testPassword), "GET", "/admin/recorded-messages", nil); code != 200 || !strings.Contains(page, `data-testid="read-only"`) {
		t.Errorf("a supervisor granted configuration.access: %d, want the page read-only", code)
	}

	code, page = consoleRequest(t, s, root, "POST", "/admin/recorded-messages/hello/delete", url.Values{})
	if code != 200 || !strings.Contains(page, `data-testid="confirm"`) {
		t.Fatalf("delete without confirming: %d; want the question", code)
	}
	if code, _ := consoleRequest(t, s, root, "POST", "/admin/recorded-messages/hello/delete", url.Values{"confirm": {"yes"}}); code != http.StatusSeeOther {
		t.Fatalf("delete confirmed: %d", code)
	}
	as["admin"].expect(t, "GET", "/recorded-messages/hello/audio", nil, 404, nil)
}

// A queue's announcement names an uploaded message: a caller waiting in
// the queue hears it every announce_every, and the message cannot be
// deleted while the queue names it.
func TestRecordedMessageAsQueueAnnouncement(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, messagesYAML), "-log-level", "debug")
	admin := setupAdmin(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	admin.expect(t, "POST", "/queues", map[string]any{"id": "claims", "announce_every": "1s", "announcement": "still-waiting"}, 422, nil)
	if code, body := upload(t, admin, "still-waiting", wavTone(600, 8000, 1, 4)); code != 201 {
		t.Fatalf("upload: %d %s", code, body)
	}
	admin.expect(t, "POST", "/queues", map[string]any{"id": "claims", "announce_every": "1s", "announcement": "still-waiting"}, 201, nil)
	var q struct {
		Announcement string `json:"announcement"`
	}
	admin.expect(t, "GET", "/queues/claims", nil, 200, &q)
	if q.Announcement != "still-waiting" {
		t.Fatalf("the queue's announcement reads back %q", q.Announcement)
	}
	plan := "entry: q\nnodes:\n  q: {type: queue, queue: claims, timeout: 60s, on_timeout: bye, on_exit: bye}\n  bye: {type: hangup}\n"
	admin.expect(t, "PUT", "/dialplans/claims", map[string]string{"yaml": plan}, 200, nil)
	admin.expect(t, "PUT", "/numbers/301", map[string]string{"dialplan": "claims"}, 200, nil)

	caller := dialAs(t, ctx, s, "301", "+14155550100")
	// From 1.5 s in, a second of what the caller hears: the announcement,
	// which starts after the first second of hold music.
	if share := testutil.ToneShare(heardFrom(t, ctx, caller, 12000, 8000), 600); share < 0.7 {
		t.Errorf("a caller waiting heard %.2f of the announcement's 600 Hz, want the message", share)
	}
	_, body, _ := admin.do(t, "DELETE", "/recorded-messages/still-waiting", nil)
	if !strings.Contains(string(body), `announcement \"still-waiting\"`) {
		t.Fatalf("deleting the queue's announcement: %s; want a 409 naming the queue's announcement", body)
	}
}
