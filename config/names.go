package config

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// MaxNameLen bounds the names of pause reasons and tags, in characters.
const MaxNameLen = 255

// CheckName applies the one rule for the names of pause reasons and
// tags, whether the configuration file gives them or the API; what names
// what the name is for the messages ("pause reason", "tag").
//
// A name is 1 to 255 characters, neither beginning nor ending with a
// space, and each character is one of:
//
//   - the space, U+0020;
//   - a digit 0 to 9;
//   - a letter of the Latin script, accented or not, written as one
//     character: the letters of Basic Latin, Latin-1 Supplement, Latin
//     Extended-A and -B (U+0041 to U+024F) and Latin Extended Additional
//     (U+1E00 to U+1EFF), which cover the European languages and
//     Vietnamese;
//   - ASCII punctuation and symbols: ! " # $ % & ' ( ) * + , - . / : ; < =
//     > ? @ [ \ ] ^ _ ` { | } ~;
//   - the punctuation and symbols of Latin-1 Supplement (U+00A1 to
//     U+00BF, with × and ÷): ¡ ¢ £ ¥ § « ° ± · » ¿ and the like;
//   - the punctuation of General Punctuation (U+2010 to U+205E): dashes,
//     typographic quotes and apostrophes, … • ‰ ‹ › and the like;
//   - the euro sign €.
//
// Everything else is refused: control characters, other spaces (tab,
// no-break space), invisible formatting characters, combining marks,
// emoji, and the letters and digits of other scripts. Agents and
// supervisors tell reasons apart by how they read, and reports group by
// them: a Cyrillic "а" or an invisible joiner would make two names that
// look the same and are not.
func CheckName(what, name string) error {
	if !utf8.ValidString(name) {
		return fmt.Errorf("%s is not valid UTF-8", what)
	}
	n := utf8.RuneCountInString(name)
	switch {
	case n == 0:
		return fmt.Errorf("%s is empty", what)
	case n > MaxNameLen:
		return fmt.Errorf("%s is %d characters long: at most %d", what, n, MaxNameLen)
	}
	i := 0
	for _, r := range name {
		i++
		if why := refusedChar(r); why != "" {
			return fmt.Errorf("%s: character %d is U+%04X, %s", what, i, r, why)
		}
	}
	if name[0] == ' ' {
		return fmt.Errorf("%s begins with a space", what)
	}
	if name[len(name)-1] == ' ' {
		return fmt.Errorf("%s ends with a space", what)
	}
	return nil
}

// refusedChar says why r may not be in a name, or "" when it may.
func refusedChar(r rune) string {
	latinLetter := unicode.IsLetter(r) && unicode.Is(unicode.Latin, r)
	switch {
	case r == ' ', '0' <= r && r <= '9':
		return ""
	case unicode.IsControl(r):
		return "a control character"
	case r < 0x80:
		if latinLetter || unicode.IsPunct(r) || unicode.IsSymbol(r) {
			return ""
		}
	case unicode.Is(unicode.Mn, r), unicode.Is(unicode.Me, r):
		return "a combining mark: write the accented letter as one character"
	case unicode.Is(unicode.Zs, r), unicode.Is(unicode.Zl, r), unicode.Is(unicode.Zp, r):
		return "a space other than the plain space"
	case unicode.Is(unicode.Cf, r):
		return "an invisible formatting character"
	case r >= 0xA1 && r <= 0xBF, r == '×', r == '÷':
		if latinLetter || unicode.IsPunct(r) || unicode.IsSymbol(r) {
			return ""
		}
	case r <= 0x24F, r >= 0x1E00 && r <= 0x1EFF:
		if latinLetter {
			return ""
		}
	case r >= 0x2010 && r <= 0x205E:
		if unicode.IsPunct(r) {
			return ""
		}
	case r == '€':
		return ""
	}
	return "which a name may not hold: Latin letters, digits 0-9, spaces and punctuation only"
}

// NameKey is a name's identity without regard to case: two names are the
// same reason (or tag) exactly when their keys are equal, which is when
// strings.EqualFold, as the distributor matches reasons, calls them
// equal. Each character becomes the smallest of the characters that fold
// to it.
func NameKey(name string) string {
	out := make([]rune, 0, len(name))
	for _, r := range name {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		out = append(out, least)
	}
	return string(out)
}
