package api

import (
	"io"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"

	"github.com/acdserver/acd/acd"
	"github.com/acdserver/acd/service"
)

// A supervisor's waiting list of thousands of callers, read every few
// seconds by every supervisor watching, was almost all reflection in
// encoding/json. It is written by hand instead, byte for byte what
// encoding/json makes of the same value (waiting_test.go holds the two
// together), and the part of each place that never changes (Call-ID,
// number, joined) is encoded once per place and kept with it
// (acd.Waiter.Encoded), so a read appends what is kept and formats two
// numbers and two booleans per place.

// waitingOutBody is the answer to GET /queues/{id}/waiting. Its exported
// fields are what the OpenAPI document describes (huma reads the type;
// the name keeps the schema's, WaitingOutBody); the answer itself is
// list, written by appendJSON.
type waitingOutBody struct {
	Queue   string                  `json:"queue"`
	Waiting []service.WaitingCaller `json:"waiting"`

	list service.WaitingList
}

// jsonAppender is a response body that encodes itself as JSON, exactly
// as encoding/json would encode it (without HTML escaping, as huma's
// encoder is set).
type jsonAppender interface {
	appendJSON(dst []byte) ([]byte, error)
}

// appendJSON appends {"queue":…,"waiting":[{…},…]}, every place's fields
// in service.WaitingCaller's order.
func (b waitingOutBody) appendJSON(dst []byte) ([]byte, error) {
	dst = append(dst, `{"queue":`...)
	dst = appendJSONString(dst, b.Queue)
	dst = append(dst, `,"waiting":[`...)
	l := b.list
	for i := range l.Len() {
		if i > 0 {
			dst = append(dst, ',')
		}
		w := l.Place(i)
		fixed, err := w.Encoded(encodePlace)
		if err != nil {
			return nil, err
		}
		dst = append(dst, `{"position":`...)
		dst = strconv.AppendInt(dst, int64(l.Position(i)), 10)
		dst = append(dst, fixed...)
		dst = strconv.AppendInt(dst, l.WaitedSeconds(i), 10)
		dst = append(dst, `,"ringing":`...)
		dst = strconv.AppendBool(dst, l.Ringing(i))
		dst = append(dst, `,"callback":`...)
		dst = strconv.AppendBool(dst, w.Callback)
		dst = append(dst, '}')
	}
	return append(dst, "]}"...), nil
}

// encodePlace is the part of a place's JSON between its position and its
// waited seconds, which stays the same while it waits.
func encodePlace(w *acd.Waiter) ([]byte, error) {
	joined, err := w.Joined.MarshalJSON() // as encoding/json calls it
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, 64+len(w.CallID)+len(w.Caller)+len(joined))
	b = append(b, `,"call_id":`...)
	b = appendJSONString(b, w.CallID)
	b = append(b, `,"number":`...)
	b = appendJSONString(b, w.Caller)
	b = append(b, `,"joined":`...)
	b = append(b, joined...)
	return append(b, `,"waited_seconds":`...), nil
}

// appendJSONString appends s as encoding/json writes a string with HTML
// escaping off: quotes and backslashes escaped, control characters as
// \b \f \n \r \t or \u00XX, invalid UTF-8 as \ufffd, and U+2028 and
// U+2029 escaped, which JavaScript would take for line ends.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// jsonFormat is huma's JSON with one shortcut: a body that encodes
// itself is appended into a buffer kept between requests and written in
// one go, with the newline json.Encoder ends a value with.
func jsonFormat(bufs *sync.Pool) huma.Format {
	return huma.Format{
		Marshal: func(w io.Writer, v any) error {
			a, ok := v.(jsonAppender)
			if !ok {
				return huma.DefaultJSONFormat.Marshal(w, v)
			}
			bp, _ := bufs.Get().(*[]byte)
			if bp == nil {
				bp = new([]byte)
			}
			defer bufs.Put(bp)
			b, err := a.appendJSON((*bp)[:0])
			if err != nil {
				return err
			}
			b = append(b, '\n')
			*bp = b
			_, err = w.Write(b)
			return err
		},
		Unmarshal: huma.DefaultJSONFormat.Unmarshal,
	}
}
