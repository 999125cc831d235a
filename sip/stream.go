package sip

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/acdserver/acd/internal/ratelog"
)

// StreamLimits bound what TCP clients may hold. A connection costs a
// descriptor and a reader; without bounds, connections that never send
// (or send half a message) pile up until accept fails for want of
// descriptors.
type StreamLimits struct {
	// MaxConnections caps connections in total, MaxPerSource those from
	// one address; zero means no cap.
	MaxConnections int
	MaxPerSource   int
	// IdleTimeout closes a connection that has sent nothing for this long,
	// unless a registration or a call still needs it.
	IdleTimeout time.Duration
	// MessageTimeout is how long a message may take from its first byte to
	// its last, and how long a new connection may take to send its first.
	MessageTimeout time.Duration
}

// maxMessage is the largest SIP message taken over a stream, as over UDP.
const maxMessage = 65535

// streamListener accepts TCP connections within StreamLimits and wraps
// each so that sipgo reads only whole, screened messages. An accept error
// (out of descriptors, most often) is waited out, never a reason to stop.
type streamListener struct {
	net.Listener
	limits StreamLimits
	screen *screen
	// keep reports whether a quiet connection from src still matters: a
	// phone registered through it, or a call up over it.
	keep  func(src netip.AddrPort) bool
	log   *ratelog.Limited // refusals and accept errors, which floods repeat
	quiet *slog.Logger
	// transport is TCP, or TLS with wrap the TLS layer put between the
	// socket and the framer (tls.go).
	transport string
	wrap      func(net.Conn) net.Conn

	done      chan struct{} // closed by Close: ends an accept backoff
	closeOnce sync.Once

	mu        sync.Mutex // guards open and perSource
	open      int
	perSource map[netip.Addr]int
}

func newStreamListener(l net.Listener, limits StreamLimits, sc *screen, keep func(netip.AddrPort) bool, log *slog.Logger) *streamListener {
	return &streamListener{
		Listener:  l,
		limits:    limits,
		screen:    sc,
		keep:      keep,
		log:       &ratelog.Limited{Log: log, Interval: time.Second},
		quiet:     log,
		transport: "TCP",
		done:      make(chan struct{}),
		perSource: map[netip.Addr]int{},
	}
}

// Accept returns the next connection within the limits.
func (l *streamListener) Accept() (net.Conn, error) {
	const firstBackoff = 5 * time.Millisecond
	backoff := firstBackoff
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			select {
			case <-l.done:
				return nil, net.ErrClosed
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				return nil, err
			}
			l.log.Warn("SIP TCP accept failed, retrying", "error", err, "retry_in", backoff)
			t := time.NewTimer(backoff)
			select {
			case <-l.done:
				t.Stop()
				return nil, net.ErrClosed
			case <-t.C:
			}
			backoff = min(2*backoff, time.Second)
			continue
		}
		backoff = firstBackoff
		src := addrPortOf(c.RemoteAddr())
		if why := l.take(src.Addr()); why != "" {
			_ = c.Close()
			l.log.Warn("security: SIP "+l.transport+" connection refused", "source", src.Addr().String(), "reason", why)
			continue
		}
		if l.wrap != nil {
			c = l.wrap(c)
		}
		return newStreamConn(c, l, src), nil
	}
}

// Close stops accepting; connections already open stay open.
func (l *streamListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// take counts a new connection, or says which limit refuses it.
func (l *streamListener) take(src netip.Addr) string {
	src = src.Unmap()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.limits.MaxConnections > 0 && l.open >= l.limits.MaxConnections {
		return "max_connections reached"
	}
	if l.limits.MaxPerSource > 0 && l.perSource[src] >= l.limits.MaxPerSource {
		return "max_connections_per_source reached"
	}
	l.open++
	l.perSource[src]++
	return ""
}

func (l *streamListener) release(src netip.Addr) {
	src = src.Unmap()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if l.perSource[src]--; l.perSource[src] <= 0 {
		delete(l.perSource, src)
	}
}

// Open is the number of TCP connections open now.
func (l *streamListener) Open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.open
}

// errDone ends a connection after what could be answered was answered.
var errDone = errors.New("connection ended by the server")

// streamConn frames a TCP byte stream into SIP messages (RFC 3261 §18.3:
// the header section ends at an empty line, the body is Content-Length
// bytes), screens each whole message as a UDP datagram is screened, and
// hands on only what passes. Its Read is called by one reader goroutine,
// the transport's; writes (ours and sipgo's) may come from any goroutine,
// which net.Conn allows.
type streamConn struct {
	net.Conn
	l     *streamListener
	src   netip.AddrPort
	local netip.AddrPort

	buf      []byte // read from the wire, not yet framed
	ready    []byte // screened messages; ready[read:] is not yet read by sipgo
	read     int
	scratch  []byte    // one read's worth
	begun    time.Time // first byte of the message being framed; zero between messages
	accepted time.Time
	spoke    bool // a whole message has arrived

	closeOnce sync.Once
}

func newStreamConn(c net.Conn, l *streamListener, src netip.AddrPort) *streamConn {
	return &streamConn{Conn: c, l: l, src: src, local: addrPortOf(c.LocalAddr()), scratch: make([]byte, 4096), accepted: time.Now()}
}

// Close closes the connection and gives its place back, once.
func (c *streamConn) Close() error {
	err := c.Conn.Close()
	c.closeOnce.Do(func() { c.l.release(c.src.Addr()) })
	return err
}

// Read hands on screened messages. A connection the server ends (a
// timeout, a framing error) reads as io.EOF, which the transport takes
// as a plain close.
func (c *streamConn) Read(p []byte) (int, error) {
	if c.read == len(c.ready) {
		c.ready, c.read = c.ready[:0], 0
	}
	for len(c.ready) == 0 {
		if err := c.fill(); err != nil {
			if errors.Is(err, errDone) || errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
				return 0, io.EOF
			}
			if tlsHandshakeFailed(c.Conn) {
				c.l.log.Warn("SIP TLS handshake failed", "source", c.src.String(), "error", err)
				return 0, io.EOF
			}
			c.l.quiet.Debug("SIP "+c.l.transport+" read failed", "source", c.src.String(), "error", err)
			return 0, io.EOF
		}
	}
	n := copy(p, c.ready[c.read:])
	c.read += n
	return n, nil
}

// fill reads once from the wire, within the deadline that applies, and
// frames what arrived.
func (c *streamConn) fill() error {
	for {
		if err := c.Conn.SetReadDeadline(c.deadline()); err != nil {
			return err
		}
		n, err := c.Conn.Read(c.scratch)
		c.buf = append(c.buf, c.scratch[:n]...)
		if ferr := c.frame(); ferr != nil {
			return ferr
		}
		if err == nil {
			return nil
		}
		if errors.Is(err, os.ErrDeadlineExceeded) && c.begun.IsZero() && c.spoke && c.l.keep != nil && c.l.keep(c.src) {
			continue // quiet, but a phone or a call still needs it
		}
		return c.ended(err)
	}
}

// deadline is when the connection must next deliver bytes.
func (c *streamConn) deadline() time.Time {
	lim := c.l.limits
	switch {
	case !c.begun.IsZero() && lim.MessageTimeout > 0:
		return c.begun.Add(lim.MessageTimeout)
	case !c.spoke && lim.MessageTimeout > 0:
		return c.accepted.Add(lim.MessageTimeout)
	case lim.IdleTimeout > 0:
		return time.Now().Add(lim.IdleTimeout)
	}
	return time.Time{}
}

// ended handles the end of the stream or a timeout: a request left
// incomplete gets 400 (when it got as far as a Via), so that even a message
// cut short is answered; the connection then closes.
func (c *streamConn) ended(err error) error {
	timeout := errors.Is(err, os.ErrDeadlineExceeded)
	if len(bytes.TrimLeft(c.buf, "\r\n")) > 0 {
		c.reject(c.buf, &rejection{code: 400, reason: "Incomplete Message", why: "message cut short"})
		if timeout {
			c.l.log.Warn("security: SIP "+c.l.transport+" connection closed: message incomplete", "source", c.src.String(),
				"after", c.l.limits.MessageTimeout)
		}
		return errDone
	}
	if timeout {
		why := "idle"
		if !c.spoke {
			why = "no message after connecting"
		}
		c.l.quiet.Debug("SIP "+c.l.transport+" connection closed", "source", c.src.String(), "reason", why)
		return errDone
	}
	return err
}

// frame takes every whole message out of buf. It returns errDone when the
// stream cannot be followed any further (an unreadable Content-Length, a
// message too large): there is no boundary left to find the next one by.
func (c *streamConn) frame() error {
	used := 0
	defer func() {
		c.buf = append(c.buf[:0], c.buf[used:]...)
	}()
	for {
		rest := c.buf[used:]
		// Keep-alives between messages (RFC 5626 §3.5.1): a double CRLF
		// is a ping, answered with one CRLF; a lone CRLF is ignored.
		switch {
		case bytes.HasPrefix(rest, []byte("\r\n\r\n")):
			c.write([]byte("\r\n"))
			used += 4
			continue
		case len(rest) > 2 && bytes.HasPrefix(rest, []byte("\r\n")), len(rest) > 1 && rest[0] == '\n':
			used += bytes.IndexByte(rest, '\n') + 1
			continue
		case len(bytes.TrimLeft(rest, "\r\n")) == 0:
			c.begun = time.Time{}
			return nil
		}
		if c.begun.IsZero() {
			c.begun = time.Now()
		}
		head, ok := headerEnd(rest)
		if !ok {
			if len(rest) > maxMessage {
				c.reject(rest, &rejection{code: 513, reason: "Message Too Large", why: "header section over 64 KiB"})
				return errDone
			}
			return nil
		}
		length, state := contentLength(rest[:head])
		if state == lengthBad {
			c.reject(rest[:head], &rejection{code: 400, reason: "Bad Content-Length", why: "unreadable Content-Length on a stream"})
			return errDone
		}
		total := head + length
		if total > maxMessage {
			c.reject(rest[:head], &rejection{code: 513, reason: "Message Too Large", why: "message over 64 KiB"})
			return errDone
		}
		if len(rest) < total {
			return nil
		}
		msg := rest[:total]
		used += total
		c.begun, c.spoke = time.Time{}, true
		if state == lengthMissing {
			// RFC 3261 §18.3: a stream message must say its length. Its
			// body, if any, is then read as the start of the next message.
			c.reject(msg, &rejection{code: 400, reason: "Missing Content-Length", why: "no Content-Length on a stream"})
			continue
		}
		pass, reply := c.l.screen.inspect(msg, c.local, c.src, c.l.transport)
		if reply != nil {
			c.write(reply)
		}
		c.ready = append(c.ready, pass...)
	}
}

// reject answers a request statelessly; responses and text without a Via
// get nothing.
func (c *streamConn) reject(msg []byte, rej *rejection) {
	c.l.screen.counts.count(msg, false)
	c.l.screen.trace.received(c.l.transport, c.local, c.src, msg)
	if bytes.HasPrefix(msg, []byte("SIP/")) {
		return
	}
	c.l.screen.log.Warn("rejected a malformed SIP request", "from", c.src.String(), "status", rej.code, "error", rej.why)
	if res := statelessResponse(msg, rej); res != nil {
		c.write(res)
	}
}

// write sends an answer of ours; a peer that stops reading cannot hold the
// reader that sends it for long.
func (c *streamConn) write(b []byte) {
	_ = c.Conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, _ = c.Write(b)
	_ = c.Conn.SetWriteDeadline(time.Time{})
}

// Write sends sipgo's messages and ours, each traced.
func (c *streamConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.l.screen.counts.count(b[:n], true)
	c.l.screen.trace.sent(c.l.transport, c.local, c.src, b[:n])
	return n, err
}

// headerEnd finds the empty line that ends a header section: the length of
// the section including it.
func headerEnd(b []byte) (int, bool) {
	crlf := bytes.Index(b, []byte("\r\n\r\n"))
	lf := bytes.Index(b, []byte("\n\n"))
	switch {
	case crlf >= 0 && (lf < 0 || crlf < lf):
		return crlf + 4, true
	case lf >= 0:
		return lf + 2, true
	}
	return 0, false
}

type lengthState int

const (
	lengthOK lengthState = iota
	lengthMissing
	lengthBad
)

// contentLength reads the Content-Length (or its compact form l) of a
// header section. Two that disagree, a negative or a non-numeric value
// leave the stream with no boundary to trust.
func contentLength(head []byte) (int, lengthState) {
	found, value := false, 0
	for line := range bytes.Lines(head) {
		name, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		key := strings.ToLower(strings.TrimSpace(string(name)))
		if key != "content-length" && key != "l" {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(string(v)))
		if err != nil || n < 0 || found && n != value {
			return 0, lengthBad
		}
		found, value = true, n
	}
	if !found {
		return 0, lengthMissing
	}
	return value, lengthOK
}
