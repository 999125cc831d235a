package sip_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	acdsip "github.com/acdserver/acd/sip"
)

// sipSocket is a raw UDP peer for sending hand-written SIP.
type sipSocket struct {
	t    *testing.T
	conn *net.UDPConn
	to   *net.UDPAddr
}

func dialSIP(t *testing.T, addr string) *sipSocket {
	t.Helper()
	to, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return &sipSocket{t: t, conn: conn, to: to}
}

func (s *sipSocket) send(data []byte) {
	if _, err := s.conn.WriteToUDP(data, s.to); err != nil {
		s.t.Fatal(err)
	}
}

// status reads the next response and returns its status code and Call-ID.
func (s *sipSocket) status() (int, string) {
	s.t.Helper()
	buf := make([]byte, 65535)
	_ = s.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		n, _, err := s.conn.ReadFromUDP(buf)
		if err != nil {
			s.t.Fatalf("no response: %v", err)
		}
		msg := string(buf[:n])
		if !strings.HasPrefix(msg, "SIP/2.0 ") {
			continue // a request (e.g. a BYE) is not what we wait for
		}
		code, _ := strconv.Atoi(msg[8:11])
		if code == 100 {
			continue
		}
		callID := ""
		for _, l := range strings.Split(msg, "\r\n") {
			if name, v, ok := strings.Cut(l, ":"); ok && (strings.EqualFold(name, "Call-ID") || name == "i") {
				callID = strings.TrimSpace(v)
			}
		}
		return code, callID
	}
}

var optionsSeq int

// options sends a fresh OPTIONS and returns its Call-ID.
func (s *sipSocket) options() string {
	optionsSeq++
	id := fmt.Sprintf("probe-%d@test", optionsSeq)
	local := s.conn.LocalAddr().String()
	s.send([]byte(fmt.Sprintf("OPTIONS sip:100@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-probe%d\r\n"+
		"From: <sip:probe@%s>;tag=p%d\r\nTo: <sip:100@%s>\r\nCall-ID: %s\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
		s.to, local, optionsSeq, local, optionsSeq, s.to, id)))
	return id
}

// expectNothingThenOptions proves a message got no answer: an OPTIONS
// sent after it is the first thing answered, and the server still serves.
func (s *sipSocket) expectNothingThenOptions() {
	s.t.Helper()
	id := s.options()
	code, got := s.status()
	if got != id || code != 200 {
		s.t.Fatalf("got %d for %q before the OPTIONS probe's 200; want no answer to the message", code, got)
	}
}

// TestRFC4475 sends every torture message of RFC 4475 §3.1 over UDP.
// Valid ones are answered by the application (never 400); invalid ones
// get the response the RFC names, or nothing for responses.
func TestRFC4475(t *testing.T) {
	addr, _ := startServer(t, func(context.Context, *acdsip.Call) {})
	tests := []struct {
		file string
		want int // 0: no answer (a response, dropped)
	}{
		// §3.1.1: valid messages.
		{"wsinv", 481}, {"intmeth", 501}, {"esc01", 404}, {"escnull", 405}, {"esc02", 501},
		{"lwsdisp", 200}, {"longreq", 404}, {"dblreq", 405}, {"semiuri", 200}, {"transports", 200},
		{"mpart01", 405}, {"unreason", 0}, {"noreason", 0},
		// §3.1.2: invalid messages.
		{"badinv01", 400}, {"clerr", 400}, {"ncl", 400}, {"scalar02", 400}, {"scalarlg", 0},
		{"quotbal", 400}, {"ltgtruri", 400}, {"lwsruri", 400}, {"lwsstart", 400}, {"trws", 400},
		{"escruri", 400}, {"baddate", 404}, {"badaspec", 400}, {"baddn", 400}, {"badvers", 505},
		{"mismatch01", 400}, {"mismatch02", 501}, {"bigcode", 0},
		// §3.3: application-layer cases we answer specifically.
		{"insuf", 400}, {"unkscm", 416}, {"novelsc", 416}, {"bext01", 420}, {"multi01", 400}, {"mcl01", 400},
		{"badbranch", 200},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile("testdata/rfc4475/" + tc.file + ".dat")
			if err != nil {
				t.Fatal(err)
			}
			sock := dialSIP(t, addr)
			sock.send(data)
			if tc.want == 0 {
				sock.expectNothingThenOptions()
				return
			}
			if code, _ := sock.status(); code != tc.want {
				t.Fatalf("answered %d, want %d", code, tc.want)
			}
			sock.expectNothingThenOptions()
		})
	}
}

// TestMalformedRequests: each gets 400 (or is dropped when no Via says
// where to answer), and the server goes on answering OPTIONS.
func TestMalformedRequests(t *testing.T) {
	addr, _ := startServer(t, func(context.Context, *acdsip.Call) {})
	good := "OPTIONS sip:100@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-m1\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\n" +
		"To: <sip:100@127.0.0.1>\r\nCall-ID: m1@test\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
	tests := []struct {
		name string
		msg  string
		want int
	}{
		{"content-length too large", strings.Replace(good, "Content-Length: 0", "Content-Length: 500", 1), 400},
		{"content-length negative", strings.Replace(good, "Content-Length: 0", "Content-Length: -3", 1), 400},
		{"content-length junk", strings.Replace(good, "Content-Length: 0", "Content-Length: abc", 1), 400},
		{"missing call-id", strings.Replace(good, "Call-ID: m1@test\r\n", "", 1), 400},
		{"missing cseq", strings.Replace(good, "CSeq: 1 OPTIONS\r\n", "", 1), 400},
		{"cseq method mismatch", strings.Replace(good, "CSeq: 1 OPTIONS", "CSeq: 1 INVITE", 1), 400},
		{"two call-ids", strings.Replace(good, "Call-ID: m1@test\r\n", "Call-ID: m1@test\r\nCall-ID: m2@test\r\n", 1), 400},
		{"garbage", "\x00\x01\x02 this is not SIP at all \xff\xfe\r\n\r\n", 0},
		{"garbage with via", "GARBAGE\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-g\r\n\r\n", 400},
		{"half a request line", "INVITE sip:100@127.0.0.1\r\n\r\n", 0},
		{"bad response", "SIP/2.0 99999 What\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-r\r\n\r\n", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sock := dialSIP(t, addr)
			sock.send([]byte(tc.msg))
			if tc.want == 0 {
				sock.expectNothingThenOptions()
				return
			}
			if code, _ := sock.status(); code != tc.want {
				t.Fatalf("answered %d, want %d", code, tc.want)
			}
			sock.expectNothingThenOptions()
		})
	}
	// A flood of garbage does not block the server.
	sock := dialSIP(t, addr)
	for i := range 2000 {
		sock.send(bytes.Repeat([]byte{byte(i)}, 200))
	}
	sock.expectNothingThenOptions()
}
