package sip

import (
	"crypto/md5"
	"encoding/hex"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

func register(t *testing.T, a *authenticator, user, password, alg, nonce string) *sip.Request {
	t.Helper()
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: "acd.local"})
	req.SetSource("192.0.2.10:5060")
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
	secrets := func(user string) (string, string, bool) {
		switch user {
		case "1001":
			return "pw-1001", "", true
		case "1002":
			return "", hex.EncodeToString(ha1[:]), true
		}
		return "", "", false
	}
	a := newAuthenticator("acd.local", []string{"SHA-256", "MD5"}, secrets, slog.New(slog.DiscardHandler))
	now := time.Unix(1_800_000_000, 0)
	a.now = func() time.Time { return now }
	nonce := a.nonce()
	tests := []struct {
		name, user, password, alg string
		want                      verdict
	}{
		{"SHA-256", "1001", "pw-1001", "SHA-256", accepted},
		{"MD5", "1001", "pw-1001", "MD5", accepted},
		{"MD5 with only a stored HA1", "1002", "hashed-pw", "MD5", accepted},
		{"SHA-256 with only a stored HA1 cannot be checked", "1002", "hashed-pw", "SHA-256", rejected},
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
	t.Run("forged nonce", func(t *testing.T) {
		v, _, _ := a.check(register(t, a, "1001", "pw-1001", "MD5", "00112233445566778899aabbccddeeff0011223344556677"))
		if v != rejected {
			t.Fatalf("verdict %v for a nonce we never issued", v)
		}
	})
}

// TestDefaultChallengeIsMD5Alone: phones that meet one challenge they
// cannot read may give up on the REGISTER (baresip 1.0.0 does), so
// without a choice made the server offers what every phone answers.
func TestDefaultChallengeIsMD5Alone(t *testing.T) {
	a := newAuthenticator("acd.local", nil, func(string) (string, string, bool) { return "", "", false }, slog.New(slog.DiscardHandler))
	chals := a.challenges(false)
	if len(chals) != 1 || !strings.Contains(chals[0].Value(), "algorithm=MD5") {
		t.Fatalf("default challenges %v; want one, MD5", chals)
	}
	if a.offered("SHA-256") {
		t.Fatal("an answer to a SHA-256 challenge never offered is accepted")
	}
}

func TestRegistrarBindings(t *testing.T) {
	var changes []string
	r := newRegistrar(func(u string, up bool) { changes = append(changes, u+map[bool]string{true: "+", false: "-"}[up]) }, nil, slog.Default())
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
}

// fakeTx records the response a handler sends; the registrar's logic is
// tested here on its own, the SIP path in cmd/acd's agent tests.
type fakeTx struct {
	sip.ServerTransaction
	last *sip.Response
}

func (f *fakeTx) Respond(res *sip.Response) error { f.last = res; return nil }
