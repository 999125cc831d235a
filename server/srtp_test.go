package server

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/acdserver/acd/sip"
)

// TestSRTPPolicyFollowsTheVersionInForce: a call's trunk, and with it its
// SRTP policy, is read from the trunks of the configuration version in
// force when it arrives, though the version reads them once.
func TestSRTPPolicyFollowsTheVersionInForce(t *testing.T) {
	load := func(yaml string) *Program {
		t.Helper()
		path := filepath.Join(t.TempDir(), "acd.yaml")
		if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		p, err := LoadProgramData(path, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	withTrunk := load("media: {srtp: required}\ntrunks:\n  carrier:\n    address: 203.0.113.10:5060\n    inbound_from: [203.0.113.0/28]\n    srtp: \"off\"\n")
	without := load("media: {srtp: required}\n")
	tests := []struct {
		name   string
		prog   *Program
		source string
		want   sip.SRTPPolicy
		trunk  string
	}{
		{"from the trunk's network", withTrunk, "203.0.113.5:5060", sip.SRTPOff, "carrier"},
		{"from elsewhere", withTrunk, "192.0.2.1:5060", sip.SRTPRequired, ""},
		{"once the trunk is gone", without, "203.0.113.5:5060", sip.SRTPRequired, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			policy := srtpPolicies(func() *Program { return tt.prog })
			if got := policy(sip.SRTPParty{Source: tt.source}); got != tt.want {
				t.Errorf("policy for %s: %v, want %v", tt.source, got, tt.want)
			}
			if got := tt.prog.trunks.of(tt.source); got != tt.trunk {
				t.Errorf("trunk of %s: %q, want %q", tt.source, got, tt.trunk)
			}
		})
	}
}
