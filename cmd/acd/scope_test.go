package main

import (
	"slices"
	"strings"
	"testing"
	"time"
)

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

// TestConsoleRestrictedSupervisorLogsOutOfItsQueuesOnly: on billing's
// page, "Log out of all queues" pressed by billing's restricted
// supervisor leaves the agent logged in to support and vip.
func TestConsoleRestrictedSupervisorLogsOutOfItsQueuesOnly(t *testing.T) {
	t.Parallel()
	s, admin, _ := scopeServer(t)
	admin.expect(t, "PUT", "/agents/1003/state", map[string]string{"action": "login"}, 200, nil)

	b := newBrowser(t, s)
	b.SignIn(t, "bsup", testPassword)
	b.Open(t, "/supervisor/queues/billing")
	b.Click(t, `tr[data-agent="1003"] button[value="logout-all"]`)
	b.WaitText(t, `tr[data-agent="1003"] button[value="login"]`, "Log in to Billing", 5*time.Second)
	if st := agentQueues(t, admin, "1003"); st.State != "ready" || !slices.Equal(st.Queues, []string{"support", "vip"}) {
		t.Fatalf("after billing's supervisor pressed Log out of all queues: %+v; want ready in support and vip", st)
	}
	b.Clean(t)
}
