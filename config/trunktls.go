package config

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// TrunkTarget is where and how a trunk is dialled.
type TrunkTarget struct {
	// Host is an IP address, or over TLS a name too: the name the
	// trunk's certificate must be valid for.
	Host string
	Port int
	// Transport is UDP, TCP or TLS, as SIP writes it in Via.
	Transport string
	// Secure is a sips: address: only TLS, and DNS's SIPS services.
	Secure bool
	// Explicit is a transport the trunk names (transport:, or
	// ;transport= in the address): a domain is then looked up by that
	// transport's SRV record alone, with no NAPTR (RFC 3263 §4.1).
	Explicit bool
}

// Address is host:port, for the transport to dial; a domain left for DNS
// to resolve (no port) is itself.
func (t TrunkTarget) Address() string {
	if t.Port == 0 {
		return t.Host
	}
	return net.JoinHostPort(t.Host, strconv.Itoa(t.Port))
}

// Target reads a trunk's address and transport. The address is IP:PORT
// (UDP unless transport says otherwise), HOST:PORT, or a domain, or for
// TLS sips:HOST[:PORT], sip:HOST[:PORT];transport=tls or
// HOST[:PORT];transport=tls, where HOST may be a name. An IP address
// over TLS defaults to port 5061; a name without a port is a domain
// whose servers DNS names (RFC 3263), its certificate checked against
// the domain.
func (t *Trunk) Target() (TrunkTarget, error) {
	return parseTarget(t.Address, t.Transport)
}

// RegistrarTarget is where REGISTER goes: registrar, over the trunk's
// transport, or the trunk's own target.
func (t *Trunk) RegistrarTarget() (TrunkTarget, error) {
	target, err := t.Target()
	if err != nil || t.Registrar == "" {
		return target, err
	}
	reg, err := parseTarget(t.Registrar, "")
	if err != nil {
		return TrunkTarget{}, fmt.Errorf("registrar: %w", err)
	}
	reg.Transport, reg.Secure, reg.Explicit = target.Transport, target.Secure, target.Explicit
	if reg.Transport == "TLS" && reg.Port == 0 {
		if _, err := netip.ParseAddr(reg.Host); err == nil {
			reg.Port = 5061
		}
	}
	return reg, nil
}

func parseTarget(address, transportField string) (TrunkTarget, error) {
	addr := strings.TrimSpace(address)
	transport := strings.ToUpper(transportField)
	explicit := transport != ""
	switch transport {
	case "", "UDP", "TCP", "TLS":
	default:
		return TrunkTarget{}, fmt.Errorf("transport %q: want udp, tcp or tls", transportField)
	}
	fromAddress, secure := "", false
	if rest, ok := cutPrefixFold(addr, "sips:"); ok {
		addr, fromAddress, secure = rest, "TLS", true
	} else if rest, ok := cutPrefixFold(addr, "sip:"); ok {
		addr = rest
	}
	if host, params, ok := strings.Cut(addr, ";"); ok {
		addr = host
		for _, p := range strings.Split(params, ";") {
			k, v, _ := strings.Cut(p, "=")
			if !strings.EqualFold(strings.TrimSpace(k), "transport") {
				return TrunkTarget{}, fmt.Errorf("address %q: only ;transport= may follow the address", address)
			}
			v = strings.ToUpper(strings.TrimSpace(v))
			if v != "UDP" && v != "TCP" && v != "TLS" {
				return TrunkTarget{}, fmt.Errorf("address %q: transport %q: want udp, tcp or tls", address, v)
			}
			if fromAddress != "" && fromAddress != v {
				return TrunkTarget{}, fmt.Errorf("address %q: a sips: address is dialled over TLS only", address)
			}
			fromAddress, explicit = v, true
		}
	}
	if fromAddress != "" && transport != "" && fromAddress != transport {
		return TrunkTarget{}, fmt.Errorf("address %q is dialled over %s, but transport says %s", address, fromAddress, transport)
	}
	if transport == "" {
		transport = fromAddress
	}
	if transport == "" {
		transport = "UDP"
	}
	if transport != "TLS" {
		// UDP and TCP: IP:PORT, HOST:PORT or a domain that DNS resolves
		// (RFC 3263), kept as written.
		if !ValidSIPAddress(addr) {
			return TrunkTarget{}, fmt.Errorf("address %q: want IP:PORT, HOST:PORT or a domain (resolved by DNS NAPTR and SRV records, RFC 3263)", address)
		}
		if ap, err := netip.ParseAddrPort(addr); err == nil {
			return TrunkTarget{Host: ap.Addr().String(), Port: int(ap.Port()), Transport: transport, Explicit: explicit}, nil
		}
		return TrunkTarget{Host: addr, Transport: transport, Explicit: explicit}, nil
	}
	host, port := addr, 0
	if h, p, err := net.SplitHostPort(addr); err == nil {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return TrunkTarget{}, fmt.Errorf("address %q: port %q: want 1-65535", address, p)
		}
		host, port = h, n
	}
	if host == "" || strings.ContainsAny(host, " /@[]") {
		return TrunkTarget{}, fmt.Errorf("address %q: want the name its certificate is for (or an IP), like sips:sip.carrier.example:5061", address)
	}
	if _, err := netip.ParseAddr(host); err == nil && port == 0 {
		port = 5061
	} else if err != nil && port == 0 && !validDomain(host) {
		return TrunkTarget{}, fmt.Errorf("address %q: want a domain whose NAPTR and SRV records name its servers, or HOST:PORT", address)
	}
	return TrunkTarget{Host: host, Port: port, Transport: transport, Secure: secure, Explicit: explicit}, nil
}

// validateTrunkTarget checks a trunk's address; one dialled over TLS
// needs the server's own TLS listener, where the trunk sends its
// requests within the call (its BYE).
func (c *Config) validateTrunkTarget(name string, t *Trunk, errs *Errors) {
	target, err := t.Target()
	if err != nil {
		errs.Add(c.File, int(t.Line), "trunk %q: %v", name, err)
		return
	}
	if t.Register && t.Registrar != "" {
		if _, err := t.RegistrarTarget(); err != nil {
			errs.Add(c.File, int(t.Line), "trunk %q: %v", name, err)
		}
	}
	if target.Transport == "TLS" && c.Server.SIPTLS == "" {
		errs.Add(c.File, int(t.Line), "trunk %q is dialled over TLS: set server.sip_tls (and server.tls), where the trunk reaches the server within its calls", name)
	}
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}
