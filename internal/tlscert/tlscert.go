// Package tlscert keeps the server's TLS certificate, shared by SIP over
// TLS and HTTPS, and swaps it for the one on disk when asked (SIGHUP):
// connections already up keep the certificate they were made with, new
// ones get the new one, and a file that does not load leaves the old one
// in force.
package tlscert

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"time"
)

// MinVersion is the oldest TLS spoken, as a server and as a client:
// TLS 1.0 and 1.1 are deprecated (RFC 8996).
const MinVersion = tls.VersionTLS12

// expiryWarning is how close to its end a certificate is warned about
// when loaded, so that a failed renewal is noticed before phones are.
const expiryWarning = 14 * 24 * time.Hour

// Keeper holds the certificate in force. Its GetCertificate is read by
// every handshake; Reload replaces what it returns.
type Keeper struct {
	certFile, keyFile string
	log               *slog.Logger
	now               func() time.Time
	current           atomic.Pointer[tls.Certificate]
}

// Load reads the certificate and key files; the error says which file
// and why, for the start-up message.
func Load(certFile, keyFile string, log *slog.Logger) (*Keeper, error) {
	k := &Keeper{certFile: certFile, keyFile: keyFile, log: log, now: time.Now}
	cert, err := k.read()
	if err != nil {
		return nil, err
	}
	k.current.Store(cert)
	k.announce("TLS certificate loaded", cert)
	return k, nil
}

// Reload puts the certificate now on disk in force for new connections.
// When it does not load (half written, key and certificate of different
// pairs, expired), the one in force stays, and the log says why.
func (k *Keeper) Reload() error {
	cert, err := k.read()
	if err != nil {
		old := k.current.Load()
		k.log.Error("TLS certificate reload failed; keeping the certificate in force",
			"cert_file", k.certFile, "key_file", k.keyFile, "error", err,
			"in_force_fingerprint", fingerprint(old.Leaf), "in_force_not_after", old.Leaf.NotAfter.UTC())
		return err
	}
	old := k.current.Swap(cert)
	if fingerprint(old.Leaf) == fingerprint(cert.Leaf) {
		k.log.Info("TLS certificate unchanged on reload", "cert_file", k.certFile, "fingerprint", fingerprint(cert.Leaf))
		return nil
	}
	k.announce("TLS certificate reloaded: new connections get it, connections up keep theirs", cert)
	return nil
}

// Current is the certificate in force.
func (k *Keeper) Current() *tls.Certificate { return k.current.Load() }

// GetCertificate is tls.Config's: every handshake gets the certificate
// in force at its start.
func (k *Keeper) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return k.current.Load(), nil
}

// ServerConfig is the TLS configuration of a listener that serves the
// certificate in force. nextProtos are ALPN names ("h2", "http/1.1"),
// none for SIP.
func (k *Keeper) ServerConfig(nextProtos ...string) *tls.Config {
	return &tls.Config{MinVersion: MinVersion, GetCertificate: k.GetCertificate, NextProtos: nextProtos}
}

func (k *Keeper) read() (*tls.Certificate, error) {
	cert, err := ReadPair(k.certFile, k.keyFile)
	if err != nil {
		return nil, err
	}
	if now := k.now(); now.After(cert.Leaf.NotAfter) {
		return nil, fmt.Errorf("certificate %s expired on %s", k.certFile, cert.Leaf.NotAfter.UTC().Format(time.DateOnly))
	}
	return cert, nil
}

// announce logs what identifies a certificate (never the key): the names
// it is valid for, its end, and its fingerprint, which `openssl x509
// -fingerprint -sha256` shows too.
func (k *Keeper) announce(msg string, cert *tls.Certificate) {
	leaf := cert.Leaf
	attrs := []any{"cert_file", k.certFile, "names", strings.Join(Names(leaf), ","),
		"not_after", leaf.NotAfter.UTC(), "fingerprint", fingerprint(leaf)}
	if left := leaf.NotAfter.Sub(k.now()); left < expiryWarning {
		k.log.Warn(msg+"; it expires soon: renew it", append(attrs, "expires_in", left.Round(time.Hour).String())...)
		return
	}
	k.log.Info(msg, attrs...)
}

// ReadPair loads a PEM certificate (chain) and its private key; the error
// names the file at fault.
func ReadPair(certFile, keyFile string) (*tls.Certificate, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, fmt.Errorf("reading the certificate: %w", err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("reading the private key: %w", err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		// The library's message names no file; which of the two is at
		// fault it does say ("private key", "certificate").
		return nil, fmt.Errorf("%s with %s: %w", certFile, keyFile, err)
	}
	if cert.Leaf == nil {
		if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return nil, fmt.Errorf("%s: %w", certFile, err)
		}
	}
	return &cert, nil
}

// ReadRoots loads the CA certificates of a PEM file.
func ReadRoots(caFile string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("reading the CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, errors.New(caFile + ": no PEM certificate in it")
	}
	return pool, nil
}

// ClientConfig is the TLS configuration for connections the server makes
// (to trunks): the peer's certificate must be valid for the name dialled,
// from roots (nil: the system's).
func ClientConfig(roots *x509.CertPool) *tls.Config {
	return &tls.Config{MinVersion: MinVersion, RootCAs: roots}
}

// Names are the names and addresses a certificate is valid for.
func Names(c *x509.Certificate) []string {
	names := append([]string(nil), c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 && c.Subject.CommonName != "" {
		names = append(names, c.Subject.CommonName)
	}
	return names
}

func fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}
