package config

import (
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/acdserver/acd/numbering"
)

// Trunk defaults. An hour is what most carriers grant and ask for; a
// failed registration is tried again after 30 s, then less and less
// often up to every 10 minutes, so that a carrier that refuses us (a
// wrong password) is not flooded, and one that was down is back in use
// within minutes.
const (
	defaultRegisterExpires  = time.Hour
	defaultRegisterRetryMin = 30 * time.Second
	defaultRegisterRetryMax = 10 * time.Minute
)

// RegisterRetry bounds the back-off between failed registrations.
type RegisterRetry struct {
	Min  Duration `yaml:"min"`
	Max  Duration `yaml:"max"`
	Line Line
}

// TrunkCallerID is what a trunk presents on the calls placed through it,
// in From and P-Asserted-Identity, instead of the queue's caller ID:
// carriers often accept only the numbers of the account.
type TrunkCallerID struct {
	Number string `yaml:"number"`
	Name   string `yaml:"name"`
	Line   Line
}

// RegistrarAddress is where REGISTER goes: registrar, or the trunk's
// address.
func (t *Trunk) RegistrarAddress() string {
	if t.Registrar != "" {
		return t.Registrar
	}
	return t.Address
}

// RegisterExpiresD is the registration interval asked for.
func (t *Trunk) RegisterExpiresD() time.Duration {
	if t.RegisterExpires <= 0 {
		return defaultRegisterExpires
	}
	return t.RegisterExpires.D()
}

// Contact is the user of the Contact registered: contact_user, or the
// username.
func (t *Trunk) Contact() string {
	if t.ContactUser != "" {
		return t.ContactUser
	}
	return t.Username
}

// RetryBounds are the shortest and longest waits after a failed
// registration.
func (t *Trunk) RetryBounds() (lo, hi time.Duration) {
	lo, hi = defaultRegisterRetryMin, defaultRegisterRetryMax
	if r := t.RegisterRetry; r != nil {
		if r.Min > 0 {
			lo = r.Min.D()
		}
		if r.Max > 0 {
			hi = r.Max.D()
		}
	}
	return lo, hi
}

func (t *Trunk) validate(f, name string, plan *numbering.Plan, errs *Errors) {
	line := int(t.Line)
	// The address and transport are checked with the TLS settings
	// (validateTrunkTarget).
	for _, cidr := range t.InboundFrom {
		if _, err := netip.ParsePrefix(cidr); err != nil {
			errs.Add(f, line, "trunk %q: inbound_from %q: want a prefix like 192.0.2.0/24", name, cidr)
		}
	}
	if t.Registrar != "" && !ValidSIPAddress(t.Registrar) {
		errs.Add(f, line, "trunk %q: registrar %q: want IP:PORT, HOST:PORT or a domain", name, t.Registrar)
	}
	if t.Register && (t.Username == "" || t.Password == "") {
		errs.Add(f, line, "trunk %q: register: true needs username and password, the credentials the carrier gave", name)
	}
	if !t.Register && (t.Registrar != "" || t.RegisterExpires != 0 || t.ContactUser != "" || t.RegisterRetry != nil) {
		errs.Add(f, line, "trunk %q: registrar, register_expires, contact_user and register_retry apply only with register: true", name)
	}
	if t.ContactUser != "" && !validUser(t.ContactUser) {
		errs.Add(f, line, "trunk %q: contact_user %q: want the user part of a SIP URI (letters, digits, + - _ .)", name, t.ContactUser)
	}
	// A registrar that finds it too short says so with 423 and its
	// Min-Expires (RFC 3261 §10.2.8), which the registration then asks for.
	if t.RegisterExpires != 0 && t.RegisterExpires.D() < time.Second {
		errs.Add(f, line, "trunk %q: register_expires must be at least 1s", name)
	}
	if r := t.RegisterRetry; r != nil {
		lo, hi := t.RetryBounds()
		if lo > hi {
			errs.Add(f, int(r.Line), "trunk %q: register_retry.min (%v) is more than register_retry.max (%v)", name, lo, hi)
		}
	}
	if c := t.CallerID; c != nil {
		typ, e164, err := plan.Classify(c.Number)
		switch {
		case err != nil:
			errs.Add(f, int(c.Line), "trunk %q: caller_id.number %q: not a valid phone number of numbering.region %s", name, c.Number, plan.Region)
		case typ == numbering.Emergency:
			errs.Add(f, int(c.Line), "trunk %q: caller_id.number %q is an emergency number", name, c.Number)
		default:
			c.Number = e164 // what carriers take: RFC 3325 identities are E.164
		}
		if len(c.Name) > 64 || strings.IndexFunc(c.Name, func(r rune) bool { return unicode.IsControl(r) || r == '"' || r == '\\' }) >= 0 {
			errs.Add(f, int(c.Line), "trunk %q: caller_id.name %q: want at most 64 characters, without quotes, backslashes or control characters", name, c.Name)
		}
	}
}

// ValidSIPAddress reports whether s names a SIP peer: IP, IP:PORT,
// [IPv6]:PORT, HOST:PORT or a bare domain (RFC 3263 finds its servers).
func ValidSIPAddress(s string) bool {
	if _, err := netip.ParseAddr(s); err == nil {
		return true
	}
	host, port := s, ""
	if h, p, err := net.SplitHostPort(s); err == nil {
		host, port = h, p
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return false
		}
		if _, err := netip.ParseAddr(host); err == nil {
			return true
		}
	}
	return validDomain(host)
}

// validDomain: letters, digits and hyphens in dot-separated labels of at
// most 63 characters, not starting or ending with a hyphen (RFC 1123).
func validDomain(host string) bool {
	host = strings.TrimSuffix(host, ".")
	if host == "" || len(host) > 253 {
		return false
	}
	for label := range strings.SplitSeq(host, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	// All digits and dots is a malformed IP address, not a name.
	return strings.Trim(host, "0123456789.") != ""
}

func validUser(u string) bool {
	for _, r := range u {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("+-_.", r)) {
			return false
		}
	}
	return u != ""
}

// DNSServerAddresses are sip.dns_servers with the port made explicit
// (53 when left out); validated at load.
func (s SIP) DNSServerAddresses() []string {
	var out []string
	for _, a := range s.DNSServers {
		if ap, err := netip.ParseAddrPort(a); err == nil {
			out = append(out, ap.String())
		} else if ip, err := netip.ParseAddr(a); err == nil {
			out = append(out, netip.AddrPortFrom(ip, 53).String())
		}
	}
	return out
}

func (s *SIP) validateDNS(file string, errs *Errors) {
	for _, a := range s.DNSServers {
		_, err1 := netip.ParseAddrPort(a)
		_, err2 := netip.ParseAddr(a)
		if err1 != nil && err2 != nil {
			errs.Add(file, int(s.Line), "sip.dns_servers: %q: want IP or IP:PORT, like 192.0.2.53 or 127.0.0.1:5353", a)
		}
	}
}
