package server

import (
	"crypto/tls"
	"errors"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/acdserver/acd/api"
)

// Request body caps. Every body the server reads is capped before it is
// parsed: the API's own operations allow 64 KiB (api.maxBody), a console
// form far less; the dial-plan editor posts a whole plan, url-encoded
// (up to three bytes a character), whose text is then held to the API's
// 64 KiB.
const (
	maxRequestBody = 128 << 10
	maxPlanForm    = 256 << 10
)

// guardHTTP is the HTTP server's root: it answers only to the configured
// host names, marks every response nosniff, caps every request body and
// parses console forms under that cap, so that no handler reads more.
//
// A recorded message's upload may send up to uploads() bytes, with room
// for a form's framing; the handler refuses a file over the limit itself,
// naming the limit.
func guardHTTP(next http.Handler, hosts []string, log *slog.Logger, uploads func() int64) http.Handler {
	allowed := map[string]bool{}
	for _, h := range hosts {
		allowed[strings.ToLower(h)] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if !allowed[hostName(r.Host)] {
			log.Warn("security: HTTP request for another host name refused", "event", "bad_host", "source", r.RemoteAddr, "host", r.Host)
			http.Error(w, "unknown host name: add it to server.http_hosts to serve it", http.StatusMisdirectedRequest)
			return
		}
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		limit := bodyCap(r)
		upload := isMessageUpload(r)
		if upload {
			limit = uploads() + uploadFraming
			// A refusal (no session, no permission, too many at once)
			// comes before the file is read. Keeping the connection would
			// have net/http read what is left of the body first, so the
			// answer would wait on a client that may never send it.
			w.Header().Set("Connection", "close")
		}
		if r.ContentLength > limit {
			tooLarge(w, limit)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		media, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		switch {
		case upload:
			// The handler reads the file itself, as it comes.
		case strings.HasPrefix(media, "multipart/"):
			// No form uploads a file; a multipart body would be parsed
			// with 32 MB in memory. Its body is not read at all.
			w.Header().Set("Connection", "close")
			http.Error(w, "multipart bodies are not accepted: send the form url-encoded", http.StatusUnsupportedMediaType)
			return
		case media == "application/x-www-form-urlencoded" && !strings.HasPrefix(r.URL.Path, "/api/"):
			// Parsed here, under the cap, so that a form too large is
			// answered 413 rather than read as an empty one.
			if err := r.ParseForm(); err != nil {
				var mb *http.MaxBytesError
				if errors.As(err, &mb) {
					tooLarge(w, mb.Limit)
					return
				}
				http.Error(w, "malformed form: "+err.Error(), http.StatusBadRequest)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// bodyCap is the most a request may send.
func bodyCap(r *http.Request) int64 {
	if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/admin/dialplans/") {
		return maxPlanForm
	}
	return maxRequestBody
}

// uploadFraming is the room a console's upload form needs beyond the
// file: the multipart boundaries and the other fields.
const uploadFraming = 64 << 10

// isMessageUpload: the API's and the console's upload of a recorded
// message, whose bodies are audio files.
func isMessageUpload(r *http.Request) bool {
	return r.Method == http.MethodPost && (r.URL.Path == api.Prefix+"/recorded-messages" || r.URL.Path == "/admin/recorded-messages")
}

func tooLarge(w http.ResponseWriter, limit int64) {
	w.Header().Set("Connection", "close") // the rest of the body is not read
	http.Error(w, "request body too large: at most "+strconv.FormatInt(limit, 10)+" bytes", http.StatusRequestEntityTooLarge)
}

// hostName is a Host header's name without port or brackets, lower case.
func hostName(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return strings.ToLower(strings.Trim(host, "[]"))
}

// connLimiter caps a listener's connections, in total and per client
// address, so that the descriptors the calls need are never taken by
// clients. One past its address's cap is closed as soon as it is
// accepted; one past the total takes the place of a connection idle
// between requests, if there is one (a keep-alive costs its client
// nothing to hold, and must not lock out /healthz), else it is closed.
type connLimiter struct {
	net.Listener
	total, perSource int
	log              *slog.Logger

	mu       sync.Mutex // guards open, bySource and conns
	open     int
	bySource map[netip.Addr]int
	conns    map[*limitedConn]struct{}

	refused    atomic.Uint64
	lastWarned atomic.Int64 // unix seconds of the last warning, to warn once a minute
}

func limitConns(ln net.Listener, total, perSource int, log *slog.Logger) *connLimiter {
	return &connLimiter{Listener: ln, total: total, perSource: perSource, log: log,
		bySource: map[netip.Addr]int{}, conns: map[*limitedConn]struct{}{}}
}

func (l *connLimiter) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		lc := &limitedConn{Conn: c, src: sourceOf(c)}
		lc.release = func() { l.give(lc) }
		ok, idle := l.take(lc)
		if idle != nil {
			_ = idle.Close()
		}
		if ok {
			return lc, nil
		}
		_ = c.Close()
		l.refused.Add(1)
		if now := time.Now().Unix(); now-l.lastWarned.Load() >= 60 {
			l.lastWarned.Store(now)
			l.log.Warn("HTTP connection refused: too many open", "source", lc.src.String(), "max_connections", l.total,
				"max_connections_per_source", l.perSource, "refused", l.refused.Load())
		}
	}
}

// take counts c in, or says no; at the total cap it names an idle
// connection to close in its place.
func (l *connLimiter) take(c *limitedConn) (ok bool, idle *limitedConn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.bySource[c.src] >= l.perSource {
		return false, nil
	}
	if l.open >= l.total {
		for other := range l.conns {
			if other.idle.CompareAndSwap(true, false) {
				idle = other
				break
			}
		}
		if idle == nil {
			return false, nil
		}
	}
	l.open++
	l.bySource[c.src]++
	l.conns[c] = struct{}{}
	return true, idle
}

func (l *connLimiter) give(c *limitedConn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	delete(l.conns, c)
	if l.bySource[c.src]--; l.bySource[c.src] <= 0 {
		delete(l.bySource, c.src)
	}
}

// connState follows which connections wait between requests (the
// http.Server's ConnState hook).
func (l *connLimiter) connState(c net.Conn, state http.ConnState) {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	if lc, ok := c.(*limitedConn); ok {
		lc.idle.Store(state == http.StateIdle)
	}
}

// Open is how many connections are held.
func (l *connLimiter) Open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.open
}

func sourceOf(c net.Conn) netip.Addr {
	ap, err := netip.ParseAddrPort(c.RemoteAddr().String())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// limitedConn gives its place back once, however often it is closed.
type limitedConn struct {
	net.Conn
	src     netip.Addr
	idle    atomic.Bool // between requests: may be closed to make room
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
