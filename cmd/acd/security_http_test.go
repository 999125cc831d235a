package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/acdserver/acd/internal/testutil"
)

// limitsYAML is apiYAML with server settings put before it.
func limitsYAML(server string) string {
	return "server:\n" + server + apiYAML
}

// dialFrom opens a TCP connection to addr from a loopback address of its
// own (127.0.0.2 and on all work on Linux).
func dialFrom(t *testing.T, from, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("connecting from %s: %v", from, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// rawExchange writes a request (head and what of the body there is) on c
// and reads the status of the answer; 0 when the connection closes
// without one.
func rawExchange(t *testing.T, c net.Conn, head string, body []byte) int {
	t.Helper()
	go func() {
		if _, err := c.Write([]byte(head)); err == nil && body != nil {
			_, _ = c.Write(body)
		}
	}()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatalf("no answer in 10s to %q", strings.SplitN(head, "\r\n", 2)[0])
		}
		return 0
	}
	res.Body.Close()
	return res.StatusCode
}

// closedWithin says whether the server closes c (after answering what it
// was sent) within d.
func closedWithin(c net.Conn, d time.Duration) bool {
	_ = c.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, c)
	ne, ok := err.(net.Error)
	return !(ok && ne.Timeout())
}

// TestDescriptorLimitLeavesRoomForCallsAndHealthz: under a descriptor
// limit of 512, nine addresses holding 64 idle SIP TCP connections each
// get only what the budget leaves connections, and a call is still
// answered and /healthz still answers.
func TestDescriptorLimitLeavesRoomForCallsAndHealthz(t *testing.T) {
	t.Parallel()
	conf := writeConfig(t, limitsYAML("  max_calls: 100\n")+"sip:\n  tcp:\n    message_timeout: 5m\n")
	s := startAcdVia(t, []string{"prlimit", "--nofile=512:512", "--"}, "-config", conf)
	s.waitLog(t, 5*time.Second, "connection caps", "fd_limit=512", "sip_tcp_max_connections=92 ", "http_max_connections=92 ")

	var wg sync.WaitGroup
	for i := 2; i <= 10; i++ {
		from := fmt.Sprintf("127.0.0.%d", i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
			for range 64 {
				c, err := d.Dial("tcp", s.sip)
				if err != nil {
					continue // refused: what the cap is for
				}
				t.Cleanup(func() { c.Close() })
			}
		}()
	}
	wg.Wait()

	health := healthNumbers(t, s)
	if n := health["tcp_connections"]; n > 92 || n < 64 {
		t.Errorf("tcp_connections %v; want the cap of 92 held", n)
	}
	// What the calls need is still free: two descriptors a call.
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", s.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	if free := 512 - len(fds); free < 2*100 {
		t.Errorf("%d descriptors free while the connections are held; want 200 kept for max_calls 100", free)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := callAnswered(ctx, testutil.NewPhone(t), s.sip); err != nil {
		t.Fatalf("a call while 576 SIP TCP connections are tried: %v; want it answered", err)
	}
	if health := healthNumbers(t, s); health["calls"] != 1 {
		t.Errorf("healthz says %v calls; want 1", health["calls"])
	}
}

// healthNumbers reads the server's /healthz numbers.
func healthNumbers(t *testing.T, s *server) map[string]float64 {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	res, err := c.Get("http://" + s.http + "/healthz")
	if err != nil {
		t.Fatalf("/healthz: %v", err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	out := map[string]float64{}
	for _, f := range strings.Split(strings.Trim(string(body), "{}\n"), ",") {
		k, v, _ := strings.Cut(f, ":")
		if n, err := strconv.ParseFloat(v, 64); err == nil {
			out[strings.Trim(k, `"`)] = n
		}
	}
	return out
}

// TestHTTPBodiesRefusedBeforeTheyAreRead: an anonymous body past the cap
// is refused, announced or sent, before the server reads more than the
// cap; multipart is refused unread; and sixteen 30 MB multipart posts to
// /login leave the server's memory as it was.
func TestHTTPBodiesRefusedBeforeTheyAreRead(t *testing.T) {
	t.Parallel()
	s := startAcd(t)
	big := strings.Repeat("a", 200<<10) // past the 128 KiB cap, short of what loopback buffers hold
	for _, c := range []struct {
		name string
		head string
		body []byte
		want int
	}{
		{"a 30 MB form announced, none sent", "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 31457280\r\n\r\n", nil, 413},
		{"a form sent past the cap, never ended", "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n",
			[]byte(fmt.Sprintf("%x\r\nuser=%s\r\n", len(big)+5, big)), 413},
		{"multipart, never ended", "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=x\r\nTransfer-Encoding: chunked\r\n\r\n",
			[]byte("4\r\n--x\r\n"), 415},
		{"an API body announced past its cap", "POST /api/v1/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 31457280\r\n\r\n", nil, 413},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := rawExchange(t, dialFrom(t, "127.0.0.1", s.http), c.head, c.body); got != c.want {
				t.Fatalf("answered %d; want %d", got, c.want)
			}
		})
	}

	before := rss(t, s)
	chunk := make([]byte, 1<<20)
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pr, pw := io.Pipe()
			go func() {
				_, _ = io.WriteString(pw, "--x\r\nContent-Disposition: form-data; name=\"user\"\r\n\r\n")
				for range 30 {
					if _, err := pw.Write(chunk); err != nil {
						return
					}
				}
				_ = pw.Close()
			}()
			req, _ := http.NewRequest("POST", "http://"+s.http+"/login", pr)
			req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
			if res, err := http.DefaultClient.Do(req); err == nil {
				res.Body.Close()
			}
			_ = pr.Close()
		}()
	}
	wg.Wait()
	if after := rss(t, s); after > before+16<<20 {
		t.Errorf("the server's memory grew from %d to %d KiB under sixteen 30 MB posts", before>>10, after>>10)
	}
}

// rss is the server's resident memory, in bytes.
func rss(t *testing.T, s *server) int64 {
	t.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return kb << 10
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// TestConsoleDialplanEditorRefusesTooLargePlans: the editor refuses a
// plan larger than the API takes with the API's 413, whether the form
// or the plan in it is past the cap.
func TestConsoleDialplanEditorRefusesTooLargePlans(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	admin := setupAdmin(t, s)
	plan := "entry: q\nnodes:\n  q: {type: hangup}\n"
	for _, size := range []int{100 << 10, 1 << 20} {
		text := plan + "# " + strings.Repeat("x", size) + "\n"
		if status, _, _ := admin.do(t, "PUT", "/dialplans/big", map[string]string{"yaml": text}); status != 413 {
			t.Fatalf("the API took a %d-byte plan with %d; want 413", size, status)
		}
		status, page := postForm(t, s, admin.token, "/admin/dialplans/big", url.Values{"yaml": {text}, "action": {"save"}})
		if status != 413 {
			t.Fatalf("the editor took a %d-byte plan with %d; want 413 as the API:\n%.300s", size, status, page)
		}
	}
	if status, page := postForm(t, s, admin.token, "/admin/dialplans/small", url.Values{"yaml": {plan}, "action": {"save"}}); status != http.StatusSeeOther {
		t.Fatalf("the editor refused a small plan: %d\n%.300s", status, page)
	}
}

// TestHTTPAnswersOnlyItsHostNames: only loopback's names and http_hosts
// are served, so that a name rebound to the server reads nothing; every
// answer is nosniff; the static files are not listed; and an API error
// names the field at fault without echoing what was sent.
func TestHTTPAnswersOnlyItsHostNames(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, limitsYAML("  http_hosts: [acd.example.com]\n")))
	_, port, _ := net.SplitHostPort(s.http)
	for _, c := range []struct {
		host string
		want int
	}{
		{"127.0.0.1:" + port, 200}, {"localhost:" + port, 200}, {"LOCALHOST", 200}, {"[::1]:" + port, 200}, {"[::1]", 200},
		{"acd.example.com", 200}, {"acd.example.com:" + port, 200},
		{"rebound.example", 421}, {"127.0.0.1.rebound.example", 421}, {"acd.example.com.rebound.example:" + port, 421},
	} {
		for _, path := range []string{"/healthz", "/metrics", "/login"} {
			req, _ := http.NewRequest("GET", "http://"+s.http+path, nil)
			req.Host = c.host
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != c.want {
				t.Errorf("GET %s with Host %s: %d; want %d", path, c.host, res.StatusCode, c.want)
			}
			if res.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("GET %s with Host %s: no X-Content-Type-Options: nosniff", path, c.host)
			}
		}
	}

	for path, want := range map[string]int{"/static/": 404, "/static/app.css": 200, "/static": 404, "/static/nope/": 404, "/api/v1/nope": 404, "/healthz": 200} {
		res, err := http.Get("http://" + s.http + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != want || strings.Contains(string(body), "app.js") {
			t.Errorf("GET %s: %d %.200s; want %d without a listing", path, res.StatusCode, body, want)
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: no X-Content-Type-Options: nosniff", path)
		}
	}

	const secret = "S3cret-Val"
	anon := s.client("")
	for _, body := range []any{
		map[string]any{"user": secret + strings.Repeat("x", 100), "password": secret},
		map[string]any{"user": 12345, "password": secret},
		[]byte(`{"user": "` + secret + `", "password": ` + secret + `}`),
		map[string]any{"user": "root", "password": secret, "extra": secret},
	} {
		status, data, _ := anon.do(t, "POST", "/login", body)
		if status < 400 || strings.Contains(string(data), secret) || strings.Contains(string(data), "12345") {
			t.Errorf("POST /login with a bad body: %d %s; want a refusal that does not echo the values sent", status, data)
		}
	}
}

// TestHTTPConnectionsTimedOutAndCapped: idle keep-alive connections are
// closed after the idle timeout, a body posted too slowly is cut, and one
// address past its cap is refused while another is served.
func TestHTTPConnectionsTimedOutAndCapped(t *testing.T) {
	t.Parallel()
	t.Run("idle connections closed", func(t *testing.T) {
		t.Parallel()
		s := startAcd(t, "-config", writeConfig(t, limitsYAML("  http_limits: {idle_timeout: 1s, read_timeout: 1s, max_connections: 1000, max_connections_per_source: 1000}\n")))
		const n = 400
		conns := make([]net.Conn, n)
		for i := range conns {
			conns[i] = dialFrom(t, "127.0.0.1", s.http)
			if got := rawExchange(t, conns[i], "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", nil); got != 200 {
				t.Fatalf("GET /healthz on connection %d: %d", i, got)
			}
		}
		var open sync.WaitGroup
		var mu sync.Mutex
		left := 0
		for _, c := range conns {
			open.Add(1)
			go func() {
				defer open.Done()
				if !closedWithin(c, 5*time.Second) {
					mu.Lock()
					left++
					mu.Unlock()
				}
			}()
		}
		open.Wait()
		if left > 0 {
			t.Fatalf("%d of %d idle connections still open 5s after an idle timeout of 1s", left, n)
		}

		slow := dialFrom(t, "127.0.0.1", s.http)
		start := time.Now()
		go func() {
			_, _ = io.WriteString(slow, "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n")
			for range 50 {
				if _, err := io.WriteString(slow, "a"); err != nil {
					return
				}
				time.Sleep(200 * time.Millisecond)
			}
		}()
		if !closedWithin(slow, 5*time.Second) {
			t.Fatal("a body sent a byte every 200 ms was still being read after 5s; want it cut at the read timeout of 1s")
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("the slow body was cut after %v; want about 1s", d)
		}
	})
	t.Run("idle connections make room at the total cap", func(t *testing.T) {
		t.Parallel()
		s := startAcd(t, "-config", writeConfig(t, limitsYAML("  http_limits: {max_connections: 5}\n")))
		var held []net.Conn
		for range 5 {
			c := dialFrom(t, "127.0.0.2", s.http)
			if got := rawExchange(t, c, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", nil); got != 200 {
				t.Fatalf("one of 5 connections: %d", got)
			}
			held = append(held, c)
		}
		for i := range 3 {
			if got := rawExchange(t, dialFrom(t, "127.0.0.3", s.http), "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", nil); got != 200 {
				t.Fatalf("connection %d past the cap of 5 while they idle: %d; want 200", i+6, got)
			}
		}
		closed := 0
		for _, c := range held {
			if closedWithin(c, 100*time.Millisecond) {
				closed++
			}
		}
		// Each new one, idle once answered, may itself make room for the
		// next: at least one of the first five went.
		if closed == 0 {
			t.Errorf("none of the 5 idle connections closed to make room")
		}
		// Connections that have sent nothing are not idle ones: they
		// wait for the header timeout, and hold their place till then.
		for range 5 {
			dialFrom(t, "127.0.0.4", s.http)
		}
		time.Sleep(200 * time.Millisecond) // the server accepts them on its own time
		if got := rawExchange(t, dialFrom(t, "127.0.0.5", s.http), "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", nil); got != 0 {
			t.Errorf("a connection past 5 busy ones was answered %d; want it closed", got)
		}
	})
	t.Run("per-address cap", func(t *testing.T) {
		t.Parallel()
		s := startAcd(t, "-config", writeConfig(t, limitsYAML("  http_limits: {max_connections_per_source: 3}\n")))
		for range 3 {
			if got := rawExchange(t, dialFrom(t, "127.0.0.2", s.http), "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", nil); got != 200 {
				t.Fatalf("one of 3 connections from 127.0.0.2: %d", got)
			}
		}
		if got := rawExchange(t, dialFrom(t, "127.0.0.2", s.http), "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", nil); got != 0 {
			t.Fatalf("a 4th connection from 127.0.0.2 was answered %d; want it closed unanswered", got)
		}
		if got := rawExchange(t, dialFrom(t, "127.0.0.3", s.http), "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", nil); got != 200 {
			t.Fatalf("127.0.0.3 while 127.0.0.2 is at its cap: %d; want 200", got)
		}
		s.waitLog(t, 5*time.Second, "HTTP connection refused: too many open", "source=127.0.0.2")
	})
}

// TestLiveStreamsCappedPerUser: one user's event streams and live pages
// count together against streams_per_user; past it a stream is refused
// with 429 and says why; one closed makes room.
func TestLiveStreamsCappedPerUser(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, limitsYAML("  http_limits: {streams_per_user: 3}\n")))
	admin := setupAdmin(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	first, closeFirst := context.WithCancel(ctx)
	openStream(t, first, admin, "", "")
	openStream(t, ctx, admin, "", "")
	if _, status := openQueueStream(t, ctx, s, admin.token, "support"); status != 200 {
		t.Fatalf("a live page as the 3rd stream: %d", status)
	}
	req, _ := http.NewRequestWithContext(ctx, "GET", admin.base+"/events", nil)
	req.Header.Set("Authorization", "Bearer "+admin.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 429 || !strings.Contains(string(body), "too many live streams") {
		t.Fatalf("a 4th stream: %d %s; want 429 saying why", res.StatusCode, body)
	}
	if _, status := openQueueStream(t, ctx, s, admin.token, "support"); status != 429 {
		t.Fatalf("a live page as a 4th stream: %d; want 429", status)
	}
	// Another user is not held by the first's streams.
	if _, status := openQueueStream(t, ctx, s, users(t, s, admin)["sup"].token, "support"); status != 200 {
		t.Fatalf("another user's live page while the first is at the cap: %d", status)
	}
	closeFirst()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, status := openQueueStream(t, ctx, s, admin.token, "support"); status == 200 {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("a stream closed did not make room in 5s: %d", status)
		}
		time.Sleep(100 * time.Millisecond) // polling: the server notices the closed connection by itself
	}
}

// TestRevokedSessionStreamsEndPromptly: signing out ends the session's
// event stream and live page within about a second, not at the next
// periodic check.
func TestRevokedSessionStreamsEndPromptly(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	setupAdmin(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, c := range []struct {
		name string
		open func(token string) io.Reader
	}{
		{"event stream", func(token string) io.Reader {
			req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+s.http+"/api/v1/events", nil)
			req.Header.Set("Authorization", "Bearer "+token)
			return streamBody(t, req)
		}},
		{"live page", func(token string) io.Reader {
			req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+s.http+"/live?view=queue&queue=support&after=0", nil)
			req.AddCookie(&http.Cookie{Name: "acd_session", Value: token})
			return streamBody(t, req)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			token := login(t, s, "root", testPassword)
			body := c.open(token)
			ended := make(chan time.Time, 1)
			go func() {
				_, _ = io.Copy(io.Discard, body)
				ended <- time.Now()
			}()
			s.client(token).expect(t, "POST", "/logout", nil, 204, nil)
			revoked := time.Now()
			select {
			case at := <-ended:
				if d := at.Sub(revoked); d > 1500*time.Millisecond {
					t.Errorf("the stream ended %v after sign-out; want about a second at most", d)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the stream still runs 10s after its session was signed out")
			}
		})
	}
}

func streamBody(t *testing.T, req *http.Request) io.Reader {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: %d", req.URL.Path, res.StatusCode)
	}
	return res.Body
}

// TestLiveStreamsOutlastTheReadTimeout: the read and idle timeouts are
// for requests; an event stream and a live page opened before them still
// carry what happens after.
func TestLiveStreamsOutlastTheReadTimeout(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, limitsYAML("  http_limits: {read_timeout: 1s, idle_timeout: 1s}\n")))
	as := users(t, s, setupAdmin(t, s))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	events := openStream(t, ctx, as["admin"], "", "")
	page, status := openQueueStream(t, ctx, s, as["admin"].token, "support")
	if status != 200 {
		t.Fatalf("live page: %d", status)
	}
	time.Sleep(2500 * time.Millisecond) // past both timeouts, with nothing to send
	as["agent"].expect(t, "PUT", "/agents/1001/state", map[string]string{"action": "login"}, 200, nil)
	readUntil(t, events, stateBy("1001", "ready", "1001"))
	page.fragment(t, "queue-agents", `data-agent="1001"`)
}
