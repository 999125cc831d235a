package config

import (
	"fmt"
	"net/netip"

	"github.com/acdserver/acd/internal/tlscert"
)

// TLS is the server's certificate, for SIP over TLS (server.sip_tls) and
// HTTPS (server.http_tls), and the roots it trusts when it dials a trunk
// over TLS. The certificate and key are read again on SIGHUP.
type TLS struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// CAFile holds the CAs trusted for trunks' certificates instead of
	// the system's; unset, the system's.
	CAFile string `yaml:"ca_file"`
	Line   Line
}

// Configured reports whether a certificate is set.
func (t *TLS) Configured() bool { return t != nil && t.CertFile != "" }

// HTTPBeyondLoopbackInPlain reports whether the HTTP listener serves
// plain HTTP beyond loopback, which needs plain_http_beyond_loopback.
func (s Server) HTTPBeyondLoopbackInPlain() bool {
	ap, err := netip.ParseAddrPort(s.HTTP)
	return err == nil && !ap.Addr().IsLoopback() && !s.HTTPTLS
}

// PlainHTTPRefusal is the message for plain HTTP beyond loopback without
// the opt-in; where names the setting (server.http, or a -http flag).
func PlainHTTPRefusal(where, addr string) string {
	return fmt.Sprintf("%s %s serves the API, its tokens and passwords in plain HTTP beyond loopback: "+
		"set server.http_tls: true (with server.tls.cert_file and key_file), listen on 127.0.0.1, "+
		"or, behind a TLS proxy of your own, set server.plain_http_beyond_loopback: true", where, addr)
}

// validateTLS checks the TLS settings and that the files they name load,
// so that acd check finds a wrong path or a mismatched pair before a
// start or a reload does.
func (s *Server) validateTLS(f string, errs *Errors) {
	line := int(s.Line)
	t := s.TLS
	if t != nil {
		line = int(t.Line)
		switch {
		case t.CertFile == "" && t.KeyFile == "":
			errs.Add(f, line, "server.tls: set cert_file and key_file (PEM files)")
		case t.CertFile == "" || t.KeyFile == "":
			errs.Add(f, line, "server.tls: set both cert_file and key_file (PEM files): one is missing")
		default:
			if _, err := tlscert.ReadPair(t.CertFile, t.KeyFile); err != nil {
				errs.Add(f, line, "server.tls: %v", err)
			}
		}
		if t.CAFile != "" {
			if _, err := tlscert.ReadRoots(t.CAFile); err != nil {
				errs.Add(f, line, "server.tls.ca_file: %v", err)
			}
		}
	}
	if s.SIPTLS != "" {
		if _, err := netip.ParseAddrPort(s.SIPTLS); err != nil {
			errs.Add(f, int(s.Line), "server.sip_tls %q: want IP:PORT, like 0.0.0.0:5061", s.SIPTLS)
		}
		if !t.Configured() {
			errs.Add(f, int(s.Line), "server.sip_tls is set but server.tls is not: give server.tls.cert_file and key_file")
		}
	}
	if s.HTTPTLS && !t.Configured() {
		errs.Add(f, int(s.Line), "server.http_tls is true but server.tls is not set: give server.tls.cert_file and key_file")
	}
	if s.HTTPBeyondLoopbackInPlain() && !s.PlainHTTPBeyondLoopback {
		errs.Add(f, int(s.Line), "%s", PlainHTTPRefusal("server.http", s.HTTP))
	}
}
