package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
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

// TestCatalogRoleTable: each catalogue endpoint, called by each role,
// answers what the permission model says, and the OpenAPI document
// describes it.
func TestCatalogRoleTable(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	as := users(t, s, setupAdmin(t, s))
	roles := []string{"admin", "sup", "rsup", "agent", "anon"}
	as["admin"].expect(t, "POST", "/pause-reasons", map[string]string{"name": "Coaching"}, 201, nil)
	as["admin"].expect(t, "POST", "/tags", map[string]string{"name": "VIP"}, 201, nil)
	var pub struct{ ID int64 }
	as["admin"].expect(t, "POST", "/canned-messages", map[string]string{"shortcut": "/welcome", "text": "Welcome!", "visibility": "public"}, 201, &pub)
	rows := []struct {
		method, path string
		body         func(role string) any
		want         [5]int // admin, sup, rsup, agent, anon
	}{
		{"GET", "/pause-reasons", nil, [5]int{200, 200, 200, 200, 401}},
		{"GET", "/pause-reasons/1", nil, [5]int{200, 200, 200, 200, 401}},
		{"GET", "/pause-reasons/999", nil, [5]int{404, 404, 404, 404, 401}},
		{"GET", "/pause-reasons/first", nil, [5]int{422, 422, 422, 422, 401}},
		{"POST", "/pause-reasons", func(r string) any { return map[string]string{"name": "By " + r} }, [5]int{201, 403, 403, 403, 401}},
		{"POST", "/pause-reasons", func(string) any { return map[string]string{"name": "x\ty"} }, [5]int{422, 403, 403, 403, 401}},
		{"POST", "/pause-reasons", func(string) any { return map[string]any{"name": "x", "colour": "red"} }, [5]int{422, 422, 422, 422, 401}},
		{"PATCH", "/pause-reasons/3", func(string) any { return map[string]any{"enabled": true} }, [5]int{200, 403, 403, 403, 401}},
		{"PATCH", "/pause-reasons/1", func(string) any { return map[string]any{"name": "Brunch"} }, [5]int{409, 403, 403, 403, 401}},
		{"DELETE", "/pause-reasons/2", nil, [5]int{409, 403, 403, 403, 401}},
		{"DELETE", "/pause-reasons/999", nil, [5]int{404, 403, 403, 403, 401}},
		{"GET", "/tags", nil, [5]int{200, 200, 200, 200, 401}},
		{"GET", "/tags/1", nil, [5]int{200, 200, 200, 200, 401}},
		{"POST", "/tags", func(r string) any { return map[string]string{"name": "Tagged by " + r} }, [5]int{201, 201, 201, 201, 401}},
		{"POST", "/tags", func(string) any { return map[string]string{"name": "vip"} }, [5]int{409, 409, 409, 409, 401}},
		{"PATCH", "/tags/1", func(string) any { return map[string]any{"name": "V.I.P."} }, [5]int{200, 200, 200, 403, 401}},
		{"DELETE", "/tags/999", nil, [5]int{404, 404, 404, 403, 401}},
		{"GET", "/canned-messages", nil, [5]int{200, 200, 200, 200, 401}},
		{"GET", "/canned-messages?owner=sup", nil, [5]int{200, 200, 403, 403, 401}},
		{"POST", "/canned-messages", func(r string) any { return map[string]string{"shortcut": "/hi", "text": "Hi from " + r} }, [5]int{201, 201, 201, 201, 401}},
		{"POST", "/canned-messages", func(r string) any {
			return map[string]string{"shortcut": "/pub-" + r, "text": "Hi", "visibility": "public"}
		}, [5]int{201, 403, 403, 403, 401}},
		{"GET", fmt.Sprintf("/canned-messages/%d", pub.ID), nil, [5]int{200, 200, 200, 200, 401}},
		{"PATCH", fmt.Sprintf("/canned-messages/%d", pub.ID), func(string) any { return map[string]string{"text": "Welcome, and hello!"} }, [5]int{200, 403, 403, 403, 401}},
		{"DELETE", "/canned-messages/999", nil, [5]int{404, 404, 404, 404, 401}},
	}
	for _, row := range rows {
		for i, role := range roles {
			var body any
			if row.body != nil {
				body = row.body(role)
			}
			got, data, _ := as[role].do(t, row.method, row.path, body)
			if got != row.want[i] {
				t.Errorf("%s %s as %s: %d %s; want %d", row.method, row.path, role, got, data, row.want[i])
			}
			if (got == 422 || (got == 409 && row.method != "DELETE")) && !strings.Contains(string(data), `"location":"`) {
				t.Errorf("%s %s as %s: %d naming no field: %s", row.method, row.path, role, got, data)
			}
		}
	}
	res, err := http.Get("http://" + s.http + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	if err := json.NewDecoder(res.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
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
}

// scopeYAML: agent 1003 in three queues, 1004 in billing alone.
const scopeYAML = `sip_realm: test.local
agents:
  "1003": {name: Carol, password: secret-1003, queues: [billing, support, vip]}
  "1004": {name: Dave, password: secret-1004, queues: [billing]}
queues:
  billing: {name: Billing, strategy: linear, ring_timeout: 2s, announce_every: 1h}
  support: {name: Support, strategy: linear, ring_timeout: 2s, announce_every: 1h}
  vip:     {name: VIP, strategy: linear, ring_timeout: 2s, announce_every: 1h}
`

// scopeServer starts a server with a supervisor restricted to billing
// (bsup), and returns the administrator's client and bsup's.
func scopeServer(t *testing.T) (*server, *apiClient, *apiClient) {
	t.Helper()
	s := startAcd(t, "-config", writeConfig(t, scopeYAML))
	admin := setupAdmin(t, s)
	admin.expect(t, "POST", "/users", map[string]any{"id": "bsup", "role": "supervisor", "password": testPassword,
		"queues": []string{"billing"}, "restrict_to_assigned_queues": true}, 201, nil)
	return s, admin, s.client(login(t, s, "bsup", testPassword))
}

type agentStateBody struct {
	State  string   `json:"state"`
	Queues []string `json:"queues"`
}

func agentQueues(t *testing.T, c *apiClient, id string) agentStateBody {
	t.Helper()
	var st agentStateBody
	c.expect(t, "GET", "/agents/"+id+"/state", nil, 200, &st)
	slices.Sort(st.Queues)
	return st
}

// TestAPIRestrictedSupervisorActsOnItsQueuesOnly: a supervisor restricted
// to billing logs an agent of three queues out of billing alone, in
// again to billing alone, and may not ready or pause it (which would
// change it in support and vip too), but may an agent of billing only.
func TestAPIRestrictedSupervisorActsOnItsQueuesOnly(t *testing.T) {
	t.Parallel()
	_, admin, bsup := scopeServer(t)
	admin.expect(t, "PUT", "/agents/1003/state", map[string]string{"action": "login"}, 200, nil)
	admin.expect(t, "PUT", "/agents/1004/state", map[string]string{"action": "login"}, 200, nil)

	bsup.expect(t, "PUT", "/agents/1003/state", map[string]string{"action": "logout"}, 200, nil)
	if st := agentQueues(t, admin, "1003"); st.State != "ready" || !slices.Equal(st.Queues, []string{"support", "vip"}) {
		t.Fatalf("after billing's supervisor logged agent 1003 out: %+v; want ready in support and vip", st)
	}
	bsup.expect(t, "PUT", "/agents/1003/state", map[string]string{"action": "logout"}, 409, nil)
	bsup.expect(t, "PUT", "/agents/1003/state", map[string]string{"action": "login"}, 200, nil)
	if st := agentQueues(t, admin, "1003"); !slices.Equal(st.Queues, []string{"billing", "support", "vip"}) {
		t.Fatalf("after billing's supervisor logged agent 1003 in: %+v", st)
	}

	for _, action := range []string{"pause", "ready", "end-wrap-up"} {
		code, body, _ := bsup.do(t, "PUT", "/agents/1003/state", map[string]string{"action": action})
		if code != 403 || !strings.Contains(string(body), "support, vip") {
			t.Errorf("billing's supervisor taking %s on an agent also in support and vip: %d %s; want 403 naming them", action, code, body)
		}
	}
	if st := agentQueues(t, admin, "1003"); st.State != "ready" {
		t.Errorf("agent 1003 after the refusals: %+v; want ready still", st)
	}

	bsup.expect(t, "PUT", "/agents/1004/state", map[string]string{"action": "pause"}, 200, nil)
	bsup.expect(t, "PUT", "/agents/1004/state", map[string]string{"action": "ready"}, 200, nil)
	bsup.expect(t, "PUT", "/agents/1004/state", map[string]string{"action": "logout"}, 200, nil)
	if st := agentQueues(t, admin, "1004"); st.State != "logged-out" {
		t.Errorf("agent 1004 after billing's supervisor logged it out: %+v", st)
	}
}
