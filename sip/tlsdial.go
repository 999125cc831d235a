package sip

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// TLS to a trunk found by DNS. A sips: trunk (or one over TLS) given by
// its domain is reached at the SRV targets NAPTR and SRV name, but its
// certificate must be valid for the domain asked for, not for the SRV
// target (RFC 3263 §4, RFC 5922 §4.1): sipgo would check the name it
// dials, an address. So we open the connection ourselves, verifying the
// domain, and hand it to sipgo as one accepted, through handedConns:
// sipgo then keeps it in its pool under the target's address, reads it,
// and sends the trunk's requests on it.

// tlsHandshakeTimeout bounds the connect and handshake with a trunk.
const tlsHandshakeTimeout = 10 * time.Second

// handedConns is a listener whose connections are those we dialled,
// served by sipgo's TLS transport as accepted ones.
type handedConns struct {
	addr net.Addr      // the TLS listener's, which sipgo records as listening
	next chan net.Conn // handed to Accept
	done chan struct{} // closed by Close

	// taken is signalled by Accept when it is called again after
	// returning a connection: sipgo has then put that one in its pool.
	taken   chan struct{}
	pending bool // a connection returned, not yet signalled; Accept's alone (sipgo calls it from one loop)

	mu      sync.Mutex // serialises hand: one connection in flight at a time
	closing sync.Once
}

func newHandedConns(addr net.Addr) *handedConns {
	return &handedConns{addr: addr, next: make(chan net.Conn), done: make(chan struct{}), taken: make(chan struct{}, 1)}
}

func (h *handedConns) Addr() net.Addr { return h.addr }

func (h *handedConns) Close() error {
	h.closing.Do(func() { close(h.done) })
	return nil
}

// Accept returns the next connection handed, saying the one before has
// been taken in.
func (h *handedConns) Accept() (net.Conn, error) {
	if h.pending {
		h.pending = false
		select {
		case h.taken <- struct{}{}:
		default:
		}
	}
	select {
	case c := <-h.next:
		h.pending = true
		return c, nil
	case <-h.done:
		return nil, net.ErrClosed
	}
}

// hand gives c to sipgo and returns once sipgo has it in its pool.
func (h *handedConns) hand(ctx context.Context, c net.Conn) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	// A signal left by a connection whose hand gave up waiting.
	select {
	case <-h.taken:
	default:
	}
	select {
	case h.next <- c:
	case <-h.done:
		return net.ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-h.taken:
		return nil
	case <-h.done:
		return net.ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// serveHanded has sipgo serve the connections we dial to trunks, until
// the listener returned is closed. Without a TLS listener there is none:
// a trunk over TLS needs one for its requests within the call.
func (s *Server) serveHanded() *handedConns {
	if s.handed == nil {
		return nil
	}
	go func() { _ = s.srv.ServeTLS(s.handed) }() // ends with Close
	return s.handed
}

// tlsClientConfig is the configuration we verify trunks with, for name.
func (s *Server) tlsClientConfig(name string) *tls.Config {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.cfg.TLSClient != nil {
		cfg = s.cfg.TLSClient.Clone()
	}
	cfg.ServerName = name
	return cfg
}

// connectTLS makes sure a connection to addr whose certificate is valid
// for name is in sipgo's pool, dialling one if there is none.
func (s *Server) connectTLS(ctx context.Context, addr netip.AddrPort, name string) error {
	key := addr.String()
	pool := s.ua.TransportLayer().Pool("tls")
	if c := pool.Get(key); c != nil {
		ok := verifiedFor(c, name)
		_, _ = c.TryClose() // Get's reference
		if ok {
			return nil
		}
	}
	h := s.handed
	if h == nil {
		return unsentError{errors.New("no SIP TLS listener (server.sip_tls), where the trunk reaches the server within its calls")}
	}
	ctx, cancel := context.WithTimeout(ctx, tlsHandshakeTimeout)
	defer cancel()
	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", key)
	if err != nil {
		return unsentError{fmt.Errorf("connecting to %s: %w", key, err)}
	}
	c := tls.Client(raw, s.tlsClientConfig(name))
	if err := c.HandshakeContext(ctx); err != nil {
		_ = raw.Close()
		return unsentError{fmt.Errorf("TLS handshake with %s for %s: %w", key, name, err)}
	}
	if err := h.hand(ctx, c); err != nil {
		_ = c.Close()
		return unsentError{fmt.Errorf("using the TLS connection to %s: %w", key, err)}
	}
	return nil
}

// verifiedFor reports whether c is a TLS connection whose certificate
// is valid for name (its chain was verified when it was made).
func verifiedFor(c sip.Connection, name string) bool {
	tc, ok := c.(*sip.TCPConnection)
	if !ok {
		return false
	}
	conn, ok := tc.Conn.(*tls.Conn)
	if !ok {
		return false
	}
	st := conn.ConnectionState()
	return st.HandshakeComplete && len(st.VerifiedChains) > 0 && st.PeerCertificates[0].VerifyHostname(name) == nil
}

// overTLS has try send a trunk's request over TLS to dest, as many times
// as it takes. A trunk given by IP or HOST:PORT is one dest, which sipgo
// dials, checking the certificate against HOST. One given by a domain is
// its targets by NAPTR and SRV in turn while one does not answer (RFC
// 3263 §4.3), each connected first with the certificate checked against
// the domain; peer is the address sent to, for what we advertise.
func (s *Server) overTLS(ctx context.Context, address, transport string, secure bool, try func(dest string, peer netip.Addr) error) error {
	if ip, err := netip.ParseAddr(address); err == nil {
		dest := netip.AddrPortFrom(ip.Unmap(), defaultPort("TLS")).String()
		return try(dest, ip.Unmap())
	}
	if _, _, err := net.SplitHostPort(address); err == nil {
		return try(address, peerOf(ctx, address))
	}
	domain := strings.TrimSuffix(address, ".")
	targets, err := s.trunkTargets(ctx, domain, transport, secure)
	if err != nil {
		return err
	}
	var last error
	for i, target := range targets {
		err := s.connectTLS(ctx, target.Addr, domain)
		if err == nil {
			err = try(target.Addr.String(), target.Addr.Addr())
		}
		if err == nil || ctx.Err() != nil || !tryNext(err) {
			return err
		}
		last = err
		s.markDown(target)
		if i+1 < len(targets) {
			s.log.Warn("trunk target did not answer; trying the next", "trunk", address, "target", target.String(),
				"next", targets[i+1].String(), "error", err)
		}
	}
	return last
}
