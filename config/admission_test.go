package config

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func TestAllowCallsFrom(t *testing.T) {
	t.Parallel()
	loopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	for _, tt := range []struct {
		name, yaml string
		want       []netip.Prefix
	}{
		{"unset is loopback", "sip: {}\n", loopback},
		{"no sip section is loopback", "max_steps: 10\n", loopback},
		{"an empty list admits no network", "sip:\n  allow_calls_from: []\n", nil},
		{"a list replaces loopback", "sip:\n  allow_calls_from: [192.0.2.0/24, 2001:db8::/32]\n",
			[]netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("2001:db8::/32")}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("t.yaml", []byte(tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			if got := c.SIP.AllowCallsFromPrefixes(); !slices.Equal(got, tt.want) {
				t.Fatalf("allow_calls_from %v, want %v", got, tt.want)
			}
		})
	}
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if got := c.SIP.AllowCallsFromPrefixes(); !slices.Equal(got, loopback) {
		t.Fatalf("the embedded default admits %v, want loopback", got)
	}
	_, err = Parse("t.yaml", []byte("sip:\n  allow_calls_from: [192.0.2.1, any]\n"))
	for _, want := range []string{`t.yaml:2: sip.allow_calls_from: "192.0.2.1": want a prefix like 192.0.2.0/24`, `t.yaml:2: sip.allow_calls_from: "any"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want %q", err, want)
		}
	}
}
