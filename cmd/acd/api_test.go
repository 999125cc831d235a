package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/store"
)

// TestAPIRoleTable: every endpoint, called by each role, answers the
// status the permission model says.
func TestAPIRoleTable(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	as := users(t, s, setupAdmin(t, s))
	roles := []string{"admin", "sup", "rsup", "agent", "anon"}
	big := []byte(`{"id":"x","role":"agent","password":"` + strings.Repeat("a", 100<<10) + `"}`)
	rows := []struct {
		method, path string
		body         func(role string) any
		want         [5]int // admin, sup, rsup, agent, anon
	}{
		{"GET", "/me", nil, [5]int{200, 200, 200, 200, 401}},
		{"GET", "/users", nil, [5]int{200, 403, 403, 403, 401}},
		{"POST", "/users", func(r string) any {
			return map[string]any{"id": "new-" + r, "role": "supervisor", "password": testPassword}
		}, [5]int{201, 403, 403, 403, 401}},
		{"POST", "/users", func(string) any { return map[string]any{"id": "sup", "role": "supervisor", "password": testPassword} }, [5]int{409, 403, 403, 403, 401}},
		{"POST", "/users", func(string) any { return map[string]any{"id": "x", "role": "emperor", "password": testPassword} }, [5]int{422, 422, 422, 422, 401}},
		{"POST", "/users", func(string) any { return map[string]any{"id": "x", "role": "agent", "password": testPassword} }, [5]int{422, 403, 403, 403, 401}},
		{"POST", "/users", func(string) any { return []byte(`{"id":"x",`) }, [5]int{400, 400, 400, 400, 401}},
		{"POST", "/users", func(string) any { return big }, [5]int{413, 413, 413, 413, 401}},
		{"GET", "/users/sup", nil, [5]int{200, 200, 403, 403, 401}},
		{"GET", "/users/nobody", nil, [5]int{404, 403, 403, 403, 401}},
		{"PATCH", "/users/new-admin", func(string) any { return map[string]any{"name": "New"} }, [5]int{200, 403, 403, 403, 401}},
		{"PATCH", "/users/1001", func(string) any { return map[string]any{"queues": []string{"sales"}} }, [5]int{409, 403, 403, 403, 401}},
		{"PATCH", "/users/root", func(string) any { return map[string]any{"role": "agent"} }, [5]int{422, 403, 403, 403, 401}},
		{"DELETE", "/users/nobody", nil, [5]int{404, 403, 403, 403, 401}},
		{"GET", "/permissions", nil, [5]int{200, 200, 200, 200, 401}},
		{"PUT", "/permissions/agent/tags.create", nil, [5]int{204, 403, 403, 403, 401}},
		{"DELETE", "/permissions/agent/tags.create", nil, [5]int{204, 403, 403, 403, 401}},
		{"PUT", "/permissions/agent/skills.manage", nil, [5]int{404, 403, 403, 403, 401}},
		{"PUT", "/permissions/administrator/tags.create", nil, [5]int{404, 403, 403, 403, 401}},
		{"POST", "/permissions/restore-defaults", func(string) any { return map[string]any{"role": "agent"} }, [5]int{204, 403, 403, 403, 401}},
		{"POST", "/permissions/restore-defaults", nil, [5]int{204, 403, 403, 403, 401}},
		{"GET", "/queues", nil, [5]int{200, 200, 200, 200, 401}},
		{"GET", "/queues/support/waiting", nil, [5]int{200, 200, 200, 403, 401}},
		{"GET", "/queues/sales/waiting", nil, [5]int{200, 200, 403, 403, 401}},
		{"GET", "/queues/nope/waiting", nil, [5]int{404, 404, 404, 403, 401}},
		{"GET", "/queues/support", nil, [5]int{200, 200, 200, 403, 401}},
		{"GET", "/queues/sales", nil, [5]int{200, 200, 403, 403, 401}},
		{"GET", "/queues/nope", nil, [5]int{404, 404, 403, 403, 401}},
		{"GET", "/agents/1001/state", nil, [5]int{200, 200, 200, 200, 401}},
		{"GET", "/agents/1002/state", nil, [5]int{200, 200, 403, 403, 401}},
		{"GET", "/agents/9999/state", nil, [5]int{404, 404, 404, 403, 401}},
		{"PUT", "/agents/1001/state", func(string) any { return map[string]any{"action": "ready"} }, [5]int{409, 409, 409, 409, 401}},
		{"PUT", "/agents/1001/state", func(string) any { return map[string]any{"action": "dance"} }, [5]int{422, 422, 422, 422, 401}},
		{"PUT", "/agents/1001/state", func(string) any { return map[string]any{"action": "ready", "reason": "Lunch"} }, [5]int{422, 422, 422, 422, 401}},
		{"PUT", "/agents/1002/state", func(string) any { return map[string]any{"action": "logout"} }, [5]int{200, 200, 403, 403, 401}},
		{"PUT", "/agents/9999/state", func(string) any { return map[string]any{"action": "logout"} }, [5]int{404, 404, 404, 403, 401}},
		{"GET", "/settings", nil, [5]int{200, 200, 200, 403, 401}},
		{"GET", "/agents", nil, [5]int{200, 200, 200, 403, 401}},
		{"POST", "/queues", func(r string) any { return map[string]any{"id": "q-" + r} }, [5]int{201, 403, 403, 403, 401}},
		{"POST", "/queues", func(string) any { return map[string]any{"id": "Bad Name"} }, [5]int{422, 422, 422, 422, 401}},
		{"DELETE", "/queues/nope", nil, [5]int{404, 403, 403, 403, 401}},
		{"DELETE", "/queues/support", nil, [5]int{409, 403, 403, 403, 401}},
		{"POST", "/agents", func(string) any { return map[string]any{"id": "1001", "name": "A", "sip_password": "a-long-one"} }, [5]int{409, 403, 403, 403, 401}},
		{"DELETE", "/agents/1002", nil, [5]int{409, 403, 403, 403, 401}},
		{"GET", "/dialplans", nil, [5]int{200, 403, 403, 403, 401}},
		{"GET", "/dialplans/support", nil, [5]int{200, 403, 403, 403, 401}},
		{"PUT", "/dialplans/support", func(string) any { return map[string]string{"yaml": "entry: bye\nnodes: {bye: {type: hangup}}\n"} }, [5]int{409, 403, 403, 403, 401}},
		{"PUT", "/dialplans/Bad", func(string) any { return map[string]string{"yaml": "entry: bye\n"} }, [5]int{422, 403, 403, 403, 401}},
		{"POST", "/dialplans/support/activate", func(string) any { return map[string]int{"version": 1} }, [5]int{404, 403, 403, 403, 401}},
		{"GET", "/numbers", nil, [5]int{200, 403, 403, 403, 401}},
		{"PUT", "/numbers/100", func(string) any { return map[string]string{"dialplan": "sales"} }, [5]int{409, 403, 403, 403, 401}},
		{"PUT", "/numbers/*50", func(string) any { return map[string]string{"dialplan": "sales"} }, [5]int{422, 403, 403, 403, 401}},
		{"DELETE", "/numbers/999", nil, [5]int{404, 403, 403, 403, 401}},
		{"GET", "/trunks", nil, [5]int{200, 403, 403, 403, 401}},
		{"POST", "/trunks", func(r string) any { return map[string]any{"id": "t-" + r, "address": "127.0.0.1:5098"} }, [5]int{201, 403, 403, 403, 401}},
		{"DELETE", "/trunks/nope", nil, [5]int{404, 403, 403, 403, 401}},
		{"PUT", "/settings", func(string) any { return map[string]any{"allow_unassigned_login": false} }, [5]int{200, 403, 403, 403, 401}},
		{"PUT", "/agents/1002/state", func(string) any { return map[string]any{"action": "pause", "queue": "sales"} }, [5]int{422, 422, 422, 422, 401}},
		{"GET", "/audit", nil, [5]int{200, 403, 403, 403, 401}},
		{"GET", "/audit?since=yesterday", nil, [5]int{422, 422, 422, 422, 401}},
		{"GET", "/tokens", nil, [5]int{200, 200, 200, 200, 401}},
		{"GET", "/tokens?user=*", nil, [5]int{200, 403, 403, 403, 401}},
		{"POST", "/tokens", func(string) any { return map[string]any{"name": "script"} }, [5]int{201, 201, 201, 201, 401}},
		{"POST", "/tokens", func(string) any { return map[string]any{} }, [5]int{422, 422, 422, 422, 401}},
		{"DELETE", "/tokens/nope", nil, [5]int{404, 404, 404, 404, 401}},
		{"GET", "/events?after=abc", nil, [5]int{422, 422, 422, 422, 401}},
		{"POST", "/logout", nil, [5]int{204, 204, 204, 204, 401}},
	}
	for _, row := range rows {
		for i, role := range roles {
			var body any
			if row.body != nil {
				body = row.body(role)
			}
			c := as[role]
			if row.path == "/logout" && role != "anon" {
				// Sign out a session of its own, not the one the table uses.
				c = s.client(login(t, s, map[string]string{"admin": "root", "sup": "sup", "rsup": "rsup", "agent": "1001"}[role], testPassword))
			}
			got, data, hdr := c.do(t, row.method, row.path, body)
			if got != row.want[i] {
				t.Errorf("%s %s as %s: %d %s; want %d", row.method, row.path, role, got, data, row.want[i])
			}
			if got == 401 && hdr.Get("WWW-Authenticate") == "" {
				t.Errorf("%s %s as %s: 401 without WWW-Authenticate", row.method, row.path, role)
			}
			if got == 422 && !strings.Contains(string(data), `"location":"`) {
				t.Errorf("%s %s as %s: 422 naming no field: %s", row.method, row.path, role, data)
			}
		}
	}
	// The OpenAPI document is public and names every resource.
	res, err := http.Get("http://" + s.http + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	json.NewDecoder(res.Body).Decode(&doc)
	res.Body.Close()
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
	for _, row := range rows {
		p := strings.SplitN(row.path, "?", 2)[0]
		found := false
		for path, ops := range doc.Paths {
			if _, ok := ops[strings.ToLower(row.method)]; ok && matchTemplate(strings.TrimPrefix(path, "/api/v1"), p) {
				found = true
			}
		}
		if !found {
			t.Errorf("the OpenAPI document lacks %s %s", row.method, p)
		}
	}
	// An error never echoes what was sent: a refused password stays in
	// the request.
	_, data, _ := as["admin"].do(t, "POST", "/users", map[string]any{"id": "y", "role": "agent", "password": "sekrit", "bogus": 1})
	if strings.Contains(string(data), "sekrit") {
		t.Fatalf("an error echoes the password: %s", data)
	}
}

// matchTemplate matches /users/{id} against /users/sup.
func matchTemplate(tmpl, path string) bool {
	a, b := strings.Split(tmpl, "/"), strings.Split(path, "/")
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] && !strings.HasPrefix(a[i], "{") {
			return false
		}
	}
	return true
}

// TestAPILoginThrottle: five wrong passwords hold the user up, even with
// the right one; twenty failures from one address hold up every user
// from it; each failure is a security: line.
func TestAPILoginThrottle(t *testing.T) {
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	admin := setupAdmin(t, s)
	admin.expect(t, "POST", "/users", map[string]any{"id": "sue", "role": "supervisor", "password": testPassword}, 201, nil)
	anon := s.client("")
	for range 5 {
		anon.expect(t, "POST", "/login", map[string]string{"user": "sue", "password": "not the password"}, 401, nil)
	}
	line := s.waitLog(t, 5*time.Second, "security: API login failed", "user=sue", "source=127.0.0.1", "blocked=true")
	if strings.Contains(line, "not the password") {
		t.Fatalf("a security line holds the password: %s", line)
	}
	got, data, hdr := anon.do(t, "POST", "/login", map[string]string{"user": "sue", "password": testPassword})
	if got != 429 || hdr.Get("Retry-After") == "" {
		t.Fatalf("the right password after five failures: %d %s (Retry-After %q); want 429", got, data, hdr.Get("Retry-After"))
	}
	s.waitLog(t, 5*time.Second, "security: API login refused", "user=sue")
	// Another user is not held up by sue's failures...
	login(t, s, "root", testPassword)
	// ...until the address has failed twenty times.
	for i := range 15 {
		anon.expect(t, "POST", "/login", map[string]string{"user": fmt.Sprintf("guess%d", i), "password": "guessing"}, 401, nil)
	}
	if got, data, _ := anon.do(t, "POST", "/login", map[string]string{"user": "root", "password": testPassword}); got != 429 {
		t.Fatalf("login from an address with twenty failures: %d %s; want 429", got, data)
	}
	// Sessions already open go on.
	admin.expect(t, "GET", "/me", nil, 200, nil)
}

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

// TestAPIEventsResume: a stream dropped and resumed with Last-Event-ID
// carries every event once, in order: the administrator sees the whole
// log, so the ids are consecutive across both connections.
func TestAPIEventsResume(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	admin := setupAdmin(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	first, drop := context.WithCancel(ctx)
	stream := openStream(t, first, admin, "?after=0", "")
	for range 3 {
		admin.expect(t, "PUT", "/agents/1001/state", map[string]string{"action": "login"}, 200, nil)
		admin.expect(t, "PUT", "/agents/1001/state", map[string]string{"action": "pause"}, 200, nil)
	}
	got := readUntil(t, stream, stateBy("1001", "paused", "root"))
	drop()
	last := got[len(got)-1].id
	// Meanwhile, more happens.
	admin.expect(t, "PUT", "/agents/1002/state", map[string]string{"action": "login"}, 200, nil)
	admin.expect(t, "PUT", "/agents/1002/state", map[string]string{"action": "logout"}, 200, nil)
	resumed := openStream(t, ctx, admin, "", strconv.FormatInt(last, 10))
	got = append(got, readUntil(t, resumed, stateBy("1002", "logged-out", "root"))...)
	for i, e := range got {
		if e.id != int64(i+1) || e.event.Seq != e.id {
			ids := make([]int64, len(got))
			for j := range got {
				ids[j] = got[j].id
			}
			t.Fatalf("event %d has id %d (seq %d); ids %v: lost or repeated events", i, e.id, e.event.Seq, ids)
		}
	}
	// Without Last-Event-ID or after, a stream starts at the end of the log.
	live := openStream(t, ctx, admin, "", "")
	time.Sleep(500 * time.Millisecond)
	admin.expect(t, "PUT", "/agents/1002/state", map[string]string{"action": "login"}, 200, nil)
	next := readUntil(t, live, func(store.Event) bool { return true })
	if next[0].id <= got[len(got)-1].id {
		t.Fatalf("a fresh stream began with %d, before the end of the log", next[0].id)
	}
}

// TestAPIRestrictedSupervisor: a supervisor restricted to its queues sees
// neither the waiting lists nor the events of the others, whether it is
// restricted by its own setting or by the role's permission.
func TestAPIRestrictedSupervisor(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	as := users(t, s, setupAdmin(t, s))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rstream := openStream(t, ctx, as["rsup"], "?after=0", "")
	ustream := openStream(t, ctx, as["sup"], "?after=0", "")
	for _, id := range []string{"1002", "1001"} {
		as["admin"].expect(t, "PUT", "/agents/"+id+"/state", map[string]string{"action": "login"}, 200, nil)
		as["admin"].expect(t, "PUT", "/agents/"+id+"/state", map[string]string{"action": "pause", "reason": "Training"}, 200, nil)
	}
	// A sentinel the restricted supervisor may see, after everything else.
	as["rsup"].expect(t, "PUT", "/agents/1001/state", map[string]string{"action": "ready"}, 200, nil)
	seen := readUntil(t, rstream, stateBy("1001", "ready", "rsup"))
	var sawSupport bool
	for _, e := range seen {
		if e.event.Queue == "sales" || e.event.Agent == "1002" || strings.HasPrefix(e.event.Type, "audit.user.") {
			t.Fatalf("the restricted supervisor saw %+v", e.event)
		}
		sawSupport = sawSupport || (e.event.Queue == "support" && e.event.Type == "agent.logged_in")
	}
	if !sawSupport {
		t.Fatal("the restricted supervisor did not see its own queue's events")
	}
	// The unrestricted supervisor sees sales.
	all := readUntil(t, ustream, stateBy("1001", "ready", "rsup"))
	if !strings.Contains(fmt.Sprint(all), "sales") {
		t.Fatal("the unrestricted supervisor did not see the sales queue's events")
	}
	as["rsup"].expect(t, "GET", "/queues/sales/waiting", nil, 403, nil)
	var qs struct{ Queues []struct{ ID, Type string } }
	as["rsup"].expect(t, "GET", "/queues", nil, 200, &qs)
	if len(qs.Queues) != 1 || qs.Queues[0].ID != "support" {
		t.Fatalf("the restricted supervisor's queues: %+v", qs.Queues)
	}

	// The role's permission restricts every supervisor, until restored.
	as["admin"].expect(t, "PUT", "/permissions/supervisor/queues.restrict_to_assigned", nil, 204, nil)
	as["admin"].expect(t, "PATCH", "/users/sup", map[string]any{"queues": []string{"sales"}}, 200, nil)
	as["sup"].expect(t, "GET", "/queues/support/waiting", nil, 403, nil)
	as["sup"].expect(t, "GET", "/queues", nil, 200, &qs)
	if len(qs.Queues) != 1 || qs.Queues[0].ID != "sales" || qs.Queues[0].Type != "icr" {
		t.Fatalf("a supervisor restricted by the role: %+v", qs.Queues)
	}
	as["admin"].expect(t, "POST", "/permissions/restore-defaults", nil, 204, nil)
	as["sup"].expect(t, "GET", "/queues/support/waiting", nil, 200, nil)
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
