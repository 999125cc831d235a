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

// TestTraceMasksMalformedCryptoKeys: a phone that gets the a=crypto syntax
// wrong still sends its key, and the trace must not show it, wherever in
// the line it is.
func TestTraceMasksMalformedCryptoKeys(t *testing.T) {
	const key = "WVNfX19zZW1pc2VjcmV0X2tleV9fX19fX19fX19fX18"
	tests := []struct {
		name, line string
		kept       string // must still be traced
	}{
		{"space after inline:", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline: " + key + "|2^20", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "},
		{"no inline:", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 " + key, "AES_CM_128_HMAC_SHA1_80"},
		{"no suite", "a=crypto:1 inline:" + key, "a=crypto:"},
		{"no tag or suite", "a=crypto:" + key, "a=crypto:"},
		{"bad character in the key", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + key + "#x|2^20", "AES_CM_128_HMAC_SHA1_80"},
		{"key in a session parameter", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + key + " UNENCRYPTED_SRTCP FEC_KEY=inline:" + key, "UNENCRYPTED_SRTCP"},
		{"key after a space", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + key[:8] + " " + key[8:], "inline:(masked)"},
		{"spaces around the colon", "a=crypto : 1 AES_CM_128_HMAC_SHA1_80 " + key, "AES_CM_128_HMAC_SHA1_80"},
		{"upper case", "A=CRYPTO:1 AES_CM_128_HMAC_SHA1_80 INLINE " + key, "A=CRYPTO:1"},
		{"bare line feeds", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + key + "|2^20|1:4;" + key + "\na=sendrecv", "inline:(masked)|2^20|1:4;(masked)\na=sendrecv"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := "v=0\r\nm=audio 4000 RTP/SAVP 0\r\n" + tt.line + "\r\n"
			msg := "INVITE sip:100@acd.local SIP/2.0\r\nContent-Type: application/sdp\r\nContent-Length: 0\r\n\r\n" + body
			got := masked([]byte(msg))
			for i := 0; i+8 <= len(key); i += 4 {
				if strings.Contains(got, key[i:i+8]) {
					t.Fatalf("a piece of the key (%q) is traced: %q", key[i:i+8], got)
				}
			}
			if !strings.Contains(got, tt.kept) || !strings.Contains(got, "m=audio 4000 RTP/SAVP 0\r\n") {
				t.Fatalf("traced as %q; want %q in it", got, tt.kept)
			}
		})
	}
}
