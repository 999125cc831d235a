package config

import (
	"strings"
	"testing"
)

// TestNumberRoutes: which numbers: key takes a dialled number, exact
// numbers before patterns and, among patterns, the most specific first
// by Asterisk's rules.
func TestNumberRoutes(t *testing.T) {
	numbers := map[string]Ref{}
	for key, plan := range map[string]string{
		"100":             "exact",
		"+442071234567":   "exact-london",
		"_+4420XXXXXXXX":  "london",
		"+4420*":          "london-any",
		"_+44[1-3]XXXXXX": "uk-geo",
		"_+44NXX.":        "uk-n",
		"_+44XXX.":        "uk-x",
		"_+44!":           "uk-all",
		"_1NXXNXXXXXX":    "nanp",
		"_1-415-NXX-XXXX": "sf",
		"_9[137]X":        "nine-odd",
		"_9[135]X":        "nine-low",
		"_2x":             "two-lower",
		"_.":              "anything",
		"_#X":             "hash",
	} {
		numbers[key] = Ref{Name: plan}
	}
	r := NewNumberRoutes(numbers)
	for _, tc := range []struct {
		number, plan, key string
	}{
		{"100", "exact", "100"},
		{"+442071234567", "exact-london", "+442071234567"}, // exact wins over every pattern
		{"+442071234568", "london", "_+4420XXXXXXXX"},      // 10 X beat the prefix's wildcard
		{"+4420712345", "london-any", "+4420*"},            // too short for the X pattern
		{"+4420", "uk-all", "_+44!"},                       // the prefix needs one more, NXX. two more
		{"+4423456", "uk-n", "_+44NXX."},                   // N (8 digits) beats X (10)
		{"+441234567", "uk-geo", "_+44[1-3]XXXXXX"},        // [1-3] (3) beats N and X
		{"+441234", "uk-x", "_+44XXX."},                    // 1 is not N; X before !
		{"+44", "uk-all", "_+44!"},                         // ! takes nothing at all
		{"14155550100", "sf", "_1-415-NXX-XXXX"},           // dashes are for reading only
		{"16505550100", "nanp", "_1NXXNXXXXXX"},
		{"11505550100", "anything", "_."}, // 1 after 1 is not N
		{"912", "nine-odd", "_9[137]X"},   // same size and first digit: Asterisk's set order
		{"952", "nine-low", "_9[135]X"},
		{"24", "two-lower", "_2x"}, // x, z, n in either case
		{"#5", "hash", "_#X"},
		{"5", "anything", "_."},
	} {
		ref, key, ok := r.Route(tc.number)
		if !ok || ref.Name != tc.plan || key != tc.key {
			t.Errorf("Route(%q) = %q by %q, %v; want %q by %q", tc.number, ref.Name, key, ok, tc.plan, tc.key)
		}
	}
	if _, _, ok := NewNumberRoutes(map[string]Ref{"_9X": {Name: "p"}}).Route("9"); ok {
		t.Error("_9X took 9: an X needs a digit")
	}
	// The order is the same whatever the map's: sorted, then stable.
	first := strings.Join(r.Patterns(), " ")
	for range 20 {
		if got := strings.Join(NewNumberRoutes(numbers).Patterns(), " "); got != first {
			t.Fatalf("pattern order changed between builds:\n%s\n%s", first, got)
		}
	}
	want := "_#X _+4420XXXXXXXX +4420* _+44[1-3]XXXXXX _+44NXX. _+44XXX. _+44! _1-415-NXX-XXXX _1NXXNXXXXXX _2x _9[137]X _9[135]X _."
	if first != want {
		t.Errorf("patterns in order\n got: %s\nwant: %s", first, want)
	}
}

// TestBadNumberPatterns: each mistake is named with what to write.
func TestBadNumberPatterns(t *testing.T) {
	for _, tc := range []struct{ key, says string }{
		{"_", "the pattern is empty"},
		{"_!", "the pattern is empty"},
		{"_9.1", `"." matches the rest of the number, so it must come last`},
		{"_9!X", `"!" matches the rest`},
		{"_9[1-5", "has no ]"},
		{"_9[]", "is empty"},
		{"_9[5-1]", "the range 5-1"},
		{"_9[a]", `"a" is not a digit`},
		{"_9Q", `"Q" is neither a digit`},
		{"+44X*", "a prefix is digits"},
	} {
		err := CheckNumberKey(tc.key)
		if err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%q: %v; want it to say %q", tc.key, err, tc.says)
		}
	}
	for _, ok := range []string{"100", "+14155550100", "_X.", "_+1[2-9]XX[2-9]XXXXXX", "+4420*", "*50"} {
		if err := CheckNumberKey(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
}

// TestBadPatternInFile: the file's mistake is at its line, named.
func TestBadPatternInFile(t *testing.T) {
	_, err := Parse("acd.yaml", []byte("numbers:\n  \"100\": main\n  \"_9[1-5\": main\ndialplans:\n  main:\n    entry: bye\n    nodes:\n      bye: {type: hangup}\n"))
	if err == nil || !strings.Contains(err.Error(), `acd.yaml:3: number "_9[1-5": the set opened at position 3 has no ]`) {
		t.Fatalf("got %v", err)
	}
}
