package main

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/media"
	"github.com/acdserver/acd/store"
)

// TestConsoleAgentRecordsOnDemand: on a call of an on_demand queue the
// agent's console offers Record; pressed, the call is recorded and the
// console, live, offers Pause, then Resume, then Stop; the supervisor's
// Recordings page lists the recording with a player of its audio and
// shows what was typed in its filters as text.
func TestConsoleAgentRecordsOnDemand(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	s := startAcd(t, "-config", writeConfig(t, recordingsYAML))
	us := users(t, s, setupAdmin(t, s))
	bob := agentPhone(t, ctx, s, "1002", testutil.AnswerMode{After: 100 * time.Millisecond})
	b := newBrowser(t, s)
	b.SignIn(t, "1002", testPassword)
	b.WaitText(t, "[data-testid=agent-state]", "Ready", 2*time.Second)

	caller := dialAs(t, ctx, s, "200", "+14155550124")
	incoming(t, ctx, bob)
	caller.SendToneAt(ctx, media.PCMU, customerHz)
	b.WaitText(t, "[data-testid=recording-state]", "not recording", 5*time.Second)
	b.Click(t, `form[action="/agent/recording"] button[value="start"]`)
	b.WaitText(t, "[data-testid=recording-state]", "recording", 3*time.Second)
	eventsOf(t, s, store.Filter{}, has("recording.started:1002"))
	b.Click(t, `form[action="/agent/recording"] button[value="pause"]`)
	b.WaitText(t, "[data-testid=recording-state]", "paused", 3*time.Second)
	b.Click(t, `form[action="/agent/recording"] button[value="resume"]`)
	b.WaitText(t, `form[action="/agent/recording"]`, "Pause recording", 3*time.Second)
	b.Click(t, `form[action="/agent/recording"] button[value="stop"]`)
	b.WaitText(t, "[data-testid=recording-state]", "not recording", 3*time.Second)
	expectSequence(t, eventsOf(t, s, store.Filter{}, has("recording.stopped:")),
		"recording.started:1002", "recording.paused:1002", "recording.resumed:1002", "recording.stopped:")

	var out struct{ Recordings []recordingJSON }
	us["sup"].expect(t, "GET", "/recordings", nil, 200, &out)
	if len(out.Recordings) != 1 {
		t.Fatalf("recordings: %+v", out.Recordings)
	}
	id := out.Recordings[0].ID
	q := url.Values{"agent": {`<b>1002</b>`}}
	code, page := consoleRequest(t, s, us["sup"].token, "GET", "/recordings?"+q.Encode(), nil)
	if code != 200 || strings.Contains(page, "<b>1002</b>") || !strings.Contains(page, "&lt;b&gt;1002&lt;/b&gt;") {
		t.Fatalf("the recordings page with a filter typed as markup: %d, escaped: %v", code, strings.Contains(page, "&lt;b&gt;"))
	}
	code, page = consoleRequest(t, s, us["sup"].token, "GET", "/recordings?agent=1002", nil)
	if code != 200 || !strings.Contains(page, `<audio controls preload="none" src="/api/v1/recordings/`+id+`/audio">`) {
		t.Fatalf("the recordings page: %d, no player of %s", code, id)
	}
	if strings.Contains(page, "/recordings/"+id+"/delete") {
		t.Fatal("a supervisor without recordings.delete is offered a delete button")
	}
	if code, _ := consoleRequest(t, s, us["agent"].token, "GET", "/recordings", nil); code != 403 {
		t.Fatalf("an agent without recordings.view opening the recordings page: %d, want 403", code)
	}
	// The administration's queue page shows, and takes, the setting: a
	// queue of the file as the file has it, one made here in its form.
	code, page = consoleRequest(t, s, us["admin"].token, "GET", "/admin/queues/sales", nil)
	if code != 200 || !strings.Contains(page, "recording: on_demand") {
		t.Fatalf("the sales queue's page (%d) does not show recording on demand", code)
	}
	form := url.Values{"id": {"claims"}, "type": {"standard"}, "recording": {"always"}}
	if code, _ := postForm(t, s, us["admin"].token, "/admin/queues", form); code != 303 {
		t.Fatalf("creating a queue that records from the console: %d", code)
	}
	var claims struct {
		Recording string `json:"recording"`
	}
	us["admin"].expect(t, "GET", "/queues/claims", nil, 200, &claims)
	if claims.Recording != "always" {
		t.Fatalf("the queue made from the console records %q, want always", claims.Recording)
	}
	if code, page = consoleRequest(t, s, us["admin"].token, "GET", "/admin/queues/claims", nil); !strings.Contains(page, `<option value="always" selected>`) {
		t.Fatalf("the form of a queue that records (%d) does not show it", code)
	}

	// The player plays in the browser of whoever may hear it.
	b.Forget()
	b.SignInTo(t, "sup", testPassword, "/recordings")
	if st := b.HTTPStatus(t, "/api/v1/recordings/"+id+"/audio"); st != 200 {
		t.Fatalf("the browser fetching the audio: %d", st)
	}
	b.Clean(t)
}
