package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/store"
)

// TestAPICookieAndCSRF: a browser's session cookie signs it in; unsafe
// methods need the CSRF header and the page's own origin.
func TestAPICookieAndCSRF(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	setupAdmin(t, s)
	body, _ := json.Marshal(map[string]string{"user": "root", "password": testPassword})
	res, err := http.Post("http://"+s.http+"/api/v1/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	var session, csrf *http.Cookie
	for _, c := range res.Cookies() {
		switch c.Name {
		case "acd_session":
			session = c
		case "acd_csrf":
			csrf = c
		}
	}
	if session == nil || csrf == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || csrf.HttpOnly {
		t.Fatalf("cookies %+v %+v; want an HttpOnly SameSite=Strict session and a readable CSRF cookie", session, csrf)
	}
	browser := s.client("")
	browser.header["Cookie"] = session.Name + "=" + session.Value + "; " + csrf.Name + "=" + csrf.Value
	browser.expect(t, "GET", "/me", nil, 200, nil)
	// An unsafe method without the header is refused, and so is a wrong one.
	browser.expect(t, "POST", "/tokens", map[string]string{"name": "from the page"}, 403, nil)
	s.waitLog(t, 5*time.Second, "security: API request without its CSRF token refused", "user=root")
	browser.header["X-CSRF-Token"] = "forged"
	browser.expect(t, "POST", "/tokens", map[string]string{"name": "from the page"}, 403, nil)
	browser.header["X-CSRF-Token"] = csrf.Value
	browser.expect(t, "POST", "/tokens", map[string]string{"name": "from the page"}, 201, nil)
	// Another site's page is refused even with the token.
	browser.header["Origin"] = "http://evil.example"
	browser.expect(t, "POST", "/tokens", map[string]string{"name": "from elsewhere"}, 403, nil)
	browser.header["Origin"] = "http://" + s.http
	browser.expect(t, "POST", "/tokens", map[string]string{"name": "same origin"}, 201, nil)
	// A bearer token needs no CSRF header: no browser sends one by itself.
	bearer := s.client(login(t, s, "root", testPassword))
	bearer.expect(t, "POST", "/tokens", map[string]string{"name": "script"}, 201, nil)
	// Logout ends the session: the cookie no longer signs in.
	browser.expect(t, "POST", "/logout", nil, 204, nil)
	browser.expect(t, "GET", "/me", nil, 401, nil)
}

// TestAPITokens: an API token works until revoked.
func TestAPITokens(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	admin := setupAdmin(t, s)
	var tok struct{ ID, Token string }
	admin.expect(t, "POST", "/tokens", map[string]string{"name": "nightly export"}, 201, &tok)
	script := s.client(tok.Token)
	script.expect(t, "GET", "/users", nil, 200, nil)
	var list struct {
		Tokens []struct{ ID, Kind, Name string }
	}
	admin.expect(t, "GET", "/tokens", nil, 200, &list)
	if !strings.Contains(fmt.Sprint(list.Tokens), "nightly export") || strings.Contains(fmt.Sprint(list.Tokens), tok.Token) {
		t.Fatalf("token list %+v", list.Tokens)
	}
	admin.expect(t, "DELETE", "/tokens/"+tok.ID, nil, 204, nil)
	script.expect(t, "GET", "/users", nil, 401, nil)
	var audit struct{ Events []store.Event }
	admin.expect(t, "GET", "/audit?type=audit.token.&actor=root", nil, 200, &audit)
	if len(audit.Events) != 2 || audit.Events[0].Type != "audit.token.created" || audit.Events[1].Type != "audit.token.revoked" {
		t.Fatalf("audit of tokens: %+v", audit.Events)
	}
}

// TestUserAddThenLogin: the first administrator made on the command line
// signs in; bad passwords are refused; a running server keeps its data
// directory to itself.
func TestUserAddThenLogin(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	add := func(stdin string, args ...string) (string, error) {
		cmd := exec.Command(acdBinary, append([]string{"user", "add"}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	for _, bad := range []string{"", "\n", "short\n"} {
		if out, err := add(bad, "-role", "admin", "boss", "-data", data); err == nil || !strings.Contains(out, "refusing the password") {
			t.Fatalf("password %q: %v %s; want a refusal", bad, err, out)
		}
	}
	if out, err := add(testPassword+"\n", "-role", "admin", "boss", "-data", data); err != nil || !strings.Contains(out, "user boss (administrator) created") {
		t.Fatalf("acd user add: %v %s", err, out)
	}
	if out, err := add(testPassword+"\n", "-role", "admin", "boss", "-data", data); err == nil || !strings.Contains(out, "exists") {
		t.Fatalf("the same user twice: %v %s", err, out)
	}
	s := startAcd(t, "-config", writeConfig(t, apiYAML), "-data", data)
	admin := s.client(login(t, s, "boss", testPassword))
	var me struct{ ID, Role string }
	admin.expect(t, "GET", "/me", nil, 200, &me)
	if me.ID != "boss" || me.Role != "administrator" {
		t.Fatalf("me: %+v", me)
	}
	// With a user there, setup is closed.
	s.client("").expect(t, "POST", "/setup", map[string]string{"token": "acd_guess", "user": "x", "password": testPassword}, 409, nil)
	if out, err := add(testPassword+"\n", "-role", "supervisor", "late", "-data", data); err == nil || !strings.Contains(out, "data directory in use") {
		t.Fatalf("acd user add beside a running server: %v %s", err, out)
	}
	var audit struct{ Events []store.Event }
	admin.expect(t, "GET", "/audit?type=audit.user.created", nil, 200, &audit)
	var created event.Audit
	if len(audit.Events) != 1 || json.Unmarshal(audit.Events[0].Data, &created) != nil ||
		created.Detail["user"] != "boss" || created.Actor != event.CommandLine() {
		t.Fatalf("audit of acd user add: %+v", audit.Events)
	}
}

func TestRefusesDemoPasswordsBeyondLoopback(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// Another agent with one of the default's demo passwords is refused too.
	moved := filepath.Join(dir, "moved.yaml")
	text := strings.Replace(string(defaultConfig(t)), `"1002": {name: Bob, password: demo-1002`, `"1003": {name: Bob, password: demo-1002`, 1)
	if !strings.Contains(text, `"1003"`) {
		t.Fatal("the default configuration no longer has agent 1002 as this test expects")
	}
	if err := os.WriteFile(moved, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, config := range []string{"", moved} {
		args := []string{"serve", "-sip", "0.0.0.0:0", "-http", "127.0.0.1:0", "-data", t.TempDir()}
		if config != "" {
			args = append(args, "-config", config)
		}
		out, err := exec.Command(acdBinary, args...).CombinedOutput()
		if exitStatus(err) != 2 || !strings.Contains(string(out), "demo agent passwords") {
			t.Fatalf("config %q: exit %d, output %q; want 2 and a clear refusal", config, exitStatus(err), out)
		}
	}
}

// defaultConfig is the text of the embedded default configuration.
func defaultConfig(t *testing.T) []byte {
	t.Helper()
	text, err := os.ReadFile("../../config/default.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return text
}

// TestDataDirectoryIsOwnerOnly: the server creates its data directory and
// database readable by its own user only (the database holds password
// hashes), whatever the umask it was started with.
func TestDataDirectoryIsOwnerOnly(t *testing.T) {
	t.Parallel()
	data := filepath.Join(t.TempDir(), "data")
	startAcd(t, "-data", data)
	want := map[string]os.FileMode{data: 0o700, filepath.Join(data, "acd.db"): 0o600,
		filepath.Join(data, "acd.db-wal"): 0o600, filepath.Join(data, "acd.db-shm"): 0o600}
	for p, mode := range want {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != mode {
			t.Errorf("%s has mode %v; want %v", p, got, mode)
		}
	}
}
