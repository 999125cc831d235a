package config

import (
	"fmt"
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

// FieldProblem is what is wrong with one field of a trunk, the field
// named as the API and the file write it (caller_id.number).
type FieldProblem struct {
	Field string
	Msg   string
	line  Line
}

// Problems are what is wrong with a trunk on its own, read by the
// numbering plan its caller ID belongs to: its address and transport,
// then the fields validate checks. What depends on the rest of the
// configuration (a TLS listener for a TLS trunk) is not here.
func (t *Trunk) Problems(plan *numbering.Plan) []FieldProblem {
	var out []FieldProblem
	if _, err := t.Target(); err != nil {
		field := "address"
		if strings.HasPrefix(err.Error(), "transport ") {
			field = "transport"
		}
		out = append(out, FieldProblem{Field: field, Msg: err.Error()})
	}
	if t.SRTP != "" && !validSRTP(t.SRTP) {
		out = append(out, FieldProblem{Field: "srtp", Msg: fmt.Sprintf("srtp %q: want off, optional or required", t.SRTP)})
	}
	if t.Register && t.Registrar != "" {
		if _, err := t.RegistrarTarget(); err != nil && ValidSIPAddress(t.Registrar) {
			out = append(out, FieldProblem{Field: "registrar", Msg: err.Error()})
		}
	}
	return append(out, t.fieldProblems(plan)...)
}

func (t *Trunk) validate(f, name string, plan *numbering.Plan, errs *Errors) {
	// The address and transport are checked with the TLS settings
	// (validateTrunkTarget), SRTP with the others' (validateSRTP).
	for _, p := range t.fieldProblems(plan) {
		line := int(t.Line)
		if p.line != 0 {
			line = int(p.line)
		}
		errs.Add(f, line, "trunk %q: %s", name, p.Msg)
	}
}

// fieldProblems checks the fields besides address, transport and srtp;
// a valid caller ID number is rewritten in E.164, as carriers take it.
func (t *Trunk) fieldProblems(plan *numbering.Plan) []FieldProblem {
	var out []FieldProblem
	add := func(field string, line Line, format string, args ...any) {
		out = append(out, FieldProblem{Field: field, Msg: fmt.Sprintf(format, args...), line: line})
	}
	for _, cidr := range t.InboundFrom {
		if _, err := netip.ParsePrefix(cidr); err != nil {
			add("inbound_from", 0, "inbound_from %q: want a prefix like 192.0.2.0/24", cidr)
		}
	}
	if t.Registrar != "" && !ValidSIPAddress(t.Registrar) {
		add("registrar", 0, "registrar %q: want IP:PORT, HOST:PORT or a domain", t.Registrar)
	}
	if t.Register && (t.Username == "" || t.Password == "") {
		field := "password"
		if t.Username == "" {
			field = "username"
		}
		add(field, 0, "register: true needs username and password, the credentials the carrier gave")
	}
	if !t.Register && (t.Registrar != "" || t.RegisterExpires != 0 || t.ContactUser != "" || t.RegisterRetry != nil) {
		add("register", 0, "registrar, register_expires, contact_user and register_retry apply only with register: true")
	}
	if t.ContactUser != "" && !validUser(t.ContactUser) {
		add("contact_user", 0, "contact_user %q: want the user part of a SIP URI (letters, digits, + - _ .)", t.ContactUser)
	}
	// A registrar that finds it too short says so with 423 and its
	// Min-Expires (RFC 3261 §10.2.8), which the registration then asks for.
	if t.RegisterExpires != 0 && t.RegisterExpires.D() < time.Second {
		add("register_expires", 0, "register_expires must be at least 1s")
	}
	if r := t.RegisterRetry; r != nil {
		lo, hi := t.RetryBounds()
		if lo > hi {
			add("register_retry.min", r.Line, "register_retry.min (%v) is more than register_retry.max (%v)", lo, hi)
		}
	}
	if c := t.CallerID; c != nil {
		if e164, err := CallerIDNumber(plan, c.Number); err != nil {
			add("caller_id.number", c.Line, "caller_id.number %v", err)
		} else {
			c.Number = e164
		}
		if len(c.Name) > 64 || strings.IndexFunc(c.Name, func(r rune) bool { return unicode.IsControl(r) || r == '"' || r == '\\' }) >= 0 {
			add("caller_id.name", c.Line, "caller_id.name %q: want at most 64 characters, without quotes, backslashes or control characters", c.Name)
		}
	}
	return out
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
