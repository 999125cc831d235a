package sip

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, in, want string
		quick          bool // taken without the line-by-line rewrite
	}{
		{
			name:  "top Via without rport gets one, the rest unchanged",
			in:    "INVITE sip:300@h SIP/2.0\r\nVia: SIP/2.0/UDP a:5060;branch=z9hG4bK1\r\nVia: SIP/2.0/UDP b;branch=z9hG4bK2\r\nTo: <sip:300@h>\r\n\r\nv=0\r\n",
			want:  "INVITE sip:300@h SIP/2.0\r\nVia: SIP/2.0/UDP a:5060;branch=z9hG4bK1;rport\r\nVia: SIP/2.0/UDP b;branch=z9hG4bK2\r\nTo: <sip:300@h>\r\n\r\nv=0\r\n",
			quick: true,
		},
		{
			name:  "a compact top Via of two values, trailing blanks of the first dropped",
			in:    "BYE sip:h SIP/2.0\r\nv: SIP/2.0/UDP a;branch=z9hG4bK1 , SIP/2.0/UDP b\r\n\r\n",
			want:  "BYE sip:h SIP/2.0\r\nv: SIP/2.0/UDP a;branch=z9hG4bK1;rport, SIP/2.0/UDP b\r\n\r\n",
			quick: true,
		},
		{
			name:  "a request with rport is returned as it is",
			in:    "BYE sip:h SIP/2.0\r\nVIA: SIP/2.0/UDP a;RPORT;branch=z9hG4bK1\r\n\r\n",
			want:  "BYE sip:h SIP/2.0\r\nVIA: SIP/2.0/UDP a;RPORT;branch=z9hG4bK1\r\n\r\n",
			quick: true,
		},
		{
			name: "a folded line is unfolded",
			in:   "BYE sip:h SIP/2.0\r\nVia: SIP/2.0/UDP a;rport\r\nSubject: one\r\n two\r\n\r\n",
			want: "BYE sip:h SIP/2.0\r\nVia: SIP/2.0/UDP a;rport\r\nSubject: one two\r\n\r\n",
		},
		{
			name: "blanks around parameters are removed",
			in:   "BYE sip:h SIP/2.0\r\nVia: SIP/2.0/UDP a;rport\r\nFrom: <sip:x@y> ; tag = 1\r\n\r\n",
			want: "BYE sip:h SIP/2.0\r\nVia: SIP/2.0/UDP a;rport\r\nFrom: <sip:x@y>;tag=1\r\n\r\n",
		},
		{
			name: "bare LF line ends become CRLF",
			in:   "BYE sip:h SIP/2.0\nVia: SIP/2.0/UDP a\n\nbody",
			want: "BYE sip:h SIP/2.0\r\nVia: SIP/2.0/UDP a;rport\r\n\r\nbody",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(normalize([]byte(tt.in))); got != tt.want {
				t.Errorf("normalize:\n got %q\nwant %q", got, tt.want)
			}
			if _, ok := normalizeQuick([]byte(tt.in)); ok != tt.quick {
				t.Errorf("normalizeQuick took it: %v, want %v", ok, tt.quick)
			}
		})
	}
}

// FuzzNormalizeQuick holds the quick path to the line-by-line rewrite:
// whatever it takes, it must give the same bytes.
func FuzzNormalizeQuick(f *testing.F) {
	files, _ := filepath.Glob("testdata/rfc4475/*.dat")
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("INVITE sip:300@h SIP/2.0\r\nVia: SIP/2.0/UDP a:5060;branch=z9hG4bK1\r\nv: x\r\n\r\nv=0\r\n"))
	f.Add([]byte("BYE sip:h SIP/2.0\r\nVia: SIP/2.0/UDP a\r\r\nTo:\t<sip:a> ;tag=1\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		quick, ok := normalizeQuick(data)
		if !ok {
			return
		}
		if want := normalizeLines(data); !bytes.Equal(quick, want) {
			t.Fatalf("quick path differs from the rewrite:\n got %q\nwant %q", quick, want)
		}
	})
}

func BenchmarkNormalize(b *testing.B) {
	invite := []byte("INVITE sip:300@127.0.0.1:5090 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bK-1-0\r\n" +
		"From: sipp <sip:sipp@127.0.0.1:40000>;tag=1\r\nTo: <sip:300@127.0.0.1:5090>\r\nCall-ID: 1-1@127.0.0.1\r\nCSeq: 1 INVITE\r\n" +
		"Contact: sip:sipp@127.0.0.1:40000\r\nMax-Forwards: 70\r\nContent-Type: application/sdp\r\nContent-Length: 129\r\n\r\n" +
		"v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")
	b.ReportAllocs()
	for b.Loop() {
		normalize(invite)
	}
}
