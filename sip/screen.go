package sip

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"

	"github.com/emiago/sipgo/sip"

	"github.com/acdserver/acd/internal/ratelog"
)

// screen checks every SIP message before sipgo sees it: each UDP datagram
// (as a read filter) and each whole message framed from a TCP stream (by
// streamConn). The library drops what it cannot parse silently and logs
// the whole datagram; we answer a malformed request statelessly with the
// status RFC 3261 and RFC 4475 call for, drop a malformed response, and
// log one short, rate-limited line. Whatever passes carries the headers
// every handler relies on (Via, From, To, Call-ID, CSeq).
//
// Requests that need no state are answered here too, without a
// transaction: out-of-dialog OPTIONS, and methods we do not handle. Over
// UDP a transaction is kept for 32 s after its answer (Timer J), so a
// flood of such requests would otherwise hold memory long after it ends.
type screen struct {
	parser  *sip.Parser
	conn    net.PacketConn // UDP answers go out here
	log     *ratelog.Limited
	limiter *sourceLimiter
	flood   *ratelog.Limited // security lines for sources over the rate limit
	trace   *tracer          // what comes in, past the rate limit
	counts  *messageCounts
	// handled are the methods with a handler; others get 405 or 501.
	handled map[string]bool
	// limited counts messages dropped by the rate limit.
	limited atomic.Uint64
	// draining: new calls and out-of-dialog OPTIONS get 503.
	draining atomic.Bool
	// refusedDraining counts the INVITEs answered 503 while draining.
	refusedDraining atomic.Uint64
	// admit says who may call in; nil admits every source.
	admit *admission
}

// rejection is a stateless answer to a request: the status, its reason,
// and any headers the status requires.
type rejection struct {
	code   int
	reason string
	extra  []string
	why    string
}

// singletons may appear once only (RFC 3261 §7.3.1).
var singletons = []string{"From", "To", "Call-ID", "CSeq", "Max-Forwards", "Content-Length", "Content-Type"}

// required must be present in every request (RFC 3261 §8.1.1).
var required = []string{"Via", "From", "To", "Call-ID", "CSeq"}

// knownMethods are SIP methods defined by an RFC; others get 501.
var knownMethods = map[string]bool{
	"INVITE": true, "ACK": true, "BYE": true, "CANCEL": true, "OPTIONS": true, "REGISTER": true,
	"INFO": true, "PRACK": true, "UPDATE": true, "SUBSCRIBE": true, "NOTIFY": true, "REFER": true,
	"MESSAGE": true, "PUBLISH": true,
}

// filter is a sip.TransportReadFilter: it passes a datagram on, or answers
// or drops it and returns nil. Streams are framed and screened by
// streamConn before the transport reads them, so they pass through here.
func (sc *screen) filter(props sip.TransportReadProps, data []byte) (out []byte, err error) {
	if props.Transport != "UDP" {
		return data, nil
	}
	if len(bytes.Trim(data, "\r\n\x00")) == 0 {
		if len(data) <= 4 {
			return data, nil // a CRLF keep-alive, which sipgo answers
		}
		return nil, nil
	}
	src := addrPortOf(props.RemoteAddr)
	pass, reply := sc.inspect(data, addrPortOf(props.LocalAddr), src, "UDP")
	if reply != nil {
		_, _ = sc.conn.WriteTo(reply, props.RemoteAddr)
	}
	return pass, nil
}

// inspect screens one whole message from src to local, which came over
// transport (UDP, or a stream: TCP, TLS). pass is what goes on to the
// transaction layer (nil: nothing); reply is a stateless answer to send
// back to src (nil: none).
func (sc *screen) inspect(data []byte, local, src netip.AddrPort, transport string) (pass, reply []byte) {
	stream := transport != "UDP"
	if !sc.limiter.allow(src.Addr()) {
		sc.limited.Add(1)
		sc.flood.Warn("security: SIP source over its rate limit, messages dropped", "source", src.Addr().String(),
			"per_second", sc.limiter.cfg.PerSecond)
		return nil, nil
	}
	sc.counts.count(data, false)
	sc.trace.received(transport, local, src, data)
	defer func() {
		if r := recover(); r != nil {
			sc.log.Warn("dropped a SIP message that made the parser fail", "from", src.String(), "panic", fmt.Sprint(r))
			pass, reply = nil, nil
		}
	}()
	isRequest := !bytes.HasPrefix(data, []byte("SIP/"))
	if isRequest {
		data = normalize(data)
	}
	req, rej := sc.check(data, isRequest, stream)
	if rej != nil {
		if !isRequest {
			sc.log.Warn("dropped a malformed SIP response", "from", src.String(), "error", rej.why)
			return nil, nil
		}
		sc.log.Warn("rejected a malformed SIP request", "from", src.String(), "status", rej.code, "error", rej.why)
		return nil, statelessResponse(data, rej)
	}
	if req != nil {
		if reply := sc.answer(req, src, transport); reply != nil {
			return nil, reply
		}
	}
	return data, nil
}

// answer gives the stateless answer to a well-formed request that needs no
// transaction, or nil for one that goes on to its handler.
func (sc *screen) answer(req *sip.Request, src netip.AddrPort, transport string) []byte {
	method := string(req.Method)
	outOfDialog := !req.To().Params.Has("tag")
	switch {
	case method == "ACK" || method == "CANCEL":
		return nil
	case method == "INVITE" && outOfDialog && sc.admit != nil && !sc.admit.admits(src.Addr()):
		sc.admit.refuse(req, src, transport)
		return statelessAnswer(req, src, 403, "Forbidden")
	case sc.draining.Load() && outOfDialog && (method == "INVITE" || method == "OPTIONS"):
		if method == "INVITE" {
			sc.refusedDraining.Add(1)
		}
		return statelessAnswer(req, src, 503, "Service Unavailable", sip.NewHeader("Retry-After", "30"))
	case method == "OPTIONS" && outOfDialog:
		return statelessAnswer(req, src, 200, "OK", optionsHeaders()...)
	case sc.handled != nil && !sc.handled[method]:
		if knownMethods[method] {
			return statelessAnswer(req, src, 405, "Method Not Allowed", sip.NewHeader("Allow", allowed))
		}
		return statelessAnswer(req, src, 501, "Not Implemented", sip.NewHeader("Allow", allowed))
	}
	return nil
}

// statelessAnswer builds a response to a parsed request (RFC 3261 §8.2.7):
// the library gives its To a tag, and its top Via the address it came from
// (RFC 3581).
func statelessAnswer(req *sip.Request, src netip.AddrPort, code int, reason string, headers ...sip.Header) []byte {
	req.SetSource(src.String())
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	for _, h := range headers {
		res.AppendHeader(h)
	}
	return []byte(res.String())
}

// optionsHeaders say what we take, in every answer to OPTIONS.
func optionsHeaders() []sip.Header {
	return []sip.Header{
		sip.NewHeader("Allow", allowed),
		sip.NewHeader("Accept", "application/sdp, application/dtmf-relay, application/dtmf"),
		sip.NewHeader("Supported", ""),
	}
}

// addrPortOf reads a transport's net.Addr as an address and port.
func addrPortOf(a net.Addr) netip.AddrPort {
	switch a := a.(type) {
	case *net.UDPAddr:
		return a.AddrPort()
	case *net.TCPAddr:
		return a.AddrPort()
	}
	ap, _ := netip.ParseAddrPort(a.String())
	return ap
}

// check parses a message and returns the request, or why it is refused.
// A message framed from a stream is parsed as the stream transport will
// parse it, and must be read whole by it.
func (sc *screen) check(data []byte, isRequest, stream bool) (*sip.Request, *rejection) {
	var (
		msg sip.Message
		err error
	)
	if stream {
		var n int
		msg, n, err = sc.parser.Parse(data, true)
		if err == nil && n != len(data) {
			err = fmt.Errorf("message framed as %d bytes, parsed as %d", len(data), n)
		}
	} else {
		msg, err = sc.parser.ParseSIP(data)
	}
	if err != nil {
		why := err.Error()
		if isRequest {
			if scheme := requestScheme(data); scheme != "" && !isSIPScheme(scheme) {
				return nil, &rejection{code: 416, reason: "Unsupported URI Scheme", why: why}
			}
		}
		return nil, &rejection{code: 400, reason: "Bad Request", why: why}
	}
	req, ok := msg.(*sip.Request)
	if !isRequest {
		if ok {
			// "SIP/" opens a status line, yet the parser read a request
			// line: the transaction layer would take it as a request that
			// none of the checks below have seen.
			return nil, &rejection{code: 400, reason: "Bad Request", why: "a status line that parses as a request line"}
		}
		return nil, nil
	}
	if !ok {
		return nil, &rejection{code: 400, reason: "Bad Request", why: "not a request"}
	}
	if req.SipVersion != "SIP/2.0" {
		return nil, &rejection{code: 505, reason: "Version Not Supported", why: "version " + req.SipVersion}
	}
	for _, name := range required {
		if req.GetHeader(name) == nil {
			return nil, &rejection{code: 400, reason: "Missing " + name, why: "no " + name + " header"}
		}
	}
	for _, name := range singletons {
		if len(req.GetHeaders(name)) > 1 {
			return nil, &rejection{code: 400, reason: "Multiple " + name, why: "more than one " + name + " header"}
		}
	}
	method := string(req.Method)
	cseq := req.CSeq()
	if string(cseq.MethodName) != method {
		if !knownMethods[method] {
			return nil, &rejection{code: 501, reason: "Not Implemented", extra: []string{"Allow: " + allowed}, why: "unknown method " + method}
		}
		return nil, &rejection{code: 400, reason: "CSeq Method Mismatch", why: fmt.Sprintf("CSeq method %s on a %s", cseq.MethodName, method)}
	}
	if !isSIPScheme(req.Recipient.Scheme) {
		return nil, &rejection{code: 416, reason: "Unsupported URI Scheme", why: "scheme " + req.Recipient.Scheme}
	}
	if req.Recipient.Headers != nil && req.Recipient.Headers.Length() > 0 && method != "ACK" {
		return nil, &rejection{code: 400, reason: "Headers Not Allowed In Request-URI", why: "escaped headers in the Request-URI"}
	}
	if method != "ACK" && method != "CANCEL" {
		for _, h := range req.GetHeaders("Require") {
			if v := strings.TrimSpace(h.Value()); v != "" {
				return nil, &rejection{code: 420, reason: "Bad Extension", extra: []string{"Unsupported: " + v}, why: "Require: " + v}
			}
		}
	}
	return req, nil
}

func isSIPScheme(s string) bool {
	return strings.EqualFold(s, "sip") || strings.EqualFold(s, "sips") || strings.EqualFold(s, "tel")
}

// requestScheme reads the Request-URI scheme from a raw request line.
func requestScheme(data []byte) string {
	line, _, _ := bytes.Cut(data, []byte("\n"))
	fields := strings.Fields(string(line))
	if len(fields) < 2 {
		return ""
	}
	scheme, _, ok := strings.Cut(fields[1], ":")
	if !ok || strings.ContainsAny(scheme, "<>\"") {
		return ""
	}
	return scheme
}

// compact forms of the headers a response copies (RFC 3261 §7.3.3).
var copied = map[string]string{
	"via": "Via", "v": "Via", "from": "From", "f": "From", "to": "To", "t": "To",
	"call-id": "Call-ID", "i": "Call-ID", "cseq": "CSeq",
}

// statelessResponse builds a response from the raw text of a request that
// may not parse: Via, From, To, Call-ID and CSeq are copied as written and
// a To-tag added. Without a Via there is nowhere to answer, so it is nil.
func statelessResponse(data []byte, rej *rejection) []byte {
	head, _, _ := bytes.Cut(data, []byte("\r\n\r\n"))
	lines := strings.Split(strings.ReplaceAll(string(head), "\r\n", "\n"), "\n")
	var headers []string // unfolded
	for _, l := range lines[1:] {
		if (strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t")) && len(headers) > 0 {
			headers[len(headers)-1] += " " + strings.TrimSpace(l)
			continue
		}
		headers = append(headers, l)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "SIP/2.0 %d %s\r\n", rej.code, rej.reason)
	haveVia, haveTo := false, false
	for _, h := range headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok {
			continue
		}
		canon, ok := copied[strings.ToLower(strings.TrimSpace(name))]
		if !ok {
			continue
		}
		// A lone CR or other control byte would break our own framing.
		value = strings.TrimSpace(strings.Map(func(r rune) rune {
			if r < 0x20 && r != '\t' || r == 0x7f {
				return -1
			}
			return r
		}, value))
		switch canon {
		case "Via":
			haveVia = true
		case "To":
			if haveTo {
				continue
			}
			haveTo = true
			if !strings.Contains(strings.ToLower(value), ";tag=") {
				value += ";tag=" + sip.GenerateTagN(10)
			}
		}
		fmt.Fprintf(&b, "%s: %s\r\n", canon, value)
	}
	if !haveVia {
		return nil
	}
	for _, e := range rej.extra {
		b.WriteString(e + "\r\n")
	}
	b.WriteString("Content-Length: 0\r\n\r\n")
	return []byte(b.String())
}
