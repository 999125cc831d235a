package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/acdserver/acd/api"
	"github.com/acdserver/acd/internal/browser"
	"github.com/acdserver/acd/service"
)

// adminWait is how long a page may take to show a change: the tests run
// with the race detector, beside others, on a shared machine.
const adminWait = 10 * time.Second

// adminConsole starts a server with the API tests' users and a browser
// signed in to it as the administrator.
func adminConsole(t *testing.T) (*server, map[string]*apiClient, *browser.Chromium) {
	t.Helper()
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	as := users(t, s, setupAdmin(t, s))
	b := newBrowser(t, s)
	b.SignIn(t, "root", testPassword)
	return s, as, b
}

// granted is whether the API says a role has a permission.
func granted(t *testing.T, c *apiClient, role, perm string) bool {
	t.Helper()
	var out struct {
		Roles []struct {
			Role        string
			Permissions []struct {
				Name    string
				Granted bool
			}
		}
	}
	c.expect(t, "GET", "/permissions", nil, 200, &out)
	for _, r := range out.Roles {
		for _, p := range r.Permissions {
			if r.Role == role && p.Name == perm {
				return p.Granted
			}
		}
	}
	t.Fatalf("the API lists no permission %s of %s: %+v", perm, role, out)
	return false
}

// consoleRequest sends a console request with a session's cookie and,
// for a form, its CSRF token, without following redirects.
func consoleRequest(t *testing.T, s *server, token, method, path string, form url.Values) (int, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		form.Set("csrf", service.CSRFToken(token))
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, "http://"+s.http+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.AddCookie(&http.Cookie{Name: "acd_session", Value: token})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(data)
}

// waitQueued polls the API until the queue's waiting list holds n
// entries, and returns them: the instant the server has queued a caller.
func waitQueued(t *testing.T, c *apiClient, queue string, n int) []waitingEntry {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var out struct{ Waiting []waitingEntry }
		c.expect(t, "GET", "/queues/"+queue+"/waiting", nil, 200, &out)
		if len(out.Waiting) == n {
			return out.Waiting
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue %s's waiting list never held %d (it holds %+v)", queue, n, out.Waiting)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type waitingEntry struct {
	Number   string
	Callback bool
}

type apiAgentState struct {
	State, Reason string
	Queues        []string
}

// agentState is an agent's state as the API gives it.
func agentState(t *testing.T, c *apiClient, id string) (st apiAgentState) {
	t.Helper()
	c.expect(t, "GET", "/agents/"+id+"/state", nil, 200, &st)
	return st
}

// agentRow is the agents table's row of one agent on a queue's page.
func agentRow(id string) string { return fmt.Sprintf(`#queue-agents tr[data-agent=%q]`, id) }

// figure is one figure of a queue on the overview or the wallboard.
func figure(queue, name string) string {
	return fmt.Sprintf(`[data-queue=%q] [data-testid=%q]`, queue, name)
}

// postForm posts a console form as the user whose API token it is (the
// token is also the console's session), and returns the status and page.
func postForm(t *testing.T, s *server, token, path string, form url.Values) (int, string) {
	t.Helper()
	form.Set("csrf", service.CSRFToken(token))
	req, err := http.NewRequest("POST", "http://"+s.http+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: api.SessionCookie, Value: token})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

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

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
