package main

import (
	"bufio"
	"context"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/acdserver/acd/internal/browser"
)

// sseStream reads a console live stream: its events and comments.
type sseStream struct {
	res   *http.Response
	lines *bufio.Scanner
}

func openLive(t *testing.T, ctx context.Context, s *server, token, lastID string) *sseStream {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, "GET", "http://"+s.http+"/live?view=agent", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.AddCookie(&http.Cookie{Name: "acd_session", Value: token})
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("GET /live: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	t.Cleanup(func() { res.Body.Close() })
	return &sseStream{res: res, lines: bufio.NewScanner(res.Body)}
}

// next reads up to the end of the next event or comment: the event's
// name and id (an id alone moves the page's position), or "" and the
// comment.
func (st *sseStream) next(t *testing.T) (name, id, comment string) {
	t.Helper()
	for st.lines.Scan() {
		line := st.lines.Text()
		switch {
		case line == "":
			if name != "" || id != "" || comment != "" {
				return name, id, comment
			}
		case strings.HasPrefix(line, "event: "):
			name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "id: "):
			id = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, ":"):
			comment = line
		}
	}
	t.Fatalf("the live stream ended: %v", st.lines.Err())
	return
}

// TestConsoleLiveResumesBySequence: a stream reconnecting with the id of
// the last event it had gets nothing until the log moves on, then the
// fragments with the new position; one that missed events gets fresh
// fragments at once.
func TestConsoleLiveResumesBySequence(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	users(t, s, setupAdmin(t, s))
	token := login(t, s, "1001", testPassword)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// From nothing: the fragments come at once, with the log position.
	first := openLive(t, ctx, s, token, "0")
	name, id, _ := first.next(t)
	for name == "" {
		name, id, _ = first.next(t)
	}
	if name != "agent-status" {
		t.Fatalf("first event %q; want agent-status", name)
	}
	pos, err := strconv.ParseInt(id, 10, 64)
	if err != nil || pos <= 0 {
		t.Fatalf("event id %q: want the log position", id)
	}
	first.res.Body.Close()

	// Resuming at that position: nothing to send until something happens.
	// The log may still have moved since the first drawing (the set-up's
	// last events may land after it): the stream then moves the page's
	// position, with the fragments again if they changed, and settles
	// once the page has what the log holds.
	resumed := openLive(t, ctx, s, token, id)
	for tries := 0; ; tries++ {
		name, at, comment := resumed.next(t)
		if name == "" && comment == ": keep-alive" {
			break
		}
		now, _ := strconv.ParseInt(at, 10, 64)
		if now <= pos || tries == 5 {
			t.Fatalf("resuming at position %d sent %q %q at %q; want only a keep-alive", pos, name, comment, at)
		}
		pos, id = now, at
		if name != "" {
			resumed.res.Body.Close()
			resumed = openLive(t, ctx, s, token, id)
		}
	}
	s.client(token).expect(t, "PUT", "/agents/1001/state", map[string]string{"action": "login"}, 200, nil)
	name, id, _ = resumed.next(t)
	for name == "" {
		name, id, _ = resumed.next(t)
	}
	if after, _ := strconv.ParseInt(id, 10, 64); name != "agent-status" || after <= pos {
		t.Fatalf("after a login the stream sent %q at %q; want agent-status after %d", name, id, pos)
	}

	// Resuming from before that change: fresh fragments at once.
	behind := openLive(t, ctx, s, token, strconv.FormatInt(pos, 10))
	name, _, _ = behind.next(t)
	if name != "agent-status" {
		t.Fatalf("resuming behind the log sent %q first; want the fragments", name)
	}
}

// TestConsoleReconnectsAfterRestart: the agent's page, left open while the
// server restarts on the same address, reconnects by itself and shows a
// change made afterwards, without reloading.
func TestConsoleReconnectsAfterRestart(t *testing.T) {
	t.Parallel()
	cfg := writeConfig(t, apiYAML)
	data := t.TempDir()
	s := startAcd(t, "-config", cfg, "-data", data)
	users(t, s, setupAdmin(t, s))
	b := newBrowser(t, s)
	b.SignIn(t, "1001", testPassword)
	b.WaitJS(t, "the live stream to open", `document.body.dataset.live === "open"`, 5*time.Second)
	b.WaitJS(t, "marking the page", `(window.acdMark = 1) === 1`, time.Second)

	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	_ = s.cmd.Wait()
	b.WaitJS(t, "the page to see the stream drop", `document.body.dataset.live === "reconnecting"`, 10*time.Second)
	again := startAcd(t, "-config", cfg, "-data", data, "-http", s.http)
	b.WaitJS(t, "the stream to reconnect", `document.body.dataset.live === "open"`, 15*time.Second)
	b.Forget() // the stream's errors while the server was down
	again.client(login(t, again, "sup", testPassword)).expect(t, "PUT", "/agents/1001/state", map[string]string{"action": "login"}, 200, nil)
	b.WaitText(t, "[data-testid=agent-state]", "Ready", 2*time.Second)
	b.WaitJS(t, "the same page, not a reload", `window.acdMark === 1`, time.Second)
	b.Clean(t)
}

// TestFirefoxReconnectsAfterRestart: the agent's page, open in Firefox
// while the server restarts on the same address, sees its live stream
// drop, reconnects by itself and shows a change made afterwards, without
// reloading.
func TestFirefoxReconnectsAfterRestart(t *testing.T) {
	t.Parallel()
	browser.FirefoxPath(t) // skips, or fails, before the server starts
	cfg := writeConfig(t, apiYAML)
	data := t.TempDir()
	s := startAcd(t, "-config", cfg, "-data", data)
	users(t, s, setupAdmin(t, s))
	f := newFirefox(t, s)
	f.SignInTo(t, "1001", testPassword, "")
	f.WaitJS(t, "the live stream to open", `document.body.dataset.live === "open"`, 5*time.Second)
	f.WaitJS(t, "marking the page", `(window.acdMark = 1) === 1`, time.Second)

	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	_ = s.cmd.Wait()
	f.WaitJS(t, "the page to see the stream drop", `document.body.dataset.live === "reconnecting"`, 10*time.Second)
	again := startAcd(t, "-config", cfg, "-data", data, "-http", s.http)
	f.WaitJS(t, "the stream to reconnect", `document.body.dataset.live === "open"`, 15*time.Second)
	f.Forget() // the stream's errors while the server was down
	again.client(login(t, again, "sup", testPassword)).expect(t, "PUT", "/agents/1001/state", map[string]string{"action": "login"}, 200, nil)
	f.WaitText(t, "[data-testid=agent-state]", "Ready", 2*time.Second)
	f.WaitJS(t, "the same page, not a reload", `window.acdMark === 1`, time.Second)
	f.Clean(t)
}
