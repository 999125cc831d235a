package numbering

import "testing"

func TestClassify(t *testing.T) {
	p := &Plan{CountryCode: "1", NationalPrefix: "1", InternationalPrefix: "011", NationalLength: 10,
		Emergency: []string{"911"}, TollFree: []string{"800", "888"}, Premium: []string{"900"}, LocalAreaCodes: []string{"415", "628"}}
	tests := []struct {
		in   string
		typ  Type
		e164 string
		ok   bool
	}{
		{"+14155550123", Local, "+14155550123", true},
		{"4155550123", Local, "+14155550123", true},
		{"1-415-555-0123", Local, "+14155550123", true},
		{"(628) 555 0199", Local, "+16285550199", true},
		{"+12125550123", National, "+12125550123", true},
		{"18005550100", TollFree, "+18005550100", true},
		{"+19005550100", Premium, "+19005550100", true},
		{"+442079460000", International, "+442079460000", true},
		{"011442079460000", International, "+442079460000", true},
		{"01114155550123", Local, "+14155550123", true},
		{"911", Emergency, "911", true},
		{"", "", "", false},
		{"anonymous", "", "", false},
		{"12345", "", "", false},
		{"+1415555012", "", "", false},
		{"sip:bob", "", "", false},
	}
	for _, tt := range tests {
		typ, e164, err := p.Classify(tt.in)
		if (err == nil) != tt.ok || typ != tt.typ || e164 != tt.e164 {
			t.Errorf("Classify(%q) = %q %q %v; want %q %q ok=%v", tt.in, typ, e164, err, tt.typ, tt.e164, tt.ok)
		}
	}
}
