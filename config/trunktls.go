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
// (UDP unless transport says otherwise), or for TLS sips:HOST[:PORT],
// sip:HOST:PORT;transport=tls or HOST:PORT;transport=tls, where HOST may
// be a name; TLS's port defaults to 5061.
func (t *Trunk) Target() (TrunkTarget, error) {
	addr := strings.TrimSpace(t.Address)
	transport := strings.ToUpper(t.Transport)
	switch transport {
	case "", "UDP", "TCP", "TLS":
	default:
		return TrunkTarget{}, fmt.Errorf("transport %q: want udp, tcp or tls", t.Transport)
	}
	fromAddress := ""
	if rest, ok := cutPrefixFold(addr, "sips:"); ok {
		addr, fromAddress = rest, "TLS"
	} else if rest, ok := cutPrefixFold(addr, "sip:"); ok {
		addr = rest
	}
	if host, params, ok := strings.Cut(addr, ";"); ok {
		addr = host
		for _, p := range strings.Split(params, ";") {
			k, v, _ := strings.Cut(p, "=")
			if !strings.EqualFold(strings.TrimSpace(k), "transport") {
				return TrunkTarget{}, fmt.Errorf("address %q: only ;transport= may follow the address", t.Address)
			}
			v = strings.ToUpper(strings.TrimSpace(v))
			if v != "UDP" && v != "TCP" && v != "TLS" {
				return TrunkTarget{}, fmt.Errorf("address %q: transport %q: want udp, tcp or tls", t.Address, v)
			}
			if fromAddress != "" && fromAddress != v {
				return TrunkTarget{}, fmt.Errorf("address %q: a sips: address is dialled over TLS only", t.Address)
			}
			fromAddress = v
		}
	}
	if fromAddress != "" && transport != "" && fromAddress != transport {
		return TrunkTarget{}, fmt.Errorf("address %q is dialled over %s, but transport says %s", t.Address, fromAddress, transport)
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
			return TrunkTarget{}, fmt.Errorf("address %q: want IP:PORT, HOST:PORT or a domain (resolved by DNS NAPTR and SRV records, RFC 3263)", t.Address)
		}
		if ap, err := netip.ParseAddrPort(addr); err == nil {
			return TrunkTarget{Host: ap.Addr().String(), Port: int(ap.Port()), Transport: transport}, nil
		}
		return TrunkTarget{Host: addr, Transport: transport}, nil
	}
	host, port := addr, 5061
	if h, p, err := net.SplitHostPort(addr); err == nil {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return TrunkTarget{}, fmt.Errorf("address %q: port %q: want 1-65535", t.Address, p)
		}
		host, port = h, n
	}
	if host == "" || strings.ContainsAny(host, " /@[]") {
		return TrunkTarget{}, fmt.Errorf("address %q: want the name its certificate is for (or an IP), like sips:sip.carrier.example:5061", t.Address)
	}
	return TrunkTarget{Host: host, Port: port, Transport: transport}, nil
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
