package sip

import (
	"bytes"
	"sync/atomic"
)

// countedMethods are the request methods counted by name. Any other is
// counted as "other", so that a peer inventing methods cannot grow what
// monitoring has to keep.
var countedMethods = [...]string{
	"INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "REGISTER", "INFO", "PRACK",
	"UPDATE", "SUBSCRIBE", "NOTIFY", "REFER", "MESSAGE", "PUBLISH",
}

// OtherMethod stands for every request method not in countedMethods.
const OtherMethod = "other"

// Reasons an inbound call is refused, as Stats counts them.
const (
	RefusedMaxCalls      = "max_calls"         // 503: max_calls calls in progress
	RefusedDraining      = "draining"          // 503: the server is draining
	RefusedUnknownNumber = "unknown_number"    // 404: no dial plan for the number
	RefusedOffer         = "unacceptable_sdp"  // 415 or 488: no media we take
	RefusedMedia         = "media_unavailable" // 503: no RTP port, or RTP would not start
	RefusedNotAdmitted   = "not_admitted"      // 403: from a source not admitted to call in
)

// messageCounts counts the SIP messages on the server's own sockets
// (UDP, and the TCP connections it accepted), one atomic add each. The
// method or status is read from the start line, with no parsing beyond.
type messageCounts struct {
	requestsIn, requestsOut   [len(countedMethods) + 1]atomic.Uint64 // last: other
	responsesIn, responsesOut [600]atomic.Uint64                     // status 100 to 699
}

// count counts one message; a nil messageCounts counts nothing.
func (m *messageCounts) count(data []byte, sent bool) {
	if m == nil {
		return
	}
	if code, ok := statusCode(data); ok {
		if sent {
			m.responsesOut[code-100].Add(1)
		} else {
			m.responsesIn[code-100].Add(1)
		}
		return
	}
	if bytes.HasPrefix(data, []byte("SIP/")) || len(bytes.TrimSpace(data)) == 0 {
		return // a malformed response, or a keep-alive: neither is a request
	}
	i := methodIndex(data)
	if sent {
		m.requestsOut[i].Add(1)
	} else {
		m.requestsIn[i].Add(1)
	}
}

// statusCode reads the code of a response's status line.
func statusCode(data []byte) (int, bool) {
	if len(data) < 12 || !bytes.HasPrefix(data, []byte("SIP/2.0 ")) {
		return 0, false
	}
	code := 0
	for _, c := range data[8:11] {
		if c < '0' || c > '9' {
			return 0, false
		}
		code = code*10 + int(c-'0')
	}
	if code < 100 || code > 699 || data[11] != ' ' {
		return 0, false
	}
	return code, true
}

// methodIndex is the index in countedMethods of a request's method, or
// len(countedMethods) for any other.
func methodIndex(data []byte) int {
	method, _, _ := bytes.Cut(data[:min(len(data), 16)], []byte(" "))
	for i, m := range countedMethods {
		if string(method) == m {
			return i
		}
	}
	return len(countedMethods)
}

// Stats are the SIP side's counters since start, for monitoring.
type Stats struct {
	// Requests by method (every counted method, and OtherMethod), and
	// responses by status code (only codes seen), on the server's own
	// sockets: received past the rate limit, malformed ones included,
	// and sent.
	RequestsReceived, RequestsSent   map[string]uint64
	ResponsesReceived, ResponsesSent map[int]uint64
	// Refused counts inbound calls turned away, by reason (every
	// Refused… reason is present).
	Refused map[string]uint64
	// RateLimited counts messages dropped by the rate limit.
	RateLimited uint64
}

// Stats reads the counters.
func (s *Server) Stats() Stats {
	st := Stats{
		RequestsReceived: map[string]uint64{}, RequestsSent: map[string]uint64{},
		ResponsesReceived: map[int]uint64{}, ResponsesSent: map[int]uint64{},
		RateLimited: s.screen.limited.Load(),
	}
	m := s.counts
	for i := range m.requestsIn {
		name := OtherMethod
		if i < len(countedMethods) {
			name = countedMethods[i]
		}
		st.RequestsReceived[name] = m.requestsIn[i].Load()
		st.RequestsSent[name] = m.requestsOut[i].Load()
	}
	for i := range m.responsesIn {
		if n := m.responsesIn[i].Load(); n > 0 {
			st.ResponsesReceived[100+i] = n
		}
		if n := m.responsesOut[i].Load(); n > 0 {
			st.ResponsesSent[100+i] = n
		}
	}
	st.Refused = map[string]uint64{
		RefusedMaxCalls:      uint64(s.RefusedCalls()),
		RefusedDraining:      s.screen.refusedDraining.Load(),
		RefusedUnknownNumber: s.refusedNumber.Load(),
		RefusedOffer:         s.refusedOffer.Load(),
		RefusedMedia:         s.refusedMedia.Load(),
		RefusedNotAdmitted:   s.screen.admit.refusedCalls(),
	}
	return st
}
