package sip

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// Trunk is a SIP gateway to dial out through.
type Trunk struct {
	// Address is IP:PORT, HOST:PORT or a domain whose servers DNS names
	// (RFC 3263); it is also the host of the Request-URI.
	// Over TLS it is HOST:PORT or an IP address, which the trunk's
	// certificate must be valid for, or a domain, which it must be valid
	// for wherever NAPTR and SRV lead.
	Address string
	// Transport is the transport the trunk names: UDP, TCP or TLS, or
	// empty for UDP to a numeric address and DNS's choice for a domain.
	// A domain with a transport named is looked up by that transport's
	// SRV record, skipping NAPTR (RFC 3263 §4.1).
	Transport string
	// Secure is a sips: trunk: over TLS, and for a domain DNS's SIPS
	// services alone. Over TLS, a trunk given by domain is reached where
	// NAPTR and SRV say, its certificate checked against the domain.
	Secure             bool
	Username, Password string // digest credentials, when the gateway asks
	// SRTP is the trunk's policy for the calls we place through it.
	SRTP SRTPPolicy
	// CallerID, when its Number is set, is what the trunk presents
	// instead of the caller ID Dial is given: carriers often accept only
	// the numbers of the account.
	CallerID Caller
}

// unsentError is a request that never left: no route, no connection.
type unsentError struct{ err error }

func (e unsentError) Error() string { return e.err.Error() }
func (e unsentError) Unwrap() error { return e.err }

// Dial calls number through a trunk, presenting callerID (or the trunk's
// own) in From and P-Asserted-Identity, until it answers or ctx ends.
// The caller decides what may be dialled; this only dials. A trunk
// given by host name is tried target after target, in the order DNS
// gives (RFC 3263 §4.3), while one does not answer.
func (s *Server) Dial(ctx context.Context, t Trunk, number, callerID string) (*Leg, error) {
	// Before sipgo reads the UDP socket, a request to a new peer would
	// bind its address anew, and fail (listening.go).
	select {
	case <-s.listening.ready:
	case <-ctx.Done():
		return nil, fmt.Errorf("dialling %s: %w", number, ctx.Err())
	}
	from := Caller{Number: callerID}
	if t.CallerID.Number != "" {
		from = t.CallerID
	}
	if t.Secure || strings.EqualFold(t.Transport, "TLS") {
		return s.dialTLS(ctx, t, number, from)
	}
	var uri sip.Uri
	if err := sip.ParseUri(fmt.Sprintf("sip:%s@%s", userPart(number), t.Address), &uri); err != nil {
		return nil, fmt.Errorf("dialling %s: %w", number, err)
	}
	targets, err := s.trunkTargets(ctx, t.Address, strings.ToUpper(t.Transport), false)
	if err != nil {
		return nil, fmt.Errorf("dialling %s: %w", number, err)
	}
	var last error
	for i, target := range targets {
		// RFC 3325 §9.1: the identity we assert to the carrier, a trusted
		// peer, is the number we present.
		pai := sip.NewHeader("P-Asserted-Identity", assertedHeader(from, s.advertise(target.Addr.Addr()).String()))
		leg, err := s.invite(ctx, "number", number, uri, target.Addr.String(), target.Transport, from,
			t.Username, t.Password, fmt.Sprintf("<%s>", uri.String()), t.SRTP, pai)
		if err == nil || ctx.Err() != nil || !tryNext(err) {
			return leg, err
		}
		last = err
		s.markDown(target)
		if i+1 < len(targets) {
			s.log.Warn("trunk target did not answer; trying the next", "trunk", t.Address, "target", target.String(),
				"next", targets[i+1].String(), "error", err)
		}
	}
	return nil, last
}

// tryNext reports whether a failed INVITE is one RFC 3263 §4.3 sends to
// the next target: no response at all (a dead server, or ICMP), a
// transport error, or 503 (RFC 3261 §21.5.4, the server is overloaded or
// in maintenance).
func tryNext(err error) bool {
	var ring *RingError
	var unsent unsentError
	switch {
	case errors.Is(err, ErrNoResponse), errors.Is(err, errNoReply), errors.As(err, &unsent):
		return true
	case errors.As(err, &ring):
		return ring.Code == 503 || ring.Code == 408
	}
	return false
}

// markDown has a target that failed tried after the others for a while.
func (s *Server) markDown(t Target) {
	if s.cfg.Resolver != nil {
		s.cfg.Resolver.MarkDown(t)
	}
}

// trunkTargets resolves a trunk's address (RFC 3263 §4: transport the
// one it names, secure for sips:), keeping the targets our socket can
// reach: an IPv4 listener sends to no IPv6 address.
func (s *Server) trunkTargets(ctx context.Context, address, transport string, secure bool) ([]Target, error) {
	// A numeric address is dialled as it is, over the transport the
	// trunk names (UDP, or TLS for sips:, when it names none).
	numeric := transport
	if numeric == "" {
		numeric = "UDP"
		if secure {
			numeric = "TLS"
		}
	}
	if ip, err := netip.ParseAddr(address); err == nil {
		return []Target{{Transport: numeric, Addr: netip.AddrPortFrom(ip.Unmap(), defaultPort(numeric))}}, nil
	}
	if ap, err := netip.ParseAddrPort(address); err == nil {
		return []Target{{Transport: numeric, Addr: netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())}}, nil
	}
	if s.cfg.Resolver == nil {
		return nil, fmt.Errorf("trunk %s: no DNS resolver for host names", address)
	}
	all, err := s.cfg.Resolver.ResolveURI(ctx, address, transport, secure)
	if err != nil {
		return nil, err
	}
	var out []Target
	for _, t := range all {
		if s.mediaIP.IsUnspecified() || t.Addr.Addr().Is4() == s.mediaIP.Is4() {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("trunk %s: no target of the listening address's family (%v)", address, all)
	}
	return out, nil
}

// assertedHeader is a P-Asserted-Identity value for the caller (RFC
// 3325 §9.1): name-addr with a SIP URI; the number in E.164 carries
// user=phone (RFC 3261 §19.1.1).
func assertedHeader(c Caller, host string) string {
	user := userPart(c.Number)
	params := ""
	if len(user) > 1 && user[0] == '+' {
		params = ";user=phone"
	}
	name := displayName(c.Name)
	if name == "" {
		return fmt.Sprintf("<sip:%s@%s%s>", user, host, params)
	}
	return fmt.Sprintf("%q <sip:%s@%s%s>", name, user, host, params)
}

// displayName is a name as a quoted string may carry it.
func displayName(name string) string {
	return strings.NewReplacer(`"`, "", `\`, "").Replace(name)
}

// dialTLS calls through a trunk over TLS: to the name its address
// gives, or to the targets DNS gives for its domain, the certificate
// valid for that name or domain.
func (s *Server) dialTLS(ctx context.Context, t Trunk, number string, from Caller) (*Leg, error) {
	var uri sip.Uri
	if err := sip.ParseUri(fmt.Sprintf("sip:%s@%s;transport=tls", userPart(number), t.Address), &uri); err != nil {
		return nil, fmt.Errorf("dialling %s: %w", number, err)
	}
	var leg *Leg
	err := s.overTLS(ctx, t.Address, t.Transport, t.Secure, func(dest string, peer netip.Addr) error {
		pai := sip.NewHeader("P-Asserted-Identity", assertedHeader(from, s.advertise(peer).String()))
		var err error
		leg, err = s.invite(ctx, "number", number, uri, dest, "TLS", from, t.Username, t.Password, fmt.Sprintf("<%s>", uri.String()), t.SRTP, pai)
		return err
	})
	if why, refused := certificateRefused(err); refused {
		s.log.Error("trunk's TLS certificate refused: the call through it is not placed",
			"trunk", t.Address, "server_name", uri.Host, "reason", why)
		return nil, fmt.Errorf("dialling %s through %s: TLS certificate refused: %s", number, t.Address, why)
	}
	return leg, err
}
