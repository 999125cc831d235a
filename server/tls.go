package server

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"net/netip"

	"github.com/acdserver/acd/config"
	"github.com/acdserver/acd/internal/tlscert"
)

// serverTLS is what the server's TLS settings give: the certificate,
// reloaded on SIGHUP, for SIP over TLS and HTTPS; the roots trunks are
// verified against; and the SIP TLS listener, when there is one.
type serverTLS struct {
	keeper *tlscert.Keeper // nil without server.tls
	client *tls.Config     // nil: sipgo's default, the system's roots
	sip    net.Listener    // nil without server.sip_tls
	https  bool            // server.http serves HTTPS
	log    *slog.Logger
}

// startTLS loads the certificate and opens the SIP TLS listener. The
// configuration has checked the files; they are read again here, since
// they may have changed since.
func startTLS(s config.Server, log *slog.Logger) (*serverTLS, error) {
	st := &serverTLS{https: s.HTTPTLS}
	if !s.TLS.Configured() {
		return st, nil
	}
	var err error
	if st.keeper, err = tlscert.Load(s.TLS.CertFile, s.TLS.KeyFile, log); err != nil {
		return nil, fmt.Errorf("server.tls: %w", err)
	}
	var roots *x509.CertPool // nil: the system's
	if s.TLS.CAFile != "" {
		if roots, err = tlscert.ReadRoots(s.TLS.CAFile); err != nil {
			return nil, fmt.Errorf("server.tls.ca_file: %w", err)
		}
	}
	st.client = tlscert.ClientConfig(roots)
	if s.SIPTLS != "" {
		ap, err := netip.ParseAddrPort(s.SIPTLS)
		if err != nil {
			return nil, &ExitError{2, fmt.Errorf("sip_tls address %q: want IP:PORT", s.SIPTLS)}
		}
		if st.sip, err = net.ListenTCP("tcp", net.TCPAddrFromAddrPort(ap)); err != nil {
			return nil, fmt.Errorf("sip tls: %w", err)
		}
	}
	return st, nil
}

// sipServerConfig is the handshake configuration of the SIP TLS listener.
func (st *serverTLS) sipServerConfig() *tls.Config {
	if st.keeper == nil {
		return nil
	}
	return st.keeper.ServerConfig()
}

// httpServerConfig is the HTTPS listener's, or nil for plain HTTP.
func (st *serverTLS) httpServerConfig() *tls.Config {
	if st.keeper == nil || !st.https {
		return nil
	}
	return st.keeper.ServerConfig("h2", "http/1.1")
}

// reload reads the certificate again (SIGHUP); a file that does not load
// leaves the one in force, and the keeper logs why.
func (st *serverTLS) reload() {
	if st.keeper != nil {
		_ = st.keeper.Reload()
	}
}

// sipAddress is the SIP TLS listener's address for the start-up line,
// "off" without one.
func (st *serverTLS) sipAddress() string {
	if st.sip == nil {
		return "off"
	}
	return st.sip.Addr().String()
}

// close closes the SIP TLS listener when the server does not get as far
// as serving it.
func (st *serverTLS) close() {
	if st != nil && st.sip != nil {
		_ = st.sip.Close()
	}
}
