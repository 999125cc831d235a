package sip_test

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/media"
	acdsip "github.com/acdserver/acd/sip"
)

// TestAdvertisedAddress: a server bound to a wildcard never advertises
// it; public_address is given only to peers beyond the local networks.
func TestAdvertisedAddress(t *testing.T) {
	tests := []struct {
		name   string
		public string
		local  []netip.Prefix
		want   string
	}{
		// The "public" address is on loopback too, so that nothing the
		// phone sends there leaves this machine.
		{"wildcard bind, no public address", "", nil, "127.0.0.1"},
		{"public address for a peer beyond the local networks", "127.0.0.99", nil, "127.0.0.99"},
		{"the local address for a peer on a local network", "127.0.0.99", []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, "127.0.0.1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr, _ := startServerOn(t, net.IPv4zero, func(ctx context.Context, c *acdsip.Call) { <-ctx.Done() }, func(cfg *acdsip.Config) {
				if tc.public != "" {
					cfg.PublicAddress = netip.MustParseAddr(tc.public)
				}
				cfg.LocalNetworks = tc.local
			})
			ctx := within(t, 10*time.Second)
			phone := testutil.NewPhone(t)
			s, err := phone.Invite(ctx, addr, "100", phone.SDP(101, media.PCMU))
			if err != nil {
				t.Fatal(err)
			}
			answer, err := phone.Answered(ctx, s, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := answer.Addr.Addr().String(); got != tc.want {
				t.Errorf("SDP c= %s, want %s", got, tc.want)
			}
			if got := s.InviteResponse.Contact().Address.Host; got != tc.want {
				t.Errorf("Contact host %s, want %s", got, tc.want)
			}
			if tc.want == "127.0.0.1" {
				_ = s.Bye(ctx)
			}
		})
	}
}
