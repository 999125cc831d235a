package media

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
)

// testKey is 30 bytes 0x00..0x1d, as base64.
var testKey = base64.StdEncoding.EncodeToString(func() []byte {
	k := make([]byte, keySaltLen)
	for i := range k {
		k[i] = byte(i)
	}
	return k
}())

func TestParseCrypto(t *testing.T) {
	tests := []struct {
		name     string
		value    string
		suite    Suite
		tag      int
		mki      []byte
		lifetime uint64
		wantErr  error
		format   string // what Attribute gives back; "" for value itself
	}{
		{name: "80-bit tag", value: "1 AES_CM_128_HMAC_SHA1_80 inline:" + testKey, suite: AESCM128HMACSHA1_80, tag: 1},
		{name: "32-bit tag", value: "2 AES_CM_128_HMAC_SHA1_32 inline:" + testKey, suite: AESCM128HMACSHA1_32, tag: 2},
		{name: "lifetime as a power of two", value: "1 AES_CM_128_HMAC_SHA1_80 inline:" + testKey + "|2^31", suite: AESCM128HMACSHA1_80, tag: 1, lifetime: 1 << 31},
		{name: "lifetime in decimal", value: "3 AES_CM_128_HMAC_SHA1_80 inline:" + testKey + "|1000", suite: AESCM128HMACSHA1_80, tag: 3, lifetime: 1000},
		{name: "lifetime and MKI", value: "1 AES_CM_128_HMAC_SHA1_80 inline:" + testKey + "|2^20|1:4", suite: AESCM128HMACSHA1_80, tag: 1, lifetime: 1 << 20, mki: []byte{0, 0, 0, 1}},
		{name: "MKI alone", value: "7 AES_CM_128_HMAC_SHA1_32 inline:" + testKey + "|258:2", suite: AESCM128HMACSHA1_32, tag: 7, mki: []byte{1, 2}},
		{name: "extra spaces", value: "  1   AES_CM_128_HMAC_SHA1_80   inline:" + testKey + " ", suite: AESCM128HMACSHA1_80, tag: 1,
			format: "1 AES_CM_128_HMAC_SHA1_80 inline:" + testKey},
		{name: "AES 256 is not spoken", value: "1 AES_256_CM_HMAC_SHA1_80 inline:" + testKey, wantErr: errCryptoSuite},
		{name: "GCM is not spoken", value: "1 AEAD_AES_128_GCM inline:" + testKey, wantErr: errCryptoSuite},
		{name: "session parameter", value: "1 AES_CM_128_HMAC_SHA1_80 inline:" + testKey + " UNENCRYPTED_SRTP", wantErr: errCryptoSession},
		{name: "two keys", value: "1 AES_CM_128_HMAC_SHA1_80 inline:" + testKey + "|1:1;inline:" + testKey + "|2:1", wantErr: errCryptoKeys},
		{name: "short key", value: "1 AES_CM_128_HMAC_SHA1_80 inline:" + testKey[:36], wantErr: errCryptoKey},
		{name: "not base64", value: "1 AES_CM_128_HMAC_SHA1_80 inline:" + strings.Repeat("*", 40), wantErr: errCryptoKey},
		{name: "no inline", value: "1 AES_CM_128_HMAC_SHA1_80 " + testKey, wantErr: errCryptoSyntax},
		{name: "tag not a number", value: "x AES_CM_128_HMAC_SHA1_80 inline:" + testKey, wantErr: errCryptoSyntax},
		{name: "tag too long", value: "1234567890 AES_CM_128_HMAC_SHA1_80 inline:" + testKey, wantErr: errCryptoSyntax},
		{name: "missing key", value: "1 AES_CM_128_HMAC_SHA1_80", wantErr: errCryptoSyntax},
		{name: "MKI too big for its length", value: "1 AES_CM_128_HMAC_SHA1_80 inline:" + testKey + "|256:1", wantErr: errCryptoSyntax},
		{name: "MKI length zero", value: "1 AES_CM_128_HMAC_SHA1_80 inline:" + testKey + "|1:0", wantErr: errCryptoSyntax},
		{name: "lifetime after MKI", value: "1 AES_CM_128_HMAC_SHA1_80 inline:" + testKey + "|1:4|2^20", wantErr: errCryptoSyntax},
		{name: "lifetime 2^64", value: "1 AES_CM_128_HMAC_SHA1_80 inline:" + testKey + "|2^64", wantErr: errCryptoSyntax},
		{name: "too many fields", value: "1 AES_CM_128_HMAC_SHA1_80 inline:" + testKey + "|2^20|1:4|x", wantErr: errCryptoSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseCrypto(tt.value)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), testKey[:8]) {
					t.Fatalf("the error shows the key: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Tag != tt.tag || c.Suite != tt.suite || c.Lifetime != tt.lifetime || !bytes.Equal(c.MKI, tt.mki) {
				t.Fatalf("parsed as tag %d %v lifetime %d MKI %x", c.Tag, c.Suite, c.Lifetime, c.MKI)
			}
			if base64.StdEncoding.EncodeToString(c.Key) != testKey {
				t.Fatal("key read wrong")
			}
			want := tt.format
			if want == "" {
				want = tt.value
			}
			if got := c.Attribute(); got != "crypto:"+want {
				t.Fatalf("formatted as %q, want %q", got, "crypto:"+want)
			}
		})
	}
}

func TestCryptoNeverShowsItsKey(t *testing.T) {
	c, err := NewCrypto(1, AESCM128HMACSHA1_80)
	if err != nil {
		t.Fatal(err)
	}
	key := base64.StdEncoding.EncodeToString(c.Key)
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("x", "crypto", c)
	for _, shown := range []string{c.String(), fmt.Sprintf("%v %+v", c, &Description{Crypto: []Crypto{c}}), logged.String()} {
		if strings.Contains(shown, key[:8]) || !strings.Contains(shown, "AES_CM_128_HMAC_SHA1_80") && !strings.Contains(shown, "Crypto") {
			t.Fatalf("shown as %q", shown)
		}
	}
	other, err := NewCrypto(1, AESCM128HMACSHA1_80)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(c.Key, other.Key) {
		t.Fatal("two keys made are the same")
	}
}

func TestParseSDPCrypto(t *testing.T) {
	const head = "v=0\r\no=- 1 1 IN IP4 10.0.0.5\r\ns=-\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\n"
	line := func(tag int, suite string) string {
		return fmt.Sprintf("a=crypto:%d %s inline:%s\r\n", tag, suite, testKey)
	}
	tests := []struct {
		name    string
		body    string
		secure  bool
		suites  []Suite
		port    uint16
		wantErr error
	}{
		{name: "SAVP with both suites", body: head + "m=audio 4000 RTP/SAVP 0\r\n" + line(1, "AES_CM_128_HMAC_SHA1_80") + line(2, "AES_CM_128_HMAC_SHA1_32"),
			secure: true, suites: []Suite{AESCM128HMACSHA1_80, AESCM128HMACSHA1_32}, port: 4000},
		{name: "AVP with crypto: SRTP optional", body: head + "m=audio 4000 RTP/AVP 0\r\n" + line(1, "AES_CM_128_HMAC_SHA1_32"),
			suites: []Suite{AESCM128HMACSHA1_32}, port: 4000},
		{name: "unknown suite skipped", body: head + "m=audio 4000 RTP/SAVP 0\r\n" + line(1, "AES_256_CM_HMAC_SHA1_80") + line(2, "AES_CM_128_HMAC_SHA1_80"),
			secure: true, suites: []Suite{AESCM128HMACSHA1_80}, port: 4000},
		{name: "SAVP without usable crypto", body: head + "m=audio 4000 RTP/SAVP 0\r\n" + line(1, "AES_256_CM_HMAC_SHA1_80"), wantErr: ErrNoCryptoSuite},
		{name: "SAVP without usable crypto, then AVP", body: head + "m=audio 4000 RTP/SAVP 0\r\n" + line(1, "AES_256_CM_HMAC_SHA1_80") + "m=audio 4002 RTP/AVP 0\r\n",
			port: 4002},
		{name: "crypto of another stream is not ours", body: head + "m=video 5000 RTP/SAVP 96\r\n" + line(1, "AES_CM_128_HMAC_SHA1_80") + "m=audio 4000 RTP/AVP 0\r\n",
			port: 4000},
		{name: "DTLS profile not spoken", body: head + "m=audio 4000 UDP/TLS/RTP/SAVP 0\r\n", wantErr: ErrNoCommonCodec},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ParseSDP([]byte(tt.body))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var suites []Suite
			for _, c := range d.Crypto {
				suites = append(suites, c.Suite)
			}
			if d.Secure != tt.secure || fmt.Sprint(suites) != fmt.Sprint(tt.suites) || d.Addr.Port() != tt.port {
				t.Fatalf("secure %v suites %v port %d, want %v %v %d", d.Secure, suites, d.Addr.Port(), tt.secure, tt.suites, tt.port)
			}
		})
	}
}

func TestAnswerWithCryptoParsesBack(t *testing.T) {
	for _, secure := range []bool{false, true} {
		c, err := NewCrypto(5, AESCM128HMACSHA1_32)
		if err != nil {
			t.Fatal(err)
		}
		a := Answer{Addr: netip.MustParseAddrPort("127.0.0.1:10000"), Codecs: []Codec{PCMU}, DTMFType: 101, Secure: secure, Crypto: []Crypto{c}}
		body := a.Marshal()
		d, err := ParseSDP(body)
		if err != nil {
			t.Fatalf("%v:\n%s", err, body)
		}
		if d.Secure != secure || len(d.Crypto) != 1 || d.Crypto[0].Tag != 5 || !bytes.Equal(d.Crypto[0].Key, c.Key) {
			t.Fatalf("parsed back as secure %v %v:\n%s", d.Secure, d.Crypto, body)
		}
	}
}
