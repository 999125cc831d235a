package sip

import (
	"bytes"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// screen checks every UDP datagram before sipgo sees it. The library drops
// what it cannot parse silently and logs the whole datagram; we answer a
// malformed request statelessly with the status RFC 3261 and RFC 4475 call
// for, drop a malformed response, and log one short, rate-limited line.
type screen struct {
	parser *sip.Parser
	conn   net.PacketConn
	log    *limitedLog
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
// or drops it and returns nil.
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
	defer func() {
		if r := recover(); r != nil {
			sc.log.Warn("dropped a SIP datagram that made the parser fail", "from", props.RemoteAddr.String(), "panic", fmt.Sprint(r))
			out, err = nil, nil
		}
	}()
	isRequest := !bytes.HasPrefix(data, []byte("SIP/"))
	if isRequest {
		data = normalize(data)
	}
	rej := sc.check(data, isRequest)
	if rej == nil {
		return data, nil
	}
	if !isRequest {
		sc.log.Warn("dropped a malformed SIP response", "from", props.RemoteAddr.String(), "error", rej.why)
		return nil, nil
	}
	sc.log.Warn("rejected a malformed SIP request", "from", props.RemoteAddr.String(), "status", rej.code, "error", rej.why)
	if res := statelessResponse(data, rej); res != nil {
		_, _ = sc.conn.WriteTo(res, props.RemoteAddr)
	}
	return nil, nil
}

func (sc *screen) check(data []byte, isRequest bool) *rejection {
	msg, err := sc.parser.ParseSIP(data)
	if err != nil {
		why := err.Error()
		if isRequest {
			if scheme := requestScheme(data); scheme != "" && !isSIPScheme(scheme) {
				return &rejection{code: 416, reason: "Unsupported URI Scheme", why: why}
			}
		}
		return &rejection{code: 400, reason: "Bad Request", why: why}
	}
	if !isRequest {
		return nil
	}
	req, ok := msg.(*sip.Request)
	if !ok {
		return &rejection{code: 400, reason: "Bad Request", why: "not a request"}
	}
	if req.SipVersion != "SIP/2.0" {
		return &rejection{code: 505, reason: "Version Not Supported", why: "version " + req.SipVersion}
	}
	for _, name := range required {
		if req.GetHeader(name) == nil {
			return &rejection{code: 400, reason: "Missing " + name, why: "no " + name + " header"}
		}
	}
	for _, name := range singletons {
		if len(req.GetHeaders(name)) > 1 {
			return &rejection{code: 400, reason: "Multiple " + name, why: "more than one " + name + " header"}
		}
	}
	method := string(req.Method)
	cseq := req.CSeq()
	if string(cseq.MethodName) != method {
		if !knownMethods[method] {
			return &rejection{code: 501, reason: "Not Implemented", extra: []string{"Allow: " + allowed}, why: "unknown method " + method}
		}
		return &rejection{code: 400, reason: "CSeq Method Mismatch", why: fmt.Sprintf("CSeq method %s on a %s", cseq.MethodName, method)}
	}
	if !isSIPScheme(req.Recipient.Scheme) {
		return &rejection{code: 416, reason: "Unsupported URI Scheme", why: "scheme " + req.Recipient.Scheme}
	}
	if req.Recipient.Headers != nil && req.Recipient.Headers.Length() > 0 && method != "ACK" {
		return &rejection{code: 400, reason: "Headers Not Allowed In Request-URI", why: "escaped headers in the Request-URI"}
	}
	if method != "ACK" && method != "CANCEL" {
		for _, h := range req.GetHeaders("Require") {
			if v := strings.TrimSpace(h.Value()); v != "" {
				return &rejection{code: 420, reason: "Bad Extension", extra: []string{"Unsupported: " + v}, why: "Require: " + v}
			}
		}
	}
	return nil
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

// limitedLog writes at most one line per interval and counts the rest, so
// that a flood of bad packets cannot become a flood of log lines.
type limitedLog struct {
	log        *slog.Logger
	interval   time.Duration
	mu         sync.Mutex
	last       time.Time
	suppressed int
}

func (l *limitedLog) Warn(msg string, args ...any) {
	l.mu.Lock()
	now := time.Now()
	if now.Sub(l.last) < l.interval {
		l.suppressed++
		l.mu.Unlock()
		return
	}
	n := l.suppressed
	l.last, l.suppressed = now, 0
	l.mu.Unlock()
	if n > 0 {
		args = append(args, "suppressed_since_last", n)
	}
	l.log.Warn(msg, args...)
}
