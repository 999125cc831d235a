package media

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func TestParseSDP(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		addr    string
		codecs  []Codec
		pts     []uint8 // nil: the codecs' static types
		dtmf    uint8
		ptime   int
		dir     Direction
		wantErr error
	}{
		{
			name: "typical phone",
			body: "v=0\r\no=- 1 1 IN IP4 10.0.0.5\r\ns=-\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\nm=audio 4000 RTP/AVP 8 0 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=ptime:20\r\n",
			addr: "10.0.0.5:4000", codecs: []Codec{PCMA, PCMU}, dtmf: 101, ptime: 20, dir: SendRecv,
		},
		{
			name: "session c= after t= and LF line ends",
			body: "v=0\no=- 1 1 IN IP4 1.2.3.4\ns=-\nt=0 0\nc=IN IP4 1.2.3.4\nm=audio 5000 RTP/AVP 0\n",
			addr: "1.2.3.4:5000", codecs: []Codec{PCMU}, dir: SendRecv,
		},
		{
			name: "media c= wins over session c=",
			body: "v=0\r\nc=IN IP4 1.1.1.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\nc=IN IP4 2.2.2.2\r\n",
			addr: "2.2.2.2:6000", codecs: []Codec{PCMU}, dir: SendRecv,
		},
		{
			name: "sendonly is hold",
			body: "v=0\r\nc=IN IP4 1.1.1.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=sendonly\r\n",
			addr: "1.1.1.1:6000", codecs: []Codec{PCMU}, dir: SendOnly,
		},
		{
			name: "session-level inactive",
			body: "v=0\r\nc=IN IP4 1.1.1.1\r\na=inactive\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\n",
			addr: "1.1.1.1:6000", codecs: []Codec{PCMU}, dir: Inactive,
		},
		{
			name: "dynamic telephone-event number and unknown lines",
			body: "v=0\r\nx=whatever\r\nc=IN IP4 1.1.1.1\r\nt=0 0\r\nm=audio 7000 RTP/AVP 18 0 96\r\na=rtpmap:18 G729/8000\r\na=rtpmap:96 telephone-event/8000\r\na=fmtp:96 0-15\r\n",
			addr: "1.1.1.1:7000", codecs: []Codec{PCMU}, dtmf: 96, dir: SendRecv,
		},
		{
			name: "video first, then audio",
			body: "v=0\r\nt=0 0\r\nm=video 9000 RTP/AVP 96\r\nc=IN IP4 9.9.9.9\r\nm=audio 7002 RTP/AVP 8\r\nc=IN IP4 3.3.3.3\r\n",
			addr: "3.3.3.3:7002", codecs: []Codec{PCMA}, dir: SendRecv,
		},
		{
			name: "rejected audio stream then a usable one",
			body: "v=0\r\nc=IN IP4 1.1.1.1\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\nm=audio 8000 RTP/AVP 8\r\n",
			addr: "1.1.1.1:8000", codecs: []Codec{PCMA}, dir: SendRecv,
		},
		{
			name: "old hold with 0.0.0.0",
			body: "v=0\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 8000 RTP/AVP 0\r\n",
			addr: "0.0.0.0:8000", codecs: []Codec{PCMU}, dir: SendRecv,
		},
		{
			name: "PCMU on a dynamic payload type",
			body: "v=0\r\nc=IN IP4 1.1.1.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 96 101\r\na=rtpmap:96 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n",
			addr: "1.1.1.1:4000", codecs: []Codec{PCMU}, pts: []uint8{96}, dtmf: 101, dir: SendRecv,
		},
		{
			name: "dynamic and static types mixed",
			body: "v=0\r\nc=IN IP4 1.1.1.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 97 0 8 98\r\na=rtpmap:97 pcma/8000\r\na=rtpmap:98 G726-32/8000\r\n",
			addr: "1.1.1.1:4000", codecs: []Codec{PCMA, PCMU, PCMA}, pts: []uint8{97, 0, 8}, dir: SendRecv,
		},
		{
			name: "IPv6",
			body: "v=0\r\nc=IN IP6 2001:db8::5\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n",
			addr: "[2001:db8::5]:4000", codecs: []Codec{PCMU}, dir: SendRecv,
		},
		{
			name: "IPv6 hold with ::",
			body: "v=0\r\nc=IN IP6 ::\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n",
			addr: "[::]:4000", codecs: []Codec{PCMU}, dir: SendRecv,
		},
		{
			name: "multicast TTL suffix",
			body: "v=0\r\nc=IN IP4 224.2.1.1/127\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n",
			addr: "224.2.1.1:4000", codecs: []Codec{PCMU}, dir: SendRecv,
		},
		{
			name: "unusable session c= overridden by a media c=",
			body: "v=0\r\nc=IN IP4 pbx.example.com\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\nc=IN IP4 2.2.2.2\r\n",
			addr: "2.2.2.2:4000", codecs: []Codec{PCMU}, dir: SendRecv,
		},
		{
			name: "unusable c= of a rejected stream",
			body: "v=0\r\nc=IN IP4 1.1.1.1\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\nc=IN IP4 pbx.example.com\r\nm=audio 4000 RTP/AVP 0\r\n",
			addr: "1.1.1.1:4000", codecs: []Codec{PCMU}, dir: SendRecv,
		},
		{name: "no c= line", body: "v=0\r\no=- 1 1 IN IP4 1.1.1.1\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n", wantErr: ErrNoAddress},
		{name: "c= only in another stream", body: "v=0\r\nt=0 0\r\nm=video 9000 RTP/AVP 96\r\nc=IN IP4 9.9.9.9\r\nm=audio 4000 RTP/AVP 0\r\n", wantErr: ErrNoAddress},
		{name: "IPv6 garbage", body: "v=0\r\nc=IN IP6 :::zz\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n", wantErr: ErrNoAddress},
		{name: "host name", body: "v=0\r\nc=IN IP4 pbx.example.com\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n", wantErr: ErrNoAddress},
		{name: "IP4 with an IPv6 address", body: "v=0\r\nc=IN IP4 ::1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n", wantErr: ErrNoAddress},
		{name: "IP4 with an IPv4-mapped IPv6 address", body: "v=0\r\nc=IN IP4 ::ffff:1.1.1.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n", wantErr: ErrNoAddress},
		{name: "IP6 with an IPv4 address", body: "v=0\r\nc=IN IP6 1.1.1.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n", wantErr: ErrNoAddress},
		{name: "IPv6 zone", body: "v=0\r\nc=IN IP6 fe80::1%eth0\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n", wantErr: ErrNoAddress},
		{name: "unknown address type", body: "v=0\r\nc=IN IPX 1.1.1.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n", wantErr: ErrNoAddress},
		{name: "c= without an address", body: "v=0\r\nc=IN IP4\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n", wantErr: ErrNoAddress},
		{name: "unusable media c= over a good session c=", body: "v=0\r\nc=IN IP4 1.1.1.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\nc=IN IP4 pbx.example.com\r\n", wantErr: ErrNoAddress},
		{name: "no common codec", body: "v=0\r\nc=IN IP4 1.1.1.1\r\nt=0 0\r\nm=audio 8000 RTP/AVP 9 18\r\n", wantErr: ErrNoCommonCodec},
		{name: "SRTP without a crypto line", body: "v=0\r\nc=IN IP4 1.1.1.1\r\nt=0 0\r\nm=audio 8000 RTP/SAVP 0\r\n", wantErr: ErrNoCryptoSuite},
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
			if d.Addr != netip.MustParseAddrPort(tt.addr) {
				t.Errorf("addr %v, want %v", d.Addr, tt.addr)
			}
			if len(d.Codecs) != len(tt.codecs) {
				t.Fatalf("codecs %v, want %v", d.Codecs, tt.codecs)
			}
			for i := range d.Codecs {
				if d.Codecs[i] != tt.codecs[i] {
					t.Errorf("codecs %v, want %v", d.Codecs, tt.codecs)
				}
				pt := uint8(tt.codecs[i])
				if tt.pts != nil {
					pt = tt.pts[i]
				}
				if len(d.PayloadTypes) != len(d.Codecs) || d.PayloadTypes[i] != pt {
					t.Errorf("payload types %v for %v, want %d for %v", d.PayloadTypes, d.Codecs, pt, d.Codecs[i])
				}
			}
			if d.DTMFType != tt.dtmf || d.PTime != tt.ptime || d.Direction != tt.dir {
				t.Errorf("dtmf %d ptime %d dir %v; want %d %d %v", d.DTMFType, d.PTime, d.Direction, tt.dtmf, tt.ptime, tt.dir)
			}
		})
	}
}

func TestNegotiate(t *testing.T) {
	local := netip.MustParseAddrPort("127.0.0.1:10000")
	offer := &Description{Addr: netip.MustParseAddrPort("1.1.1.1:5000"), Codecs: []Codec{PCMA, PCMU}, DTMFType: 97, Direction: SendOnly}
	a := Negotiate(offer, local)
	if a.Codecs[0] != PCMA || len(a.Codecs) != 1 || a.DTMFType != 97 || a.Direction != RecvOnly {
		t.Fatalf("answer %+v", a)
	}
	back, err := ParseSDP(a.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if back.Addr != local || back.Codecs[0] != PCMA || back.DTMFType != 97 || back.Direction != RecvOnly {
		t.Fatalf("our own answer parses as %+v", back)
	}
}

// TestNegotiateKeepsOfferersPayloadTypes: RFC 3264 §6.1 has the answerer
// use the offerer's payload type numbers.
func TestNegotiateKeepsOfferersPayloadTypes(t *testing.T) {
	local := netip.MustParseAddrPort("127.0.0.1:10000")
	offer, err := ParseSDP([]byte("v=0\r\nc=IN IP4 1.1.1.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 96 8 101\r\na=rtpmap:96 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	a := Negotiate(offer, local)
	body := string(a.Marshal())
	for _, want := range []string{"m=audio 10000 RTP/AVP 96 101\r\n", "a=rtpmap:96 PCMU/8000\r\n"} {
		if !strings.Contains(body, want) {
			t.Errorf("answer lacks %q:\n%s", want, body)
		}
	}
	back, err := ParseSDP([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Codecs) != 1 || back.Codecs[0] != PCMU || back.PayloadTypes[0] != 96 || back.DTMFType != 101 {
		t.Fatalf("our answer parses as %+v", back)
	}
	// An offer we make ourselves, with no numbers given, uses the static ones.
	ours := string(Answer{Addr: local, Codecs: []Codec{PCMU, PCMA}, DTMFType: 101}.Marshal())
	if !strings.Contains(ours, "RTP/AVP 0 8 101\r\n") || !strings.Contains(ours, "a=rtpmap:8 PCMA/8000\r\n") {
		t.Fatalf("offer with static types:\n%s", ours)
	}
}

// TestAnswerRepeatsEveryStream: RFC 3264 §6, the answer has as many
// m-lines as the offer, in its order; those we do not take keep their
// media type, protocol and a format, on port 0.
func TestAnswerRepeatsEveryStream(t *testing.T) {
	local := netip.MustParseAddrPort("127.0.0.1:10000")
	tests := []struct {
		name, offer string
		want        []string // the answer's m-lines
	}{
		{"audio only",
			"v=0\r\nc=IN IP4 1.1.1.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n",
			[]string{"m=audio 10000 RTP/AVP 0 101"}},
		{"video first, then audio",
			"v=0\r\nc=IN IP4 1.1.1.1\r\nt=0 0\r\nm=video 9000 RTP/AVP 96 97\r\na=rtpmap:96 H264/90000\r\nm=audio 4000 RTP/AVP 8\r\n",
			[]string{"m=video 0 RTP/AVP 96", "m=audio 10000 RTP/AVP 8"}},
		{"audio, then video and floor control",
			"v=0\r\nc=IN IP4 1.1.1.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\nm=video 9000 RTP/AVPF 96\r\nm=application 9002 TCP/BFCP *\r\n",
			[]string{"m=audio 10000 RTP/AVP 0", "m=video 0 RTP/AVPF 96", "m=application 0 TCP/BFCP *"}},
		{"SRTP audio and G.722 audio before the one we take",
			"v=0\r\nc=IN IP4 1.1.1.1\r\nt=0 0\r\nm=audio 4000 RTP/SAVP 0\r\nm=audio 4002 RTP/AVP 9\r\nm=audio 4004 RTP/AVP 0\r\nm=audio 4006 RTP/AVP 8\r\n",
			[]string{"m=audio 0 RTP/SAVP 0", "m=audio 0 RTP/AVP 9", "m=audio 10000 RTP/AVP 0", "m=audio 0 RTP/AVP 8"}},
		{"a stream the offerer refused",
			"v=0\r\nc=IN IP4 1.1.1.1\r\nt=0 0\r\nm=text 0 RTP/AVP 98\r\nm=audio 4000 RTP/AVP 0\r\n",
			[]string{"m=text 0 RTP/AVP 98", "m=audio 10000 RTP/AVP 0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			offer, err := ParseSDP([]byte(tt.offer))
			if err != nil {
				t.Fatal(err)
			}
			body := string(Negotiate(offer, local).Marshal())
			var lines []string
			for line := range strings.Lines(body) {
				if strings.HasPrefix(line, "m=") {
					lines = append(lines, strings.TrimRight(line, "\r\n"))
				}
			}
			if !slices.Equal(lines, tt.want) {
				t.Fatalf("answer m-lines %q, want %q:\n%s", lines, tt.want, body)
			}
			back, err := ParseSDP([]byte(body))
			if err != nil {
				t.Fatalf("our answer does not parse: %v\n%s", err, body)
			}
			if back.Addr != local || back.Codecs[0] != offer.Codecs[0] {
				t.Fatalf("our answer parses as %+v", back)
			}
		})
	}
}

func TestTooManyStreams(t *testing.T) {
	body := "v=0\r\nc=IN IP4 1.1.1.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n" + strings.Repeat("m=video 0 RTP/AVP 96\r\n", maxStreams)
	if _, err := ParseSDP([]byte(body)); !errors.Is(err, ErrTooManyStreams) {
		t.Fatalf("err = %v, want %v", err, ErrTooManyStreams)
	}
}

func FuzzParseSDP(f *testing.F) {
	f.Add([]byte("v=0\r\no=- 1 1 IN IP4 10.0.0.5\r\ns=-\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\nm=audio 4000 RTP/AVP 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\n"))
	f.Add([]byte("v=0\nc=IN IP6 ::1\nm=audio 1 RTP/AVP 0\na=sendonly\na=ptime:30\n"))
	f.Add([]byte("v=0\r\nm=audio 0 RTP/AVP\r\nm=audio 65535 RTP/AVP 127 -1 999\r\na=rtpmap:\r\n"))
	f.Add([]byte("v=0\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\nm=audio 4000 RTP/SAVP 0 101\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4\r\na=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj\r\n"))
	f.Add([]byte("v=0\r\nc=IN IP4 10.0.0.5\r\nm=audio 4000 RTP/AVP 8\r\na=crypto:9 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj UNENCRYPTED_SRTP\r\na=crypto:x\r\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := ParseSDP(body)
		if err != nil {
			return
		}
		if len(d.Codecs) == 0 {
			t.Fatal("parsed without a codec")
		}
		if len(d.PayloadTypes) != len(d.Codecs) {
			t.Fatalf("%d payload types for %d codecs", len(d.PayloadTypes), len(d.Codecs))
		}
		if !d.Addr.Addr().IsValid() || d.Addr.Addr().Zone() != "" {
			t.Fatalf("parsed with address %v", d.Addr)
		}
		for _, c := range d.Codecs {
			if c != PCMU && c != PCMA {
				t.Fatalf("codec %v", c)
			}
		}
		if d.Audio < 0 || d.Audio >= len(d.Streams) {
			t.Fatalf("audio stream %d of %d", d.Audio, len(d.Streams))
		}
		if d.Secure && len(d.Crypto) == 0 {
			t.Fatal("an RTP/SAVP stream taken without a crypto line")
		}
		// Our answer to anything we accept must itself parse, with one
		// m-line for each of the offer's and ours where the offer's audio
		// stream was.
		a := Negotiate(d, netip.MustParseAddrPort("127.0.0.1:10000"))
		if len(d.Crypto) > 0 {
			// Answered with SRTP, on the offer's profile, with its tag.
			a.Secure, a.Crypto = d.Secure, []Crypto{{Tag: d.Crypto[0].Tag, Suite: d.Crypto[0].Suite, Key: make([]byte, keySaltLen)}}
		}
		answer := a.Marshal()
		back, err := ParseSDP(answer)
		if err != nil {
			t.Fatalf("answer does not parse: %v\n%s", err, answer)
		}
		if back.Codecs[0] != d.Codecs[0] || back.PayloadTypes[0] != d.PayloadTypes[0] {
			t.Fatalf("answered %v on %d for an offer of %v on %d", back.Codecs[0], back.PayloadTypes[0], d.Codecs[0], d.PayloadTypes[0])
		}
		if back.Secure != d.Secure || len(d.Crypto) > 0 && (len(back.Crypto) != 1 || back.Crypto[0].Tag != d.Crypto[0].Tag) {
			t.Fatalf("answered secure %v with %v for an offer secure %v with %v", back.Secure, back.Crypto, d.Secure, d.Crypto)
		}
		if len(back.Streams) != len(d.Streams) || back.Audio != d.Audio {
			t.Fatalf("answer has %d m-lines, audio at %d, for an offer of %d, audio at %d:\n%s",
				len(back.Streams), back.Audio, len(d.Streams), d.Audio, answer)
		}
	})
}

// TestParseSDPForTakesTheStreamAccepted: the same audio offered as
// RTP/SAVP and again as RTP/AVP is read on the stream accept takes.
func TestParseSDPForTakesTheStreamAccepted(t *testing.T) {
	body := []byte("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
		"m=audio 4000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n" +
		"m=audio 4002 RTP/AVP 0\r\n")
	for _, tc := range []struct {
		name   string
		accept func(secure bool, crypto int) bool
		stream int
		port   uint16
		err    error
	}{
		{"any", nil, 0, 4000, nil},
		{"plain only", func(secure bool, _ int) bool { return !secure }, 1, 4002, nil},
		{"keyed only", func(_ bool, crypto int) bool { return crypto > 0 }, 0, 4000, nil},
		{"none", func(bool, int) bool { return false }, -1, 0, ErrNotAccepted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := ParseSDPFor(body, tc.accept)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("error %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.Audio != tc.stream || d.Addr.Port() != tc.port || len(d.Streams) != 2 {
				t.Fatalf("stream %d on port %d of %d streams, want stream %d on %d of 2", d.Audio, d.Addr.Port(), len(d.Streams), tc.stream, tc.port)
			}
		})
	}
}
