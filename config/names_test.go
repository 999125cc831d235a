package config

import (
	"strings"
	"testing"
)

func TestCheckName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		in   string
		want string // a part of the error; "" when the name is valid
	}{
		{"plain", "Lunch", ""},
		{"two words", "Back office", ""},
		{"digits and a dot", "Break 1.5", ""},
		{"ASCII punctuation", `Meeting (team) - "weekly" #2: a/b & c's; 50% <x> [y] {z} @ ! ? * + = ^ _ ~ | \ $ ,`, ""},
		{"French accents", "Pause déjeuner à côté", ""},
		{"German", "Schulung für Größe", ""},
		{"Polish and Czech", "Przerwa łąka, čeština", ""},
		{"Vietnamese", "Nghỉ trưa", ""},
		{"Spanish punctuation", "¿Reunión? ¡Sí! 1ª", ""},
		{"typographic quotes and dashes", "Coach’s “review” – part 2…", ""},
		{"guillemets and euro", "« Caisse » 5 € £ ¥ ‰ •", ""},
		{"Latin-1 symbols", "Temp. 20° ± 2 × 3 ÷ 4 § ©", ""},
		{"one character", "x", ""},
		{"longest", strings.Repeat("é", 255), ""},

		{"empty", "", "is empty"},
		{"too long", strings.Repeat("a", 256), "256 characters long: at most 255"},
		{"too long in accents", strings.Repeat("é", 256), "256 characters long"},
		{"leading space", " Lunch", "begins with a space"},
		{"trailing space", "Lunch ", "ends with a space"},
		{"only a space", " ", "begins with a space"},
		{"tab", "Lunch\tbreak", "character 6 is U+0009, a control character"},
		{"newline", "Lunch\n", "U+000A, a control character"},
		{"NUL", "a\x00b", "U+0000, a control character"},
		{"DEL", "a\x7fb", "U+007F, a control character"},
		{"C1 control", "a\u0085b", "U+0085, a control character"},
		{"no-break space", "Back\u00a0office", "U+00A0, a space other than the plain space"},
		{"em space", "Back\u2003office", "U+2003, a space other than"},
		{"line separator", "a\u2028b", "U+2028, a space other than"},
		{"zero-width space", "Lun\u200bch", "U+200B, an invisible formatting character"},
		{"bidi override", "\u202eLunch", "U+202E, an invisible formatting character"},
		{"soft hyphen", "Lun\u00adch", "U+00AD, an invisible formatting character"},
		{"byte order mark", "\ufeffLunch", "U+FEFF, an invisible"},
		{"combining accent", "Cafe\u0301", "U+0301, a combining mark"},
		{"Cyrillic lookalike", "Lun\u0441h", "character 4 is U+0441, which a name may not hold"},
		{"Greek", "Διάλειμμα", "U+0394"},
		{"Arabic digit", "Break \u0663", "U+0663"},
		{"CJK", "午休", "U+5348"},
		{"emoji", "Lunch 🍔", "U+1F354"},
		{"fullwidth letter", "Ｌunch", "U+FF2C"},
		{"ligature", "ﬁle", "U+FB01"},
		{"IPA letter", "ɐ", "U+0250"},
		{"superscript digit", "m²", "U+00B2"},
		{"micro sign", "µs", "U+00B5"},
		{"replacement character", "a\ufffdb", "U+FFFD"},
		{"invalid UTF-8", "a\xffb", "not valid UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := CheckName("pause reason", tc.in)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("CheckName(%q) = %v; want it accepted", tc.in, err)
			case tc.want != "" && err == nil:
				t.Fatalf("CheckName(%q) accepted it; want %q", tc.in, tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Fatalf("CheckName(%q) = %v; want %q", tc.in, err, tc.want)
			case err != nil && !strings.HasPrefix(err.Error(), "pause reason"):
				t.Fatalf("CheckName(%q) = %v: the message does not say what was checked", tc.in, err)
			}
		})
	}
}

func TestNameKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{"Lunch", "lunch", true},
		{"LUNCH", "lunch", true},
		{"Pause DÉJEUNER", "pause déjeuner", true},
		{"Straße", "STRAßE", true},
		{"ẞ", "ß", true},      // capital sharp s folds to ß
		{"K", "\u212a", true}, // the Kelvin sign folds to k
		{"sſ", "SS", true},    // long s folds to s
		{"Lunch", "Lunch ", false},
		{"Lunch", "Launch", false},
		{"é", "e", false},
	} {
		if got := NameKey(tc.a) == NameKey(tc.b); got != tc.same {
			t.Errorf("NameKey(%q) == NameKey(%q) is %v; want %v", tc.a, tc.b, got, tc.same)
		}
		if got := strings.EqualFold(tc.a, tc.b); got != tc.same {
			t.Errorf("strings.EqualFold(%q, %q) is %v; NameKey must agree with it", tc.a, tc.b, got)
		}
	}
}

// TestPauseReasonsInTheFile: the file's reasons obey the same rule, and
// each is known by its line.
func TestPauseReasonsInTheFile(t *testing.T) {
	t.Parallel()
	c, err := Parse("t.yaml", []byte("pause_reasons:\n  - Lunch\n  - \"Back\\toffice\"\n  - Straße\n  - STRASSE\n  - STRAẞE\n"))
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	for _, want := range []string{
		"t.yaml:3: pause_reasons: pause reason: character 5 is U+0009, a control character",
		`t.yaml:6: pause_reasons: "STRAẞE" is given twice`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("errors\n%s\nlack %q", msg, want)
		}
	}
	if strings.Contains(msg, "t.yaml:5:") {
		t.Errorf("STRASSE is not Straße without regard to case (EqualFold says so too), yet: %s", msg)
	}
	c, err = Parse("t.yaml", []byte("pause_reasons: [Lunch]\nsip_realm: x\n"))
	if c == nil {
		t.Fatal(err)
	}
	if got := c.PauseReasonSource(0); got != "t.yaml:1" {
		t.Fatalf("PauseReasonSource(0) = %q", got)
	}
}
