package config

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
)

// A numbers: key is an exact number ("100", "+14155550100"), an
// Asterisk-style pattern ("_+44NXXXXXXXXX", "_9[1-5]X."), or a prefix
// ("+4420*", shorthand for "_+4420."). Patterns let one entry route a
// block of DIDs a carrier delivers, without listing each.

// patternElement is one position of a pattern: the characters it takes,
// as a 256-bit set, or the tail wildcard that ends a pattern.
type patternElement struct {
	set   [32]byte
	count int  // characters in set
	min   byte // smallest of them
	// tail is '.' (one or more of anything) or '!' (zero or more); set
	// is empty then.
	tail byte
}

func (e *patternElement) add(c byte) {
	if e.set[c/8]&(1<<(c%8)) == 0 {
		e.set[c/8] |= 1 << (c % 8)
		if e.count == 0 || c < e.min {
			e.min = c
		}
		e.count++
	}
}

func (e *patternElement) has(c byte) bool { return e.set[c/8]&(1<<(c%8)) != 0 }

// score is Asterisk's ext_cmp1 weight of the element: fewer characters
// is more specific, then the smaller first character; the wildcards
// weigh more than any set, '!' more than '.', and the end of a pattern
// more than anything, so that a longer pattern sorts before a shorter
// one it agrees with.
func (e *patternElement) score() int {
	switch e.tail {
	case '.':
		return 0x18000
	case '!':
		return 0x28000
	}
	return e.count<<8 | int(e.min)
}

// endScore is the weight of the position after a pattern's last element.
const endScore = 0x30000

// NumberPattern is a compiled numbers: key that is not an exact number.
type NumberPattern struct {
	Key   string
	elems []patternElement
}

// IsNumberPattern reports whether a numbers: key is a pattern (it starts
// with "_") or a prefix (it ends with "*") rather than an exact number.
func IsNumberPattern(key string) bool {
	return strings.HasPrefix(key, "_") || (len(key) > 1 && strings.HasSuffix(key, "*") && !strings.HasPrefix(key, "*"))
}

// literals are what a dialled number is made of: a pattern's characters
// outside its special ones must be among them.
const literals = "0123456789+*#"

// ParseNumberPattern compiles a pattern or prefix key. Its error says what
// is wrong and how to write it.
func ParseNumberPattern(key string) (*NumberPattern, error) {
	p := &NumberPattern{Key: key}
	var body string
	switch {
	case strings.HasPrefix(key, "_"):
		body = key[1:]
	case IsNumberPattern(key):
		prefix := strings.TrimSuffix(key, "*")
		if strings.Trim(strings.TrimPrefix(prefix, "+"), "0123456789") != "" {
			return nil, fmt.Errorf("a prefix is digits (after an optional +) then *, like \"+4420*\"; for X, N, Z or sets write a pattern that starts with _, like \"_+4420XXXXXXXX\"")
		}
		body = prefix + "."
	default:
		return nil, fmt.Errorf("not a pattern: patterns start with _ (like \"_1NXXNXXXXXX\") and prefixes end with * (like \"+4420*\")")
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		var e patternElement
		switch {
		case c == '-':
			continue // readability, as in Asterisk: _NXX-XXXX
		case c == 'X' || c == 'x':
			e.addRange('0', '9')
		case c == 'Z' || c == 'z':
			e.addRange('1', '9')
		case c == 'N' || c == 'n':
			e.addRange('2', '9')
		case c == '.' || c == '!':
			if i != len(body)-1 {
				return nil, fmt.Errorf("%q matches the rest of the number, so it must come last (like \"_9.\"), not at position %d", string(c), i+2)
			}
			e.tail = c
		case c == '[':
			end := strings.IndexByte(body[i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("the set opened at position %d has no ]: write it like [1-5] or [137]", i+2)
			}
			if err := e.addSet(body[i+1 : i+end]); err != nil {
				return nil, fmt.Errorf("the set %s: %w", body[i:i+end+1], err)
			}
			i += end
		case strings.IndexByte(literals, c) >= 0:
			e.add(c)
		default:
			return nil, fmt.Errorf("%q is neither a digit, +, *, # nor one of X (0-9), Z (1-9), N (2-9), [set], . (one or more) or ! (zero or more)", string(c))
		}
		p.elems = append(p.elems, e)
	}
	if len(p.elems) == 0 || (len(p.elems) == 1 && p.elems[0].tail == '!') {
		return nil, fmt.Errorf("the pattern is empty: write what the numbers look like after the _, like \"_1NXXNXXXXXX\"")
	}
	return p, nil
}

func (e *patternElement) addRange(lo, hi byte) {
	for c := lo; c <= hi; c++ {
		e.add(c)
	}
}

// addSet fills the element from the inside of [...]: digits, +, *, #
// and ranges like 1-5.
func (e *patternElement) addSet(inside string) error {
	if inside == "" {
		return fmt.Errorf("is empty: list digits or a range, like [1-5] or [137]")
	}
	for i := 0; i < len(inside); i++ {
		c := inside[i]
		if strings.IndexByte(literals, c) < 0 {
			return fmt.Errorf("%q is not a digit, +, * or #: write it like [1-5] or [137]", string(c))
		}
		if i+2 < len(inside) && inside[i+1] == '-' {
			hi := inside[i+2]
			if c < '0' || c > '9' || hi < '0' || hi > '9' || hi < c {
				return fmt.Errorf("the range %s: want a low digit, -, a high digit, like 1-5", inside[i:i+3])
			}
			e.addRange(c, hi)
			i += 2
			continue
		}
		e.add(c)
	}
	return nil
}

// Match reports whether the pattern takes a dialled number.
func (p *NumberPattern) Match(number string) bool {
	for i, e := range p.elems {
		switch e.tail {
		case '.':
			return len(number) > i
		case '!':
			return true
		}
		if i >= len(number) || !e.has(number[i]) {
			return false
		}
	}
	return len(number) == len(p.elems)
}

// Compare orders two patterns as Asterisk's ext_cmp does, the more
// specific first: position by position, the element taking fewer
// characters (then the one starting at a smaller character, then by the
// characters themselves) wins, and a wildcard or the pattern's end loses
// to any set. Patterns equal by those rules fall back to their keys, so
// that the order never depends on a map's.
func (p *NumberPattern) Compare(q *NumberPattern) int {
	for i := 0; ; i++ {
		ps, qs := endScore, endScore
		var pset, qset [32]byte
		if i < len(p.elems) {
			ps, pset = p.elems[i].score(), p.elems[i].set
		}
		if i < len(q.elems) {
			qs, qset = q.elems[i].score(), q.elems[i].set
		}
		if ps != qs {
			return ps - qs
		}
		// Same weight, different characters: Asterisk compares the sets
		// the other way round (memcmp(right, left)).
		if c := bytes.Compare(qset[:], pset[:]); c != 0 {
			return c
		}
		if ps == endScore || ps >= 0x18000 {
			return strings.Compare(p.Key, q.Key)
		}
	}
}

// NumberRoutes finds the dial plan of a dialled number: an exact number
// first, then the most specific pattern that matches.
type NumberRoutes struct {
	exact    map[string]Ref
	patterns []*NumberPattern // most specific first
	refs     map[string]Ref
}

// NewNumberRoutes compiles a numbers: section; keys that are not valid
// patterns are left out (validation reports them).
func NewNumberRoutes(numbers map[string]Ref) *NumberRoutes {
	r := &NumberRoutes{exact: map[string]Ref{}, refs: map[string]Ref{}}
	for key, ref := range numbers {
		if !IsNumberPattern(key) {
			r.exact[key] = ref
			continue
		}
		if p, err := ParseNumberPattern(key); err == nil {
			r.patterns = append(r.patterns, p)
			r.refs[key] = ref
		}
	}
	sort.Slice(r.patterns, func(i, j int) bool { return r.patterns[i].Compare(r.patterns[j]) < 0 })
	return r
}

// Route returns the dial plan a dialled number goes to and the key of
// numbers: that matched it (the number itself, or a pattern).
func (r *NumberRoutes) Route(number string) (ref Ref, key string, ok bool) {
	if ref, ok := r.exact[number]; ok {
		return ref, number, true
	}
	for _, p := range r.patterns {
		if p.Match(number) {
			return r.refs[p.Key], p.Key, true
		}
	}
	return Ref{}, "", false
}

// Patterns lists the pattern keys, most specific first: the order they
// are tried in.
func (r *NumberRoutes) Patterns() []string {
	out := make([]string, len(r.patterns))
	for i, p := range r.patterns {
		out[i] = p.Key
	}
	return out
}

// Routes is the configuration's numbers: compiled (made at load).
func (c *Config) Routes() *NumberRoutes {
	if c.routes == nil {
		return NewNumberRoutes(c.Numbers) // a Config built by hand, in tests
	}
	return c.routes
}

// CheckNumberKey says what is wrong with a numbers: key, if anything, as
// the configuration and the API both word it.
func CheckNumberKey(key string) error {
	if IsNumberPattern(key) {
		_, err := ParseNumberPattern(key)
		return err
	}
	if key == "" || strings.ContainsAny(key, " @;:<>") {
		return fmt.Errorf("want the dialled digits only, like \"100\" or \"+14155550100\", a pattern like \"_+1415NXXXXXX\" or a prefix like \"+4420*\"")
	}
	return nil
}
