package sip

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/netip"
)

// SIP over TLS (RFC 3261 §26.2, RFC 5630's transport=tls). Connections
// accepted on the TLS listener are screened and framed exactly as TCP
// connections are (stream.go), the TLS layer sitting between the socket
// and the framer; each connection's handshake takes the certificate in
// force when it starts, so that a reloaded certificate serves new
// connections while those up keep theirs.
//
// A phone registered over TLS is rung over its own connection, and a
// trunk dialled over TLS gets a connection of its own; both are given a
// Contact of transport=tls on the TLS listener's port.

// listenTLS has Serve answer SIP over TLS on l, each handshake made with
// cfg.
func (s *Server) listenTLS(l net.Listener, cfg *tls.Config) {
	s.tlsRaw, s.tlsConfig = l, cfg
	s.tlsDialogs = s.streamDialogs(l, "tls")
	s.handed = newHandedConns(l.Addr())
}

// serveTLS starts the TLS listener, if there is one, sending its end to
// errc; the listener it returns is closed when Serve ends.
func (s *Server) serveTLS(errc chan<- error) net.Listener {
	if s.tlsRaw == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l := newStreamListener(s.tlsRaw, s.cfg.Stream, s.screen, func(src netip.AddrPort) bool { return s.keepStream("TLS", src) }, s.log)
	l.transport = "TLS"
	cfg := s.tlsConfig
	l.wrap = func(c net.Conn) net.Conn { return tls.Server(c, cfg) }
	s.tlsStream = l
	go func() { errc <- s.srv.ServeTLS(l) }()
	return l
}

// TLSConnections is the number of SIP TLS connections open now.
func (s *Server) TLSConnections() int {
	s.mu.Lock()
	l := s.tlsStream
	s.mu.Unlock()
	if l == nil {
		return 0
	}
	return l.Open()
}

// tlsHandshakeFailed reports whether c is a TLS connection whose
// handshake did not complete: a phone that refused our certificate, or a
// client that does not speak TLS.
func tlsHandshakeFailed(c net.Conn) bool {
	tc, ok := c.(*tls.Conn)
	return ok && !tc.ConnectionState().HandshakeComplete
}

// certificateRefused reports whether err is a peer's certificate that
// failed verification, with the reason people can act on.
func certificateRefused(err error) (string, bool) {
	var verify *tls.CertificateVerificationError
	if !errors.As(err, &verify) {
		return "", false
	}
	var name x509.HostnameError
	if errors.As(verify.Err, &name) {
		return "the certificate is not for this name: " + name.Error(), true
	}
	var unknown x509.UnknownAuthorityError
	if errors.As(verify.Err, &unknown) {
		return "the certificate is not signed by a trusted CA (server.tls.ca_file, or the system's roots): " + unknown.Error(), true
	}
	return verify.Err.Error(), true
}

// peerOf is the address dest (HOST:PORT) is reached at, for choosing
// what to advertise to it: a trunk dialled by name over TLS is looked up
// as the transport looks it up, IPv4 first. Unknown, the zero Addr: the
// bound address or public_address is advertised then.
func peerOf(ctx context.Context, dest string) netip.Addr {
	if a := peerAddr(dest); a.IsValid() {
		return a
	}
	host, _, err := net.SplitHostPort(dest)
	if err != nil {
		return netip.Addr{}
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil || len(ips) == 0 {
		return netip.Addr{}
	}
	for _, ip := range ips {
		if ip.Unmap().Is4() {
			return ip.Unmap()
		}
	}
	return ips[0]
}
