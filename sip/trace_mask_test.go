package sip

import (
	"strings"
	"testing"
)

func TestTraceMasksCredentials(t *testing.T) {
	const head = "REGISTER sip:acd.local SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
	tests := []struct {
		name, header string
		secret       string // must not be traced
		kept         string // must be
	}{
		{"digest", `Authorization: Digest username="1001", realm="acd.local", nonce="n1", uri="sip:acd.local", response="0123456789abcdef0123456789abcdef", qop=auth, nc=00000001, cnonce="c"`,
			"0123456789abcdef", `username="1001"`},
		{"unquoted, odd case", `authorization: digest username="1001",RESPONSE=0123456789abcdef0123456789abcdef,nonce="n1"`,
			"0123456789abcdef", `nonce="n1"`},
		{"folded", "Proxy-Authorization: Digest username=\"1001\",\r\n response=\r\n \"0123456789abcdef0123456789abcdef\", nonce=\"n1\"",
			"0123456789abcdef", `nonce="n1"`},
		{"another scheme", `Authorization: Basic MTAwMTpodW50ZXIy`, "MTAwMTpodW50ZXIy", "Authorization:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := head + tt.header + "\r\nContent-Length: 4\r\n\r\nbody"
			got := masked([]byte(msg))
			if strings.Contains(got, tt.secret) || !strings.Contains(got, tt.kept) || !strings.Contains(got, "(masked)") {
				t.Fatalf("traced as %q", got)
			}
			if !strings.HasPrefix(got, head) || !strings.HasSuffix(got, "\r\nContent-Length: 4\r\n\r\nbody") {
				t.Fatalf("the rest of the message changed: %q", got)
			}
		})
	}
	plain := head + "Content-Length: 0\r\n\r\n"
	if got := masked([]byte(plain)); got != plain {
		t.Fatalf("a message without credentials traced as %q", got)
	}
}

func TestTraceMatchesParties(t *testing.T) {
	tests := []struct {
		name, msg string
		want      []string
	}{
		{"name-addr", "INVITE sip:1001@10.0.0.2 SIP/2.0\r\nFrom: \"Caller\" <sip:+14155550123@192.0.2.1>;tag=1\r\nTo: <sip:1001@acd.local>\r\n\r\n",
			[]string{"+14155550123", "1001"}},
		{"compact, addr-spec, tel", "OPTIONS sip:x SIP/2.0\r\nf: sip:1002@acd.local;tag=1\r\nt: tel:+14155550199;phone-context=x\r\n\r\n",
			[]string{"1002", "+14155550199"}},
		{"no user", "OPTIONS sip:x SIP/2.0\r\nFrom: <sip:192.0.2.1>;tag=1\r\nTo: <SIPS:1003:pw@acd.local>\r\n",
			[]string{"1003"}},
		{"the start line is not a party", "INVITE sip:1001@acd.local SIP/2.0\r\nContact: <sip:1001@10.0.0.2>\r\n\r\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := partyUsers([]byte(tt.msg)); strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("parties %q, want %q", got, tt.want)
			}
		})
	}
}
