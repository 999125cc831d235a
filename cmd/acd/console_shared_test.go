package main

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/acdserver/acd/service"
)

// TestConsoleQueuePageDrawnOnceForAll: two supervisors watching the same
// queue are sent the same drawing, each with its own CSRF token in the
// forms and nobody else's; a caller who joins shows on both; a supervisor
// restricted to other queues is refused the stream.
func TestConsoleQueuePageDrawnOnceForAll(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	as := users(t, s, setupAdmin(t, s))
	as["agent"].expect(t, "PUT", "/agents/1001/state", map[string]string{"action": "login"}, 200, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	if _, status := openQueueStream(t, ctx, s, as["rsup"].token, "sales"); status != http.StatusForbidden {
		t.Fatalf("a supervisor restricted to support opened sales's stream: %d", status)
	}
	watchers := map[string]*queueStream{}
	for _, who := range []string{"admin", "sup", "rsup"} {
		st, status := openQueueStream(t, ctx, s, as[who].token, "support")
		if status != http.StatusOK {
			t.Fatalf("%s opening support's stream: %d", who, status)
		}
		watchers[who] = st
	}
	for who, st := range watchers {
		agents := st.fragment(t, "queue-agents", `data-agent="1001"`)
		tokens := csrfValue.FindAllStringSubmatch(agents, -1)
		if len(tokens) == 0 {
			t.Fatalf("%s's agents fragment has no form token:\n%s", who, agents)
		}
		want := service.CSRFToken(as[who].token)
		for _, m := range tokens {
			if m[1] != want {
				t.Fatalf("%s's page carries the token %q; want its own", who, m[1])
			}
		}
	}
	caller := dialAs(t, ctx, s, "100", "+14155550177")
	defer caller.Hangup(context.Background())
	for _, st := range watchers {
		st.fragment(t, "queue-waiting", "14155550177") // the + is drawn as &#43;
	}
}
