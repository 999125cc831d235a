package sip

import (
	"net/netip"
	"sync/atomic"
)

// prefixSet is a list of address prefixes read on the socket's path and
// replaced whole when the configuration changes: readers never wait.
type prefixSet struct {
	list atomic.Pointer[[]netip.Prefix]
}

func newPrefixSet(list []netip.Prefix) *prefixSet {
	s := &prefixSet{}
	s.set(list)
	return s
}

func (s *prefixSet) set(list []netip.Prefix) {
	l := append([]netip.Prefix(nil), list...)
	s.list.Store(&l)
}

// contains reports whether addr is in one of the prefixes; a nil set
// holds nothing.
func (s *prefixSet) contains(addr netip.Addr) bool {
	if s == nil {
		return false
	}
	addr = addr.Unmap()
	for _, p := range *s.list.Load() {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// SetTrusted replaces the trunks' sources (their inbound_from) at once:
// whose calls are admitted, whose P-Asserted-Identity names the caller,
// and who is exempt from the rate limit. A trunk made or changed while
// the server runs is in force for its next message.
func (s *Server) SetTrusted(sources []netip.Prefix) { s.trunkSources.set(sources) }
