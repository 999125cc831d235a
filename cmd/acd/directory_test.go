package main

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/acdserver/acd/internal/testutil"
)

// TestAPIQueuesAndAgents: administrators make queues and agents through
// the API while the server runs. An agent made so registers with the SIP
// password given and is rung for a queue of the file at once; the file's
// objects stay the file's; a queue still used is not deleted; a logged-in
// agent is not deleted; and what was made survives a restart.
func TestAPIQueuesAndAgents(t *testing.T) {
	t.Parallel()
	cfg := writeConfig(t, apiYAML)
	data := t.TempDir()
	s := startAcd(t, "-config", cfg, "-data", data)
	admin := setupAdmin(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	var q struct{ ID, Extension, Source string }
	admin.expect(t, "POST", "/queues", map[string]any{"id": "billing", "name": "Billing", "strategy": "linear", "ring_timeout": "5s"}, 201, &q)
	if q.Extension != "602" || q.Source != "database" {
		t.Fatalf("the new queue: %+v; want the next free extension, 602, and the database as its source", q)
	}
	_, body, _ := admin.do(t, "POST", "/queues", map[string]any{"id": "later", "ring_timeout": "soon"})
	if !strings.Contains(string(body), "ring_timeout") {
		t.Fatalf("a bad duration: %s; want a 422 naming ring_timeout", body)
	}
	admin.expect(t, "POST", "/queues", map[string]any{"id": "billing"}, 409, nil)
	_, body, _ = admin.do(t, "PUT", "/queues/support", map[string]any{"strategy": "ring-all"})
	if !strings.Contains(string(body), "acd.yaml:") {
		t.Fatalf("changing the file's queue: %s; want a 409 naming the file", body)
	}

	admin.expect(t, "POST", "/agents", map[string]any{"id": "1003", "name": "Carol", "queues": []string{"support", "billing"}, "sip_password": "secret-1003"}, 201, nil)
	carol := testutil.NewPhone(t)
	if code, err := carol.Register(ctx, s.sip, "1003", "secret-1003", 300); err != nil || code != 200 {
		t.Fatalf("the new agent's REGISTER: %d %v", code, err)
	}
	carol.TakeCalls(testutil.AnswerMode{After: 50 * time.Millisecond})
	featureCall(t, ctx, s, carol, "1003", "*50")
	caller := dial(t, ctx, s) // 100: the file's support queue
	incoming(t, ctx, carol)
	_ = caller.Hangup(ctx)

	_, body, _ = admin.do(t, "DELETE", "/queues/billing", nil)
	if !strings.Contains(string(body), `still in use: agent \"1003\"`) {
		t.Fatalf("deleting a queue an agent belongs to: %s; want a 409 naming the agent", body)
	}
	admin.expect(t, "DELETE", "/agents/1003", nil, 409, nil) // logged in
	admin.expect(t, "PUT", "/agents/1003", map[string]any{"name": "Carol", "queues": []string{"support"}}, 200, nil)
	admin.expect(t, "DELETE", "/queues/billing", nil, 204, nil)
	admin.expect(t, "PUT", "/agents/1003/state", map[string]string{"action": "logout"}, 200, nil)
	admin.expect(t, "DELETE", "/agents/1003", nil, 204, nil)
	if code, _ := carol.Register(ctx, s.sip, "1003", "secret-1003", 300); code == 200 {
		t.Fatal("a deleted agent's phone registered")
	}

	// What was made through the API survives a restart.
	admin.expect(t, "POST", "/queues", map[string]any{"id": "night", "strategy": "ring-all"}, 201, nil)
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	_ = s.cmd.Wait()
	again := startAcd(t, "-config", cfg, "-data", data)
	root := again.client(login(t, again, "root", testPassword))
	var list struct{ Queues []struct{ ID, Source string } }
	root.expect(t, "GET", "/queues", nil, 200, &list)
	found := false
	for _, q := range list.Queues {
		found = found || (q.ID == "night" && q.Source == "database")
		if q.ID == "billing" {
			t.Fatal("the deleted queue came back")
		}
	}
	if !found {
		t.Fatalf("after a restart the queues are %+v", list.Queues)
	}
}

const billingPlan = `entry: q
nodes:
  q:   {type: queue, queue: billing, timeout: 30s, on_timeout: bye, on_exit: bye}
  bye: {type: hangup}
`

// TestAPIDialplans: a dial plan uploaded through the API, and a number
// routed to it, take callers to a queue made through the API at once; a
// broken upload is refused with the lines of the upload, as acd check
// words it, and changes nothing; every version is kept and an older one
// can be put back; what is in use is not removed; the file's plans and
// numbers are the file's.
func TestAPIDialplans(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	admin := setupAdmin(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	admin.expect(t, "POST", "/queues", map[string]any{"id": "billing", "strategy": "linear"}, 201, nil)

	_, body, _ := admin.do(t, "PUT", "/dialplans/billing", map[string]string{"yaml": strings.Replace(billingPlan, "on_exit: bye", "on_exit: nowhere", 1)})
	if !strings.Contains(string(body), "dialplan billing:3:") || !strings.Contains(string(body), "nowhere") {
		t.Fatalf("a broken upload: %s; want a 422 at the upload's line 3", body)
	}
	var up struct{ Version int }
	admin.expect(t, "PUT", "/dialplans/billing", map[string]string{"yaml": billingPlan}, 200, &up)
	if up.Version != 1 {
		t.Fatalf("the first good upload is version %d", up.Version)
	}
	admin.expect(t, "PUT", "/numbers/300", map[string]string{"dialplan": "billing"}, 200, nil)
	admin.expect(t, "POST", "/agents", map[string]any{"id": "1003", "name": "Carol", "queues": []string{"billing"}, "sip_password": "secret-1003"}, 201, nil)
	carol := testutil.NewPhone(t)
	if code, err := carol.Register(ctx, s.sip, "1003", "secret-1003", 300); err != nil || code != 200 {
		t.Fatalf("REGISTER: %d %v", code, err)
	}
	carol.TakeCalls(testutil.AnswerMode{After: 50 * time.Millisecond})
	// A caller waits in the queue on version 1 while version 2, which
	// hangs up at once, is put in force: the waiting call keeps its
	// version and reaches the agent; a new call gets version 2.
	caller := dialAs(t, ctx, s, "300", "+14155550177")
	s.waitLog(t, 10*time.Second, "caller joined queue", "queue=billing")
	admin.expect(t, "PUT", "/dialplans/billing", map[string]string{"yaml": "entry: bye\nnodes:\n  bye: {type: hangup}\n"}, 200, &up)
	late := dialAs(t, ctx, s, "300", "+14155550178")
	waitBye(t, ctx, late)
	featureCall(t, ctx, s, carol, "1003", "*50")
	incoming(t, ctx, carol)
	_ = caller.Hangup(ctx)
	_, body, _ = admin.do(t, "DELETE", "/queues/billing", nil)
	if !strings.Contains(string(body), "still in use") || !strings.Contains(string(body), "1003") {
		t.Fatalf("deleting a queue an agent belongs to: %s", body)
	}

	admin.expect(t, "POST", "/dialplans/billing/activate", map[string]int{"version": 1}, 204, nil)
	var plan struct {
		Version  int
		YAML     string
		Versions []struct{ Version int }
	}
	admin.expect(t, "GET", "/dialplans/billing", nil, 200, &plan)
	if plan.Version != 1 || len(plan.Versions) != 2 || plan.YAML != billingPlan {
		t.Fatalf("after putting version 1 back: %+v", plan)
	}

	// With no agent in it, the queue is still the plan's: its node is named.
	admin.expect(t, "PUT", "/agents/1003", map[string]any{"name": "Carol", "queues": []string{"support"}}, 200, nil)
	_, body, _ = admin.do(t, "DELETE", "/queues/billing", nil)
	if !strings.Contains(string(body), "still in use") || !strings.Contains(string(body), `node \"q\"`) {
		t.Fatalf("deleting a queue an uploaded plan uses: %s; want a 409 naming the node", body)
	}
	admin.expect(t, "DELETE", "/dialplans/billing", nil, 409, nil) // 300 routes to it
	admin.expect(t, "PUT", "/dialplans/support", map[string]string{"yaml": billingPlan}, 409, nil)
	admin.expect(t, "PUT", "/numbers/100", map[string]string{"dialplan": "billing"}, 409, nil)
	admin.expect(t, "DELETE", "/numbers/300", nil, 204, nil)
	admin.expect(t, "DELETE", "/dialplans/billing", nil, 204, nil)
	var list struct{ Dialplans []struct{ Name string } }
	admin.expect(t, "GET", "/dialplans", nil, 200, &list)
	if fmt.Sprint(list.Dialplans) != "[{sales} {support}]" {
		t.Fatalf("dial plans after the removal: %v", list.Dialplans)
	}
}

// TestAPITrunks: a trunk made through the API is shown without its
// password, can carry a queue's callback at once, and is not removed while
// that queue dials through it; the file's trunks are the file's.
func TestAPITrunks(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, "trunks:\n  carrier: {address: \"127.0.0.1:5099\"}\n"+apiYAML))
	admin := setupAdmin(t, s)
	admin.expect(t, "POST", "/trunks", map[string]any{"id": "backup", "address": "127.0.0.1:5098", "username": "acd", "password": "trunk-secret-9"}, 201, nil)
	_, body, _ := admin.do(t, "GET", "/trunks", nil)
	if strings.Contains(string(body), "trunk-secret-9") || !strings.Contains(string(body), `"has_password":true`) || !strings.Contains(string(body), `"source":"database"`) {
		t.Fatalf("the trunk list: %s", body)
	}
	admin.expect(t, "POST", "/trunks", map[string]any{"id": "bad", "address": "some where:5060"}, 422, nil)
	// A carrier's domain is an address too (RFC 3263 finds its servers).
	admin.expect(t, "POST", "/trunks", map[string]any{"id": "bydomain", "address": "sip.carrier.example"}, 201, nil)
	admin.expect(t, "PUT", "/trunks/carrier", map[string]any{"address": "127.0.0.1:5097"}, 409, nil)
	admin.expect(t, "POST", "/queues", map[string]any{"id": "callme", "callback": map[string]any{
		"enabled": true, "threshold": "2m", "caller_id": "+14155550100", "trunk": "backup"}}, 201, nil)
	_, body, _ = admin.do(t, "DELETE", "/trunks/backup", nil)
	if !strings.Contains(string(body), "still in use") || !strings.Contains(string(body), "callme") {
		t.Fatalf("deleting a trunk a queue dials through: %s", body)
	}
	// A replacement without the password keeps it.
	admin.expect(t, "PUT", "/trunks/backup", map[string]any{"address": "127.0.0.1:5096"}, 200, nil)
	_, body, _ = admin.do(t, "GET", "/trunks", nil)
	if !strings.Contains(string(body), `"address":"127.0.0.1:5096"`) || !strings.Contains(string(body), `"has_password":true`) {
		t.Fatalf("after the replacement: %s", body)
	}
	_, body, _ = admin.do(t, "GET", "/audit?type=audit.trunk.", nil)
	if strings.Contains(string(body), "trunk-secret-9") {
		t.Fatal("the audit trail holds the trunk's password")
	}
}

// TestAPITrunkRegisters: a trunk made through the API carries a
// registration, a caller ID and an SRTP policy as the file's trunks do;
// the API shows them (the password never), refuses bad ones with 422
// naming the field, and the trunk registers with the SIPp registrar
// (testdata/registrar.xml) at once, answering its digest challenge.
func TestAPITrunkRegisters(t *testing.T) {
	t.Parallel()
	sipp := requireSIPp(t)
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	port := startRegistrar(t, ctx, sipp, "udp")
	s := startAcd(t, "-config", writeConfig(t, "numbering: {region: US}\n"+apiYAML))
	admin := setupAdmin(t, s)
	trunk := map[string]any{"id": "carrier", "address": "127.0.0.1:" + port, "username": "acd-account", "password": "carrier-secret",
		"register": true, "contact_user": "+14155550100", "caller_id": map[string]any{"number": "(415) 555-0199", "name": "Acme Support"},
		"srtp": "optional"}
	with := func(field string, v any) map[string]any {
		m := maps.Clone(trunk)
		m["id"] = "bad"
		m[field] = v
		return m
	}
	for _, tc := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"a caller ID not of the region", with("caller_id", map[string]any{"number": "12"}), "caller_id.number"},
		{"an emergency number as caller ID", with("caller_id", map[string]any{"number": "911"}), "caller_id.number"},
		{"a caller ID name with quotes", with("caller_id", map[string]any{"number": "+14155550199", "name": `"Acme"`}), "caller_id.name"},
		{"an SRTP policy unknown", with("srtp", "sometimes"), "srtp"},
		{"registering without a password", with("password", ""), "password"},
		{"a registration interval that is no duration", with("register_expires", "soon"), "register_expires"},
		{"a contact user no SIP URI takes", with("contact_user", "a b"), "contact_user"},
		{"a transport unknown", with("transport", "sctp"), "transport"},
	} {
		status, body, _ := admin.do(t, "POST", "/trunks", tc.body)
		if status != 422 || !strings.Contains(string(body), `"location":"body.`+tc.field+`"`) {
			t.Errorf("%s: %d %s; want 422 naming body.%s", tc.name, status, body, tc.field)
		}
	}
	admin.expect(t, "POST", "/trunks", trunk, 201, nil)
	s.waitLog(t, 10*time.Second, "trunk registered", "trunk=carrier", "expires=3s")

	var list struct {
		Trunks []map[string]any `json:"trunks"`
	}
	admin.expect(t, "GET", "/trunks", nil, 200, &list)
	if len(list.Trunks) != 1 {
		t.Fatalf("trunks: %v", list.Trunks)
	}
	got := list.Trunks[0]
	for field, want := range map[string]any{
		"register": true, "register_expires": "1h", "contact_user": "+14155550100", "srtp": "optional", "has_password": true,
		"caller_id": map[string]any{"number": "+14155550199", "name": "Acme Support"},
	} {
		if !reflect.DeepEqual(got[field], want) {
			t.Errorf("%s: %v, want %v", field, got[field], want)
		}
	}
	if _, ok := got["password"]; ok {
		t.Errorf("the trunk shown with its password: %v", got)
	}
	// Replaced without its password and without a registration: the
	// password is kept, and the registration ends.
	admin.expect(t, "PUT", "/trunks/carrier", map[string]any{"address": "127.0.0.1:" + port, "username": "acd-account"}, 200, nil)
	s.waitLog(t, 10*time.Second, "trunk registration stopped", "trunk=carrier")
	var after struct {
		Trunks []map[string]any `json:"trunks"`
	}
	admin.expect(t, "GET", "/trunks", nil, 200, &after)
	if got := after.Trunks[0]; got["register"] != false || got["has_password"] != true || got["caller_id"] != nil {
		t.Fatalf("after the replacement: %v", got)
	}
}

// TestAPITrunkAdmitsAtOnce: a trunk made through the API is admitted for
// calls, and trusted, from its next INVITE: no restart.
func TestAPITrunkAdmitsAtOnce(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, "sip: {allow_calls_from: [\"127.0.0.1/32\"]}\n"+apiYAML))
	admin := setupAdmin(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	carrier := testutil.NewPhoneAt(t, netip.MustParseAddr("127.0.0.6"))
	if err := callAnswered(ctx, carrier, s.sip); !refusedWith(err, 403) {
		t.Fatalf("a call from 127.0.0.6 before its trunk exists: %v, want 403", err)
	}
	admin.expect(t, "POST", "/trunks", map[string]any{"id": "carrier", "address": "127.0.0.6:5060", "inbound_from": []string{"127.0.0.6/32"}}, 201, nil)
	if err := callAnswered(ctx, carrier, s.sip); err != nil {
		t.Fatalf("a call from the new trunk: %v", err)
	}
}
