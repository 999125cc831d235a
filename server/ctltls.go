package server

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/acdserver/acd/config"
	"github.com/acdserver/acd/internal/tlscert"
)

// ErrCtlCertificate is a server whose HTTPS certificate acd ctl refuses.
var ErrCtlCertificate = errors.New("the server's HTTPS certificate is refused")

// ctlHTTP is how acd ctl reaches the server: plain HTTP, or HTTPS when
// the configuration serves it. Over HTTPS it trusts exactly the
// certificate in server.tls.cert_file: acd ctl calls the server on its
// own machine, at an address (127.0.0.1) the certificate need not name,
// and whoever may read the ctl token may read that file too.
func CtlHTTP(cfg *config.Config) (scheme string, client *http.Client, err error) {
	client = &http.Client{Timeout: 10 * time.Second}
	if cfg == nil || !cfg.Server.HTTPTLS || !cfg.Server.TLS.Configured() {
		return "http", client, nil
	}
	certFile := cfg.Server.TLS.CertFile
	want, err := tlscert.ReadPair(certFile, cfg.Server.TLS.KeyFile)
	if err != nil {
		return "", nil, fmt.Errorf("the server serves HTTPS with server.tls: %w", err)
	}
	client.Transport = &http.Transport{TLSClientConfig: &tls.Config{
		MinVersion: tlscert.MinVersion,
		// The usual verification asks for a name; the pin below replaces
		// it, and is stricter: this one certificate and no other.
		InsecureSkipVerify: true,
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 || !bytes.Equal(raw[0], want.Leaf.Raw) {
				return fmt.Errorf("%w: not the one in %s: if the file was renewed, reload the server (SIGHUP, systemctl reload acd); else another server answers at this address",
					ErrCtlCertificate, certFile)
			}
			return nil
		},
	}}
	return "https", client, nil
}
