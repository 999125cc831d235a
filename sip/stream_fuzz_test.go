package sip

import (
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/acdserver/acd/internal/ratelog"
)

// FuzzStream feeds arbitrary bytes, cut at an arbitrary point, through the
// TCP framing and screening: it must never panic or hang, and every message
// it hands on must be one whole message that parses and carries the
// headers the handlers rely on.
func FuzzStream(f *testing.F) {
	files, _ := filepath.Glob("testdata/rfc4475/*.dat")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err == nil {
			f.Add(data, uint16(len(data)/2))
		}
	}
	opt := "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nFrom: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\n" +
		"Call-ID: c\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
	f.Add([]byte("\r\n\r\n"+opt+opt), uint16(7))
	f.Add([]byte(opt[:40]+"\r\n"+opt), uint16(40))
	f.Add([]byte("INVITE sip:a@b SIP/2.0\r\nl: 3\r\nl: 4\r\n\r\nabcd"), uint16(3))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	f.Fuzz(func(t *testing.T, data []byte, cut uint16) {
		server, client := net.Pipe()
		defer client.Close()
		sc := &screen{parser: sip.NewParser(), log: &ratelog.Limited{Log: log, Interval: time.Hour}}
		l := &streamListener{limits: StreamLimits{MessageTimeout: time.Second}, screen: sc,
			log: &ratelog.Limited{Log: log, Interval: time.Hour}, quiet: log, transport: "TCP", perSource: map[netip.Addr]int{}}
		l.open, l.perSource[netip.MustParseAddr("127.0.0.1")] = 1, 1
		c := newStreamConn(server, l, netip.MustParseAddrPort("127.0.0.1:5060"))
		defer c.Close()
		go io.Copy(io.Discard, client) // our answers
		go func() {
			at := min(int(cut), len(data))
			_, _ = client.Write(data[:at])
			_, _ = client.Write(data[at:])
			_ = client.Close()
		}()
		var got []byte
		buf := make([]byte, 1000)
		for {
			n, err := c.Read(buf)
			got = append(got, buf[:n]...)
			if err != nil {
				break
			}
		}
		stream := sip.NewParser().NewSIPStream()
		err := stream.ParseSIPStream(got, func(msg sip.Message) {
			if req, ok := msg.(*sip.Request); ok {
				for _, name := range required {
					if req.GetHeader(name) == nil {
						t.Fatalf("handed on a request without %s: %q", name, got)
					}
				}
			}
		})
		if err != nil {
			t.Fatalf("handed on %q, which the transport cannot parse: %v", got, err)
		}
	})
}
