package main

import (
	"bufio"
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/acdserver/acd/service"
)

// queueStream is a queue page's live stream read over HTTP, as the page's
// EventSource reads it.
type queueStream struct {
	lines *bufio.Scanner
}

func openQueueStream(t *testing.T, ctx context.Context, s *server, token, queue string) (*queueStream, int) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, "GET", "http://"+s.http+"/live?view=queue&queue="+queue+"&after=0", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.AddCookie(&http.Cookie{Name: "acd_session", Value: token})
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	return &queueStream{lines: sc}, res.StatusCode
}

// fragment reads events until one named name whose data holds want, and
// returns that data.
func (q *queueStream) fragment(t *testing.T, name, want string) string {
	t.Helper()
	var event string
	var data strings.Builder
	for q.lines.Scan() {
		line := q.lines.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
			data.Reset()
		case strings.HasPrefix(line, "data: "):
			data.WriteString(strings.TrimPrefix(line, "data: ") + "\n")
		case line == "" && event == name && strings.Contains(data.String(), want):
			return data.String()
		}
	}
	t.Fatalf("the stream ended before a %s event holding %q: %v", name, want, q.lines.Err())
	return ""
}

var csrfValue = regexp.MustCompile(`name="csrf" value="([^"]*)"`)

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
