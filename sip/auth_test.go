package sip

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

func register(t *testing.T, a *authenticator, user, password, alg, nonce string) *sip.Request {
	t.Helper()
	return registerFrom(t, a, "192.0.2.10:5060", user, password, alg, nonce)
}

// registerFrom is a REGISTER from source answering the challenge with
// nonce ("" for one issued to source now).
func registerFrom(t *testing.T, a *authenticator, source, user, password, alg, nonce string) *sip.Request {
	t.Helper()
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: "acd.local"})
	req.SetSource(source)
	if nonce == "" {
		nonce = a.nonce(netip.MustParseAddrPort(source).Addr())
	}
	chal := &digest.Challenge{Realm: a.realm, Nonce: nonce, Algorithm: alg, QOP: []string{"auth"}}
	cred, err := digest.Digest(chal, digest.Options{Method: "REGISTER", URI: "sip:acd.local", Username: user, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	req.AppendHeader(sip.NewHeader("Authorization", cred.String()))
	return req
}

func TestDigest(t *testing.T) {
	ha1 := md5.Sum([]byte("1002:acd.local:hashed-pw"))
	both := md5.Sum([]byte("1003:acd.local:both-pw"))
	both256 := sha256.Sum256([]byte("1003:acd.local:both-pw"))
	secrets := func(user string) (string, string, bool) {
		switch user {
		case "1001":
			return "pw-1001", "", true
		case "1002":
			return "", "md5:" + hex.EncodeToString(ha1[:]), true
		case "1003":
			return "", "md5:" + hex.EncodeToString(both[:]) + " sha256:" + hex.EncodeToString(both256[:]), true
		}
		return "", "", false
	}
	a := newAuthenticator("acd.local", []string{"SHA-256", "MD5"}, secrets, slog.New(slog.DiscardHandler))
	now := time.Unix(1_800_000_000, 0)
	a.now = func() time.Time { return now }
	nonce := a.nonce(netip.MustParseAddr("192.0.2.10"))
	tests := []struct {
		name, user, password, alg string
		want                      verdict
	}{
		{"SHA-256", "1001", "pw-1001", "SHA-256", accepted},
		{"MD5", "1001", "pw-1001", "MD5", accepted},
		{"MD5 with only a stored HA1", "1002", "hashed-pw", "MD5", accepted},
		{"SHA-256 with only a stored MD5 HA1 cannot be checked", "1002", "hashed-pw", "SHA-256", rejected},
		{"SHA-256 with both HA1s stored", "1003", "both-pw", "SHA-256", accepted},
		{"MD5 with both HA1s stored", "1003", "both-pw", "MD5", accepted},
		{"SHA-256 with both HA1s, wrong password", "1003", "nope", "SHA-256", rejected},
		{"wrong password", "1001", "nope", "SHA-256", rejected},
		{"unknown user", "4242", "pw-1001", "SHA-256", rejected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, user, _ := a.check(register(t, a, tt.user, tt.password, tt.alg, nonce))
			if v != tt.want || (v == accepted && user != tt.user) {
				t.Fatalf("verdict %v for %s, want %v", v, user, tt.want)
			}
		})
	}
	t.Run("expired nonce is stale", func(t *testing.T) {
		later := now.Add(nonceLifetime + time.Second)
		a.now = func() time.Time { return later }
		defer func() { a.now = func() time.Time { return now } }()
		v, _, stale := a.check(register(t, a, "1001", "pw-1001", "MD5", nonce))
		if v != challenge || !stale {
			t.Fatalf("verdict %v stale %v; want a new challenge with stale=true", v, stale)
		}
	})
	before := len(a.addrs[netip.MustParseAddr("192.0.2.10")].times)
	// A nonce not issued to the request's source proves nothing either
	// way: the request is challenged afresh, stale so that a phone whose
	// address changed retries, and no failure is counted.
	for name, n := range map[string]string{
		"forged nonce":                      "00112233445566778899aabbccddeeff0011223344556677",
		"nonce issued to another address":   a.nonce(netip.MustParseAddr("198.51.100.7")),
		"nonce of another address, expired": "",
	} {
		t.Run(name, func(t *testing.T) {
			if n == "" {
				a.now = func() time.Time { return now.Add(-nonceLifetime - time.Minute) }
				n = a.nonce(netip.MustParseAddr("198.51.100.7"))
				a.now = func() time.Time { return now }
			}
			v, _, stale := a.check(register(t, a, "1001", "pw-1001", "MD5", n))
			if v != challenge || !stale {
				t.Fatalf("verdict %v stale %v; want a new challenge with stale=true", v, stale)
			}
		})
	}
	if after := len(a.addrs[netip.MustParseAddr("192.0.2.10")].times); after != before {
		t.Fatalf("%d failures counted for foreign nonces", after-before)
	}
}

// TestDefaultChallengeIsMD5Alone: phones that meet one challenge they
// cannot read may give up on the REGISTER (baresip 1.0.0 does), so
// without a choice made the server offers what every phone answers.
func TestDefaultChallengeIsMD5Alone(t *testing.T) {
	a := newAuthenticator("acd.local", nil, func(string) (string, string, bool) { return "", "", false }, slog.New(slog.DiscardHandler))
	chals := a.challenges(netip.MustParseAddr("192.0.2.10"), false)
	if len(chals) != 1 || !strings.Contains(chals[0].Value(), "algorithm=MD5") {
		t.Fatalf("default challenges %v; want one, MD5", chals)
	}
	if a.offered("SHA-256") {
		t.Fatal("an answer to a SHA-256 challenge never offered is accepted")
	}
}

func TestRegistrarBindings(t *testing.T) {
	var changes []string
	r := newRegistrar(func(u string, up bool, _ string) {
		changes = append(changes, u+map[bool]string{true: "+", false: "-"}[up])
	}, nil, slog.Default())
	now := time.Unix(1_800_000_000, 0)
	r.now = func() time.Time { return now }
	tx := &fakeTx{}
	reg := func(contact string, expires string) int {
		req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: "acd.local"})
		req.AppendHeader(sip.NewHeader("To", "<sip:1001@acd.local>"))
		req.AppendHeader(sip.NewHeader("From", "<sip:1001@acd.local>;tag=1"))
		req.AppendHeader(sip.NewHeader("Call-ID", "c1"))
		req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.REGISTER})
		req.AppendHeader(sip.NewHeader("Via", "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1"))
		req.AppendHeader(sip.NewHeader("Contact", contact))
		req.AppendHeader(sip.NewHeader("Expires", expires))
		req.SetSource("203.0.113.5:40000")
		r.register("1001", req, tx)
		return tx.last.StatusCode
	}
	if code := reg("<sip:1001@10.0.0.1:5060>", "300"); code != 200 {
		t.Fatalf("register: %d", code)
	}
	if code := reg("<sip:1001@10.0.0.2:5060>", "600"); code != 200 || len(r.Contacts("1001")) != 2 {
		t.Fatalf("second contact: %d, %d contacts", code, len(r.Contacts("1001")))
	}
	if got := r.Contacts("1001")[0]; got.Source != "203.0.113.5:40000" {
		t.Fatalf("source %q not kept for NAT", got.Source)
	}
	if code := reg("<sip:1001@10.0.0.3:5060>", "30"); code != 423 {
		t.Fatalf("expires 30: %d, want 423 Interval Too Brief", code)
	}
	now = now.Add(301 * time.Second)
	if n := len(r.Contacts("1001")); n != 1 {
		t.Fatalf("%d contacts after the first expired, want 1", n)
	}
	if code := reg("*", "0"); code != 200 || r.Registered("1001") {
		t.Fatalf("unregister all: %d, still registered %v", code, r.Registered("1001"))
	}
	if len(changes) != 2 || changes[0] != "1001+" || changes[1] != "1001-" {
		t.Fatalf("changes %v", changes)
	}

	// A registration that runs out is announced by the sweep, even when a
	// ring asked for the agent's contacts in between (which once dropped
	// the expired binding silently, and agent.unregistered with it).
	changes = nil
	if code := reg("<sip:1001@10.0.0.1:5060>", "300"); code != 200 {
		t.Fatalf("register: %d", code)
	}
	now = now.Add(301 * time.Second)
	if r.Registered("1001") || len(r.Contacts("1001")) != 0 {
		t.Fatal("an expired binding is still offered")
	}
	r.sweep()
	if fmt.Sprint(changes) != "[1001+ 1001-]" {
		t.Fatalf("changes %v; want the expiry announced", changes)
	}
	// Expired and not yet swept, then registered again: the lapse is
	// announced before the return.
	changes = nil
	reg("<sip:1001@10.0.0.1:5060>", "300")
	now = now.Add(301 * time.Second)
	reg("<sip:1001@10.0.0.1:5060>", "300")
	if fmt.Sprint(changes) != "[1001+ 1001- 1001+]" {
		t.Fatalf("changes %v; want the lapse announced, then the new registration", changes)
	}
}

// fakeTx records the response a handler sends; the registrar's logic is
// tested here on its own, the SIP path in cmd/acd's agent tests.
type fakeTx struct {
	sip.ServerTransaction
	last *sip.Response
}

func (f *fakeTx) Respond(res *sip.Response) error { f.last = res; return nil }

// attempt is one REGISTER in a throttling scenario.
type attempt struct {
	after  time.Duration // since the previous attempt
	from   string        // source address
	user   string
	right  bool // the right password, or a wrong one
	repeat int  // sent this many times (0: once)
	want   verdict
}

func TestThrottling(t *testing.T) {
	const office, home = "203.0.113.9", "198.51.100.20"
	tests := []struct {
		name  string
		steps []attempt
	}{
		{"a wrong password throttles its user only", []attempt{
			{from: office, user: "1001", repeat: pairFailures, want: rejected},
			{from: office, user: "1001", right: true, want: throttled},
			{from: home, user: "1001", right: true, want: throttled}, // anywhere it never authenticated
			{from: office, user: "1002", right: true, want: accepted},
			{from: office, user: "1003", repeat: 3, want: rejected},
			{from: office, user: "1003", right: true, want: accepted},
			{after: throttleFor, from: office, user: "1001", right: true, want: accepted},
		}},
		{"a stranger's guesses do not keep a user out of where it authenticated", []attempt{
			{from: home, user: "1001", right: true, want: accepted},
			{from: office, user: "1001", repeat: pairFailures, want: rejected},
			{from: office, user: "1001", right: true, want: throttled},
			{from: home, user: "1001", right: true, want: accepted},
			{from: "192.0.2.77", user: "1001", right: true, want: throttled}, // never authenticated there
		}},
		{"guesses from many addresses are bounded", append(guessFrom("1001", 3, userFailures/3),
			attempt{from: "192.0.2.4", user: "1001", want: rejected},
			attempt{from: "192.0.2.5", user: "1001", want: throttled},
			attempt{from: "192.0.2.5", user: "1001", right: true, want: throttled},
			attempt{from: "192.0.2.5", user: "1002", right: true, want: accepted},
		)},
		{"failures spread out are forgiven", []attempt{
			{from: office, user: "1001", repeat: userFailures - 1, want: rejected},
			{after: failureWindow, from: office, user: "1001", repeat: userFailures - 1, want: rejected},
			{from: office, user: "1001", right: true, want: accepted},
		}},
		{"a throttled user's guesses are not counted against the address", []attempt{
			{from: office, user: "1001", repeat: userFailures, want: rejected},
			{from: office, user: "1001", repeat: 5 * addressFailures, want: throttled},
			{from: office, user: "1002", right: true, want: accepted},
		}},
		{"an address is blocked by failures for many users", append(scan(office, addressFailures/userFailures),
			attempt{from: office, user: "1002", right: true, want: throttled},
			attempt{from: home, user: "1002", right: true, want: accepted},
			attempt{after: throttleFor, from: office, user: "1002", right: true, want: accepted},
		)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			a := newAuthenticator("acd.local", nil, func(u string) (string, string, bool) {
				return "pw-" + u, "", strings.HasPrefix(u, "10")
			}, slog.New(slog.NewTextHandler(&out, nil)))
			now := time.Unix(1_800_000_000, 0)
			a.now = func() time.Time { return now }
			for i, st := range tt.steps {
				now = now.Add(st.after)
				for range max(st.repeat, 1) {
					password := "pw-" + st.user
					if !st.right {
						password = "guess"
					}
					v, _, _ := a.check(registerFrom(t, a, st.from+":5060", st.user, password, "MD5", ""))
					if v != st.want {
						t.Fatalf("step %d (%s from %s): verdict %v, want %v\n%s", i, st.user, st.from, v, st.want, out.String())
					}
					now = now.Add(time.Millisecond)
				}
			}
			if strings.Contains(out.String(), "guess") || strings.Contains(out.String(), "pw-") {
				t.Fatalf("a password reached the log:\n%s", out.String())
			}
		})
	}
}

// guessFrom is a wrong password for user from each of n addresses, each
// times.
func guessFrom(user string, n, times int) []attempt {
	var out []attempt
	for i := range n {
		out = append(out, attempt{from: fmt.Sprint("192.0.2.", i+1), user: user, repeat: times, want: rejected})
	}
	return out
}

// scan is a wrong password for each of users made-up names, until each is
// throttled.
func scan(from string, users int) []attempt {
	var out []attempt
	for i := range users {
		out = append(out, attempt{from: from, user: fmt.Sprint("scan", i), repeat: userFailures, want: rejected})
	}
	return out
}

// TestThrottledUserIsLogged: the refused requests of a throttled user are
// logged, naming user, source and reason, each user and address on its
// own and within bounds, and never with the response.
func TestThrottledUserIsLogged(t *testing.T) {
	var out strings.Builder
	a := newAuthenticator("acd.local", nil, func(u string) (string, string, bool) { return "pw-" + u, "", true },
		slog.New(slog.NewTextHandler(&out, nil)))
	now := time.Unix(1_800_000_000, 0)
	a.now = func() time.Time { return now }
	try := func(from, user, password string) *sip.Request {
		req := registerFrom(t, a, from, user, password, "MD5", "")
		a.check(req)
		now = now.Add(time.Millisecond)
		return req
	}
	for range userFailures {
		try("203.0.113.9:5060", "1001", "guess")
	}
	right := try("203.0.113.9:5060", "1001", "pw-1001")
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	last := lines[len(lines)-1]
	for _, want := range []string{"security: SIP authentication refused", "user=1001", "source=203.0.113.9", `reason="user throttled at this address: 10 failures within 1m0s"`} {
		if !strings.Contains(last, want) {
			t.Fatalf("the throttled user's right password was refused with the line\n%s\nwhich lacks %s", last, want)
		}
	}
	creds, _ := digest.ParseCredentials(right.GetHeader("Authorization").Value())
	if strings.Contains(out.String(), creds.Response) {
		t.Fatal("a digest response reached the log")
	}
	if !strings.Contains(out.String(), "throttled=user") {
		t.Fatalf("the failure that throttled the user does not say so:\n%s", out.String())
	}
}

func TestSecurityLogBounds(t *testing.T) {
	office, home := netip.MustParseAddr("203.0.113.9"), netip.MustParseAddr("198.51.100.20")
	type line struct {
		after time.Duration
		user  string
		src   netip.Addr
	}
	tests := []struct {
		name  string
		lines []line
		want  []string // the lines written, by user and what they add
	}{
		{"one line per user and address every interval", []line{
			{0, "1001", office}, {time.Second, "1001", office}, {time.Second, "1001", office},
			{refusalLogEvery, "1001", office},
		}, []string{"user=1001", "user=1001 suppressed=2"}},
		{"another user or address is not held back", []line{
			{0, "1001", office}, {0, "1001", office}, {0, "1002", office}, {0, "1001", home},
		}, []string{"user=1001", "user=1002", "user=1001"}},
		{"those forgotten are still counted", []line{
			{0, "1001", office}, {0, "1001", office},
			{3 * refusalLogEvery, "1002", office}, {0, "1001", office},
		}, []string{"user=1001", "user=1002 suppressed_others=1", "user=1001"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			l := newSecurityLog(slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{
				ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
					if a.Key == "time" || a.Key == "level" || a.Key == "msg" {
						return slog.Attr{}
					}
					return a
				},
			})), refusalLogEvery, refusalLinesPerSecond)
			now := time.Unix(1_800_000_000, 0)
			for _, ln := range tt.lines {
				now = now.Add(ln.after)
				l.warn(now, ln.user, ln.src, false, "security: test", "user", ln.user)
			}
			got := strings.Split(strings.TrimSpace(out.String()), "\n")
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Fatalf("wrote\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
	t.Run("a flood of names is capped", func(t *testing.T) {
		var out strings.Builder
		l := newSecurityLog(slog.New(slog.NewTextHandler(&out, nil)), refusalLogEvery, refusalLinesPerSecond)
		now := time.Unix(1_800_000_000, 0)
		for i := range 10 * refusalLinesPerSecond {
			l.warn(now, fmt.Sprint("scan", i), office, false, "security: test")
		}
		if n := strings.Count(out.String(), "\n"); n != refusalLinesPerSecond {
			t.Fatalf("%d lines in one second, want %d", n, refusalLinesPerSecond)
		}
		if len(l.keys) != refusalLinesPerSecond {
			t.Fatalf("%d names held for lines never written", len(l.keys)-refusalLinesPerSecond)
		}
		l.warn(now.Add(time.Second), "late", office, false, "security: test")
		if want := fmt.Sprintf("suppressed_others=%d\n", 9*refusalLinesPerSecond); !strings.HasSuffix(out.String(), want) {
			t.Fatalf("the next second's line does not count what was left out (%s):\n%s", want, out.String())
		}
	})
}
