package sip

import (
	"net/netip"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// callerIdentity is who the caller is: the From header, or the
// P-Asserted-Identity of a trunk the configuration trusts. RFC 3325 makes
// that header meaningful only inside a trust domain; from anyone else it
// is ignored, since a caller could otherwise claim any number (and be
// called back on it).
func (s *Server) callerIdentity(req *sip.Request) (number, name string) {
	from := req.From()
	number, name = from.Address.User, from.DisplayName
	if !s.trusted(req.Source()) {
		return number, name
	}
	for _, h := range req.GetHeaders("P-Asserted-Identity") {
		for _, v := range splitAddresses(h.Value()) {
			if n, dn, ok := assertedIdentity(v); ok {
				if dn == "" {
					dn = name
				}
				return n, dn
			}
		}
	}
	return number, name
}

// telSeparators are the visual separators RFC 3966 allows in a number.
var telSeparators = strings.NewReplacer("-", "", ".", "", "(", "", ")", "")

func (s *Server) trusted(source string) bool {
	ap, err := netip.ParseAddrPort(source)
	if err != nil {
		return false
	}
	return s.trunkSources.contains(ap.Addr())
}

// assertedIdentity reads one P-Asserted-Identity value: an optional display
// name, then a sip:, sips: or tel: URI in angle brackets. It takes the
// number only when it is digits (with + * #), the shape a caller ID has.
func assertedIdentity(v string) (number, name string, ok bool) {
	open, end := strings.IndexByte(v, '<'), strings.IndexByte(v, '>')
	if open < 0 || end < open {
		return "", "", false
	}
	name = strings.Trim(strings.TrimSpace(v[:open]), `"`)
	uri := v[open+1 : end]
	scheme, rest, found := strings.Cut(uri, ":")
	if !found {
		return "", "", false
	}
	switch strings.ToLower(scheme) {
	case "sip", "sips":
		user, _, at := strings.Cut(rest, "@")
		if !at {
			return "", "", false
		}
		number, _, _ = strings.Cut(user, ";")
	case "tel":
		number, _, _ = strings.Cut(rest, ";")
	default:
		return "", "", false
	}
	number = telSeparators.Replace(number)
	if number == "" || strings.Trim(number, "+0123456789*#") != "" {
		return "", "", false
	}
	return number, name, true
}

// splitAddresses splits a header's comma-separated addresses, leaving the
// commas inside quoted display names and angle brackets alone.
func splitAddresses(v string) []string {
	var out []string
	quoted, angle, start := false, false, 0
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '\\' && quoted:
			i++ // an escaped character inside quotes
		case c == '"':
			quoted = !quoted
		case c == '<' && !quoted:
			angle = true
		case c == '>' && !quoted:
			angle = false
		case c == ',' && !quoted && !angle:
			out = append(out, v[start:i])
			start = i + 1
		}
	}
	return append(out, v[start:])
}
