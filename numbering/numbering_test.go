package numbering

import (
	"errors"
	"sync"
	"testing"
)

type classifyCase struct {
	in   string
	typ  Type
	e164 string // empty with an empty typ: ErrInvalid
}

func checkClassify(t *testing.T, p *Plan, tests []classifyCase) {
	t.Helper()
	for _, tt := range tests {
		typ, e164, err := p.Classify(tt.in)
		if tt.typ == "" {
			if !errors.Is(err, ErrInvalid) || typ != "" || e164 != "" {
				t.Errorf("%s: Classify(%q) = %q %q %v; want ErrInvalid", p.Region, tt.in, typ, e164, err)
			}
			continue
		}
		if err != nil || typ != tt.typ || e164 != tt.e164 {
			t.Errorf("%s: Classify(%q) = %q %q %v; want %q %q", p.Region, tt.in, typ, e164, err, tt.typ, tt.e164)
		}
	}
}

func TestClassifyUS(t *testing.T) {
	p := &Plan{Region: "US", NationalRegions: []string{"US", "CA"}, Emergency: []string{"933"}, LocalPrefixes: []string{"415", "628"}}
	checkClassify(t, p, []classifyCase{
		// Local and national, in the forms callers and trunks present.
		{"+14155550123", Local, "+14155550123"},
		{"4155550123", Local, "+14155550123"},
		{"14155550123", Local, "+14155550123"},
		{"1-415-555-0123", Local, "+14155550123"},
		{"(628) 555 0199", Local, "+16285550199"},
		{"01114155550123", Local, "+14155550123"},
		{"+12127365000", National, "+12127365000"},
		{"212.736.5000", National, "+12127365000"},
		{"+14169795000", National, "+14169795000"}, // Toronto: Canada is national
		{"+16139920000", National, "+16139920000"},

		{"+18002752273", TollFree, "+18002752273"},
		{"18005550100", TollFree, "+18005550100"},
		{"+18885550100", TollFree, "+18885550100"},
		{"+19002000000", Premium, "+19002000000"},
		{"+19005550111", Premium, "+19005550111"},

		// +1 but other countries, billed internationally: the one-ring
		// fraud destinations.
		{"+18769261234", International, "+18769261234"}, // Jamaica
		{"+18765550123", International, "+18765550123"},
		{"+18092201234", International, "+18092201234"}, // Dominican Republic
		{"+12844941234", International, "+12844941234"}, // British Virgin Islands
		{"+442079460958", International, "+442079460958"},
		{"011 44 20 7946 0958", International, "+442079460958"},
		{"+448001234567", International, "+448001234567"}, // UK freephone is not free from here
		{"+448712345678", Premium, "+448712345678"},

		{"911", Emergency, "911"},
		{"933", Emergency, "933"},
		{"112", Emergency, "112"},
		{"#911", Emergency, "#911"},
		{"+1911", Emergency, "+1911"},
		{"+1 911", Emergency, "+1911"},
		{"011 1 911", Emergency, "0111911"},
		{"+1933", Emergency, "+1933"},
		{"9115550123", Emergency, "9115550123"}, // dialled as is, this reaches 911

		// Area codes that do not exist, and malformed numbers.
		{"+19115550123", "", ""},
		{"19115550123", "", ""},
		{"+10005550123", "", ""},
		{"+11235550123", "", ""},
		{"+1415555012", "", ""},
		{"12345", "", ""},
		{"999", "", ""},
		{"", "", ""},
		{"+", "", ""},
		{"+1", "", ""},
		{"anonymous", "", ""},
		{"sip:bob", "", ""},
		{"1-800-FLOWERS", "", ""},
		{"+14155550123x12", "", ""},
		{"+14155550123;ext=12", "", ""},
		{"1234567890123456789012", "", ""},
	})
}

// TestClassifyConcurrently: every call's goroutine classifies its caller
// with one shared Plan, and the library keeps caches of its own.
func TestClassifyConcurrently(t *testing.T) {
	p := &Plan{Region: "US", NationalRegions: DefaultNationalRegions("US")}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for _, n := range []string{"+14155550123", "+18769261234", "911", "+19115550123", "011 44 20 7946 0958"} {
				p.Classify(n)
			}
		})
	}
	wg.Wait()
}

func TestClassifyNationalRegions(t *testing.T) {
	checkClassify(t, &Plan{Region: "US"}, []classifyCase{
		{"+12127365000", National, "+12127365000"},
		{"+14169795000", International, "+14169795000"},
	})
	checkClassify(t, &Plan{Region: "US", NationalRegions: []string{"US", "JM"}}, []classifyCase{
		{"+18769261234", National, "+18769261234"},
		{"+14169795000", International, "+14169795000"},
	})
}

func TestClassifyGB(t *testing.T) {
	p := &Plan{Region: "GB", NationalRegions: DefaultNationalRegions("GB"), LocalPrefixes: []string{"20"}}
	checkClassify(t, p, []classifyCase{
		{"020 7946 0958", Local, "+442079460958"},
		{"+441614960000", National, "+441614960000"},
		{"0800 123 4567", TollFree, "+448001234567"},
		{"00 1 415 555 0123", International, "+14155550123"},
		{"+18002752273", International, "+18002752273"},
		{"999", Emergency, "999"},
		{"112", Emergency, "112"},
		{"+44 999", Emergency, "+44999"},
		{"911", "", ""},
	})
}

func TestKnownRegion(t *testing.T) {
	for _, r := range []string{"US", "CA", "GB", "JM"} {
		if !KnownRegion(r) {
			t.Errorf("KnownRegion(%q) = false", r)
		}
	}
	for _, r := range []string{"", "us", "XX", "001", "USA"} {
		if KnownRegion(r) {
			t.Errorf("KnownRegion(%q) = true", r)
		}
	}
}
