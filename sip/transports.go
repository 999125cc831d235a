package sip

import (
	"net"
	"strings"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Requests over a stream (TCP or TLS) must go down the connection the
// phone opened: a phone behind NAT, or one that does not listen, cannot
// be reached on a new one (RFC 3261 §18.1.1 lets the client reuse it,
// and phones rely on that). sipgo keeps each accepted connection under
// its remote address, which is the address a phone registered from, and
// also under its local one, which every accepted connection shares: a
// request sent from our fixed local address would take whichever phone
// connected last. So stream requests go through a client with no local
// address, which looks the connection up by destination.

// clientFor is the client whose requests go out over transport: over UDP
// the main client, sending from the UDP socket; over TCP and TLS the
// client that sends on the connection to the destination, the one the
// phone opened or the one dialled to the trunk.
func (s *Server) clientFor(transport string) *sipgo.Client {
	if isStream(transport) {
		return s.streamClient
	}
	return s.client
}

// dialogLayer is the dialog layer for transport, before the Contact's
// host is chosen for the peer.
func (s *Server) dialogLayer(transport string) *sipgo.DialogUA {
	switch {
	case strings.EqualFold(transport, "TLS") && s.tlsDialogs != nil:
		return s.tlsDialogs
	case strings.EqualFold(transport, "TCP"):
		return s.tcpDialogs
	}
	return s.dialogs
}

// streamDialogs is a dialog layer whose requests go on the connection to
// their destination and whose Contact names the listener l with its
// transport, so that the phone sends within the dialog over it too.
func (s *Server) streamDialogs(l net.Listener, transport string) *sipgo.DialogUA {
	contact := s.dialogs.ContactHDR.Clone()
	contact.Address.Port = int(addrPortOf(l.Addr()).Port())
	contact.Address.UriParams = sip.NewParams()
	contact.Address.UriParams.Add("transport", transport)
	return &sipgo.DialogUA{Client: s.streamClient, ContactHDR: *contact, RewriteContact: true}
}

func isStream(transport string) bool {
	return strings.EqualFold(transport, "TCP") || strings.EqualFold(transport, "TLS")
}
