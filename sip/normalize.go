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
//
// Nearly every request needs at most the rport, and its header is read
// without copying it into lines; anything else takes the line-by-line
// rewrite, whose result is the same.
func normalize(data []byte) []byte {
	if out, ok := normalizeQuick(data); ok {
		return out
	}
	return normalizeLines(data)
}

// normalizeQuick normalizes a header section with CRLF line ends, no
// folded line and no white space around parameters, where at most the
// top Via wants an rport; ok is false for any other, which
// normalizeLines must rewrite.
func normalizeQuick(data []byte) (out []byte, ok bool) {
	end := bytes.Index(data, []byte("\r\n\r\n"))
	if end < 0 {
		return nil, false
	}
	head := data[:end]
	viaDone := false
	spliceAt, spliceEnd, splice := -1, -1, ""
	for pos, first := 0, true; pos <= len(head); first = false {
		lineEnd, next := len(head), len(head)+1
		if nl := bytes.IndexByte(head[pos:], '\n'); nl >= 0 {
			if nl == 0 || head[pos+nl-1] != '\r' {
				return nil, false // a bare LF: lines are rejoined with CRLF
			}
			lineEnd, next = pos+nl-1, pos+nl+1
		}
		line := head[pos:lineEnd]
		start := pos
		pos = next
		if first {
			continue // the request line
		}
		if len(line) > 0 && (line[0] == ' ' || line[0] == '\t') {
			return nil, false // folded
		}
		colon := bytes.IndexByte(line, ':')
		if colon < 0 {
			continue
		}
		kind := paramHeader(line[:colon])
		if kind == notParamHeader {
			continue
		}
		value := line[colon+1:]
		if bytes.ContainsAny(value, ";=") && (bytes.Contains(value, []byte(" ;")) || bytes.Contains(value, []byte("; ")) ||
			bytes.Contains(value, []byte(" =")) || bytes.Contains(value, []byte("= "))) {
			return nil, false // parameters to tighten
		}
		if kind == viaHeader && !viaDone {
			viaDone = true
			if v := addRport(string(value)); v != string(value) {
				spliceAt, spliceEnd, splice = start+colon+1, lineEnd, v
			}
		}
	}
	if spliceAt < 0 {
		return data, true
	}
	out = make([]byte, 0, len(data)-(spliceEnd-spliceAt)+len(splice))
	out = append(out, data[:spliceAt]...)
	out = append(out, splice...)
	return append(out, data[spliceEnd:]...), true
}

// A header whose parameters normalize reads, by its name.
const (
	notParamHeader = iota
	viaHeader
	otherParamHeader
)

// paramHeader says whether name (as written, before its colon) is Via or
// another header whose parameters normalize tightens, without allocating.
func paramHeader(name []byte) int {
	name = bytes.TrimSpace(name)
	var buf [len("record-route")]byte
	if len(name) > len(buf) {
		return notParamHeader
	}
	for i, c := range name {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	switch string(buf[:len(name)]) {
	case "via", "v":
		return viaHeader
	case "from", "f", "to", "t", "contact", "m", "route", "record-route":
		return otherParamHeader
	}
	return notParamHeader
}

// normalizeLines is normalize for any request: it splits the header
// section into lines, unfolds and rewrites them, and joins them with CRLF.
func normalizeLines(data []byte) []byte {
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
