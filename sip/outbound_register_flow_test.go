package sip_test

import (
	"net"
	"strings"
	"testing"
	"time"

	acdsip "github.com/acdserver/acd/sip"
)

// scriptedRegistrar answers the REGISTERs it gets on a loopback socket
// with the given responses in turn (a status line and headers, without
// the ones copied from the request), then 200, and hands each request to
// the test.
func scriptedRegistrar(t *testing.T, responses ...string) (string, <-chan string) {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	requests := make(chan string, 16)
	go func() {
		buf := make([]byte, 65536)
		for {
			n, from, err := conn.ReadFrom(buf)
			if err != nil {
				return
			}
			msg := string(buf[:n])
			if !strings.HasPrefix(msg, "REGISTER ") {
				continue
			}
			requests <- msg
			next := "200 OK" // past the script: the removal at the end
			if len(responses) > 0 {
				next, responses = responses[0], responses[1:]
			}
			head, extra, _ := strings.Cut(next, "\r\n")
			var res strings.Builder
			res.WriteString("SIP/2.0 " + head + "\r\n")
			for _, line := range strings.Split(msg, "\r\n") {
				name, _, _ := strings.Cut(line, ":")
				switch strings.ToLower(strings.TrimSpace(name)) {
				case "via", "from", "call-id", "cseq":
					res.WriteString(line + "\r\n")
				case "to":
					res.WriteString(line + ";tag=reg\r\n")
				}
			}
			if extra != "" {
				res.WriteString(extra + "\r\n")
			}
			res.WriteString("Content-Length: 0\r\n\r\n")
			_, _ = conn.WriteTo([]byte(res.String()), from)
		}
	}()
	return conn.LocalAddr().String(), requests
}

func regHeader(msg, name string) string {
	for _, line := range strings.Split(msg, "\r\n") {
		if n, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(strings.TrimSpace(n), name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

const challenge = `WWW-Authenticate: Digest realm="carrier.test", nonce="n1", algorithm=MD5, qop="auth"`

// TestRegistrationFlows: how a registration answers what registrars say,
// request by request: digest challenges (401 and 407), a stale nonce,
// credentials refused, and 423 Interval Too Brief (RFC 3261 §10.2.8).
func TestRegistrationFlows(t *testing.T) {
	for _, tc := range []struct {
		name      string
		responses []string
		// check looks at each REGISTER sent, in order
		check      []func(t *testing.T, req string)
		registered bool
		expires    time.Duration
		errPart    string
	}{
		{
			name:      "digest challenge answered",
			responses: []string{"401 Unauthorized\r\n" + challenge, "200 OK\r\nExpires: 90"},
			check: []func(*testing.T, string){
				func(t *testing.T, req string) {
					if regHeader(req, "Authorization") != "" || regHeader(req, "Expires") != "3600" {
						t.Errorf("first REGISTER: Authorization %q, Expires %q; want none and 3600", regHeader(req, "Authorization"), regHeader(req, "Expires"))
					}
				},
				func(t *testing.T, req string) {
					if a := regHeader(req, "Authorization"); !strings.Contains(a, `username="acct"`) || !strings.Contains(a, `nonce="n1"`) || !strings.Contains(a, "qop=auth") {
						t.Errorf("second REGISTER's Authorization: %q", a)
					}
				},
			},
			registered: true, expires: 90 * time.Second,
		},
		{
			name:      "proxy challenge answered in Proxy-Authorization",
			responses: []string{"407 Proxy Authentication Required\r\n" + strings.Replace(challenge, "WWW-", "Proxy-", 1), "200 OK"},
			check: []func(*testing.T, string){
				func(*testing.T, string) {},
				func(t *testing.T, req string) {
					if regHeader(req, "Proxy-Authorization") == "" || regHeader(req, "Authorization") != "" {
						t.Errorf("answer to a 407 without Proxy-Authorization:\n%s", req)
					}
				},
			},
			registered: true, expires: time.Hour,
		},
		{
			name:       "stale nonce answered afresh",
			responses:  []string{"401 Unauthorized\r\n" + challenge, "401 Unauthorized\r\n" + strings.Replace(challenge, `"n1"`, `"n2", stale=true`, 1), "200 OK"},
			check:      []func(*testing.T, string){func(*testing.T, string) {}, func(*testing.T, string) {}, func(t *testing.T, req string) { mustContain(t, regHeader(req, "Authorization"), `nonce="n2"`) }},
			registered: true, expires: time.Hour,
		},
		{
			name:      "credentials refused: no third guess",
			responses: []string{"401 Unauthorized\r\n" + challenge, "401 Unauthorized\r\n" + strings.Replace(challenge, `"n1"`, `"n3"`, 1)},
			check:     []func(*testing.T, string){func(*testing.T, string) {}, func(*testing.T, string) {}},
			errPart:   "registrar refused the credentials",
		},
		{
			name:      "interval too brief",
			responses: []string{"423 Interval Too Brief\r\nMin-Expires: 7200", "200 OK"},
			check: []func(*testing.T, string){
				func(*testing.T, string) {},
				func(t *testing.T, req string) { mustContain(t, regHeader(req, "Expires"), "7200") },
			},
			registered: true, expires: 2 * time.Hour,
		},
		{
			name:      "forbidden",
			responses: []string{"403 Forbidden"},
			check:     []func(*testing.T, string){func(*testing.T, string) {}},
			errPart:   "registrar answered 403 (Forbidden)",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr, requests := scriptedRegistrar(t, tc.responses...)
			_, srv := startServer(t, nil)
			reg, err := srv.Register(acdsip.RegistrationConfig{Trunk: "c", Registrar: addr, Username: "acct", Password: "pw",
				Expires: time.Hour, RetryMin: time.Minute, RetryMax: time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			defer reg.Stop()
			var callID string
			for i, check := range tc.check {
				select {
				case req := <-requests:
					if i == 0 {
						callID = regHeader(req, "Call-ID")
					} else if regHeader(req, "Call-ID") != callID {
						t.Errorf("REGISTER %d has Call-ID %q, the first %q: one registration, one Call-ID", i+1, regHeader(req, "Call-ID"), callID)
					}
					check(t, req)
				case <-time.After(5 * time.Second):
					t.Fatalf("REGISTER %d never came", i+1)
				}
			}
			// The last response has been sent; its effect follows at once.
			deadline := time.Now().Add(5 * time.Second)
			for {
				st := reg.State()
				done := st.Registered == tc.registered && (tc.registered || strings.Contains(st.Error, tc.errPart))
				if done {
					if tc.registered && st.Expires != tc.expires {
						t.Fatalf("registered for %v, want %v", st.Expires, tc.expires)
					}
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("state %+v; want registered=%v, error with %q", st, tc.registered, tc.errPart)
				}
				time.Sleep(10 * time.Millisecond) // polling the state the last response sets
			}
			select {
			case req := <-requests:
				if !tc.registered {
					t.Fatalf("a REGISTER more than the script, before the back-off:\n%s", req)
				}
			default:
			}
		})
	}
}

func mustContain(t *testing.T, s, part string) {
	t.Helper()
	if !strings.Contains(s, part) {
		t.Errorf("%q does not contain %q", s, part)
	}
}
