package sip

import (
	"bytes"
	"log/slog"
	"net"
	"net/netip"
	"regexp"
	"strings"
	"sync/atomic"
)

// Trace selects the peers whose SIP messages are written to the log in
// full, each as one record: those to and from an address in Sources, and
// those whose From or To user is one of Users. The zero Trace writes none.
type Trace struct {
	Sources []netip.Prefix
	Users   []string
}

func (t Trace) empty() bool { return len(t.Sources) == 0 && len(t.Users) == 0 }

// tracer writes the messages the trace in force selects. The trace is
// swapped whole while messages flow, so that a reload needs no restart;
// with none, a message costs one atomic load. A nil tracer traces nothing.
type tracer struct {
	log *slog.Logger
	on  atomic.Pointer[traceFilter]
}

type traceFilter struct {
	sources []netip.Prefix
	users   map[string]bool
}

func newTracer(log *slog.Logger, t Trace) *tracer {
	tr := &tracer{log: log}
	tr.set(t)
	return tr
}

// set puts t in force.
func (tr *tracer) set(t Trace) {
	if t.empty() {
		tr.on.Store(nil)
		return
	}
	f := &traceFilter{users: map[string]bool{}}
	for _, p := range t.Sources {
		f.sources = append(f.sources, p.Masked())
	}
	for _, u := range t.Users {
		f.users[u] = true
	}
	tr.on.Store(f)
}

// received traces a message that arrived from remote.
func (tr *tracer) received(transport string, local, remote netip.AddrPort, data []byte) {
	tr.message("RECV", "<-", transport, local, remote, data)
}

// sent traces a message that left for remote.
func (tr *tracer) sent(transport string, local, remote netip.AddrPort, data []byte) {
	tr.message("SEND", "->", transport, local, remote, data)
}

func (tr *tracer) message(dir, arrow, transport string, local, remote netip.AddrPort, data []byte) {
	if tr == nil {
		return
	}
	f := tr.on.Load()
	if f == nil || len(bytes.Trim(data, "\r\n")) == 0 {
		return
	}
	local, remote = unmapped(local), unmapped(remote)
	if !f.match(remote.Addr(), data) {
		return
	}
	// As sngrep shows it: the header line reads the same both ways, our
	// address first.
	tr.log.Info("SIP trace: "+dir+" "+local.String()+" "+arrow+" "+remote.String()+" over "+transport,
		"dir", dir, "transport", transport, "local", local.String(), "remote", remote.String(),
		"text", masked(data))
}

// unmapped shows an IPv4 peer of a dual-stack socket as IPv4.
func unmapped(a netip.AddrPort) netip.AddrPort { return netip.AddrPortFrom(a.Addr().Unmap(), a.Port()) }

func (f *traceFilter) match(remote netip.Addr, data []byte) bool {
	for _, p := range f.sources {
		if p.Contains(remote) {
			return true
		}
	}
	if len(f.users) == 0 {
		return false
	}
	for _, u := range partyUsers(data) {
		if f.users[u] {
			return true
		}
	}
	return false
}

// headerBlocks splits the header section of a message into its start
// line and its headers, each with its continuation lines (RFC 3261
// §7.3.1), as written; body is what follows the empty line.
func headerBlocks(data []byte) (blocks []string, body string) {
	head, rest, found := strings.Cut(string(data), "\r\n\r\n")
	sep := "\r\n\r\n"
	if lf := strings.Index(string(data), "\n\n"); lf >= 0 && (!found || lf < len(head)) {
		head, rest, sep, found = string(data[:lf]), string(data[lf+2:]), "\n\n", true
	}
	if found {
		body = sep + rest
	}
	for line := range strings.Lines(head) {
		if len(blocks) > 1 && (line[0] == ' ' || line[0] == '\t') {
			blocks[len(blocks)-1] += line
			continue
		}
		blocks = append(blocks, line)
	}
	return blocks, body
}

// headerName is the lower-case name of a header block, "" for none.
func headerName(block string) string {
	name, _, ok := strings.Cut(block, ":")
	if !ok {
		return ""
	}
	return strings.ToLower(strings.TrimSpace(name))
}

// partyUsers are the user parts of the From and To URIs, read from the
// text, so that a message the parser refuses is traced too.
func partyUsers(data []byte) []string {
	blocks, _ := headerBlocks(data)
	var out []string
	for _, b := range blocks[min(1, len(blocks)):] {
		switch headerName(b) {
		case "from", "f", "to", "t":
			_, value, _ := strings.Cut(b, ":")
			if u := uriUser(value); u != "" {
				out = append(out, u)
			}
		}
	}
	return out
}

// uriUser reads the user of the first sip:, sips: or tel: URI in a
// header value.
func uriUser(value string) string {
	lower := strings.ToLower(value)
	for _, scheme := range []string{"sips:", "sip:", "tel:"} {
		i := strings.Index(lower, scheme)
		if i < 0 {
			continue
		}
		rest := value[i+len(scheme):]
		end := strings.IndexAny(rest, ";>?, \t\r\n")
		if end < 0 {
			end = len(rest)
		}
		uri := rest[:end]
		if scheme == "tel:" {
			return uri
		}
		user, _, ok := strings.Cut(uri, "@")
		if !ok {
			return ""
		}
		user, _, _ = strings.Cut(user, ":") // user:password@host
		return user
	}
	return ""
}

// digestResponse is the response parameter of digest credentials,
// wherever folding put it.
var digestResponse = regexp.MustCompile(`(?i)(\bresponse\s*=\s*)("[^"]*"?|[^\s,]*)`)

// masked is the text of a message for the trace: the digest response of
// an Authorization or Proxy-Authorization header is a password's
// equivalent for as long as its nonce lives, so it is replaced, and any
// other scheme's credentials are replaced whole. SDES keys in an SDP
// body are replaced too (maskKeys).
func masked(data []byte) string {
	blocks, body := headerBlocks(data)
	body, changed := maskKeys(body)
	for i, b := range blocks {
		if i == 0 {
			continue
		}
		name := headerName(b)
		if name != "authorization" && name != "proxy-authorization" {
			continue
		}
		changed = true
		colon := strings.IndexByte(b, ':')
		value := b[colon+1:]
		eol := value[len(strings.TrimRight(value, "\r\n")):]
		scheme := strings.Fields(value)
		if len(scheme) > 0 && strings.EqualFold(scheme[0], "digest") {
			blocks[i] = b[:colon+1] + digestResponse.ReplaceAllString(value, `${1}"(masked)"`)
		} else {
			blocks[i] = b[:colon+1] + " (masked)" + eol
		}
	}
	if !changed {
		return string(data)
	}
	return strings.Join(blocks, "") + body
}

// tracedPacketConn traces and counts each datagram it sends: sipgo's
// messages and the screen's answers alike.
type tracedPacketConn struct {
	net.PacketConn
	trace  *tracer
	counts *messageCounts
	local  netip.AddrPort
}

func (c *tracedPacketConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	n, err := c.PacketConn.WriteTo(b, addr)
	if err == nil {
		c.counts.count(b[:n], true)
		c.trace.sent("UDP", c.local, addrPortOf(addr), b[:n])
	}
	return n, err
}
