package server

import "testing"

// TestBudgetKeepsDescriptorsForCallsAndConnections: the connection caps
// never add up, with the calls' sockets and the reserve, to more than the
// descriptor limit, and caps configured lower are kept.
func TestBudgetKeepsDescriptorsForCallsAndConnections(t *testing.T) {
	for _, c := range []struct {
		name                       string
		limit                      uint64
		calls                      int
		tls                        bool
		sip, sipSource, http, hsrc int
	}{
		{"a large limit keeps the configured caps", 1 << 20, 2000, true, 1024, 64, 1024, 256},
		{"512 with max_calls 100", 512, 100, false, 92, 64, 92, 92},
		{"512 with max_calls past it", 512, 2000, false, 48, 48, 48, 48},
		{"1024 with TLS", 1024, 100, true, 232, 64, 232, 232},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := budgetOf(c.limit, c.calls, 1024, 64, c.tls, 1024, 256)
			if b.sipTCP != c.sip || b.sipSource != c.sipSource || b.http != c.http || b.httpSrc != c.hsrc {
				t.Errorf("caps: sip %d/%d http %d/%d; want sip %d/%d http %d/%d", b.sipTCP, b.sipSource, b.http, b.httpSrc, c.sip, c.sipSource, c.http, c.hsrc)
			}
			sipAll := b.sipTCP
			if c.tls {
				sipAll *= 2
			}
			if used := uint64(descriptorReserve + b.calls + sipAll + b.http); c.limit < 1<<20 && used > c.limit {
				t.Errorf("reserve, calls and caps use %d descriptors of %d", used, c.limit)
			}
		})
	}
}
