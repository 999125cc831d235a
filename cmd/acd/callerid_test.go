package main

import (
	"strings"
	"testing"
)

// TestAPIQueueCallbackCallerIDRefused: a queue's callback caller ID is
// held to the rule of a trunk's: a number of the numbering plan, never an
// emergency one. One that is not is refused with 422 naming
// body.callback.caller_id, on creation and on replacement alike.
func TestAPIQueueCallbackCallerIDRefused(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, "numbering: {region: US}\ntrunks:\n  carrier: {address: \"127.0.0.1:5099\"}\n"+apiYAML))
	admin := setupAdmin(t, s)
	queue := func(id, callerID string) map[string]any {
		return map[string]any{"id": id, "callback": map[string]any{"enabled": true, "threshold": "2m", "caller_id": callerID, "trunk": "carrier"}}
	}
	admin.expect(t, "POST", "/queues", queue("callme", "(415) 555-0100"), 201, nil)
	for _, number := range []string{"abc", "911", "12", "+1 000 555 0100"} {
		for _, req := range []struct{ method, path, id string }{{"POST", "/queues", "other"}, {"PUT", "/queues/callme", "callme"}} {
			status, body, _ := admin.do(t, req.method, req.path, queue(req.id, number))
			if status != 422 || !strings.Contains(string(body), `"location":"body.callback.caller_id"`) {
				t.Errorf("%s %s with caller ID %q: %d %s; want 422 naming body.callback.caller_id", req.method, req.path, number, status, body)
			}
		}
	}
}
