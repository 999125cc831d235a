package sip

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
)

// FuzzScreen feeds arbitrary datagrams to the screening step: it must never
// panic, whatever it passes on must parse, and every stateless answer it
// builds must be framed as a response (it copies the request's headers as
// written, as RFC 3261 §8.2.6 asks, so their content may be as bad as the
// request's).
func FuzzScreen(f *testing.F) {
	files, _ := filepath.Glob("testdata/rfc4475/*.dat")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n ;branch=z9hG4bK1\r\nFrom: <sip:x@y> ; tag = 1\r\n\r\n"))
	sc := &screen{parser: sip.NewParser()}
	f.Fuzz(func(t *testing.T, data []byte) {
		isRequest := len(data) < 4 || string(data[:4]) != "SIP/"
		if isRequest {
			data = normalize(data)
		}
		_, rej := sc.check(data, isRequest, false)
		if rej == nil {
			if _, err := sip.NewParser().ParseSIP(data); err != nil {
				t.Fatalf("passed on a message that does not parse: %v", err)
			}
			return
		}
		if res := statelessResponse(data, rej); res != nil {
			text := string(res)
			if !strings.HasPrefix(text, fmt.Sprintf("SIP/2.0 %d ", rej.code)) || !strings.HasSuffix(text, "\r\n\r\n") {
				t.Fatalf("badly framed answer %q", text)
			}
			for _, line := range strings.Split(strings.TrimSuffix(text, "\r\n\r\n"), "\r\n")[1:] {
				if !strings.Contains(line, ": ") || strings.ContainsAny(line, "\r\n") {
					t.Fatalf("header line %q in answer %q", line, text)
				}
			}
		}
	})
}
