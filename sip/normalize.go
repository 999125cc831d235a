package sip

import (
	"bytes"
	"strings"
)

// normalize rewrites the header section of a request into a form the
// library's parser reads correctly, without changing its meaning:
//   - folded header lines are unfolded (RFC 3261 §7.3.1: folding is a SP);
//   - white space around ';' and '=' in parameter lists is removed
//     (RFC 3261 §25.1 allows it, e.g. "tag = 98asjd8");
//   - the top Via gets an empty rport parameter when it has none, so that
//     responses go back to the port the request came from (RFC 3581),
//     which is what phones behind NAT need.
//
// The body is left as it is. It returns data itself when nothing changed.
func normalize(data []byte) []byte {
	head, body, found := bytes.Cut(data, []byte("\r\n\r\n"))
	sep := "\r\n\r\n"
	if !found {
		head, body, found = bytes.Cut(data, []byte("\n\n"))
		sep = "\n\n"
		if !found {
			return data
		}
	}
	lines := strings.Split(strings.ReplaceAll(string(head), "\r\n", "\n"), "\n")
	out := make([]string, 0, len(lines))
	out = append(out, lines[0])
	for _, l := range lines[1:] {
		if (strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t")) && len(out) > 1 {
			out[len(out)-1] += " " + strings.TrimLeft(l, " \t")
			continue
		}
		out = append(out, l)
	}
	changed := len(out) != len(lines)
	viaDone := false
	for i := 1; i < len(out); i++ {
		name, value, ok := strings.Cut(out[i], ":")
		if !ok {
			continue
		}
		key := strings.ToLower(strings.TrimSpace(name))
		switch key {
		case "from", "f", "to", "t", "via", "v", "contact", "m", "route", "record-route":
		default:
			continue
		}
		v := tightenParams(value)
		if (key == "via" || key == "v") && !viaDone {
			viaDone = true
			v = addRport(v)
		}
		if v != value {
			out[i] = name + ":" + v
			changed = true
		}
	}
	if !changed {
		return data
	}
	var b bytes.Buffer
	b.Grow(len(data) + 16)
	b.WriteString(strings.Join(out, "\r\n"))
	if sep == "\n\n" {
		b.WriteString("\r\n\r\n")
	} else {
		b.WriteString(sep)
	}
	b.Write(body)
	return b.Bytes()
}

// tightenParams removes white space around ';' and '=' outside quotes and
// angle brackets.
func tightenParams(v string) string {
	if !strings.ContainsAny(v, ";=") || (!strings.Contains(v, " ;") && !strings.Contains(v, "; ") &&
		!strings.Contains(v, " =") && !strings.Contains(v, "= ")) {
		return v
	}
	var b strings.Builder
	inQuote, inAngle := false, false
	pending := "" // white space not yet written
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case inQuote:
			b.WriteByte(c)
			if c == '\\' && i+1 < len(v) {
				i++
				b.WriteByte(v[i])
			} else if c == '"' {
				inQuote = false
			}
			continue
		case c == ' ' || c == '\t':
			pending += string(c)
			continue
		}
		if (c == ';' || c == '=') && !inAngle {
			pending = ""
			b.WriteByte(c)
			for i+1 < len(v) && (v[i+1] == ' ' || v[i+1] == '\t') {
				i++
			}
			continue
		}
		b.WriteString(pending)
		pending = ""
		b.WriteByte(c)
		switch c {
		case '"':
			inQuote = true
		case '<':
			inAngle = true
		case '>':
			inAngle = false
		}
	}
	b.WriteString(pending)
	return b.String()
}

// addRport adds ";rport" to the first value of a Via header unless it
// already has an rport parameter.
func addRport(v string) string {
	first, rest, multi := strings.Cut(v, ",")
	lower := strings.ToLower(first)
	if strings.Contains(lower, ";rport") {
		return v
	}
	first = strings.TrimRight(first, " \t") + ";rport"
	if multi {
		return first + "," + rest
	}
	return first
}
