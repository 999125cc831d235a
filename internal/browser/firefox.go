package browser

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// Firefox is a headless Firefox driven over WebDriver BiDi, the W3C
// protocol Firefox speaks natively: a WebSocket carrying JSON commands,
// their replies, and the events subscribed to. It is the binary of
// Debian's firefox-esr, which the test command installs when missing.
// The client holds only what the consoles' tests use.
type Firefox struct {
	base     string // the server's address, http://HOST:PORT
	context  string // the browsing context (the tab) the tests drive
	cmd      *exec.Cmd
	exited   chan struct{} // closed when the process has been waited for
	output   *firefoxOutput
	conn     net.Conn
	read     chan struct{} // closed when the reader has returned
	reported chan struct{} // receives when a page reports a problem, if nobody has yet

	wmu sync.Mutex // held while a frame is written: commands and the reader's pongs share the socket

	mu       sync.Mutex // guards what follows
	next     int
	pending  map[int]chan bidiMessage // replies awaited, by command id
	ended    error                    // why the connection ended, once it has
	problems []string                 // what the pages reported: script errors, CSP violations
}

// bidiMessage is any message Firefox sends: a command's reply (success
// or error, with its id) or an event.
type bidiMessage struct {
	Type    string          `json:"type"`
	ID      *int            `json:"id"`
	Result  json.RawMessage `json:"result"`
	Error   string          `json:"error"`
	Message string          `json:"message"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params"`
}

// remoteValue is a value serialised by the browser: a string's value,
// an element's sharedId.
type remoteValue struct {
	Type     string          `json:"type"`
	Value    json.RawMessage `json:"value"`
	SharedID string          `json:"sharedId"`
}

// firefoxPrefs keeps a test profile quiet: no updates, no telemetry, no
// first-run or default-browser pages. The remote agent sets its own
// recommended preferences for automation on top.
const firefoxPrefs = `user_pref("app.update.disabledForTesting", true);
user_pref("app.update.auto", false);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("datareporting.healthreport.uploadEnabled", false);
user_pref("toolkit.telemetry.reportingpolicy.firstRun", false);
user_pref("browser.shell.checkDefaultBrowser", false);
user_pref("browser.startup.homepage_override.mstone", "ignore");
user_pref("browser.aboutwelcome.enabled", false);
user_pref("browser.startup.page", 0);
`

// FirefoxPath finds the browser; FIREFOX overrides it. Without one the
// test is skipped, unless ACD_REQUIRE_BROWSERS says every browser must
// be there (the test command sets it). Under -short it is skipped
// whatever is installed.
func FirefoxPath(t testing.TB) string {
	t.Helper()
	skipInShort(t, "Firefox")
	if p := os.Getenv("FIREFOX"); p != "" {
		return p
	}
	for _, name := range []string{"firefox-esr", "firefox"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("ACD_REQUIRE_BROWSERS") != "" {
		t.Fatal("no firefox-esr, and ACD_REQUIRE_BROWSERS is set: run make deps (it installs Debian's firefox-esr), or set FIREFOX")
	}
	t.Skip("no firefox-esr: run make deps (it installs Debian's firefox-esr), or set FIREFOX; set ACD_REQUIRE_BROWSERS=1 to fail instead of skipping")
	return ""
}

// listening is the line Firefox prints once its remote agent serves.
var listening = regexp.MustCompile(`WebDriver BiDi listening on (ws://\S+)`)

// firefoxOutput is what Firefox prints: the remote agent's address, once
// found, and the last lines, for a failure message.
type firefoxOutput struct {
	found chan string // receives the address once

	mu      sync.Mutex // guards partial, tail, sent
	partial []byte
	tail    []string
	sent    bool
}

func (o *firefoxOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.partial = append(o.partial, p...)
	for {
		i := bytes.IndexByte(o.partial, '\n')
		if i < 0 {
			break
		}
		line := string(o.partial[:i])
		o.partial = o.partial[i+1:]
		if m := listening.FindStringSubmatch(line); m != nil && !o.sent {
			o.sent = true
			o.found <- m[1]
		}
		o.tail = append(o.tail, line)
		if len(o.tail) > 40 {
			o.tail = o.tail[1:]
		}
	}
	return len(p), nil
}

func (o *firefoxOutput) last() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return strings.Join(o.tail, "\n")
}

// NewFirefox starts a Firefox of its own on the server at base
// (http://HOST:PORT), with a fresh profile, on a blank tab of a new
// session, and stops it by its PID when the test ends.
func NewFirefox(t testing.TB, base string) *Firefox {
	t.Helper()
	path := FirefoxPath(t)
	profile := t.TempDir()
	if err := os.WriteFile(filepath.Join(profile, "user.js"), []byte(firefoxPrefs), 0o600); err != nil {
		t.Fatal(err)
	}
	f := &Firefox{
		base:     base,
		exited:   make(chan struct{}),
		output:   &firefoxOutput{found: make(chan string, 1)},
		read:     make(chan struct{}),
		reported: make(chan struct{}, 1),
		pending:  map[int]chan bidiMessage{},
	}
	f.cmd = exec.Command(path, "--headless", "--remote-debugging-port=0", "--profile", profile, "--no-remote")
	f.cmd.Stdout, f.cmd.Stderr = f.output, f.output
	// A test binary stopped by its timeout runs no cleanup: the browser
	// must not outlive it. Its content processes hold its output open a
	// while after it exits: Wait does not wait for them beyond this.
	f.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	f.cmd.WaitDelay = 5 * time.Second
	if err := f.cmd.Start(); err != nil {
		t.Fatalf("starting firefox: %v", err)
	}
	go func() {
		defer close(f.exited)
		_ = f.cmd.Wait()
	}()
	t.Cleanup(f.stop)

	var addr string
	select {
	case addr = <-f.output.found:
	case <-f.exited:
		t.Fatalf("firefox exited before serving WebDriver BiDi; it said:\n%s", f.output.last())
	case <-time.After(60 * time.Second):
		t.Fatalf("firefox did not serve WebDriver BiDi within 60s; it said:\n%s", f.output.last())
	}

	// Firefox serves the socket early, and answers session.new once its
	// first window is up: on a loaded machine that takes half a minute.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	conn, br, _, err := ws.Dial(ctx, addr+"/session")
	if err != nil {
		t.Fatalf("connecting to firefox at %s: %v", addr, err)
	}
	f.conn = conn
	var r io.Reader = conn
	if br != nil { // what Firefox sent right after the handshake
		r = io.MultiReader(br, conn)
	}
	go f.readLoop(struct {
		io.Reader
		io.Writer
	}{r, lockedWriter{f}})

	steps := []struct {
		method string
		params any
		out    any
	}{
		{"session.new", map[string]any{"capabilities": map[string]any{}}, nil},
		{"session.subscribe", map[string]any{"events": []string{"log.entryAdded"}}, nil},
	}
	for _, st := range steps {
		if err := f.call(ctx, st.method, st.params, st.out); err != nil {
			t.Fatalf("starting a session with firefox: %v", err)
		}
	}
	var tree struct {
		Contexts []struct{ Context string }
	}
	if err := f.call(ctx, "browsingContext.getTree", map[string]any{"maxDepth": 0}, &tree); err != nil {
		t.Fatalf("finding firefox's tab: %v", err)
	}
	if len(tree.Contexts) > 0 {
		f.context = tree.Contexts[0].Context
	} else {
		var tab struct{ Context string }
		if err := f.call(ctx, "browsingContext.create", map[string]any{"type": "tab"}, &tab); err != nil {
			t.Fatalf("opening a tab: %v", err)
		}
		f.context = tab.Context
	}
	if err := f.call(ctx, "browsingContext.setViewport", map[string]any{
		"context": f.context, "viewport": map[string]int{"width": 1280, "height": 720},
	}, nil); err != nil {
		t.Fatalf("sizing firefox's tab: %v", err)
	}
	return f
}

// lockedWriter writes to the socket under wmu: the reader answers
// pings through it.
type lockedWriter struct{ f *Firefox }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.f.wmu.Lock()
	defer w.f.wmu.Unlock()
	return w.f.conn.Write(p)
}

// stop closes the browser and waits for it; one that does not close is
// killed, by its PID.
func (f *Firefox) stop() {
	if f.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = f.call(ctx, "browser.close", map[string]any{}, nil)
		cancel()
	}
	select {
	case <-f.exited:
	case <-time.After(10 * time.Second):
		_ = f.cmd.Process.Kill()
		<-f.exited
	}
	if f.conn != nil {
		f.conn.Close()
		<-f.read
	}
}

// readLoop hands replies to their callers and events to event, until
// the connection ends.
func (f *Firefox) readLoop(rw io.ReadWriter) {
	defer close(f.read)
	for {
		data, op, err := wsutil.ReadServerData(rw)
		if err != nil {
			f.end(err)
			return
		}
		if op != ws.OpText {
			continue
		}
		var m bidiMessage
		if err := json.Unmarshal(data, &m); err != nil {
			f.end(fmt.Errorf("reading a message from firefox: %w", err))
			return
		}
		if m.Type == "event" {
			f.event(m)
			continue
		}
		if m.ID == nil {
			continue // an error about no command in particular
		}
		f.mu.Lock()
		reply, ok := f.pending[*m.ID]
		delete(f.pending, *m.ID)
		f.mu.Unlock()
		if ok {
			reply <- m
		}
	}
}

// end fails the commands still awaiting a reply.
func (f *Firefox) end(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ended = err
	for id, reply := range f.pending {
		close(reply)
		delete(f.pending, id)
	}
}

// event records what a page reported at level error: an uncaught
// exception, console.error, or a Content-Security-Policy violation
// (Firefox logs those as script errors).
func (f *Firefox) event(m bidiMessage) {
	switch m.Method {
	case "log.entryAdded":
		var e struct{ Type, Level, Text string }
		if json.Unmarshal(m.Params, &e) == nil && e.Level == "error" {
			f.report(fmt.Sprintf("%s %s: %s", e.Type, e.Level, e.Text))
		}
	}
}

func (f *Firefox) report(p string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.problems = append(f.problems, p)
	select {
	case f.reported <- struct{}{}:
	default:
	}
}

// call sends a command and waits for its reply, decoded into out.
func (f *Firefox) call(ctx context.Context, method string, params, out any) error {
	f.mu.Lock()
	if f.ended != nil {
		err := f.ended
		f.mu.Unlock()
		return fmt.Errorf("%s: the connection to firefox ended: %w", method, err)
	}
	f.next++
	id := f.next
	reply := make(chan bidiMessage, 1)
	f.pending[id] = reply
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		delete(f.pending, id)
		f.mu.Unlock()
	}()

	frame, err := json.Marshal(map[string]any{"id": id, "method": method, "params": params})
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	f.wmu.Lock()
	err = wsutil.WriteClientText(f.conn, frame)
	f.wmu.Unlock()
	if err != nil {
		return fmt.Errorf("sending %s to firefox: %w", method, err)
	}
	select {
	case m, ok := <-reply:
		if !ok {
			f.mu.Lock()
			err := f.ended
			f.mu.Unlock()
			return fmt.Errorf("%s: the connection to firefox ended: %w", method, err)
		}
		if m.Type == "error" {
			return fmt.Errorf("%s: %s: %s", method, m.Error, m.Message)
		}
		if out != nil {
			if err := json.Unmarshal(m.Result, out); err != nil {
				return fmt.Errorf("reading the reply to %s: %w", method, err)
			}
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

// callFunction runs a JavaScript function in the tab's page with string
// arguments, awaiting a promise it returns, and gives its result.
func (f *Firefox) callFunction(ctx context.Context, fn string, args ...string) (remoteValue, error) {
	arguments := make([]any, len(args))
	for i, a := range args {
		arguments[i] = map[string]string{"type": "string", "value": a}
	}
	var res struct {
		Type             string
		Result           remoteValue
		ExceptionDetails struct{ Text string }
	}
	err := f.call(ctx, "script.callFunction", map[string]any{
		"functionDeclaration": fn,
		"arguments":           arguments,
		"target":              map[string]string{"context": f.context},
		"awaitPromise":        true,
		"resultOwnership":     "none",
	}, &res)
	if err != nil {
		return remoteValue{}, err
	}
	if res.Type == "exception" {
		return remoteValue{}, fmt.Errorf("the page's script threw: %s", res.ExceptionDetails.Text)
	}
	return res.Result, nil
}

// evaluate runs fn, a JavaScript function of string arguments, and
// decodes what it returns (as JSON) into out.
func (f *Firefox) evaluate(ctx context.Context, out any, fn string, args ...string) error {
	v, err := f.callFunction(ctx, `async (...a) => JSON.stringify(await (`+fn+`)(...a))`, args...)
	if err != nil {
		return err
	}
	if v.Type != "string" {
		return fmt.Errorf("the script returned %s, not JSON", v.Type)
	}
	var text string
	if err := json.Unmarshal(v.Value, &text); err != nil {
		return err
	}
	return json.Unmarshal([]byte(text), out)
}

// navigate loads a URL in the tab and waits for its load to complete.
func (f *Firefox) navigate(ctx context.Context, url string) error {
	return f.call(ctx, "browsingContext.navigate", map[string]string{"context": f.context, "url": url, "wait": "complete"}, nil)
}

// element finds the first visible element matching sel, scrolled into
// view for the pointer; ok is false while there is none.
func (f *Firefox) element(ctx context.Context, sel string) (sharedID string, ok bool, err error) {
	v, err := f.callFunction(ctx, `(sel) => {
		const e = document.querySelector(sel);
		if (!e || !e.checkVisibility()) return null;
		e.scrollIntoView({block: "center", inline: "center"});
		return e;
	}`, sel)
	if err != nil {
		return "", false, err
	}
	return v.SharedID, v.Type == "node" && v.SharedID != "", nil
}

// pointerClick presses and releases the mouse's main button on the
// element's centre, as a user's click: the browser's own input events.
func (f *Firefox) pointerClick(ctx context.Context, sharedID string) error {
	return f.call(ctx, "input.performActions", map[string]any{
		"context": f.context,
		"actions": []any{map[string]any{
			"type": "pointer", "id": "mouse", "parameters": map[string]string{"pointerType": "mouse"},
			"actions": []any{
				map[string]any{"type": "pointerMove", "x": 0, "y": 0, "origin": map[string]any{"type": "element", "element": map[string]string{"sharedId": sharedID}}},
				map[string]any{"type": "pointerDown", "button": 0},
				map[string]any{"type": "pointerUp", "button": 0},
			},
		}},
	}, nil)
}

// keys types text, key by key, into whatever has the focus.
func (f *Firefox) keys(ctx context.Context, text string) error {
	var actions []any
	for _, r := range text {
		actions = append(actions,
			map[string]string{"type": "keyDown", "value": string(r)},
			map[string]string{"type": "keyUp", "value": string(r)})
	}
	return f.call(ctx, "input.performActions", map[string]any{
		"context": f.context,
		"actions": []any{map[string]any{"type": "key", "id": "keyboard", "actions": actions}},
	}, nil)
}

// cookies are the browser's cookies, for a request made beside it.
func (f *Firefox) cookies(ctx context.Context) (map[string]string, error) {
	var res struct {
		Cookies []struct {
			Name  string
			Value struct{ Type, Value string }
		}
	}
	if err := f.call(ctx, "storage.getCookies", map[string]any{}, &res); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, c := range res.Cookies {
		out[c.Name] = c.Value.Value
	}
	return out, nil
}
