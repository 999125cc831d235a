package acd

import (
	"strings"
	"testing"

	"github.com/acdserver/acd/config"
)

// TestDefaultCallbackNumbers: with the embedded default configuration, the
// numbers a fraudster would put in From (other +1 countries, area codes
// that do not exist) and emergency numbers are never offered callback nor
// dialled, while ordinary North American numbers are.
func TestDefaultCallbackNumbers(t *testing.T) {
	cfg, err := config.Default()
	if err != nil {
		t.Fatal(err)
	}
	cb := cfg.Queues["support"].Callback
	c := NewCenter(cfg, nil, nil, nil, nil, nil)
	for _, n := range []string{
		"+18769261234", // Jamaica
		"+18765550123",
		"+18092201234", // Dominican Republic
		"+12844941234", // British Virgin Islands
		"+19115550123", // the 911 area code
		"19115550123",
		"9115550123",
		"+10005550123",
		"+11235550123",
		"911", "933", "112", "+1911",
		"+19002000000", // premium rate
		"+442079460958",
		"anonymous",
	} {
		if e164, typ, err := c.callable(cb, n); err == nil {
			t.Errorf("%s may be called back (%s, %s) under the default configuration", n, typ, e164)
		}
	}
	for n, want := range map[string]string{
		"+14155550123": "local",
		"+12127365000": "national",
		"2127365000":   "national",
		"+14169795000": "national", // Canada
		"+18002752273": "toll_free",
	} {
		e164, typ, err := c.callable(cb, n)
		if err != nil || string(typ) != want || !strings.HasPrefix(e164, "+") {
			t.Errorf("%s: %q %s %v; want it called back as %s", n, e164, typ, err, want)
		}
	}
}
