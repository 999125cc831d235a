package config

import "net/netip"

// defaultAllowCallsFrom is loopback: the embedded default answers a
// softphone on the server's own machine (the first test call), and no
// one else can send from those addresses.
func defaultAllowCallsFrom() []string { return []string{"127.0.0.0/8", "::1/128"} }

func (s *SIP) applyAdmissionDefaults() {
	// Unset is the default; an empty list admits no network at all.
	if s.AllowCallsFrom == nil {
		s.AllowCallsFrom = defaultAllowCallsFrom()
	}
}

func (s *SIP) validateAdmission(file string, errs *Errors) {
	for _, cidr := range s.AllowCallsFrom {
		if _, err := netip.ParsePrefix(cidr); err != nil {
			errs.Add(file, int(s.Line), "sip.allow_calls_from: %q: want a prefix like 192.0.2.0/24", cidr)
		}
	}
}

// AllowCallsFromPrefixes are the networks whose unauthenticated callers
// may call in, parsed (validated at load).
func (s SIP) AllowCallsFromPrefixes() []netip.Prefix {
	var out []netip.Prefix
	for _, cidr := range s.AllowCallsFrom {
		if p, err := netip.ParsePrefix(cidr); err == nil {
			out = append(out, p.Masked())
		}
	}
	return out
}
