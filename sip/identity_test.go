package sip_test

import (
	"context"
	"net/netip"
	"testing"
	"time"

	sipmsg "github.com/emiago/sipgo/sip"

	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/media"
	acdsip "github.com/acdserver/acd/sip"
)

// TestAssertedIdentityFromTrustedSourcesOnly calls in with an anonymous
// From and a P-Asserted-Identity: the server takes the asserted number and
// name only when the source is one of the trusted trunks.
func TestAssertedIdentityFromTrustedSourcesOnly(t *testing.T) {
	cases := []struct {
		name               string
		trusted            []netip.Prefix
		pai                []string
		wantCaller, wantDN string
	}{
		{"trusted trunk, sip URI", []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
			[]string{`"Alice Smith" <sip:+14155550123@carrier.example;user=phone>`}, "+14155550123", "Alice Smith"},
		{"trusted trunk, comma in the display name", []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
			[]string{`"Smith, Alice" <sip:+14155550123@carrier.example>, <tel:+14155550123>`}, "+14155550123", "Smith, Alice"},
		{"trusted trunk, sip and tel values", []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
			[]string{`<sips:bob@carrier.example>, <tel:+1-415-555-0199>`}, "+14155550199", "Test Caller"},
		{"trusted trunk, unusable values", []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
			[]string{`garbage`, `<mailto:x@example.com>`, `"Eve" <sip:eve@carrier.example>`, `<tel:>`}, "anonymous", "Test Caller"},
		{"untrusted source", nil,
			[]string{`"Alice Smith" <sip:+14155550123@carrier.example>`}, "anonymous", "Test Caller"},
		{"trusted elsewhere", []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")},
			[]string{`<tel:+14155550123>`}, "anonymous", "Test Caller"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			type identity struct{ number, name string }
			got := make(chan identity, 1)
			addr, _ := startServer(t, func(ctx context.Context, c *acdsip.Call) {
				got <- identity{c.Caller(), c.CallerName()}
				select {
				case <-c.Done():
				case <-ctx.Done():
				}
			}, func(cfg *acdsip.Config) { cfg.Trusted = tc.trusted })
			ctx := within(t, 10*time.Second)
			phone := testutil.NewPhone(t)
			phone.From = "anonymous"
			for _, v := range tc.pai {
				phone.Headers = append(phone.Headers, sipmsg.NewHeader("P-Asserted-Identity", v))
			}
			s, err := phone.Invite(ctx, addr, "100", phone.SDP(101, media.PCMU))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := phone.Answered(ctx, s, nil); err != nil {
				t.Fatal(err)
			}
			select {
			case id := <-got:
				if id.number != tc.wantCaller || id.name != tc.wantDN {
					t.Fatalf("caller %q %q, want %q %q", id.number, id.name, tc.wantCaller, tc.wantDN)
				}
			case <-ctx.Done():
				t.Fatal("the call never reached its handler")
			}
			if err := phone.Hangup(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}
