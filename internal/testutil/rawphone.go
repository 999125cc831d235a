package testutil

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/acdserver/acd/media"
)

// RawPhone speaks SIP over UDP one message at a time, with no transaction
// layer: it does only what a test tells it, so it can do what a library
// phone will not — answer an INVITE after its CANCEL, leave a 200 OK
// unacknowledged, ring late, or stop answering altogether.
type RawPhone struct {
	t    testing.TB
	conn *net.UDPConn
	RTP  *net.UDPConn

	mu      sync.Mutex
	pending []sip.Message
	arrived chan struct{} // closed and replaced whenever a message arrives
	closed  bool
}

// NewRawPhone opens a phone on 127.0.0.1; it closes with the test.
func NewRawPhone(t testing.TB) *RawPhone {
	t.Helper()
	return NewRawPhoneAt(t, netip.MustParseAddr("127.0.0.1"))
}

// NewRawPhoneAt opens a phone on another loopback address, for a test
// that tells sources apart.
func NewRawPhoneAt(t testing.TB, ip netip.Addr) *RawPhone {
	t.Helper()
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, 0)))
	if err != nil {
		t.Fatal(err)
	}
	rtpConn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, 0)))
	if err != nil {
		t.Fatal(err)
	}
	r := &RawPhone{t: t, conn: conn, RTP: rtpConn, arrived: make(chan struct{})}
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.read()
	}()
	t.Cleanup(func() {
		_ = conn.Close()
		_ = rtpConn.Close()
		<-done
	})
	return r
}

// Addr is the phone's SIP address.
func (r *RawPhone) Addr() string { return r.conn.LocalAddr().String() }

func (r *RawPhone) read() {
	buf := make([]byte, 65535)
	parser := sip.NewParser()
	for {
		n, from, err := r.conn.ReadFromUDP(buf)
		if err != nil {
			r.mu.Lock()
			r.closed = true
			close(r.arrived)
			r.mu.Unlock()
			return
		}
		msg, err := parser.ParseSIP(append([]byte(nil), buf[:n]...))
		if err != nil {
			continue
		}
		msg.SetSource(from.String())
		r.mu.Lock()
		r.pending = append(r.pending, msg)
		close(r.arrived)
		r.arrived = make(chan struct{})
		r.mu.Unlock()
	}
}

// Next returns the first message received, and not yet returned, that
// match accepts (nil: any); other messages stay for later calls.
func (r *RawPhone) Next(ctx context.Context, match func(sip.Message) bool) (sip.Message, error) {
	for {
		r.mu.Lock()
		for i, m := range r.pending {
			if match == nil || match(m) {
				r.pending = append(r.pending[:i], r.pending[i+1:]...)
				r.mu.Unlock()
				return m, nil
			}
		}
		arrived, closed := r.arrived, r.closed
		r.mu.Unlock()
		if closed {
			return nil, net.ErrClosed
		}
		select {
		case <-arrived:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Quiet reports whether no message match accepts arrives within d.
func (r *RawPhone) Quiet(d time.Duration, match func(sip.Message) bool) bool {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	_, err := r.Next(ctx, match)
	return err != nil
}

// Request matches requests of one method.
func Request(method sip.RequestMethod) func(sip.Message) bool {
	return func(m sip.Message) bool {
		req, ok := m.(*sip.Request)
		return ok && req.Method == method
	}
}

// Response matches responses with a status code and a CSeq method.
func Response(code int, method sip.RequestMethod) func(sip.Message) bool {
	return func(m sip.Message) bool {
		res, ok := m.(*sip.Response)
		return ok && res.StatusCode == code && res.CSeq() != nil && res.CSeq().MethodName == method
	}
}

// Send writes a message to addr (IP:PORT).
func (r *RawPhone) Send(addr string, m sip.Message) {
	r.t.Helper()
	to, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		r.t.Fatal(err)
	}
	if _, err := r.conn.WriteToUDP([]byte(m.String()), to); err != nil {
		r.t.Errorf("raw phone: sending to %s: %v", addr, err)
	}
}

// Respond answers a request where it came from. A 2xx to an INVITE gets
// the phone's Contact and an SDP answer pointing at its RTP socket.
func (r *RawPhone) Respond(req *sip.Request, code int, reason string, hdrs ...sip.Header) *sip.Response {
	r.t.Helper()
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	if to := res.To(); to != nil && code > 100 && !to.Params.Has("tag") {
		to.Params.Add("tag", "rawphone")
	}
	if code >= 200 && code < 300 && req.Method == sip.INVITE {
		res.AppendHeader(sip.NewHeader("Contact", fmt.Sprintf("<sip:raw@%s>", r.Addr())))
		res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		res.SetBody(r.SDP(media.SendRecv))
	}
	for _, h := range hdrs {
		res.AppendHeader(h)
	}
	r.Send(req.Source(), res)
	return res
}

// SDP describes the phone's RTP socket with PCMU and telephone-events.
func (r *RawPhone) SDP(dir media.Direction) []byte {
	return media.Answer{
		Addr:      r.RTP.LocalAddr().(*net.UDPAddr).AddrPort(),
		Codecs:    []media.Codec{media.PCMU},
		DTMFType:  101,
		Direction: dir,
		SessionID: 3, Version: 1,
	}.Marshal()
}

// NewRequest builds an out-of-dialog request from the phone to addr.
func (r *RawPhone) NewRequest(method sip.RequestMethod, addr, user string) *sip.Request {
	req := sip.NewRequest(method, sip.Uri{Scheme: "sip", User: user, Host: hostOf(addr), Port: portOf(addr)})
	req.AppendHeader(sip.NewHeader("Via", fmt.Sprintf("SIP/2.0/UDP %s;branch=%s", r.Addr(), sip.GenerateBranch())))
	req.AppendHeader(sip.NewHeader("From", fmt.Sprintf("<sip:raw@%s>;tag=%s", r.Addr(), sip.GenerateTagN(8))))
	req.AppendHeader(sip.NewHeader("To", fmt.Sprintf("<sip:%s@%s>", user, addr)))
	req.AppendHeader(sip.NewHeader("Call-ID", sip.GenerateTagN(16)+"@raw"))
	req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: method})
	maxFwd := sip.MaxForwardsHeader(70)
	req.AppendHeader(&maxFwd)
	req.SetBody(nil)
	return req
}

// WaitServing returns once the SIP server at addr answers OPTIONS: a
// server only just started may not yet be reading its socket.
func (r *RawPhone) WaitServing(ctx context.Context, addr string) {
	r.t.Helper()
	for {
		req := r.NewRequest(sip.OPTIONS, addr, "ping")
		r.Send(addr, req)
		wait, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		_, err := r.Next(wait, func(m sip.Message) bool {
			res, ok := m.(*sip.Response)
			return ok && res.CallID().Value() == req.CallID().Value()
		})
		cancel()
		if err == nil {
			return
		}
		if ctx.Err() != nil {
			r.t.Fatalf("the server at %s never answered OPTIONS", addr)
		}
	}
}

func hostOf(addr string) string {
	h, _, _ := net.SplitHostPort(addr)
	return h
}

func portOf(addr string) int {
	_, p, _ := net.SplitHostPort(addr)
	var n int
	_, _ = fmt.Sscan(p, &n)
	return n
}
