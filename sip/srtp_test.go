package sip

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/acdserver/acd/media"
)

func testCrypto(t *testing.T, tag int, suite media.Suite) media.Crypto {
	t.Helper()
	c, err := media.NewCrypto(tag, suite)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSRTPPolicyDecisions is the inbound table: each policy against a
// plain offer, an RTP/AVP offer with crypto (SRTP offered as an option)
// and an RTP/SAVP one.
func TestSRTPPolicyDecisions(t *testing.T) {
	c80, c32 := testCrypto(t, 3, media.AESCM128HMACSHA1_80), testCrypto(t, 4, media.AESCM128HMACSHA1_32)
	plain := &media.Description{}
	avpCrypto := &media.Description{Crypto: []media.Crypto{c32, c80}}
	savp := &media.Description{Secure: true, Crypto: []media.Crypto{c80}}
	tests := []struct {
		policy  SRTPPolicy
		offer   *media.Description
		tag     int // of the offer's line taken; 0: plain
		secure  bool
		wantErr error
	}{
		{SRTPOff, plain, 0, false, nil},
		{SRTPOff, avpCrypto, 0, false, nil},
		{SRTPOff, savp, 0, false, errSRTPOff},
		{SRTPOptional, plain, 0, false, nil},
		{SRTPOptional, avpCrypto, 4, false, nil},
		{SRTPOptional, savp, 3, true, nil},
		{SRTPRequired, plain, 0, false, errSRTPRequired},
		{SRTPRequired, avpCrypto, 4, false, nil},
		{SRTPRequired, savp, 3, true, nil},
	}
	for _, tt := range tests {
		name := tt.policy.String() + " with " + map[*media.Description]string{plain: "plain", avpCrypto: "AVP+crypto", savp: "SAVP"}[tt.offer]
		t.Run(name, func(t *testing.T) {
			st := srtpDialog{policy: tt.policy}
			d, local, remote, err := st.answer(tt.offer)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				if _, ok := srtpRefusal(err); !ok {
					t.Fatal("a refusal without its Warning")
				}
				return
			}
			if tt.tag == 0 {
				if local != nil || remote != nil || d.secure || len(d.lines) != 0 {
					t.Fatalf("answered %+v with keys %v %v, want plain", d, local, remote)
				}
				return
			}
			if remote == nil || remote.Tag != tt.tag || local == nil || local.Tag != tt.tag || local.Suite != remote.Suite {
				t.Fatalf("keys %v %v, want both on tag %d", local, remote, tt.tag)
			}
			if string(local.Key) == string(remote.Key) {
				t.Fatal("answered with the offerer's own key")
			}
			if d.secure != tt.secure || len(d.lines) != 1 || d.lines[0].Tag != tt.tag {
				t.Fatalf("answer %+v, want secure %v with tag %d", d, tt.secure, tt.tag)
			}
		})
	}
}

// TestSRTPOffersAndAnswers is the outbound table: what each policy
// offers, and which answers it takes.
func TestSRTPOffersAndAnswers(t *testing.T) {
	tests := []struct {
		policy     SRTPPolicy
		secure     bool // RTP/SAVP offered
		lines      int
		answer     string // "plain", "80", "32", "foreign tag"
		wantSecure bool
		wantErr    error
	}{
		{SRTPOff, false, 0, "plain", false, nil},
		{SRTPOff, false, 0, "80", false, nil}, // nothing offered, nothing taken
		{SRTPOptional, false, 2, "plain", false, nil},
		{SRTPOptional, false, 2, "80", true, nil},
		{SRTPOptional, false, 2, "32", true, nil},
		{SRTPOptional, false, 2, "foreign tag", false, errSRTPAnswer},
		{SRTPRequired, true, 2, "plain", false, errSRTPRequired},
		{SRTPRequired, true, 2, "80", true, nil},
		{SRTPRequired, true, 2, "32", true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.policy.String()+" answered "+tt.answer, func(t *testing.T) {
			st := srtpDialog{policy: tt.policy}
			d, err := st.offer()
			if err != nil {
				t.Fatal(err)
			}
			if d.secure != tt.secure || len(d.lines) != tt.lines {
				t.Fatalf("offered secure %v with %d lines, want %v with %d", d.secure, len(d.lines), tt.secure, tt.lines)
			}
			if tt.lines == 2 && (d.lines[0].Suite != media.AESCM128HMACSHA1_80 || d.lines[1].Suite != media.AESCM128HMACSHA1_32 ||
				string(d.lines[0].Key) == string(d.lines[1].Key)) {
				t.Fatalf("offered %v", d.lines)
			}
			answer := &media.Description{}
			switch tt.answer {
			case "80":
				answer.Crypto = []media.Crypto{testCrypto(t, 1, media.AESCM128HMACSHA1_80)}
			case "32":
				answer.Crypto = []media.Crypto{testCrypto(t, 2, media.AESCM128HMACSHA1_32)}
			case "foreign tag":
				answer.Crypto = []media.Crypto{testCrypto(t, 9, media.AESCM128HMACSHA1_80)}
			}
			local, remote, err := st.accept(answer)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if (local != nil) != tt.wantSecure || (remote != nil) != tt.wantSecure {
				t.Fatalf("keys %v %v, want secure %v", local, remote, tt.wantSecure)
			}
			if local != nil && (local.Tag != remote.Tag || local.Suite != remote.Suite) {
				t.Fatalf("our key %v for their %v", local, remote)
			}
		})
	}
}

// TestSRTPKeysKeptAcrossReoffers: a re-INVITE that keeps the suite keeps
// our key (a session refresh must not re-key), and our own later offers
// repeat it.
func TestSRTPKeysKeptAcrossReoffers(t *testing.T) {
	st := srtpDialog{policy: SRTPOptional}
	offer := &media.Description{Crypto: []media.Crypto{testCrypto(t, 1, media.AESCM128HMACSHA1_80)}}
	_, local, remote, err := st.answer(offer)
	if err != nil {
		t.Fatal(err)
	}
	st.local, st.remote = local, remote
	_, again, _, err := st.answer(&media.Description{Crypto: []media.Crypto{testCrypto(t, 7, media.AESCM128HMACSHA1_80)}})
	if err != nil {
		t.Fatal(err)
	}
	if string(again.Key) != string(local.Key) || again.Tag != 7 {
		t.Fatalf("re-offer answered with a new key or tag %d", again.Tag)
	}
	_, other, _, err := st.answer(&media.Description{Crypto: []media.Crypto{testCrypto(t, 1, media.AESCM128HMACSHA1_32)}})
	if err != nil {
		t.Fatal(err)
	}
	if string(other.Key) == string(local.Key) {
		t.Fatal("a new suite kept the old key")
	}
	d, err := st.offer()
	if err != nil {
		t.Fatal(err)
	}
	if len(d.lines) != 1 || string(d.lines[0].Key) != string(local.Key) {
		t.Fatalf("our re-offer has %d lines, not our key in force", len(d.lines))
	}
}

func TestParseSRTPPolicy(t *testing.T) {
	for _, s := range []string{"off", "optional", "required"} {
		p, err := ParseSRTPPolicy(s)
		if err != nil || p.String() != s {
			t.Fatalf("%q parsed as %v, %v", s, p, err)
		}
	}
	for _, s := range []string{"", "on", "Required", "mandatory"} {
		if _, err := ParseSRTPPolicy(s); err == nil {
			t.Fatalf("%q taken", s)
		}
	}
}

func TestTraceMasksSDESKeys(t *testing.T) {
	key := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcd"))
	body := "v=0\r\nm=audio 4000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + key + "|2^20|1:4\r\n" +
		"a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:" + key + "\r\n" +
		"a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:" + key + "|2^20|1:4;inline:" + key + "|2^20|2:4\r\na=sendrecv\r\n"
	msg := "INVITE sip:100@acd.local SIP/2.0\r\nContent-Type: application/sdp\r\nContent-Length: " + "0" + "\r\n\r\n" + body
	got := masked([]byte(msg))
	if strings.Contains(got, key[:10]) {
		t.Fatalf("a key is traced: %q", got)
	}
	for _, kept := range []string{"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:(masked)|2^20|1:4\r\n", "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:(masked)\r\n",
		"a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:(masked)|2^20|1:4;inline:(masked)|2^20|2:4\r\n", "a=sendrecv"} {
		if !strings.Contains(got, kept) {
			t.Fatalf("traced as %q, want %q in it", got, kept)
		}
	}
}

// TestSRTPRefreshAnswers: our session refresh offers our current
// description again, an offer of ours (a leg: both lines) or our answer
// (a call: one line); the phone's answer to it takes a line of it, and
// the keys in force stay when the phone keeps its own.
func TestSRTPRefreshAnswers(t *testing.T) {
	t.Run("a call: our answer offered again", func(t *testing.T) {
		st := srtpDialog{policy: SRTPRequired}
		theirs := testCrypto(t, 4, media.AESCM128HMACSHA1_80)
		d, local, remote, err := st.answer(&media.Description{Secure: true, Crypto: []media.Crypto{theirs}})
		if err != nil {
			t.Fatal(err)
		}
		st.answered(d)
		st.local, st.remote = local, remote
		gotLocal, gotRemote, err := st.accept(&media.Description{Secure: true, Crypto: []media.Crypto{theirs}})
		if err != nil || string(gotLocal.Key) != string(local.Key) || string(gotRemote.Key) != string(theirs.Key) {
			t.Fatalf("the refresh's answer: %v %v %v", gotLocal, gotRemote, err)
		}
	})
	t.Run("a leg: our offer offered again", func(t *testing.T) {
		st := srtpDialog{policy: SRTPOptional}
		d, err := st.offer()
		if err != nil {
			t.Fatal(err)
		}
		answer := &media.Description{Crypto: []media.Crypto{testCrypto(t, 2, media.AESCM128HMACSHA1_32)}}
		local, remote, err := st.accept(answer)
		if err != nil {
			t.Fatal(err)
		}
		st.local, st.remote = local, remote
		again, _, err := st.accept(answer)
		if err != nil || string(again.Key) != string(d.lines[1].Key) {
			t.Fatalf("the refresh's answer: %v %v", again, err)
		}
	})
}
